using System;
using System.Buffers;
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
    // Keys whose UTF-8 form fits here are hashed from the stack; longer ones from a rented buffer.
    private const int StackKeyBytes = 256;

    private readonly byte[][] _keyDigests;

    /// <summary>Creates the authenticator for the given keys.</summary>
    public ApiKeyAuthenticator(IEnumerable<string> keys)
    {
        _keyDigests = keys.Distinct(StringComparer.Ordinal).Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToArray();
    }

    /// <inheritdoc />
    public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
    {
        var headers = llmCall.HttpContext.Request.Headers;
        ReadOnlySpan<char> key = default;
        var authorization = headers.Authorization;
        if (authorization.Count > 0 && authorization.ToString() is { } bearer && bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = bearer.AsSpan("Bearer ".Length).Trim();
        }
        else if (headers.TryGetValue("x-api-key", out var apiKey))
        {
            key = apiKey.ToString().AsSpan().Trim();
        }

        if (key.IsEmpty)
        {
            return ValueTask.FromResult(AuthResult.Fail("No API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'."));
        }

        return ValueTask.FromResult(IsKnown(key) ? AuthResult.Success(llmCall.ApiKeyFingerprint(key.ToString())) : AuthResult.Fail("The API key is not valid."));
    }

    // The key's SHA-256 compared with every configured key's in fixed time: no string, no array per request.
    private bool IsKnown(ReadOnlySpan<char> key)
    {
        var length = Encoding.UTF8.GetByteCount(key);
        byte[]? rented = null;
        var utf8 = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], digest);
            var known = false;
            foreach (var configured in _keyDigests)
            {
                known |= CryptographicOperations.FixedTimeEquals(configured, digest);
            }

            return known;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }
}
