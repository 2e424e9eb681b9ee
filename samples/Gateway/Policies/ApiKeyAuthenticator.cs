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
/// <c>TracedLlmOptions.ApiKeyFingerprintSecret</c>), or nothing when no secret is configured, and a
/// team's key its team and alias (<see cref="LlmCaller"/>): what chooses where its traces go.
/// </summary>
public sealed class ApiKeyAuthenticator : ILlmAuthenticator
{
    // Keys whose UTF-8 form fits here are hashed from the stack; longer ones from a rented buffer.
    private const int StackKeyBytes = 256;

    private readonly byte[][] _keyDigests;
    private readonly LlmCaller?[] _callers;

    /// <summary>Creates the authenticator for the given keys, none of them a team's.</summary>
    public ApiKeyAuthenticator(IEnumerable<string> keys)
        : this(keys.Select(key => new GatewayKey(key, null)))
    {
    }

    /// <summary>Creates the authenticator for the given keys, each with the caller it names (its team, its alias).</summary>
    public ApiKeyAuthenticator(IEnumerable<GatewayKey> keys)
    {
        var distinct = keys.DistinctBy(key => key.Key, StringComparer.Ordinal).ToArray();
        _keyDigests = distinct.Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key.Key))).ToArray();
        _callers = distinct.Select(key => key.Caller).ToArray();
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

        var known = Find(key);
        if (known < 0)
        {
            return ValueTask.FromResult(AuthResult.Fail("The API key is not valid."));
        }

        var fingerprint = llmCall.ApiKeyFingerprint(key.ToString());
        return ValueTask.FromResult(_callers[known] is { } caller
            ? AuthResult.Success(new LlmCaller { KeyHash = fingerprint, KeyAlias = caller.KeyAlias, TeamId = caller.TeamId, TeamAlias = caller.TeamAlias, OrganizationId = caller.OrganizationId, UserId = caller.UserId })
            : AuthResult.Success(fingerprint));
    }

    // The key's SHA-256 compared with every configured key's in fixed time (every one compared, the
    // match kept without a branch on it): its index, or -1. No string, no array per request.
    private int Find(ReadOnlySpan<char> key)
    {
        var length = Encoding.UTF8.GetByteCount(key);
        byte[]? rented = null;
        var utf8 = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], digest);
            var found = -1;
            for (var i = 0; i < _keyDigests.Length; i++)
            {
                var equal = CryptographicOperations.FixedTimeEquals(_keyDigests[i], digest) ? 1 : 0;
                found = (found & (equal - 1)) | (i & -equal);
            }

            return found;
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

/// <summary>A key the gateway accepts, and who calls with it (null: a key of no team).</summary>
public sealed record GatewayKey(string Key, LlmCaller? Caller);
