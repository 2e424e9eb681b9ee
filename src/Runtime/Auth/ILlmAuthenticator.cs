using System;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// Authenticates traced requests; runs inside the <c>auth</c> span. Fail by returning
/// <see cref="AuthResult.Fail(string, bool)"/> or throwing <see cref="LlmAuthenticationException"/>.
/// Register one implementation in DI; without one, routes run with no <c>auth</c> span.
/// </summary>
public interface ILlmAuthenticator
{
    /// <summary>Authenticates the request.</summary>
    ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken);
}

/// <summary>The outcome of authentication.</summary>
public readonly record struct AuthResult
{
    private AuthResult(bool succeeded, LlmCaller? caller, string? failure, bool forbidden)
    {
        Succeeded = succeeded;
        Caller = caller;
        FailureMessage = failure;
        Forbidden = forbidden;
    }

    /// <summary>True when the caller is authenticated.</summary>
    public bool Succeeded { get; }

    /// <summary>
    /// Who the caller is (its key's fingerprint and alias, user, team, organisation, end user), when the authenticator
    /// says.
    /// </summary>
    public LlmCaller? Caller { get; }

    /// <summary>A hash of the caller's key (recorded as <c>user_api_key_hash</c>); never the key.</summary>
    public string? KeyHash => Caller?.KeyHash;

    /// <summary>The caller's user id, when the key names one (recorded as <c>user_api_key_user_id</c>).</summary>
    public string? UserId => Caller?.UserId;

    /// <summary>Why authentication failed; sent to the client.</summary>
    public string? FailureMessage { get; }

    /// <summary>True for 403, false for 401.</summary>
    public bool Forbidden { get; }

    /// <summary>The caller is authenticated.</summary>
    public static AuthResult Success(string? keyHash = null, string? userId = null) =>
        new(
            true,
            keyHash is null && userId is null ? null : new LlmCaller { KeyHash = keyHash, UserId = userId },
            null,
            false);

    /// <summary>
    /// The caller is authenticated as <paramref name="caller"/>: recorded on the request's spans, and
    /// what chooses where its traces go (<c>AddTracedLlmDestinations</c>).
    /// </summary>
    public static AuthResult Success(LlmCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new(true, caller.IsEmpty ? null : caller, null, false);
    }

    /// <summary>The caller is not authenticated (401) or not allowed (403).</summary>
    public static AuthResult Fail(string message, bool forbidden = false) => new(false, null, message, forbidden);
}
