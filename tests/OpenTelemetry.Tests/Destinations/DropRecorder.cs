using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>The drops the export counts (<c>tracedllm.export.dropped_spans</c>), by destination and reason.</summary>
internal sealed class DropRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Destination, string Reason, long Spans)> _drops = new();

    public DropRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "tracedllm.export.dropped_spans")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, spans, tags, _) =>
        {
            string? destination = null, reason = null;
            foreach (var tag in tags)
            {
                destination = tag.Key == "destination" ? tag.Value as string : destination;
                reason = tag.Key == "reason" ? tag.Value as string : reason;
            }

            _drops.Enqueue((destination ?? string.Empty, reason ?? string.Empty, spans));
        });
        _listener.Start();
    }

    public IEnumerable<string> Destinations => _drops.Select(d => d.Destination);

    public IEnumerable<(string, string)> Reasons => _drops.Select(d => (d.Destination, d.Reason));

    /// <summary>The spans counted as dropped for <paramref name="destination"/>, whatever the reason.</summary>
    public long SpansOf(string destination) => _drops.Where(d => d.Destination == destination).Sum(d => d.Spans);

    public void Dispose() => _listener.Dispose();
}
