using System.Diagnostics;
using System.Net;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The service tier on a typed route: the request's <c>service_tier</c> read with the other request
/// parameters and recorded as <c>gen_ai.request.service_tier</c> (Langfuse's
/// <c>model_parameters.service_tier</c>, which selects a model's price tier), streamed or not; the tier
/// the provider served, told by the handler (<see cref="LlmCall.RecordResponseServiceTier"/>), as
/// <c>gen_ai.response.service_tier</c>. A value that is not a short token is dropped and the request
/// answered as any other.
/// </summary>
public sealed class ServiceTierTests : System.IDisposable
{
    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData("/v1/chat/completions", false,
        """{"model":"gpt-4o-mini","service_tier":"priority","messages":[{"role":"user","content":"hi"}]}""",
        "priority")]
    [InlineData("/v1/chat/completions", true,
        """{"model":"gpt-4o-mini","stream":true,"service_tier":"flex","messages":[{"role":"user","content":"hi"}]}""",
        "flex")]
    [InlineData("/v1/messages", false,
        """{"service_tier":"standard_only","model":"claude","max_tokens":32,"messages":["""
            + """{"role":"user","content":"hi"}]}""", "standard_only")]
    [InlineData("/v1/messages", true,
        """{"model":"claude","max_tokens":32,"stream":true,"messages":["""
            + """{"role":"user","content":"hi"}],"service_tier":"\u0061uto"}""", "auto")]
    public async Task TheRequestsTierIsOnTheGeneration(string path, bool stream, string body, string tier)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            stream ? "text/event-stream" : "application/json",
            response.Content.Headers.ContentType!.MediaType);

        var tree = await _spans.SingleTraceAsync();
        var llm = tree.AssertChild(SpanNames.LlmRequest, tree.Server, ActivityKind.Client);
        Assert.Equal(tier, llm.GetTagItem(AttributeNames.GenAiRequestServiceTier));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("\"pri ority\"")]
    [InlineData("\"priority-priority-priority-priority\"")]
    [InlineData("\"\"")]
    [InlineData("7")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("{\"tier\":\"priority\"}")]
    [InlineData("[\"priority\"]")]
    public async Task ATierThatIsNotAShortTokenIsDroppedAndTheRequestAnswered(string tier)
    {
        using var host = new GatewayHost();
        var body =
            "{\"model\":\"gpt-4o-mini\",\"service_tier\":"
            + tier
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var tree = await _spans.SingleTraceAsync();
        var llm = tree.AssertChild(SpanNames.LlmRequest, tree.Server, ActivityKind.Client);
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiRequestServiceTier));
        Assert.Equal("gpt-4o-mini", llm.GetTagItem(AttributeNames.GenAiRequestModel));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("priority", "priority")]
    [InlineData("standard", "standard")]
    [InlineData("pri ority", null)]
    [InlineData("priority-priority-priority-priority", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void TheServedTierAHandlerRecordsIsOnTheGenerationWhenItIsAShortToken(string? served, string? recorded)
    {
        using var host = new GatewayHost();
        using var request = DirectCall.Start(host.Services);
        request.Call.RecordResponse("gpt-4o", "chatcmpl-1", "stop");
        request.Call.RecordResponseServiceTier(served);
        request.End();
        Assert.Equal(recorded, request.Llm.GetTagItem(AttributeNames.GenAiResponseServiceTier));
    }
}
