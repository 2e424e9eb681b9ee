using System;
using System.Security.Cryptography;
using System.Text;

namespace TracedLlm;

/// <summary>Keyed API-key fingerprints: what <c>user_api_key_hash</c> records instead of the key.</summary>
public static class ApiKeyFingerprints
{
    /// <summary>
    /// HMAC-SHA256 of <paramref name="apiKey"/> under <paramref name="secret"/>, lowercase hex (64 characters).
    /// </summary>
    public static string Compute(string secret, string apiKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(apiKey);
        return Convert.ToHexStringLower(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(apiKey)));
    }
}
