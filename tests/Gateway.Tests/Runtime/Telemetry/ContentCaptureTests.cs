using System;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Message content on the LLM span: off by default, on by option, masked per request, capped in size.
/// </summary>
public sealed class ContentCaptureTests : IDisposable
{
    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task ContentIsNotRecordedByDefault()
    {
        var llm =
            await SendAsync(new TracedLlmOptions(),
                """{"model":"m","messages":[{"role":"user","content":"private words"}]}""");

        Assert.Null(llm.GetTagItem(AttributeNames.LangfuseObservationInput));
        Assert.Null(llm.GetTagItem(AttributeNames.LangfuseObservationOutput));
    }

    [Fact]
    public async Task WhenEnabledInputIsTheForwardedBodyAndOutputTheResponse()
    {
        var llm = await SendAsync(new TracedLlmOptions { CaptureMessageContent = true },
            """{"model":"m","messages":[{"role":"user","content":"hi there"}],"metadata":{"trace_name":"t"}}""");

        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"hi there"}]}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationInput));
        Assert.Contains("\"content\":\"Echo: hi there\"", (string)llm.GetTagItem(
            AttributeNames.LangfuseObservationOutput)!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mask_input", true, false)]
    [InlineData("mask_output", false, true)]
    public async Task MetadataMasksSuppressContentForThatRequest(string mask, bool inputMasked, bool outputMasked)
    {
        var llm = await SendAsync(new TracedLlmOptions { CaptureMessageContent = true },
            $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"{{{mask}}}":true}}""");

        Assert.Equal(inputMasked, llm.GetTagItem(AttributeNames.LangfuseObservationInput) is null);
        Assert.Equal(outputMasked, llm.GetTagItem(AttributeNames.LangfuseObservationOutput) is null);
    }

    [Fact]
    public async Task LongContentIsTruncated()
    {
        var llm = await SendAsync(new TracedLlmOptions { CaptureMessageContent = true, MaxContentLength = 20 },
            """{"model":"m","messages":[{"role":"user","content":"a long prompt that goes on"}]}""");

        // At most MaxContentLength characters, the marker included: an exporter with the same limit keeps it visible.
        Assert.Equal("""{"model"…[truncated]""", llm.GetTagItem(AttributeNames.LangfuseObservationInput));
    }

    [Fact]
    public async Task TheDefaultEnvironmentAppliesWhenMetadataNamesNone()
    {
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { DefaultEnvironment = "staging" }));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));
        var defaulted = await _spans.SingleTraceAsync();
        Assert.Equal("staging", defaulted.Server.GetTagItem(AttributeNames.LangfuseEnvironment));
    }

    private async Task<System.Diagnostics.Activity> SendAsync(TracedLlmOptions options, string body)
    {
        using var host = new GatewayHost().WithServices(s => s.AddSingleton(options));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        return tree.Single(SpanNames.LlmRequest);
    }
}
