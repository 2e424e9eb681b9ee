using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Policies;

/// <summary>A post-call guardrail that blocks responses longer than a configured number of characters.</summary>
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
        var length = context.Response switch
        {
            ChatCompletionResponse chat => chat.Choices.Count == 0 ? 0 : chat.Choices[0].Message.Content.Length,
            MessagesResponse messages => messages.Content.Count == 0 ? 0 : messages.Content[0].Text.Length,
            _ => 0,
        };
        return ValueTask.FromResult(length > _maxCharacters
            ? GuardrailVerdict.Block($"The response is longer than {_maxCharacters} characters.")
            : GuardrailVerdict.Allow);
    }
}
