using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>The caller's identity on its request's spans, once it is authenticated.</summary>
/// <remarks>
/// LiteLLM's <c>user_api_key_*</c> attributes on the <c>auth</c> span, the same values as Langfuse trace metadata
/// (<c>langfuse.trace.metadata.user_api_key_*</c>) on every span, the caller itself on the server span for the export's
/// routing (<see cref="LlmCaller.From"/>), and the export sample rate the request asked for. A client's own
/// <c>trace_metadata</c> entry under one of these names is left out: the authenticator alone says who the caller is.
/// </remarks>
internal static class CallerAttributes
{
    /// <summary>The metadata key a request lowers its export sample rate with (0 to 1).</summary>
    internal const string SampleRateKey = "sample_rate";

    // The identity's attributes, in the order they are recorded, each with its trace-metadata name.
    private static readonly (string Key, string TraceKey, Func<LlmCaller, string?> Value)[] Identity =
    {
        Entry(AttributeNames.UserApiKeyHash, static caller => caller.KeyHash),
        Entry(AttributeNames.UserApiKeyAlias, static caller => caller.KeyAlias),
        Entry(AttributeNames.UserApiKeyUserId, static caller => caller.UserId),
        Entry(AttributeNames.UserApiKeyTeamId, static caller => caller.TeamId),
        Entry(AttributeNames.UserApiKeyTeamAlias, static caller => caller.TeamAlias),
        Entry(AttributeNames.UserApiKeyOrgId, static caller => caller.OrganizationId),
        Entry(AttributeNames.UserApiKeyEndUserId, static caller => caller.EndUserId),
    };

    /// <summary>
    /// Puts the authenticated caller in the request's trace tags, and on the server span its trace tags, the caller for
    /// the export and the asked sample rate.
    /// </summary>
    /// <remarks>
    /// It replaces any client imitation of its names, also when nothing records: an unsampled request's failure record
    /// carries them. Runs once, right after the server span started, before any of its children.
    /// </remarks>
    public static void Apply(LlmCall call, Activity? server)
    {
        if (call.Trust == CallerTrust.Unauthenticated)
        {
            return;
        }

        var caller = call.Caller;
        var traceTags = call.TraceTags;
        var imitated = Imitated(traceTags);
        if (caller is null && imitated == 0)
        {
            AddSampleRate(call, server);
            return;
        }

        var recorded = server is { IsAllDataRequested: true };
        var entries = new KeyValuePair<string, object?>[
            traceTags.Length - imitated + (caller is null ? 0 : Identity.Length)
        ];
        var count = 0;
        var placed = false;
        var dropped = 0;
        foreach (var entry in traceTags)
        {
            // The identity goes before the client's trace metadata: where the attribute limit is
            // reached, the client's entries are what is left out, never the authenticator's.
            if (!placed && entry.Key.StartsWith(AttributeNames.LangfuseTraceMetadataPrefix, StringComparison.Ordinal))
            {
                count = AddIdentity(call, caller, entries, count, ref dropped);
                placed = true;
            }

            if (IsIdentityTraceKey(entry.Key))
            {
                if (recorded)
                {
                    server!.SetTag(entry.Key, null);
                }

                continue;
            }

            entries[count++] = entry;
        }

        if (!placed)
        {
            count = AddIdentity(call, caller, entries, count, ref dropped);
        }

        call.SetTraceTags(entries, count);
        if (recorded)
        {
            var tags = new FirstTags(server!, call);
            foreach (var (key, value) in entries.AsSpan(0, count))
            {
                if (IsIdentityTraceKey(key))
                {
                    tags.Add(key, value);
                }
            }

            tags.Complete(dropped);
            if (caller is not null)
            {
                server!.SetCustomProperty(LlmCaller.ActivityPropertyName, caller);
            }
        }

        AddSampleRate(call, server);
    }

    /// <summary>The caller's <c>user_api_key_*</c> attributes (the <c>auth</c> span's), each bounded.</summary>
    public static void AddTo(ref FirstTags tags, LlmCaller? caller)
    {
        if (caller is null)
        {
            return;
        }

        foreach (var (key, _, value) in Identity)
        {
            if (value(caller) is { } text)
            {
                tags.Add(key, tags.Bound(key, text));
            }
        }
    }

    /// <summary>
    /// The sample rate a request's metadata asks for, when it is a number from 0 to below 1 (1 and above lower
    /// nothing).
    /// </summary>
    public static double? RequestedSampleRate(LlmMetadata metadata) =>
        metadata.ObservationMetadata.Count > 0
        && metadata.ObservationMetadata.TryGetValue(SampleRateKey, out var text)
        && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate)
        && rate is >= 0 and < 1
            ? rate
            : null;

    private static void AddSampleRate(LlmCall call, Activity? server)
    {
        if (server is { IsAllDataRequested: true } && RequestedSampleRate(call.Metadata) is { } rate)
        {
            server.SetTag(AttributeNames.ExportSampleRate, rate);
        }
    }

    private static int AddIdentity(
        LlmCall call,
        LlmCaller? caller,
        KeyValuePair<string, object?>[] entries,
        int count,
        ref int dropped)
    {
        if (caller is null)
        {
            return count;
        }

        var maxLength = call.Gateway.Options.Limits.MaxAttributeValueLength;
        foreach (var (_, traceKey, value) in Identity)
        {
            if (value(caller) is { } text
                && TelemetryText.ForSpan(call, traceKey, text, maxLength, ref dropped) is { } bounded)
            {
                entries[count++] = new(traceKey, bounded);
            }
        }

        return count;
    }

    // How many of the trace tags carry an identity name (a client's trace_metadata imitating one).
    private static int Imitated(ReadOnlySpan<KeyValuePair<string, object?>> traceTags)
    {
        var imitated = 0;
        foreach (var entry in traceTags)
        {
            imitated += IsIdentityTraceKey(entry.Key) ? 1 : 0;
        }

        return imitated;
    }

    private static bool IsIdentityTraceKey(string key) =>
        key.Length > AttributeNames.LangfuseTraceMetadataPrefix.Length + 12
        && key.StartsWith(AttributeNames.LangfuseTraceMetadataPrefix + "user_api_key", StringComparison.Ordinal)
        && IsIdentityName(key);

    private static bool IsIdentityName(string traceKey)
    {
        foreach (var entry in Identity)
        {
            if (entry.TraceKey == traceKey)
            {
                return true;
            }
        }

        return false;
    }

    private static (string, string, Func<LlmCaller, string?>) Entry(string key, Func<LlmCaller, string?> value) =>
        (key, AttributeNames.LangfuseTraceMetadataPrefix + key, value);
}
