using System.Collections.Generic;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace TracedLlm.Relay;

/// <summary>
/// A response's headers at one moment, to take back what a held response's transforms wrote until it is sent.
/// </summary>
internal static class HeaderSnapshot
{
    public static KeyValuePair<string, StringValues>[] Take(IHeaderDictionary headers)
    {
        if (headers.Count == 0)
        {
            // Most often the case before a relay's transforms run: no array and no boxed enumerator.
            return [];
        }

        // Copied, not enumerated: Kestrel's headers copy without a boxed enumerator.
        var snapshot = new KeyValuePair<string, StringValues>[headers.Count];
        headers.CopyTo(snapshot, 0);
        return snapshot;
    }

    public static void Restore(IHeaderDictionary headers, KeyValuePair<string, StringValues>[] snapshot)
    {
        headers.Clear();
        foreach (var (name, value) in snapshot)
        {
            headers[name] = value;
        }
    }
}
