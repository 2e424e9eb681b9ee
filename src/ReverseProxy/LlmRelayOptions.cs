using System;
using System.Collections.Generic;

namespace TracedLlm;

/// <summary>How the post-call guardrails see a relayed response. There is no choice that skips them.</summary>
public enum RelayPostCallGuardrails
{
    /// <summary>
    /// No choice made: a host with post-call guardrails registered does not start, and says so
    /// (the default, so that no relayed response ever reaches a client unchecked by accident).
    /// </summary>
    Refuse,

    /// <summary>
    /// The whole response is held (up to <see cref="LlmRelayOptions.MaxBufferedResponseBytes"/>), the post-call
    /// guardrails check it, and only then is it sent.
    /// </summary>
    /// <remarks>
    /// Nothing unchecked reaches the client, and a stream reaches it at once, at its end.
    /// </remarks>
    Buffer,

    /// <summary>
    /// A stream is relayed as it comes and its text is checked as it grows; a block ends the stream with an error
    /// event.
    /// </summary>
    /// <remarks>
    /// The text is checked every <see cref="LlmRelayOptions.IncrementalCheckBytes"/> bytes and once more before its
    /// last event, which is held back until the check passed. A response that is not streamed is held and checked
    /// whole, as <see cref="Buffer"/> does.
    /// </remarks>
    Incremental,
}

/// <summary>What the client gets when every attempt of a relayed request failed.</summary>
public enum RelayUpstreamErrors
{
    /// <summary>
    /// The last upstream answer as the upstream gave it: its status, its error body, its
    /// <c>Retry-After</c>, <c>x-ratelimit-*</c> and other headers (the default). A failure that is
    /// not an answer (a timeout, a refused connection) gets the gateway's own error.
    /// </summary>
    Relay,

    /// <summary>
    /// The gateway's own error JSON in the route's format, with the upstream's status passed on (as typed routes
    /// answer).
    /// </summary>
    GatewayError,
}

/// <summary>
/// Options of the relay (<c>AddTracedLlmRelay()</c>). They bind from the <c>TracedLlm:Relay</c>
/// configuration section; <see cref="Routes"/> overrides them for one route, by its template.
/// </summary>
public sealed class LlmRelayOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm:Relay";

    /// <summary>
    /// How post-call guardrails see relayed responses. Default <see cref="RelayPostCallGuardrails.Refuse"/>: choose
    /// when post-call guardrails are registered.
    /// </summary>
    public RelayPostCallGuardrails PostCallGuardrails { get; set; }

    /// <summary>
    /// The largest response held for the post-call guardrails, in bytes (as sent, compressed or not), and the most text
    /// they are given. Larger fails the request (502): it could not be checked. Default 4 MiB.
    /// </summary>
    public int MaxBufferedResponseBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// With <see cref="RelayPostCallGuardrails.Incremental"/>, how many bytes of new text (UTF-8) a stream relays
    /// between checks. Default 2048.
    /// </summary>
    public int IncrementalCheckBytes { get; set; } = 2048;

    /// <summary>
    /// What the client gets when every attempt failed. Default <see cref="RelayUpstreamErrors.Relay"/>.
    /// </summary>
    public RelayUpstreamErrors UpstreamErrors { get; set; }

    /// <summary>
    /// The largest upstream error body relayed, in bytes; a larger one is answered with the gateway's own error.
    /// Default 64 KiB.
    /// </summary>
    public int MaxUpstreamErrorBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Whether relayed responses carry LiteLLM's <c>x-litellm-attempted-retries</c> /
    /// <c>x-litellm-attempted-fallbacks</c> (and <c>x-litellm-max-retries</c>) headers. Off by
    /// default: a relay answers with the upstream's own headers. Turn it on for clients written
    /// against LiteLLM's proxy.
    /// </summary>
    public bool AttemptResponseHeaders { get; set; }

    /// <summary>
    /// Settings for one route, by its template as <c>[TracedLlmRoute]</c> names it (e.g. <c>/v1/messages</c>); unset
    /// ones come from above.
    /// </summary>
    public IDictionary<string, LlmRelayRouteOptions> Routes { get; } =
        new Dictionary<string, LlmRelayRouteOptions>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One route's relay settings; a null one takes the value of <see cref="LlmRelayOptions"/>.</summary>
public sealed class LlmRelayRouteOptions
{
    /// <summary>How post-call guardrails see this route's relayed responses.</summary>
    public RelayPostCallGuardrails? PostCallGuardrails { get; set; }

    /// <summary>What this route's client gets when every attempt failed.</summary>
    public RelayUpstreamErrors? UpstreamErrors { get; set; }

    /// <summary>Whether this route's relayed responses carry the <c>x-litellm-attempted-*</c> headers.</summary>
    public bool? AttemptResponseHeaders { get; set; }
}
