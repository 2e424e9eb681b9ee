using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The Langfuse mapping in process: an explicit observation type on every span, trace-level
/// attributes on every span only once the caller is authenticated, every key once per span,
/// seed-derived trace ids, and the completion start time of a stream. The end-to-end tests read
/// the same through Langfuse's rules.
/// </summary>
public sealed class LangfuseMappingTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string TraceMetadata =
        """{"trace_name":"t","trace_user_id":"u-1","session_id":"s-1","tags":["a"],"trace_metadata":{"team":"x"}"""
        + ""","release":"r1","version":"v1","environment":"prod"}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task EverySpanHasAnExplicitObservationTypeAndTheTraceLevelAttributes()
    {
        var tree = await SendWithTraceMetadataAsync("x", HttpStatusCode.OK);
        Assert.Equal(7, tree.Spans.Count);
        Assert.Equal(
            new[] { "generation", "guardrail", "guardrail", "span", "span", "span", "span" },
            tree.Spans.Select(s => (string)s.GetTagItem(AttributeNames.LangfuseObservationType)!)
                .Order(StringComparer.Ordinal));
        Assert.Equal(
            "generation",
            tree.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.LangfuseObservationType));
        Assert.Equal("span", tree.Single(SpanNames.UpstreamAttempt).GetTagItem(AttributeNames.LangfuseObservationType));
        Assert.All(tree.Spans, AssertTraceLevel);

        // The OpenTelemetry user and session keys ride beside Langfuse's on every span (issue 40).
        Assert.All(tree.Spans, s => Assert.Equal("u-1", s.GetTagItem(AttributeNames.UserId)));
        Assert.All(tree.Spans, s => Assert.Equal("s-1", s.GetTagItem(AttributeNames.SessionId)));
        AssertEachKeyOnce(tree);
    }

    [Fact]
    public async Task AFailedRequestsSpansCarryTheTraceLevelAttributesToo()
    {
        var tree = await SendWithTraceMetadataAsync("forbidden", HttpStatusCode.BadRequest);
        var failed = tree.Single(SpanNames.Failure);
        Assert.Equal("span", failed.GetTagItem(AttributeNames.LangfuseObservationType));
        Assert.All(tree.Spans, AssertTraceLevel);
        Assert.All(
            tree.All(SpanNames.Guardrail),
            g => Assert.Equal("guardrail", g.GetTagItem(AttributeNames.LangfuseObservationType)));
        AssertEachKeyOnce(tree);
    }

    [Fact]
    public async Task BeforeAuthenticationNoSpanButTheServersGetsWhatTheClientChose()
    {
        // The auth and failure spans are typed but carry nothing the unauthenticated client sent.
        // (Where the server span's trace attributes go for such a request is the trust boundary's call.)
        var tree = await SendWithTraceMetadataAsync("x", HttpStatusCode.Unauthorized, apiKey: "sk-wrong-key-77");
        foreach (var span in tree.Spans.Where(s => s != tree.Server))
        {
            Assert.Equal("span", span.GetTagItem(AttributeNames.LangfuseObservationType));
            Assert.DoesNotContain(
                span.TagObjects,
                t =>
                    t.Key.StartsWith("langfuse.trace.", StringComparison.Ordinal)
                    || t.Key is AttributeNames.LangfuseUserId or AttributeNames.LangfuseSessionId
                        or AttributeNames.LangfuseEnvironment or AttributeNames.LangfuseRelease
                        or AttributeNames.LangfuseVersion);
        }

        Assert.Equal(
            new[] { SpanNames.Server, SpanNames.Failure, SpanNames.Auth }.Order(StringComparer.Ordinal),
            tree.Names);
    }

    [Theory]
    [InlineData("trace-123", "050b35275fef8c7a6e02c3e98bf2fdf9")]
    [InlineData("héllo ✓", "5657cdef8a85a584e0e961e6f8247cf5")]
    public void ASeedGivesTheTraceIdLangfusesCreateTraceIdGives(string seed, string expected)
    {
        // Expected values printed by @langfuse/tracing 5.11.1's createTraceId(seed) under Node 20.
        Assert.Equal(expected, TraceJoin.TraceIdFromSeed(seed).ToHexString());
        Assert.True(TraceJoin.TryResolveTraceId(seed, out var traceId, out var seeded));
        Assert.True(seeded);
        Assert.Equal(expected, traceId.ToHexString());
    }

    [Fact]
    public void ALongSeedIsHashedWhole()
    {
        var seed = string.Concat(Enumerable.Repeat("långt-frö-", 200));
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)).AsSpan(0, 16));
        Assert.Equal(expected, TraceJoin.TraceIdFromSeed(seed).ToHexString());
    }

    [Theory]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736", false)]
    [InlineData("4BF92F35-77B3-4DA6-A3CE-929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e4736", false)]
    [InlineData("trace-123", "050b35275fef8c7a6e02c3e98bf2fdf9", true)]
    public async Task AMetadataTraceIdJoinsItsTraceAndASeedIsKeptAsTraceMetadata(
        string traceId,
        string joined,
        bool seeded)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                $$$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"""
                + $$$$"""{"trace_id":"{{{{traceId}}}}","trace_metadata":{"trace_seed":"forged","team":"y"}}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(joined, tree.Server.TraceId.ToHexString());
        Assert.Equal("metadata", tree.Server.GetTagItem(AttributeNames.TraceJoin));
        Assert.Empty(tree.Server.Events);

        // The seed the gateway used wins over a client's trace_metadata.trace_seed, on every span.
        Assert.All(
            tree.Spans,
            s => Assert.Equal(seeded ? traceId : "forged", s.GetTagItem(AttributeNames.LangfuseTraceSeed)));
        AssertEachKeyOnce(tree);
    }

    [Fact]
    public async Task AStreamsCompletionStartIsTheInstantItsTimeToFirstTokenEndsAt()
    {
        using var host = new GatewayHost().With("EmbeddedProvider:FirstTokenDelayMs", "200");
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                """{"model":"m","stream":true,"messages":[{"role":"user","content":"stream it"}]}"""));
        await response.Content.ReadAsStringAsync();

        var tree = await _spans.SingleTraceAsync();
        var llm = tree.Single(SpanNames.LlmRequest);
        var attempt = tree.Single(SpanNames.UpstreamAttempt);
        var text = (string)llm.GetTagItem(AttributeNames.LangfuseCompletionStartTime)!;
        var completionStart = DateTime.ParseExact(
            text,
            "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'",
            CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var ttft = TimeSpan.FromSeconds((double)llm.GetTagItem(AttributeNames.TimeToFirstToken)!);
        // The instant is the wall clock less a stopwatch interval, the spans' times are wall-clock
        // readings: a thread preempted between two readings (a loaded 2-core CI machine) shifts them
        // by milliseconds, far less than the 200 ms the provider waits.
        var tolerance = TimeSpan.FromMilliseconds(20);

        // TTFT starts with the stream, after the LLM span's start and before the attempt's; it ends
        // at the first chunk, at least the provider's first-token delay after the attempt started.
        Assert.InRange(completionStart - ttft, llm.StartTimeUtc - tolerance, attempt.StartTimeUtc + tolerance);
        Assert.InRange(
            completionStart,
            attempt.StartTimeUtc + TimeSpan.FromMilliseconds(200) - tolerance,
            llm.StartTimeUtc + llm.Duration);
    }

    [Fact]
    public async Task ANonStreamedGenerationHasNoCompletionStartTime()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var tree = await _spans.SingleTraceAsync();
        Assert.Null(tree.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.LangfuseCompletionStartTime));
    }

    /// <summary>A chat request with every trace-level metadata key; asserts the status and returns its trace.</summary>
    private async Task<SpanTree> SendWithTraceMetadataAsync(
        string content,
        HttpStatusCode status,
        string apiKey = GatewayHost.ApiKey)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                $$$"""{"model":"m","messages":["""
                    + $$$"""{"role":"user","content":"{{{content}}}"}],"metadata":{{{TraceMetadata}}}}""", apiKey));
        Assert.Equal(status, response.StatusCode);
        return await _spans.SingleTraceAsync();
    }

    private static void AssertTraceLevel(Activity span)
    {
        Assert.Equal("t", span.GetTagItem(AttributeNames.LangfuseTraceName));
        Assert.Equal("u-1", span.GetTagItem(AttributeNames.LangfuseUserId));
        Assert.Equal("s-1", span.GetTagItem(AttributeNames.LangfuseSessionId));
        Assert.Equal(new[] { "a" }, (string[])span.GetTagItem(AttributeNames.LangfuseTraceTags)!);
        Assert.Equal("x", span.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + "team"));
        Assert.Equal("r1", span.GetTagItem(AttributeNames.LangfuseRelease));
        Assert.Equal("v1", span.GetTagItem(AttributeNames.LangfuseVersion));
        Assert.Equal("prod", span.GetTagItem(AttributeNames.LangfuseEnvironment));
    }

    // Appended attributes never repeat a key (an exporter would send both values).
    private static void AssertEachKeyOnce(SpanTree tree) =>
        Assert.All(
            tree.Spans,
            s =>
                Assert.Equal(
                    s.TagObjects.Count(),
                    s.TagObjects.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count()));
}
