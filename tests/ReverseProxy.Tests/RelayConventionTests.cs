using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Relay;
using TracedLlm.Telemetry;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// Issue 40 item 4 on the relay: in the latest convention mode with content capture on, the relayed
/// answer (a JSON body, or a stream's text deltas) is <c>gen_ai.output.messages</c>, and the request
/// body the structured input.
/// </summary>
public sealed class RelayConventionTests : RelayTestBase
{
    [Theory]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":["""
            + """{"role":"user","content":"hi"}]}""", "Hello", "stop")]
    [InlineData("/v1/messages",
        """{"model":"claude-sonnet-4","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}""",
        "Hello world", "length")]
    [InlineData("/v1/responses", """{"model":"gpt-4.1","input":"hi","stream":true}""", "Hi you", "stop")]
    public async Task ARelayedStreamsTextIsTheOutputMessage(string path, string body, string text, string finishReason)
    {
        await using var host = await LatestHost();
        using var response = await host.PostAsync(path, body);
        await response.Content.ReadAsStringAsync();
        var llm = Generation(await Spans.SingleTraceAsync());

        Assert.Equal(true, llm.GetTagItem(AttributeNames.GenAiRequestStream));
        var message = Assert.Single(
            JsonNode.Parse((string)llm.GetTagItem(AttributeNames.GenAiOutputMessages)!)!.AsArray()
        )!;
        Assert.Equal("assistant", (string?)message["role"]);
        Assert.Equal(text, (string?)message["parts"]![0]!["content"]);
        Assert.Equal(finishReason, (string?)message["finish_reason"]);
        Assert.Equal("""[{"role":"user","parts":[{"type":"text","content":"hi"}]}]""",
            llm.GetTagItem(AttributeNames.GenAiInputMessages));

        // Langfuse reads its own output key before the conventions' messages (its input key is set): the same text is
        // there.
        Assert.Equal(
            llm.GetTagItem(AttributeNames.GenAiOutputMessages),
            llm.GetTagItem(AttributeNames.LangfuseObservationOutput));
    }

    [Fact]
    public async Task ARelayedJsonAnswerIsStructuredWithItsToolCall()
    {
        await using var host = await LatestHost();
        using var response = await host.PostAsync("/v1/messages",
            """{"model":"claude-sonnet-4","max_tokens":64,"system":"be brief","messages":"""
            + """[{"role":"user","content":"hi"}]}""");
        Assert.Equal(WireSamples.AnthropicMessage, await response.Content.ReadAsStringAsync());
        var llm = Generation(await Spans.SingleTraceAsync());

        Assert.Equal("""[{"type":"text","content":"be brief"}]""",
            llm.GetTagItem(AttributeNames.GenAiSystemInstructions));
        Assert.Equal(
            """[{"role":"assistant","parts":[{"type":"text","content":"Hi there"},"""
            + """{"type":"tool_call","id":"toolu_1","name":"get","arguments":{"text":"not output"}}]"""
            + ""","finish_reason":"stop"}]""",
            llm.GetTagItem(AttributeNames.GenAiOutputMessages));
    }

    [Fact]
    public async Task TheDefaultModeRecordsNoStructuredOutputForARelayedStream()
    {
        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address } },
            services: services => services.Configure<TracedLlmOptions>(options =>
                options.CaptureMessageContent = true));
        using var response = await host.PostAsync("/v1/messages",
            """{"model":"claude-sonnet-4","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]"""
            + """}""");
        await response.Content.ReadAsStringAsync();
        var llm = Generation(await Spans.SingleTraceAsync());
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiOutputMessages));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiInputMessages));
    }

    private Task<RelayHost> LatestHost() => RelayHost.StartAsync(
        new RelayUpstreams { Addresses = new[] { Upstream.Address } },
        services: services => services.Configure<TracedLlmOptions>(options =>
        {
            options.CaptureMessageContent = true;
            options.SemanticConventions = SemanticConventionMode.GenAiLatestExperimental;
        }));

    private static System.Diagnostics.Activity Generation(SpanTree tree) =>
        tree.Spans.Single(s => s.GetTagItem(AttributeNames.LangfuseObservationType) is "generation");
}
