using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Policies;

/// <summary>
/// A post-call guardrail that blocks responses longer than a configured number of characters,
/// streamed or not. A streamed response is measured over its chunks once the stream has ended;
/// the block then ends the stream with an error event instead of its terminal event (the text
/// already sent stays with the client). A response shape it cannot measure fails the request
/// rather than pass unmeasured.
/// </summary>
public sealed class ResponseLengthGuardrail : ILlmGuardrail
{
    private readonly int _maxCharacters;

    /// <summary>Creates the guardrail.</summary>
    public ResponseLengthGuardrail(int maxCharacters)
    {
        _maxCharacters = maxCharacters;
    }

    /// <inheritdoc />
    public string Name => "response-length";

    /// <inheritdoc />
    public GuardrailMode Modes => GuardrailMode.PostCall;

    /// <inheritdoc />
    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
    {
        var length = Length(context.Response);
        return ValueTask.FromResult(length > _maxCharacters
            ? GuardrailVerdict.Block($"The response is longer than {_maxCharacters} characters.")
            : GuardrailVerdict.Allow);
    }

    private static long Length(object? response)
    {
        long length = 0;
        switch (response)
        {
            case ChatCompletionResponse chat:
                foreach (var choice in chat.Choices)
                {
                    length += choice.Message.Content.Length;
                }

                return length;
            case MessagesResponse messages:
                foreach (var block in messages.Content)
                {
                    length += block.Text.Length;
                }

                return length;
            case IReadOnlyList<ChatCompletionChunk> chunks:
                foreach (var chunk in chunks)
                {
                    foreach (var choice in chunk.Choices)
                    {
                        length += choice.Delta.Content?.Length ?? 0;
                    }
                }

                return length;
            case IReadOnlyList<AnthropicStreamEvent> events:
                foreach (var streamEvent in events)
                {
                    length += streamEvent.Delta?.Text?.Length ?? 0;
                }

                return length;
            case LlmRelayResult relayed:
                // A relayed response's text as the relay read it (the whole of it, or so far when checked as it streams).
                return relayed.TextLength ?? throw new NotSupportedException("The relay kept no text for the response-length guardrail.");
            default:
                throw new NotSupportedException($"The response-length guardrail cannot measure a {response?.GetType().Name ?? "missing"} response.");
        }
    }
}
