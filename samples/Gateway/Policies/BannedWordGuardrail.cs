using System;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Policies;

/// <summary>A pre-call guardrail that blocks prompts containing a configured word (case-insensitive).</summary>
public sealed class BannedWordGuardrail : ILlmGuardrail
{
    private readonly string _word;

    /// <summary>Creates the guardrail.</summary>
    public BannedWordGuardrail(string word)
    {
        _word = word;
    }

    /// <inheritdoc />
    public string Name => "banned-word";

    /// <inheritdoc />
    public GuardrailMode Modes => GuardrailMode.PreCall;

    /// <inheritdoc />
    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
    {
        if (context.Request is IPromptRequest prompt)
        {
            foreach (var message in prompt.PromptMessages())
            {
                if (message.Text.Contains(_word, StringComparison.OrdinalIgnoreCase))
                {
                    return ValueTask.FromResult(GuardrailVerdict.Block($"Violated guardrail policy: the prompt contains a banned word."));
                }
            }
        }

        return ValueTask.FromResult(GuardrailVerdict.Allow);
    }
}
