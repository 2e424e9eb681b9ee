using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace TracedLlm;

/// <summary>
/// What a finished span holds in memory while it waits in the export queue, estimated once when it is queued.
/// </summary>
/// <remarks>
/// A fixed part for the span itself, plus its name, status text, and each attribute, event and link (strings at two
/// bytes a character). One pass over what the span already holds, no allocation; lengths, not contents, so an 8 MB
/// attribute costs as little to measure as a short one.
/// </remarks>
internal static class SpanSize
{
    /// <summary>
    /// An ended <see cref="Activity"/> with its ids, times and kind, before any attribute: 400 bytes allocated on .NET
    /// 10 (ExportQueueTests measures it).
    /// </summary>
    internal const int Span = 400;

    /// <summary>
    /// One attribute's list node, before its key's and value's own size: 40 bytes on .NET 10 (each
    /// further attribute with a boxed number allocated 64). Keys are counted as if each span had its
    /// own copy; most are shared constants, so the estimate errs high, never low, for a client's keys.
    /// </summary>
    internal const int Attribute = 40;

    /// <summary>One event's or link's own record, before its name and attributes.</summary>
    internal const int EventOrLink = 64;

    public static long Estimate(Activity span)
    {
        var bytes = Span + Text(span.DisplayName) + Text(span.StatusDescription);
        foreach (ref readonly var tag in span.EnumerateTagObjects())
        {
            bytes += Tag(tag);
        }

        foreach (ref readonly var item in span.EnumerateEvents())
        {
            bytes += EventOrLink + Text(item.Name);
            foreach (ref readonly var tag in item.EnumerateTagObjects())
            {
                bytes += Tag(tag);
            }
        }

        foreach (ref readonly var link in span.EnumerateLinks())
        {
            bytes += EventOrLink;
            foreach (ref readonly var tag in link.EnumerateTagObjects())
            {
                bytes += Tag(tag);
            }
        }

        return bytes;
    }

    private static long Tag(in KeyValuePair<string, object?> tag) => Attribute + Text(tag.Key) + Value(tag.Value);

    // Most values are strings or boxed numbers: those are tested first, arrays (rare) last.
    private static long Value(object? value)
    {
        if (value is string text)
        {
            return Text(text);
        }

        if (value is not Array array)
        {
            // A boxed number or boolean, or nothing.
            return value is null ? 0 : 24;
        }

        var bytes = 24 + (8L * array.Length);
        if (array is string?[] texts)
        {
            foreach (var item in texts)
            {
                bytes += Text(item);
            }
        }

        // Arrays of numbers or booleans: at most eight bytes an element, counted above.
        return bytes;
    }

    private static long Text(string? text) => text is null ? 0 : 24 + (2L * text.Length);
}
