using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// What one request can write into its spans is bounded: value length (cut with a visible marker),
/// attributes and events per span, metadata keys read, bytes per request; metric values bounded;
/// every cut or drop counted.
/// </summary>
public sealed class TelemetryBoundsTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";

    private readonly SpanCollector _spans = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, string? Reason, string? Model)> _measurements =
        new();
    private readonly MeterListener _meters;

    public TelemetryBoundsTests()
    {
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>(
            (instrument, value, tags, _) =>
                _measurements.Enqueue(
                    (instrument.Name,
                        value,
                        Tag(tags, "tracedllm.drop.reason"),
                        Tag(tags, AttributeNames.GenAiRequestModel))));
        _meters.SetMeasurementEventCallback<double>(
            (instrument, value, tags, _) =>
                _measurements.Enqueue((instrument.Name, (long)value, null, Tag(tags, AttributeNames.GenAiRequestModel)))
        );
        _meters.Start();
    }

    public void Dispose()
    {
        _meters.Dispose();
        _spans.Dispose();
    }

    [Fact]
    public async Task AHugeModelNameIsCutWithAMarkerInEverySpanAndCounted()
    {
        var model = "m" + new string('x', 6 * 1024 * 1024);
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, $$"""{"model":"{{model}}","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var limit = new TelemetryLimits().MaxAttributeValueLength;
        var llm = tree.Single(SpanNames.LlmRequest);
        var recorded = Assert.IsType<string>(llm.GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal(limit, recorded.Length);
        Assert.EndsWith(TelemetryLimits.TruncationMarker, recorded, StringComparison.Ordinal);
        Assert.True((int)llm.GetTagItem(AttributeNames.TelemetryDropped)! >= 1);

        // Nowhere in the trace is more than the limit of it, and the whole trace holds a few copies at most.
        var texts = tree.Spans.SelectMany(Texts).ToList();
        Assert.All(
            texts,
            t => Assert.True(t.Length <= limit, $"{t.Length} characters recorded: {t[..Math.Min(t.Length, 300)]}"));
        Assert.True(texts.Sum(t => t.Length) < 64 * 1024, $"{texts.Sum(t => t.Length)} characters in the trace");
        Assert.Contains(_measurements, m => m.Instrument == "tracedllm.telemetry.dropped" && m.Reason == "truncated");

        // The metric dimension takes no such value either.
        await Eventually.HoldsAsync(
            () => _measurements.Any(m => m.Instrument == "gen_ai.server.request.duration"),
            "the request duration",
            TimeSpan.FromSeconds(10));
        Assert.Contains(
            _measurements,
            m => m.Instrument == "gen_ai.server.request.duration" && m.Model == GatewayMetrics.OtherModel);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task FiveThousandMetadataKeysBecomeAtMostTheKeyAndAttributeLimits()
    {
        var keys = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"k{i}\":{i}"));
        var traceMetadata = string.Join(",", Enumerable.Range(0, 500).Select(i => $"\"t{i}\":\"v\""));
        var tags = string.Join(",", Enumerable.Range(0, 500).Select(i => $"\"tag{i}\""));
        // Trace attributes ride on every span (Langfuse reads them there), so 64 trace-metadata keys and 64
        // observation-metadata keys do not fit the default 128 attributes of the LLM span; this test is about the key
        // limit, so it raises the span limit. TheAttributeLimitLeavesOutClientMetadataNotTheContract covers what the
        // span limit leaves out.
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { MaxMetadataBytes = 1024 * 1024,
                Limits = { MaxAttributesPerSpan = 512 } }));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"""
                + $$$"""{"trace_name":"kept",{{{keys}}},"trace_metadata":{{{{traceMetadata}}}},"tags":[{{{tags}}}]"""
                + $$$"""}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var limits = new TelemetryLimits { MaxAttributesPerSpan = 512 };
        var llm = tree.Single(SpanNames.LlmRequest);
        Assert.Equal(
            limits.MaxMetadataKeys,
            llm.TagObjects.Count(t =>
                t.Key.StartsWith(AttributeNames.LangfuseObservationMetadataPrefix, StringComparison.Ordinal)));
        Assert.Equal(
            limits.MaxMetadataKeys,
            tree.Server.TagObjects.Count(t =>
                t.Key.StartsWith(AttributeNames.LangfuseTraceMetadataPrefix, StringComparison.Ordinal)));
        Assert.Equal(
            limits.MaxMetadataKeys,
            ((string[])tree.Server.GetTagItem(AttributeNames.LangfuseTraceTags)!).Length);
        Assert.Equal("kept", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        Assert.Equal(5000 - limits.MaxMetadataKeys, llm.GetTagItem(AttributeNames.TelemetryDropped));
        Assert.Equal(
            500 - limits.MaxMetadataKeys + 500 - limits.MaxMetadataKeys,
            tree.Server.GetTagItem(AttributeNames.TelemetryDropped));
        Assert.All(tree.Spans, s => Assert.True(s.TagObjects.Count() <= limits.MaxAttributesPerSpan));
        Assert.Contains(
            _measurements,
            m =>
                m.Instrument == "tracedllm.telemetry.dropped"
                && m.Reason == "metadata_key_limit"
                && m.Value == 5000 + 1000 - 3 * limits.MaxMetadataKeys);
    }

    [Fact]
    public async Task KeysBoundedToTheSameTextStayDistinctAttributes()
    {
        // Two long keys that share what the length limit keeps, two credential-shaped keys redacted alike, and a key
        // that already reads like a bounded one.
        var prefix = new string('p', 80);
        var metadata = $$"""
            "{{prefix}}-first":"one","{{prefix}}-second":"two","sk-proj-Ab3dEf6hIj9kLm2nOp5q":"three",
                "sk-proj-Zy9xWv8uTs7rQp6oNm5l":"four","[redacted]":"five"
            """;
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { Limits = { MaxAttributeValueLength = 64 } }));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat,
            $$$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{{{{{metadata}}}}"""
            + $$$$""","trace_metadata":{{{{{metadata}}}}}}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        foreach (var (span, prefixKey) in new[]
            {
                (tree.Single(SpanNames.LlmRequest), AttributeNames.LangfuseObservationMetadataPrefix),
                (tree.Server, AttributeNames.LangfuseTraceMetadataPrefix)
            })
        {
            var keys = span.TagObjects.Select(t => t.Key).ToList();
            Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
            var entries = span.TagObjects.Where(t => t.Key.StartsWith(prefixKey, StringComparison.Ordinal)).ToList();
            Assert.Equal(
                new[] { "five", "four", "one", "three", "two" },
                entries.Select(t => (string)t.Value!).Order(StringComparer.Ordinal));
            Assert.Contains(entries, t => t.Key == prefixKey + "[redacted]#2");
            Assert.All(entries, t => Assert.DoesNotContain("sk-proj", t.Key, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheAttributeLimitLeavesOutClientMetadataNotTheContract()
    {
        var keys = string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"k{i}\":{i}"));
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { Limits = { MaxAttributesPerSpan = 12 } }));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                $$$$"""{"model":"m","temperature":0.5,"messages":[{"role":"user","content":"x"}]"""
                + $$$$""","metadata":{{{{{keys}}}}}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var llm = tree.Single(SpanNames.LlmRequest);
        Assert.Equal("m", llm.GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal(0.5, llm.GetTagItem(AttributeNames.GenAiRequestTemperature));
        Assert.True(
            llm.TagObjects.Count(t =>
                t.Key.StartsWith(AttributeNames.LangfuseObservationMetadataPrefix, StringComparison.Ordinal)
            ) < 12);
        Assert.True((int)llm.GetTagItem(AttributeNames.TelemetryDropped)! > 28);
        Assert.Contains(
            _measurements,
            m => m.Instrument == "tracedllm.telemetry.dropped" && m.Reason == "attribute_limit");
    }

    [Fact]
    public async Task ARequestPaysForItsOwnSizeWithinItsByteBudget()
    {
        const int budget = 16 * 1024;
        var value = new string('v', 3000);
        var entries = string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"k{i}\":\"{value}\""));
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { MaxMetadataBytes = 1024 * 1024,
                Limits = { MaxTelemetryBytesPerRequest = budget } }));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"""
                + $$$"""{"trace_name":"first",{{{entries}}}}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var clientBytes = tree.Spans
            .SelectMany(s => s.TagObjects)
            .Where(t => t.Key.StartsWith("langfuse.", StringComparison.Ordinal) && t.Value is string)
            .Sum(t => t.Key.Length + Encoding.UTF8.GetByteCount((string)t.Value!));
        Assert.InRange(clientBytes, budget - 3100, budget);
        Assert.Equal("first", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        Assert.Contains(
            _measurements,
            m => m.Instrument == "tracedllm.telemetry.dropped" && m.Reason == "request_budget");
        _spans.AssertAllEnded();
    }

    public static TheoryData<string, string?, bool> TraceStates()
    {
        var wide = Enumerable.Range(0, 30).Select(i => $"k{i:D2}={new string('v', 30)}").ToArray();
        var longFirst = $"long={new string('l', 200)},{string.Join(",", wide[..10])}";
        return new()
        {
            // Valid and short: kept as it came; optional white space and empty members are not kept.
            { "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", false },
            { " rojo=1 ,, congo=2\t", "rojo=1,congo=2", false },
            { "tenant1@vendor=x,0k=y", "tenant1@vendor=x,0k=y", false },
            // A key sent twice is kept once, the first: W3C's test suite (test_tracestate_duplicated_keys) expects the
            // state inherited.
            { "rojo=1,rojo=2,congo=3", "rojo=1,congo=3", false },
            // Valid and over 512 characters: members from the end go, and members over 128 characters before them.
            { string.Join(",", wide), string.Join(",", wide[..14]), false },
            { longFirst, string.Join(",", wide[..10]), false },
            // Not a tracestate: none kept, and an event says so.
            { string.Join(",", Enumerable.Range(0, 800).Select(i => $"k{i}=v{i}")), null, true },
            { "Rojo=1", null, true },
            { "rojo=a=b", null, true },
            { "rojo=", null, true },
            { "ro jo=1", null, true },
            { $"k={new string('v', 257)}", null, true },
            { string.Join(",", Enumerable.Range(0, 33).Select(i => $"k{i}=v")), null, true },
        };
    }

    [Theory]
    [MemberData(nameof(TraceStates))]
    public Task ACallersTraceStateIsReadAsW3CSaysAndKeptWithinItsLength(string header, string? kept, bool invalid) =>
        AssertTraceStateKept([header], kept, invalid);

    [Theory]
    [InlineData(new[] { "rojo=1", "congo=2" }, "rojo=1,congo=2", false)]
    [InlineData(new[] { "rojo=1,congo=2", "", "tenant@vendor=3" }, "rojo=1,congo=2,tenant@vendor=3", false)]
    [InlineData(new[] { "rojo=1", "congo=2,rojo=3" }, "rojo=1,congo=2", false)]
    [InlineData(new[] { "rojo=1", "Congo=2" }, null, true)]
    public Task SeveralTraceStateHeadersAreCombinedAsOne(string[] headers, string? kept, bool invalid) =>
        // W3C Trace Context: values from several tracestate headers are combined into one, as RFC 7230 combines a
        // header's lines; then read and bounded as a single header is.
        AssertTraceStateKept(headers, kept, invalid);

    [Fact]
    public void AHeaderThePropagatorFailsInsideOnIsInvalidNotAStateOfNoMembers()
    {
        // OpenTelemetry's TraceContextPropagator catches what it throws while it reads and gives back
        // the context it was given: no input of 1.20.1 was found to do so (two million random headers
        // and the hostile shapes above), so a propagator that answers that way stands in for one.
        Assert.False(Pipeline.TraceStateHeader.TryRead(new StringValues("rojo=1"), new FailingInside(), out var kept));
        Assert.Null(kept);

        // The real one, on the same header, reads it.
        Assert.True(Pipeline.TraceStateHeader.TryRead(new StringValues("rojo=1"), out kept));
        Assert.Equal("rojo=1", kept);
    }

    private sealed class FailingInside : OpenTelemetry.Context.Propagation.TextMapPropagator
    {
        public override System.Collections.Generic.ISet<string> Fields { get; } =
            new System.Collections.Generic.HashSet<string> { "traceparent", "tracestate" };

        public override OpenTelemetry.Context.Propagation.PropagationContext Extract<T>(
            OpenTelemetry.Context.Propagation.PropagationContext context,
            T carrier,
            Func<T, string, System.Collections.Generic.IEnumerable<string>?> getter) => context;

        public override void Inject<T>(
            OpenTelemetry.Context.Propagation.PropagationContext context,
            T carrier,
            Action<T, string, string> setter
        ) { }
    }

    private async Task AssertTraceStateKept(string[] headers, string? kept, bool invalid)
    {
        using var host = new GatewayHost();
        var request = GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}""",
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.TryAddWithoutValidation("tracestate", headers);
        using var response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", tree.Server.TraceId.ToHexString());

        // Every span of the request carries it, and each attempt sends it upstream (LlmCall.ApplyTraceContext).
        Assert.All(tree.Spans, s => Assert.Equal(kept, s.TraceStateString));
        Assert.True(kept is null || kept.Length <= 512);
        var events = tree.Server.Events.Where(e => e.Name == AttributeNames.InvalidTraceContextEvent).ToList();
        Assert.Equal(
            invalid ? new[] { "tracestate" } : Array.Empty<string>(),
            events.Select(e => e.Tags.Single(t => t.Key == AttributeNames.InvalidTraceContextField).Value as string));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ASpanTakesNoMoreEventsThanTheLimit()
    {
        using var host = new GatewayHost().WithServices(s =>
        {
            s.AddSingleton(new TracedLlmOptions { Limits = { MaxEventsPerSpan = 3 } });
            s.AddSingleton<ILlmGuardrail>(new RecordsFailures(10));
        });
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var guardrail = Assert.Single(
            tree.All(SpanNames.Guardrail),
            g => (string?)g.GetTagItem(AttributeNames.GuardrailName) == "records-failures");
        Assert.Equal(3, guardrail.Events.Count());
        Assert.Contains(_measurements, m => m.Instrument == "tracedllm.telemetry.dropped" && m.Reason == "event_limit");
    }

    [Fact]
    public void TheOpenTelemetryLimitVariablesAreTheDefaults()
    {
        var variables = new Dictionary<string, string>
        {
            ["OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"] = "300",
            ["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"] = "40",
            ["OTEL_ATTRIBUTE_COUNT_LIMIT"] = "90",
            ["OTEL_SPAN_EVENT_COUNT_LIMIT"] = "7",
        };
        var limits = TelemetryLimits.FromVariables(name => variables.GetValueOrDefault(name));
        Assert.Equal(300, limits.MaxAttributeValueLength);
        Assert.Equal(40, limits.MaxAttributesPerSpan);
        Assert.Equal(7, limits.MaxEventsPerSpan);

        variables["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"] = "200";
        variables["OTEL_SPAN_EVENT_COUNT_LIMIT"] = "not a number";
        limits = TelemetryLimits.FromVariables(name => variables.GetValueOrDefault(name));
        Assert.Equal(200, limits.MaxAttributeValueLength);
        Assert.Equal(128, limits.MaxEventsPerSpan);

        var defaults = TelemetryLimits.FromVariables(_ => null);
        Assert.Equal(
            (4096, 128, 128, 64, 128 * 1024),
            (defaults.MaxAttributeValueLength,
                defaults.MaxAttributesPerSpan,
                defaults.MaxEventsPerSpan,
                defaults.MaxMetadataKeys,
                defaults.MaxTelemetryBytesPerRequest));
    }

    [Fact]
    public void LimitsAndRedactionBindFromConfigurationOverTheStandardVariables()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(
                new Dictionary<string, string?>
                {
                    ["OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"] = "300",
                    ["OTEL_SPAN_EVENT_COUNT_LIMIT"] = "9",
                    ["TRACEDLLM_API_KEY_FINGERPRINT_SECRET"] = "from-the-environment",
                    ["TracedLlm:Limits:MaxAttributeValueLength"] = "100",
                    ["TracedLlm:Limits:MaxTelemetryBytesPerRequest"] = "5000",
                    ["TracedLlm:Redaction:KeyFragments:0"] = "ssn",
                    ["TracedLlm:RequireAuthenticationToJoinTrace"] = "true",
                })
            .Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddTracedLlm()
            .BuildServiceProvider();
        var options = services.GetRequiredService<TracedLlmOptions>();

        Assert.Equal(100, options.Limits.MaxAttributeValueLength);
        Assert.Equal(9, options.Limits.MaxEventsPerSpan);
        Assert.Equal(5000, options.Limits.MaxTelemetryBytesPerRequest);
        Assert.Equal("from-the-environment", options.ApiKeyFingerprintSecret);
        Assert.True(options.RequireAuthenticationToJoinTrace);
        Assert.True(options.Redaction.IsSecretKey("customer_ssn"));
        Assert.True(options.Redaction.IsSecretKey("api_key"));
    }

    [Fact]
    public void ANegativeLimitFailsTheStartNamingTheSetting()
    {
        using var services = new ServiceCollection()
            .AddTracedLlm(o => o.Limits.MaxMetadataKeys = -1)
            .BuildServiceProvider();
        var invalid = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TracedLlmOptions>>().Value);
        Assert.Contains(
            "TracedLlm:Limits:MaxMetadataKeys must be at least 0 (it is -1).",
            invalid.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void MetricValuesAreBoundedByLengthAsWellAsCount()
    {
        var bound = new BoundedValues(10, "_OTHER", maxLength: 8);
        Assert.Equal("short", bound.Bound("short"));
        Assert.Equal("_OTHER", bound.Bound("much-too-long"));
    }

    internal static IEnumerable<string> Texts(Activity span) =>
        span.TagObjects.Select(t => t.Value).OfType<string>()
            .Concat(span.TagObjects.Select(t => t.Value).OfType<string[]>().SelectMany(a => a))
            .Concat(span.Events.SelectMany(e => e.Tags.Select(t => t.Value).OfType<string>()))
            .Append(span.DisplayName).Append(span.StatusDescription ?? string.Empty);

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    /// <summary>A guardrail that records handled failures on its own span, then allows.</summary>
    private sealed class RecordsFailures(int count) : ILlmGuardrail
    {
        public string Name => "records-failures";

        public GuardrailMode Modes => GuardrailMode.PreCall;

        public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                context.Call.RecordHandledFailure(new TimeoutException($"attempt {i}"));
            }

            return ValueTask.FromResult(GuardrailVerdict.Allow);
        }
    }
}
