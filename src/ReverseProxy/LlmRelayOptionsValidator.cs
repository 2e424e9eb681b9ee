using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// Checks <see cref="LlmRelayOptions"/> when the host starts: the limits, and that the post-call
/// guardrails registered in DI have been told how to see relayed responses.
/// </summary>
internal sealed class LlmRelayOptionsValidator(IEnumerable<ILlmGuardrail> guardrails)
    : IValidateOptions<LlmRelayOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmRelayOptions options)
    {
        var failures = new List<string>();
        AtLeast(failures, nameof(LlmRelayOptions.MaxBufferedResponseBytes), options.MaxBufferedResponseBytes, 1);
        AtLeast(failures, nameof(LlmRelayOptions.IncrementalCheckBytes), options.IncrementalCheckBytes, 1);
        AtLeast(failures, nameof(LlmRelayOptions.MaxUpstreamErrorBytes), options.MaxUpstreamErrorBytes, 0);
        var postCall = guardrails.Where(g => (g.Modes & GuardrailMode.PostCall) != 0).Select(g => g.Name).ToList();
        if (postCall.Count > 0)
        {
            var names = string.Join(", ", postCall.Select(n => $"'{n}'"));
            if (options.PostCallGuardrails == RelayPostCallGuardrails.Refuse)
            {
                failures.Add(
                    $"{LlmRelayOptions.SectionName}:{nameof(LlmRelayOptions.PostCallGuardrails)} is not chosen, and "
                    + $"post-call guardrails are registered ({names}): "
                        + "a relayed response would reach the client before they saw it. Set it to Buffer (hold each "
                        + "response, up to "
                        + $"{LlmRelayOptions.SectionName}:{nameof(LlmRelayOptions.MaxBufferedResponseBytes)}, and "
                        + "check it whole before sending it) or Incremental "
                        + "(relay a stream as it comes and check its text every "
                        + $"{LlmRelayOptions.SectionName}:{nameof(LlmRelayOptions.IncrementalCheckBytes)} bytes and "
                        + "before its last event); "
                        + $"{LlmRelayOptions.SectionName}:Routes:<route "
                        + $"template>:{nameof(LlmRelayRouteOptions.PostCallGuardrails)} sets one route apart.");
            }

            foreach (var (template, route) in options.Routes)
            {
                if (route.PostCallGuardrails == RelayPostCallGuardrails.Refuse)
                {
                    failures.Add(
                        $"{LlmRelayOptions.SectionName}:Routes:{template}"
                        + $":{nameof(LlmRelayRouteOptions.PostCallGuardrails)} is Refuse, and post-call guardrails are "
                        + $"registered ({names}): "
                        + "choose Buffer or Incremental for this route.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AtLeast(List<string> failures, string key, int value, int minimum)
    {
        if (value < minimum)
        {
            failures.Add($"{LlmRelayOptions.SectionName}:{key} must be at least {minimum} (it is {value}).");
        }
    }
}
