using System.Text;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A typed handler's streamed chunks read for <c>gen_ai.output.messages</c> by the relay's reader (issue 70 item 13):
/// each provider's text-delta path gives its text, the last finish reason stays, and the text is bounded.
/// </summary>
public sealed class StreamedOutputTests
{
    public static TheoryData<string, string[], string, string?> Streams => new()
    {
        {
            "OpenAI chat",
            [
                """{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":"""
                + """{"role":"assistant","content":"Hello"}}]}""",
                """{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":", world"}"""
                + ""","finish_reason":"stop"}]}""",
            ],
            "Hello, world",
            "stop"
        },
        {
            "legacy completions",
            [
                """{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":"Once """
                + """upon","finish_reason":null}]}""",
                """{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" a """
                + """time","finish_reason":"length"}]}""",
            ],
            "Once upon a time",
            "length"
        },
        {
            "Anthropic messages",
            [
                """{"type":"message_start","message":{"id":"msg_1","role":"assistant","content":[],"model":"claude"}"""
                + """}""",
                """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Bonjour"}}""",
                """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" à tous"}}""",
                """{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4}}""",
            ],
            "Bonjour à tous",
            "end_turn"
        },
        {
            "OpenAI responses",
            [
                """{"type":"response.created","response":{"id":"resp_1","status":"in_progress"}}""",
                """{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":"""
                + """0,"delta":"Two plus"}""",
                """{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":"""
                + """0,"delta":" three"}""",
            ],
            "Two plus three",
            null
        },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void EachProvidersTextDeltasAreTheAnswer(string provider, string[] chunks, string text, string? finishReason)
    {
        var output = new StreamedOutput(maxContent: 1000);
        foreach (var chunk in chunks)
        {
            output.Add(Encoding.UTF8.GetBytes(chunk));
        }

        output.Complete();
        Assert.True(text == output.Text, $"{provider}: '{output.Text}'");
        Assert.Equal(finishReason, output.FinishReason);
    }

    [Fact]
    public void AChunkThatIsNotJsonAddsNothingAndTheTextIsBounded()
    {
        var output = new StreamedOutput(maxContent: 10);
        output.Add("not json at all"u8);
        output.Add("""{"choices":[{"index":0,"delta":{"content":"0123456789abcdefghij"}}]}"""u8);
        output.Complete();

        Assert.StartsWith("0123456789", output.Text);
        Assert.True(output.Text.Length <= 44, output.Text);
    }
}
