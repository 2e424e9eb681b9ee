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
    private AuthResult(bool succeeded, string? keyHash, string? userId, string? failure, bool forbidden)
    {
        Succeeded = succeeded;
        KeyHash = keyHash;
        UserId = userId;
        FailureMessage = failure;
        Forbidden = forbidden;
    }

    /// <summary>True when the caller is authenticated.</summary>
    public bool Succeeded { get; }

    /// <summary>A hash of the caller's key (recorded as <c>user_api_key_hash</c>); never the key.</summary>
    public string? KeyHash { get; }

    /// <summary>The caller's user id, when the key names one.</summary>
    public string? UserId { get; }

    /// <summary>Why authentication failed; sent to the client.</summary>
    public string? FailureMessage { get; }

    /// <summary>True for 403, false for 401.</summary>
    public bool Forbidden { get; }

    /// <summary>The caller is authenticated.</summary>
    public static AuthResult Success(string? keyHash = null, string? userId = null) => new(true, keyHash, userId, null, false);

    /// <summary>The caller is not authenticated (401) or not allowed (403).</summary>
    public static AuthResult Fail(string message, bool forbidden = false) => new(false, null, null, message, forbidden);
}
