using System.Collections.Generic;
using System.Diagnostics;

namespace TracedLlm.Telemetry;

/// <summary>
/// Writes a span's first attributes, whose keys are distinct: on a span nobody has tagged yet
/// they are appended, which spares <see cref="Activity.SetTag"/>'s search of the span's tags for
/// each key. A span that already has tags (a sampler's attributes, a listener's enrichment) gets
/// <see cref="Activity.SetTag"/>, so no key is ever recorded twice. Null values are left out.
/// With the request's <see cref="LlmCall"/>, the span holds at most
/// <see cref="TelemetryLimits.MaxAttributesPerSpan"/> attributes and client values are bounded.
/// </summary>
internal struct FirstTags
{
    private readonly Activity _span;
    private readonly LlmCall? _call;
    private readonly bool _untagged;
    private readonly int _maxCount;
    private int _count;
    private int _dropped;

    public FirstTags(Activity span, LlmCall? call = null)
    {
        _span = span;
        _call = call;
        _maxCount = call?.Gateway.Options.Limits.MaxAttributesPerSpan ?? int.MaxValue;
        _untagged = true;
        foreach (var _ in span.EnumerateTagObjects())
        {
            _untagged = false;
            _count++;
        }
    }

    /// <summary>Adds a value of the gateway's own (a constant, a number, a route).</summary>
    public void Add(string key, object? value)
    {
        if (value is null)
        {
            return;
        }

        if (_count >= _maxCount)
        {
            TelemetryText.Count(TelemetryText.Reasons.AttributeLimit);
            _dropped++;
            return;
        }

        _count++;
        if (_untagged)
        {
            _span.AddTag(key, value);
        }
        else
        {
            _span.SetTag(key, value);
        }
    }

    /// <summary>
    /// Adds the request's trace-level attributes, which every span of a request carries once the caller is
    /// authenticated (none before).
    /// </summary>
    public void AddTraceTags(LlmCall call)
    {
        foreach (var (key, value) in call.TraceTags)
        {
            Add(key, value);
        }
    }

    /// <summary>
    /// Adds a value a client chose: redacted, cut to the length limit, charged to the request's byte budget.
    /// </summary>
    public void AddClient(string key, string? value)
    {
        if (value is not null)
        {
            Add(key, Bound(key, value));
        }
    }

    /// <summary>
    /// Adds a client-chosen map entry as <paramref name="prefix"/> + key, both bounded, the name kept
    /// unique among the map's (<paramref name="names"/>). (A secret-like key's value is already
    /// <see cref="SecretRedaction.Marker"/>: <see cref="LlmMetadata"/> is read so.)
    /// </summary>
    public void AddClient(string prefix, string key, string value, ref UniqueClientKeys names)
    {
        if (_count >= _maxCount)
        {
            TelemetryText.Count(TelemetryText.Reasons.AttributeLimit);
            _dropped++;
            return;
        }

        if (Bound(prefix, key) is { } boundKey)
        {
            var name = prefix + names.Unique(key, boundKey);
            Add(name, Bound(name, value));
        }
    }

    /// <summary>Adds client-chosen strings as one array attribute, each bounded.</summary>
    public void AddClient(string key, string[] values)
    {
        if (_call is null)
        {
            Add(key, values);
            return;
        }

        var bounded = new List<string>(values.Length);
        foreach (var value in values)
        {
            if (Bound(key, value) is { } item)
            {
                bounded.Add(item);
            }
        }

        // An array, not a list: OpenTelemetry exports only arrays as array attributes.
        Add(key, bounded.ToArray());
    }

    /// <summary>A client value as it may be recorded; null once the request's budget is spent.</summary>
    public string? Bound(string key, string value) => _call is null
        ? value
        : TelemetryText.ForSpan(_call, key, value, _call.Gateway.Options.Limits.MaxAttributeValueLength, ref _dropped);

    /// <summary>
    /// Marks the span with how many values were cut or left out (<paramref name="earlier"/> before these tags, while
    /// reading).
    /// </summary>
    public void Complete(int earlier = 0)
    {
        if (_dropped + earlier > 0)
        {
            _span.SetTag(AttributeNames.TelemetryDropped, _dropped + earlier);
        }
    }
}
