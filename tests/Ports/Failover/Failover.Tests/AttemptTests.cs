using System.Diagnostics;
using TracedLlm.Telemetry;
using TracedLlm;
using TracedLlm.Tests;

namespace Failover.Tests;

/// <summary>
/// The adopted failover loop's attempts: each provider tried is one <c>raw_gen_ai_request</c> under the request's
/// LLM span, the first <c>initial</c>, the next provider a <c>fallback</c> naming the failure before it, each with
/// its provider, model and address, and each upstream request a child of its own attempt.
/// </summary>
public sealed class AttemptTests(FailoverPorts ports) : IClassFixture<FailoverPorts>
{
    [Fact]
    public async Task TheNextProviderIsAFallbackAttempt()
    {
        ports.OpenAi.Then(UpstreamStub.Reply.Status(503, ("Retry-After", "7")));
        var (answer, trace, attempts) = await ports.SendAsync(FailoverPorts.Route, PortTests.Valid);

        Assert.Equal(200, answer.Status);
        Assert.Equal(new[] { "initial", "fallback" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(new[] { "failure", "success" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(new[] { "openai", "groq" }, attempts.Select(a => a.GetTagItem(AttributeNames.GenAiProviderName)));
        Assert.Equal(
            new[] { "gpt-4o-mini", "llama-3.1-8b-instant" },
            attempts.Select(a => a.GetTagItem(AttributeNames.GenAiRequestModel)));
        Assert.Equal(new object?[] { 503, null },
            attempts.Select(a => a.GetTagItem(AttributeNames.HttpResponseStatusCode)));
        Assert.Equal(new object?[] { 7.0, null }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptRetryAfter)));
        Assert.Equal(typeof(UpstreamException).FullName, attempts[1].GetTagItem(AttributeNames.AttemptReason));
        Assert.Equal(
            new object?[] { ports.OpenAi.Port, ports.Groq.Port },
            attempts.Select(a => a.GetTagItem(AttributeNames.ServerPort)));
        Assert.Equal(ActivityStatusCode.Unset, trace.Single(SpanNames.LlmRequest).Status);

        // Each provider's request carried its own attempt's traceparent (ApplyTraceContext).
        var received = new[] { ports.OpenAi.Received.Last(), ports.Groq.Received.Last() };
        Assert.Equal(
            attempts.Select(a => $"00-{a.TraceId.ToHexString()}-{a.SpanId.ToHexString()}-01"),
            received.Select(r => r.Traceparent));
    }

    [Fact]
    public async Task AnUnreachableProviderIsAFailedAttempt()
    {
        var unreachable = $"http://127.0.0.1:{LoopbackApp.FreePort()}/v1";
        await using var app = ports.Adopted(FailoverPorts.Settings(unreachable, ports.Groq.BaseUrl));
        var (answer, _, attempts) = await ports.SendAsync(FailoverPorts.Route, PortTests.Valid, app);

        Assert.Equal(200, answer.Status);
        Assert.Equal(new[] { "failure", "success" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(typeof(HttpRequestException).FullName, attempts[0].GetTagItem(AttributeNames.ErrorType));
        Assert.Equal("fallback", attempts[1].GetTagItem(AttributeNames.AttemptKind));
    }

    [Fact]
    public async Task EveryProviderFailingFailsTheRequestOnce()
    {
        ports.OpenAi.Then(UpstreamStub.Reply.Status(429));
        ports.Groq.Then(UpstreamStub.Reply.Status(503));
        var (answer, trace, attempts) = await ports.SendAsync(FailoverPorts.Route, PortTests.Valid);

        Assert.Equal(502, answer.Status);
        Assert.Equal(
            new object?[] { 429, 503 }, attempts.Select(a => a.GetTagItem(AttributeNames.HttpResponseStatusCode)));
        Assert.All(attempts, a => Assert.Equal("failure", a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.LlmRequest).Status);
        Assert.Equal("502", trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        FailoverPorts.AssertRecorded(trace, 502);
    }
}
