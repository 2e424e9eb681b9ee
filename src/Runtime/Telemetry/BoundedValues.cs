using System;
using System.Collections.Concurrent;

namespace TracedLlm.Telemetry;

/// <summary>
/// Keeps a metric dimension's cardinality bounded: the first <c>limit</c> distinct values no longer
/// than <c>maxLength</c> characters pass through; later new ones, and longer ones, become
/// <c>other</c>. Thread-safe; never blocks.
/// </summary>
internal sealed class BoundedValues
{
    /// <summary>The longest value kept when no length is given.</summary>
    public const int DefaultMaxLength = 128;

    private readonly ConcurrentDictionary<string, byte> _values = new(StringComparer.Ordinal);
    private readonly int _limit;
    private readonly string _other;
    private readonly int _maxLength;

    /// <summary>Creates the bound.</summary>
    public BoundedValues(int limit, string other, int maxLength = DefaultMaxLength)
    {
        _limit = limit;
        _other = other;
        _maxLength = maxLength;
    }

    /// <summary>
    /// The value itself if it is known or there is room for it, else the catch-all; <c>unknown</c> for none.
    /// </summary>
    public string Bound(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "unknown";
        }

        if (value.Length > _maxLength)
        {
            return _other;
        }

        if (_values.ContainsKey(value) || (_values.Count < _limit && _values.TryAdd(value, 0)))
        {
            return value;
        }

        return _values.ContainsKey(value) ? value : _other;
    }
}
