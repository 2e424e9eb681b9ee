using System;
using TracedLlm;

namespace Microsoft.Extensions.AI;

/// <summary>Adds TracedLlm's attempts to a chat client pipeline.</summary>
public static class TracedLlmChatClientBuilderExtensions
{
    /// <summary>
    /// Records every call through this point as an upstream attempt of the traced request it runs in
    /// (<see cref="TracedLlmChatClient"/>). Put it before <c>UseOpenTelemetry()</c>, so M.E.AI's
    /// <c>chat</c> span nests under the attempt: <c>new
    /// ChatClientBuilder(inner).UseTracedLlm().UseOpenTelemetry().Build()</c>. Outer steps such as
    /// <c>UseFunctionInvocation()</c> or a cache go before it: each upstream call is one attempt, a cache hit none.
    /// </summary>
    public static ChatClientBuilder UseTracedLlm(
        this ChatClientBuilder builder,
        Action<TracedLlmChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // At start-up, not when the pipeline is first built inside a request: that request's call must already flow.
        TracedLlm.LlmCall.EnableCurrent();
        return builder.Use(inner =>
        {
            var client = new TracedLlmChatClient(inner);
            configure?.Invoke(client);
            return client;
        });
    }
}
