using System.Runtime.ExceptionServices;

namespace TracedLlm;

/// <summary>
/// Whether what the caller sent may reach a trace. Authentication runs before any span exists;
/// only a trusted caller's trace context (<c>traceparent</c>, metadata ids) is joined and only its
/// metadata becomes attributes. See docs/span-contract/trust.md#trust-boundary.
/// </summary>
public enum CallerTrust
{
    /// <summary>
    /// No <see cref="ILlmAuthenticator"/> is registered: the route is open and every caller is trusted.
    /// </summary>
    Open,

    /// <summary>The authenticator accepted the caller.</summary>
    Authenticated,

    /// <summary>
    /// The authenticator refused the caller (or failed): the request is recorded in a trace of its
    /// own with the route, the status and the failure reason only.
    /// </summary>
    Unauthenticated,
}

/// <summary>The outcome of a request's authentication, kept until its spans exist.</summary>
internal struct AuthenticationState
{
    /// <summary>How far the caller is trusted.</summary>
    public CallerTrust Trust;

    /// <summary>
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamps of the authenticator's run; 0 when nothing listens.
    /// </summary>
    public long StartTimestamp;

    public long EndTimestamp;

    /// <summary>Why the caller was refused, raised once the spans exist.</summary>
    public ExceptionDispatchInfo? Failure;

    /// <summary>
    /// Who the authenticator says the caller is, when authenticated (its key fingerprint is <c>user_api_key_hash</c>).
    /// </summary>
    public LlmCaller? Caller;

    /// <summary>The caller's key fingerprint (<c>user_api_key_hash</c>), when authenticated.</summary>
    public readonly string? KeyHash => Caller?.KeyHash;
}
