using System;

namespace TracedLlm;

/// <summary>
/// What one upstream attempt calls: the GenAI provider and model, and, for a gateway with several
/// backends serving them, which backend (its own id and its endpoint). Two targets are the same
/// when all four are: an attempt on the target the previous one failed on is a retry, on another a
/// fallback (<see cref="LlmCall.StartAttempt(LlmTarget)"/>), and a circuit breaker keeps one
/// circuit per target.
/// </summary>
/// <param name="Provider">The GenAI provider (<c>openai</c>, <c>azure.ai.openai</c>, <c>anthropic</c>, ...), recorded
/// as <c>gen_ai.provider.name</c>: the provider, never a backend's name.</param>
/// <param name="Model">The model (for Azure OpenAI, the deployment), recorded as <c>gen_ai.request.model</c> of the
/// attempt.</param>
public sealed record LlmTarget(string Provider, string Model)
{
    /// <summary>
    /// The gateway's own id of the backend or deployment called (<c>BACKEND_1</c>, <c>eastus-gpt4o</c>), recorded as
    /// <c>tracedllm.backend.id</c> on the attempt and, for the attempt that answered, on the LLM span.
    /// </summary>
    /// <remarks>
    /// Null when the gateway does not tell its backends apart. Configuration, not a secret: never put a key or a URL
    /// with credentials here.
    /// </remarks>
    public string? BackendId { get; init; }

    /// <summary>
    /// The backend's endpoint: its host and port are recorded as <c>server.address</c> and
    /// <c>server.port</c> on the attempt (never the path, query or user info). Null when unknown.
    /// </summary>
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// The <c>server.address</c> of an endpoint: its host (an IPv6 one without brackets), never its path, query or user
    /// info.
    /// </summary>
    internal static string ServerAddress(Uri endpoint) =>
        endpoint.HostNameType == UriHostNameType.IPv6 ? endpoint.Host.Trim('[', ']') : endpoint.IdnHost;
}
