using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Policies;

/// <summary>
/// API-key authentication from <c>Authorization: Bearer</c> or <c>x-api-key</c>. Keys are kept
/// only as SHA-256 hashes and compared in fixed time; the span gets the hash, never the key.
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

        var hash = Hash(key);
        var known = _keyHashes.Any(k => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(k), Encoding.ASCII.GetBytes(hash)));
        return ValueTask.FromResult(known ? AuthResult.Success(hash) : AuthResult.Fail("The API key is not valid."));
    }

    /// <summary>The SHA-256 of a key, lowercase hex: what spans record as <c>user_api_key_hash</c>.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
