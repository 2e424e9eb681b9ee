using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Samples.Gateway;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Post-call guardrails on streamed responses: they run once the stream's chunks are out, see the
/// chunks, and a block ends the stream with an error event before its terminal event.
/// </summary>
public sealed class StreamGuardrailTests : IDisposable
{
    private const string ChatStream =
        """{"model":"m","stream":true,"messages":[{"role":"user","content":"a rather long answer please"}]}""";
    private const string MessagesStream =
        """{"model":"m","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"a rather long answer """
        + """please"}]}""";

    private readonly SpanCollector _spans = new();
    private readonly ConcurrentQueue<FailureContext> _logged = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task AResponseLengthLimitAppliesToStreamsAndEndsThemWithAnErrorEventBeforeTheTerminalEvent(string path)
    {
        // On main post-call guardrails got no response for a stream (the limit never applied), and
        // an Anthropic block was written after message_stop, where clients no longer read.
        using var host = new GatewayHost().With("Gateway:MaxResponseCharacters", "10")
            .WithServices(s => s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(_logged)));
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post(path, path == "/v1/messages" ? MessagesStream : ChatStream));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.True(events.Count > 1, "no content before the error event");
        var last = events[^1];
        Assert.Equal(path == "/v1/messages" ? "error" : null, last.Name);
        var error = JsonDocument.Parse(last.Data).RootElement.GetProperty("error");
        Assert.Equal("The response is longer than 10 characters.", error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain(events, e => e.Data == "[DONE]" || e.Name == "message_stop");

        var tree = await _spans.SingleTraceAsync();
        var guardrail = Assert.Single(
            tree.All(SpanNames.Guardrail),
            g => (string?)g.GetTagItem(AttributeNames.GuardrailName) == "response-length");
        Assert.Equal("post_call", guardrail.GetTagItem(AttributeNames.GuardrailMode));
        Assert.Equal(GuardrailStatuses.Intervened, guardrail.GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Equal(
            typeof(GuardrailBlockedException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(400, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(400, Assert.Single(_logged).StatusCode);
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task AStreamWithinTheLimitEndsWithItsTerminalEvent(string path)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post(path, path == "/v1/messages" ? MessagesStream : ChatStream));

        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal(path == "/v1/messages" ? "message_stop" : null, events[^1].Name);
        Assert.Equal(path != "/v1/messages", events[^1].Data == "[DONE]");
        var tree = await _spans.SingleTraceAsync();
        var guardrail = Assert.Single(
            tree.All(SpanNames.Guardrail),
            g => (string?)g.GetTagItem(AttributeNames.GuardrailName) == "response-length");
        Assert.Equal(GuardrailStatuses.Success, guardrail.GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Empty(tree.All(SpanNames.Failure));
    }

    [Fact]
    public async Task PostCallGuardrailsSeeTheChunksTheStreamWrote()
    {
        var seen = new ConcurrentQueue<object?>();
        var guardrail = new GuardrailTests.TestGuardrail("inspector", GuardrailMode.PostCall, (context, _) =>
        {
            seen.Enqueue(context.Response);
            return ValueTask.FromResult(GuardrailVerdict.Allow);
        });
        using var host = new GatewayHost().WithServices(s => s.AddSingleton<ILlmGuardrail>(guardrail));
        using var chat = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStream));
        var chatEvents = StreamingTests.ParseEvents(await chat.Content.ReadAsStringAsync());
        using var messages = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/messages", MessagesStream));
        var messageEvents = StreamingTests.ParseEvents(await messages.Content.ReadAsStringAsync());

        Assert.Equal(2, seen.Count);
        var chunks = Assert.IsAssignableFrom<IReadOnlyList<ChatCompletionChunk>>(seen.First());
        Assert.Equal(chatEvents.Count - 1, chunks.Count);
        Assert.Equal(
            "Echo: a rather long answer please",
            string.Concat(chunks.Select(c => c.Choices[0].Delta.Content)));

        // Anthropic: every event the handler yielded, message_stop included (written after the guardrails).
        var streamEvents = Assert.IsAssignableFrom<IReadOnlyList<AnthropicStreamEvent>>(seen.Last());
        Assert.Equal(messageEvents.Select(e => e.Name), streamEvents.Select(e => e.Type));
        Assert.Equal("message_stop", streamEvents[^1].Type);
    }

    [Fact]
    public async Task AResponseShapeTheLengthGuardrailCannotMeasureFailsTheRequestInsteadOfPassing()
    {
        var guardrail = new Samples.Gateway.Policies.ResponseLengthGuardrail(10);
        var context = new GuardrailContext(
            null!,
            GuardrailMode.PostCall,
            null,
            new List<string> { "not a known chunk" });
        var failure = await Assert.ThrowsAsync<NotSupportedException>(async () =>
            await guardrail.CheckAsync(context, default));
        Assert.Contains("List`1", failure.Message, StringComparison.Ordinal);
    }
}
