using System;
using System.Collections.Generic;
using System.Globalization;

namespace TracedLlm.Telemetry;

/// <summary>Keeps the attribute names of a client's map unique once its keys are bounded.</summary>
/// <remarks>
/// Two long keys cut to the same text, or two keys redacted alike, would otherwise be one attribute recorded twice. A
/// key that bounding changed and that meets a name already taken gets <c>#2</c>, <c>#3</c>, ...; keys left as sent keep
/// their names (the map's keys are distinct). Nothing is allocated until a key is changed.
/// </remarks>
internal struct UniqueClientKeys
{
    private readonly IReadOnlyDictionary<string, string> _map;
    private HashSet<string>? _taken;

    public UniqueClientKeys(IReadOnlyDictionary<string, string> map)
    {
        _map = map;
    }

    /// <summary>The name to record <paramref name="key"/> under, given its bounded form.</summary>
    public string Unique(string key, string boundKey)
    {
        if (string.Equals(key, boundKey, StringComparison.Ordinal))
        {
            return key;
        }

        if (_taken is null)
        {
            _taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sent in _map.Keys)
            {
                _taken.Add(sent);
            }
        }

        var unique = boundKey;
        for (var n = 2; !_taken.Add(unique); n++)
        {
            unique = boundKey + "#" + n.ToString(CultureInfo.InvariantCulture);
        }

        return unique;
    }
}
