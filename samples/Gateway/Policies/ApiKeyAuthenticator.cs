using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Policies;

/// <summary>
/// API-key authentication from <c>Authorization: Bearer</c> or <c>x-api-key</c>. Configured keys are
/// kept only as SHA-256 digests, to compare in fixed time; those digests never leave the process.
/// The span gets the key's keyed fingerprint (<see cref="LlmCall.ApiKeyFingerprint"/>: HMAC with
/// <c>TracedLlmOptions.ApiKeyFingerprintSecret</c>), or nothing when no secret is configured.
/// </summary>
public sealed class ApiKeyAuthenticator : ILlmAuthenticator
{
    private readonly HashSet<string> _keyHashes;

    /// <summary>Creates the authenticator for the given keys.</summary>
    public ApiKeyAuthenticator(IEnumerable<string> keys)
    {
        _keyHashes = keys.Select(Hash).ToHashSet(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
    {
        var headers = llmCall.HttpContext.Request.Headers;
        string? key = null;
        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }
        else if (headers.TryGetValue("x-api-key", out var apiKey))
        {
            key = apiKey.ToString().Trim();
        }

        if (string.IsNullOrEmpty(key))
        {
            return ValueTask.FromResult(AuthResult.Fail("No API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'."));
        }

        var hash = Encoding.ASCII.GetBytes(Hash(key));
        var known = _keyHashes.Any(k => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(k), hash));
        return ValueTask.FromResult(known ? AuthResult.Success(llmCall.ApiKeyFingerprint(key)) : AuthResult.Fail("The API key is not valid."));
    }

    /// <summary>The SHA-256 of a key, lowercase hex: how configured keys are held for comparison (never recorded).</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
