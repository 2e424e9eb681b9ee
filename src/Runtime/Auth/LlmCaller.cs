using System;
using System.Diagnostics;

namespace TracedLlm;

/// <summary>
/// Who the authenticator says the caller is: its key (as a fingerprint, and the alias the gateway
/// gave it), its user, team, organisation and end user. Recorded on the request's spans under the
/// names LiteLLM's Langfuse integration uses (<c>user_api_key_team_id</c>, ...), and the one thing
/// that chooses where its traces are exported (never the request itself). Every value is the
/// gateway's own, never a credential; all are optional.
/// </summary>
public sealed class LlmCaller : IEquatable<LlmCaller>
{
    /// <summary>
    /// The name of the <see cref="Activity"/> custom property that holds the caller on a request's
    /// server span (<see cref="From(Activity)"/>); set by the runtime only, after authentication.
    /// </summary>
    public const string ActivityPropertyName = "TracedLlm.Caller";

    /// <summary>
    /// A keyed fingerprint of the caller's key (<c>user_api_key_hash</c>, <see cref="LlmCall.ApiKeyFingerprint"/>);
    /// never the key.
    /// </summary>
    public string? KeyHash { get; init; }

    /// <summary>The name the gateway gave the caller's key (<c>user_api_key_alias</c>).</summary>
    public string? KeyAlias { get; init; }

    /// <summary>The user the key belongs to (<c>user_api_key_user_id</c>).</summary>
    public string? UserId { get; init; }

    /// <summary>The team the key belongs to (<c>user_api_key_team_id</c>).</summary>
    public string? TeamId { get; init; }

    /// <summary>The team's display name (<c>user_api_key_team_alias</c>).</summary>
    public string? TeamAlias { get; init; }

    /// <summary>The organisation the team belongs to (<c>user_api_key_org_id</c>).</summary>
    public string? OrganizationId { get; init; }

    /// <summary>The gateway's own customer on whose behalf the key calls (<c>user_api_key_end_user_id</c>).</summary>
    public string? EndUserId { get; init; }

    /// <summary>True when no value is set.</summary>
    public bool IsEmpty =>
        KeyHash is null
        && KeyAlias is null
        && UserId is null
        && TeamId is null
        && TeamAlias is null
        && OrganizationId is null
        && EndUserId is null;

    /// <summary>
    /// The caller of the request whose server span (<c>Received Proxy Server Request</c>) is
    /// <paramref name="serverSpan"/>; null for another span, an unauthenticated or open request, or
    /// an authenticator that named nobody.
    /// </summary>
    public static LlmCaller? From(Activity serverSpan)
    {
        ArgumentNullException.ThrowIfNull(serverSpan);
        return serverSpan.GetCustomProperty(ActivityPropertyName) as LlmCaller;
    }

    /// <inheritdoc />
    public bool Equals(LlmCaller? other) =>
        other is not null
        && KeyHash == other.KeyHash
        && KeyAlias == other.KeyAlias
        && UserId == other.UserId
        && TeamId == other.TeamId
        && TeamAlias == other.TeamAlias
        && OrganizationId == other.OrganizationId
        && EndUserId == other.EndUserId;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as LlmCaller);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(KeyHash, KeyAlias, UserId, TeamId, TeamAlias, OrganizationId, EndUserId);

    /// <summary>The values set, by their LiteLLM names.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder("LlmCaller {");
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                text.Append(' ').Append(name).Append(" = ").Append(value).Append(',');
            }
        }

        Add("user_api_key_hash", KeyHash);
        Add("user_api_key_alias", KeyAlias);
        Add("user_api_key_user_id", UserId);
        Add("user_api_key_team_id", TeamId);
        Add("user_api_key_team_alias", TeamAlias);
        Add("user_api_key_org_id", OrganizationId);
        Add("user_api_key_end_user_id", EndUserId);
        if (text[^1] == ',')
        {
            text.Length--;
        }

        return text.Append(" }").ToString();
    }
}
