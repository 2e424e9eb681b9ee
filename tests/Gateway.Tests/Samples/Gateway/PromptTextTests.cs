using System.Linq;
using System.Text.Json;
using TracedLlm.Samples.Gateway;
using Xunit;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The sample reads a message's content straight into its text as it deserializes the request: a
/// string, or the text parts of an array joined by new lines; anything else is no text. The same
/// reading on both wire formats, the Anthropic system prompt included.
/// </summary>
public class PromptTextTests
{
    [Theory]
    [InlineData("\"plain\"", "plain")]
    [InlineData(
        """[{"type":"text","text":"one"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},"""
            + """{"type":"text","text":"two"}]""", "one\ntwo")]
    [InlineData("""[{"type":"text","text":"only"}]""", "only")]
    [InlineData(
        """[{"type":"text","text":5},{"type":"text","text":{"nested":"no"}},null,"loose",[1],"""
            + """{"type":"text","text":"kept"}]""", "kept")]
    [InlineData("""[{"type":"image","source":{"type":"base64","data":"iVBORw0KGgo="}}]""", "")]
    [InlineData("[]", "")]
    [InlineData("null", "")]
    [InlineData("42", "")]
    [InlineData("""{"text":"an object is not a list of parts"}""", "")]
    [InlineData("\"esc\\u0061ped \\\"quote\\\"\"", "escaped \"quote\"")]
    public void AChatMessagesContentIsReadAsItsText(string content, string text)
    {
        var request =
            JsonSerializer.Deserialize(
                $$"""{"model":"m","messages":[{"role":"user","content":{{content}}},"""
                    + $$"""{"role":"assistant","content":"after"}]}""",
                    GatewayJsonContext.Default.ChatCompletionRequest)!;

        Assert.Equal(
            new[] { new PromptMessage("user", text), new PromptMessage("assistant", "after") },
            request.PromptMessages());
    }

    [Fact]
    public void AMessageWithNoContentHasNoText()
    {
        var request = JsonSerializer.Deserialize("""{"model":"m","messages":[{"role":"user"}]}""",
            GatewayJsonContext.Default.ChatCompletionRequest)!;

        Assert.Equal(new PromptMessage("user", string.Empty), Assert.Single(request.PromptMessages()));
    }

    [Theory]
    [InlineData("""[{"type":"text","text":"be brief"},{"type":"text","text":"in French"}]""", "be brief\nin French")]
    [InlineData("\"be brief\"", "be brief")]
    [InlineData("7", "")]
    public void AnAnthropicSystemPromptIsReadFirstAsItsText(string system, string text)
    {
        var request =
            JsonSerializer.Deserialize(
                $$"""{"model":"m","max_tokens":8,"system":{{system}},"messages":[{"role":"user","content":["""
                    + $$"""{"type":"text","text":"hi"}]}]}""", GatewayJsonContext.Default.MessagesRequest)!;

        Assert.Equal(
            new[] { new PromptMessage("system", text), new PromptMessage("user", "hi") },
            request.PromptMessages());
    }

    [Theory]
    [InlineData("""{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"m","max_tokens":8,"system":null,"messages":[{"role":"user","content":"hi"}]}""")]
    public void AnAnthropicRequestWithoutASystemPromptHasOnlyItsMessages(string body)
    {
        var request = JsonSerializer.Deserialize(body, GatewayJsonContext.Default.MessagesRequest)!;

        Assert.Equal(new[] { "user" }, request.PromptMessages().Select(m => m.Role));
    }
}
