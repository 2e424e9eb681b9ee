using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// Spans recorded for real (an ActivitySource, a tracer provider with a resource), serialized as
/// they end by OpenTelemetry's own OTLP exporter into a capture that translates them as a
/// destination does, and decoded again by the tests' own reader.
/// </summary>
internal sealed class TranslationHarness : IDisposable
{
    private readonly ActivitySource _source = new(
        TracedLlm.Telemetry.TracedLlmTelemetry.SourceName + ".Tests." + Guid.NewGuid().ToString("N"));
    private readonly OtlpCapture _capture;
    private readonly TracerProvider _provider;
    private readonly List<Activity> _recorded = new();

    public TranslationHarness(SpanTranslation? translation)
    {
        _capture = new OtlpCapture(translation);
        var options = new OtlpExporterOptions
        {
            Protocol = OtlpExportProtocol.HttpProtobuf,
            Endpoint = new Uri("http://localhost/v1/traces")
        };
        options.HttpClientFactory = () => new HttpClient(_capture, disposeHandler: false);
        _provider = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource =>
                resource
                    .AddService("translation-tests")
                    .AddAttributes(
                        new[] { new KeyValuePair<string, object>("openinference.project.name", "from-resource") }))
            .AddSource(_source.Name)
            .AddProcessor(new SimpleActivityExportProcessor(new OtlpTraceExporter(options)))
            .AddInMemoryExporter(_recorded)
            .Build()!;
    }

    /// <summary>Starts a span (ended by the caller) with its attributes.</summary>
    public Activity Start(
        string name,
        ActivityKind kind,
        IEnumerable<KeyValuePair<string, object?>> tags,
        ActivityContext parent = default)
    {
        var span = _source.StartActivity(name, kind, parent)!;
        foreach (var (key, value) in tags)
        {
            span.SetTag(key, value);
        }

        return span;
    }

    /// <summary>The ended spans as the destination's backend gets them.</summary>
    public List<ReceivedSpan> Received()
    {
        var (buffer, length) = _capture.Take();
        Assert.NotNull(buffer);
        return ReceivedSpans.Decode(buffer!.AsSpan(0, length).ToArray());
    }

    /// <summary>
    /// The spans recorded so far serialized again, as <paramref name="translation"/> (null: none)
    /// makes them, by an exporter of no provider (an empty resource): the very same spans, so that
    /// two translations can be compared field by field.
    /// </summary>
    public List<ReceivedSpan> Serialize(SpanTranslation? translation)
    {
        var capture = new OtlpCapture(translation);
        var options = new OtlpExporterOptions
        {
            Protocol = OtlpExportProtocol.HttpProtobuf,
            Endpoint = new Uri("http://localhost/v1/traces")
        };
        options.HttpClientFactory = () => new HttpClient(capture, disposeHandler: false);
        using var exporter = new OtlpTraceExporter(options);
        var spans = _recorded.ToArray();
        Assert.Equal(ExportResult.Success, exporter.Export(new Batch<Activity>(spans, spans.Length)));
        var (buffer, length) = capture.Take();
        return ReceivedSpans.Decode(buffer!.AsSpan(0, length).ToArray());
    }

    public void Dispose()
    {
        _provider.Dispose();
        _source.Dispose();
    }
}
