using System.Linq;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>Streaming through the sample gateway process with the real openai and Anthropic Node SDKs.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class StreamingEndToEndTests(EndToEndEnvironment environment)
{
    [Fact]
    public async Task TheOpenAINodeClientStreamsAndTheTraceRecordsIt()
    {
        var client = await environment.RunNodeClientAsync("openai-stream.mjs", environment.GatewayUrl + "/v1");

        Assert.Equal("Echo: stream from node please", client.GetProperty("text").GetString());
        Assert.Equal(5, client.GetProperty("chunks").GetInt32());
        Assert.Equal("stop", client.GetProperty("finishReason").GetString());
        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 7);
        var generation = Assert.Single(spans, s => s.Name == "node-stream");
        Assert.Equal(5, generation.Number("tracedllm.stream.chunks"));
        Assert.NotNull(generation.Number("gen_ai.server.time_to_first_token"));
        Assert.Equal(5, generation.Number("gen_ai.usage.output_tokens"));
        Assert.Equal(generation.SpanId, Assert.Single(spans, s => s.Name == "raw_gen_ai_request").ParentSpanId);
    }

    [Fact]
    public async Task TheAnthropicNodeClientStreamsAndTheTraceRecordsIt()
    {
        var client = await environment.RunNodeClientAsync("anthropic-stream.mjs", environment.GatewayUrl);

        Assert.Equal("Echo: stream from anthropic", client.GetProperty("text").GetString());
        Assert.Equal("end_turn", client.GetProperty("stopReason").GetString());
        Assert.Equal(4, client.GetProperty("outputTokens").GetInt32());
        var events = client.GetProperty("events").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal("message_start", events[0]);
        Assert.Equal("message_stop", events[^1]);
        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 7);
        var generation = Assert.Single(spans, s => s.Name == "anthropic-stream");
        // start, block start, 4 deltas, block stop, message delta, stop
        Assert.Equal(9, generation.Number("tracedllm.stream.chunks"));
        Assert.All(spans, s => Assert.Equal(0, s.StatusCode));
    }
}
