extern alias traced;

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TracedLlm.Telemetry;
using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace Switchyard.Tests;

/// <summary>
/// The adopted Switchyard's upstream tries as attempts (issue 66): Infrastructure's named client keeps
/// its Polly (<c>AddStandardResilienceHandler()</c>), the Api adds <c>AddTracedLlmAttempts()</c> to it
/// by name, and each send Polly makes, across the orchestrator's fallback chain in Application, is
/// one <c>raw_gen_ai_request</c> under the request's LLM span: Polly's re-send a retry, the next model
/// a fallback, each upstream request a child of its own attempt (through HttpClient's span of the
/// send: the app instruments HttpClient).
/// </summary>
[Collection(SwitchyardApp.Collection)]
public sealed class AttemptTests : IAsyncLifetime
{
    private const string Path = "/api/v1/chat/completions";
    private const string Fallback = "anthropic/claude-3.5-sonnet";
    private const string LastFallback = "meta-llama/llama-3.1-70b-instruct";
    private UpstreamStub _upstream = null!;
    private SwitchyardApp<TracedProgram> _app = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamStub.StartAsync();
        _app = new SwitchyardApp<TracedProgram>(_upstream.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    /// <summary>
    /// The provider answers 503, then the completion: Polly's retry is the second attempt, and the
    /// answer's model and usage are read once.
    /// </summary>
    [Fact]
    public async Task PollysRetryIsARetryAttemptWithItsOwnTraceparent()
    {
        var status = await SendAsync(503);

        Assert.Equal(200, status);
        var (llm, attempts) = await AttemptsAsync();
        Assert.Equal(new[] { "initial", "retry" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(new[] { "failure", "success" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(
            new object?[] { 503, null }, attempts.Select(a => a.GetTagItem(AttributeNames.HttpResponseStatusCode)));
        Assert.All(attempts, a =>
            Assert.Equal(SwitchyardApp<TracedProgram>.Model, a.GetTagItem(AttributeNames.GenAiRequestModel)));

        // An OpenAI-compatible host names no provider by itself: the port names it on the client (ProviderName).
        Assert.All(attempts, a => Assert.Equal("openrouter", a.GetTagItem(AttributeNames.GenAiProviderName)));
        AssertEachCarriedItsAttempt(attempts);

        // OpenRouterChatService reads the body with ReadFromJsonAsync; the attempt reads it as it passes.
        Assert.Equal("upstream-model", attempts[1].GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(7L, attempts[1].GetTagItem(AttributeNames.AttemptUsageInputTokens));
        Assert.Equal(2L, attempts[1].GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        Assert.Equal(7L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(ActivityStatusCode.Unset, llm.Status);
    }

    /// <summary>
    /// Every try of the first model fails: the orchestrator's next model is a fallback attempt, naming the failure
    /// before it.
    /// </summary>
    [Fact]
    public async Task TheOrchestratorsNextModelIsAFallbackAttempt()
    {
        var status = await SendAsync(503, 503);

        Assert.Equal(200, status);
        var (_, attempts) = await AttemptsAsync();
        Assert.Equal(
            new[] { "initial", "retry", "fallback" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(
            new[] { "failure", "failure", "success" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(
            new[] { SwitchyardApp<TracedProgram>.Model, SwitchyardApp<TracedProgram>.Model, Fallback },
            attempts.Select(a => a.GetTagItem(AttributeNames.GenAiRequestModel)));
        Assert.Equal(
            typeof(TracedLlm.UpstreamException).FullName, attempts[2].GetTagItem(AttributeNames.AttemptReason));
        AssertEachCarriedItsAttempt(attempts);
    }

    /// <summary>
    /// Every model fails every try: six failed attempts, and the app's own 502 the request's failure.
    /// </summary>
    [Fact]
    public async Task EveryModelFailingIsEveryAttemptFailed()
    {
        var status = await SendAsync(503, 503, 502, 502, 429, 429);

        Assert.Equal(502, status);
        var (llm, attempts) = await AttemptsAsync();
        Assert.Equal(
            new[] { "initial", "retry", "fallback", "retry", "fallback", "retry" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.All(attempts, a => Assert.Equal("failure", a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(
            new object?[] { 503, 503, 502, 502, 429, 429 },
            attempts.Select(a => a.GetTagItem(AttributeNames.HttpResponseStatusCode)));
        Assert.Equal(LastFallback, attempts[^1].GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal(ActivityStatusCode.Error, llm.Status);
        AssertEachCarriedItsAttempt(attempts);
    }

    private async Task<int> SendAsync(params int[] replies)
    {
        Assert.Equal(2, SwitchyardApp<TracedProgram>.TriesPerModel);
        _upstream.Then(replies.Select(status => UpstreamStub.Reply.Status(status)).ToArray());
        using var client = _app.CreateClient();
        var messages = new[] { new { role = "user", content = "hello" } };
        var body = JsonSerializer.Serialize(new { model = SwitchyardApp<TracedProgram>.Model, messages });
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(Path, content);
        await response.Content.ReadAsStringAsync();
        return (int)response.StatusCode;
    }

    /// <summary>
    /// The request's LLM span and its attempts in order, once its server span has ended (its trace the one the
    /// upstream saw).
    /// </summary>
    private async Task<(Activity Llm, List<Activity> Attempts)> AttemptsAsync()
    {
        var traceId = Assert.Single(_upstream.Received.Select(r => r.Traceparent!.Split('-')[1]).Distinct());
        var deadline = Environment.TickCount64 + 10_000;
        List<Activity> spans;
        while (!(spans = _app.Exported.Snapshot()
            .Where(s => s.Source.Name == TracedLlmTelemetry.SourceName && s.TraceId.ToHexString() == traceId)
            .ToList()).Any(s => s.DisplayName == SpanNames.Server))
        {
            Assert.True(Environment.TickCount64 < deadline, "the adopted app exported no server span");
            await Task.Delay(10);
        }

        var llm = Assert.Single(spans, s => s.DisplayName == SpanNames.LlmRequest);
        var attempts =
            spans.Where(s => s.DisplayName == SpanNames.UpstreamAttempt).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.All(attempts, a => Assert.Equal(llm.SpanId, a.ParentSpanId));
        Assert.Equal(
            Enumerable.Range(0, attempts.Count), attempts.Select(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!));
        return (llm, attempts);
    }

    /// <summary>
    /// The upstream got one request per attempt, each a child of its own attempt in the export: the
    /// app has HttpClient instrumented, so its parent is HttpClient's span of that send, nested under
    /// the attempt (a re-send too, not a span HttpClient stamped on the message's first send).
    /// </summary>
    private void AssertEachCarriedItsAttempt(IReadOnlyList<Activity> attempts)
    {
        var exported = _app.Exported.Snapshot().ToDictionary(s => s.SpanId.ToHexString());
        var parents = _upstream.Received.Select(r => r.Traceparent!.Split('-')).ToList();
        Assert.Equal(attempts.Count, parents.Count);
        for (var i = 0; i < attempts.Count; i++)
        {
            Assert.Equal(attempts[i].TraceId.ToHexString(), parents[i][1]);
            Assert.True(
                exported.TryGetValue(parents[i][2], out var send),
                $"attempt {i}: the upstream's parent {parents[i][2]} is in no export");
            Assert.Equal(ActivityKind.Client, send.Kind);
            Assert.Equal(attempts[i].SpanId, send.ParentSpanId);
        }
    }
}
