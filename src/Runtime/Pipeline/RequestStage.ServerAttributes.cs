using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Unicode;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Primitives;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

// RequestStage: the server span's attributes and the request's trace-level tags (Langfuse's
// trace name, user, session, tags, metadata), redacted, bounded and charged to the request's budget.
public static partial class RequestStage
{
    /// <summary>
    /// The server span's attributes: the route, how its trace was joined, and the trace-level
    /// metadata, which it prepares once for the request's other spans (<see cref="FirstTags.AddTraceTags"/>).
    /// An unauthenticated caller's span gets the route only (its trace records the status and
    /// failure reason from the failure path): nothing the caller chose. <paramref name="defaultEnvironment"/>
    /// is the configured one, already folded (<see cref="TracedLlmOptions.FoldedDefaultEnvironment"/>).
    /// </summary>
    internal static void AddServerAttributes(Activity span, LlmCall call, in TraceJoin join, string? defaultEnvironment)
    {
        var tags = new FirstTags(span, call);
        var route = call.Route;
        tags.Add(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Span);
        tags.Add(AttributeNames.HttpRequestMethod, route.HttpMethod);
        tags.Add(AttributeNames.HttpRoute, route.Pattern);
        tags.Add(AttributeNames.MetadataSlot, route.MetadataSlot.Length == 0 ? null : route.MetadataSlot);
        if (call.Trust == CallerTrust.Unauthenticated)
        {
            tags.Add(AttributeNames.TraceJoin, "unauthenticated");
            tags.Add(AttributeNames.LangfuseEnvironment, defaultEnvironment);
            return;
        }

        var joinedBy = join.Source switch
        {
            TraceJoinSource.Metadata => "metadata",
            TraceJoinSource.TraceParent => "traceparent",
            _ => "none",
        };
        tags.Add(AttributeNames.TraceJoin, joinedBy);
        tags.Add(AttributeNames.LangfuseMetadataTraceJoin, joinedBy);

        // Joined another service's trace (not the caller's own Langfuse trace id): the application's
        // logical root, as Langfuse's v4 SDKs mark theirs.
        if (join.Source == TraceJoinSource.TraceParent)
        {
            tags.Add(AttributeNames.LangfuseIsAppRoot, BoxedTrue);
        }

        // user.id / session.id and Langfuse's own keys are trace tags: every observation carries them.
        var metadata = call.Metadata;
        var traceTags = TraceTags(
            ref tags,
            metadata,
            join.TraceIdSeed is not null,
            defaultEnvironment,
            out var traceTagCount,
            out var imitatedTraceName);
        call.SetTraceTags(traceTags, traceTagCount);
        tags.AddTraceTags(call);
        tags.Complete(metadata.DroppedTraceEntries);
        if (imitatedTraceName is not null)
        {
            ReservedSpanNames.AddEvent(
                span, call.Gateway.Options.Limits.MaxEventsPerSpan, "trace_name", imitatedTraceName);
        }
    }

    /// <summary>
    /// The trace-level attributes Langfuse reads from every observation (its v4 data model keeps them per observation,
    /// as its own SDKs' span processor does).
    /// </summary>
    /// <remarks>
    /// Environment, name, user, session, tags, release, version, the trace id's seed and the trace metadata, each
    /// client value bounded once here. Trace metadata comes last: where the attribute limit is reached, it is what is
    /// left out. A client's <c>trace_seed</c> gives way to the seed the gateway used. Returned as an array sized for
    /// the most there can be and the <paramref name="count"/> used: one allocation a request (a list and its copy were
    /// 250 bytes more).
    /// </remarks>
    private static KeyValuePair<string, object?>[] TraceTags(
        ref FirstTags tags,
        LlmMetadata metadata,
        bool seeded,
        string? defaultEnvironment,
        out int count,
        out string? imitatedTraceName)
    {
        imitatedTraceName = null;
        var entries = new KeyValuePair<string, object?>[MostTraceTags(metadata, seeded, defaultEnvironment)];
        var added = 0;
        void AddClient(ref FirstTags tags, string key, string? value)
        {
            if (value is not null && tags.Bound(key, value) is { } bounded)
            {
                entries[added++] = new(key, bounded);
            }
        }

        // The OpenTelemetry key beside Langfuse's, with the value just bounded (charged once).
        void AddAlso(string langfuseKey, string key)
        {
            if (added > 0 && entries[added - 1].Key == langfuseKey)
            {
                entries[added] = new(key, entries[added - 1].Value);
                added++;
            }
        }

        // Folded as Langfuse accepts environment names (its ingestion refuses others).
        if (metadata.Environment is { } environment
            && tags.Bound(AttributeNames.LangfuseEnvironment, environment) is { } boundEnvironment)
        {
            entries[added++] = new(AttributeNames.LangfuseEnvironment, LangfuseEnvironments.Fold(boundEnvironment));
        }
        else if (metadata.Environment is null && defaultEnvironment is not null)
        {
            entries[added++] = new(AttributeNames.LangfuseEnvironment, defaultEnvironment);
        }

        if (!metadata.IsPresent)
        {
            count = added;
            return entries;
        }

        // A trace name that imitates a span name of the contract is the gateway's to give: left out (and an event says
        // so).
        if (metadata.TraceName is { } traceName
            && tags.Bound(AttributeNames.LangfuseTraceName, traceName) is { } boundTraceName)
        {
            imitatedTraceName = ReservedSpanNames.Imitated(boundTraceName);
            if (imitatedTraceName is null)
            {
                entries[added++] = new(AttributeNames.LangfuseTraceName, boundTraceName);
            }
        }

        AddClient(ref tags, AttributeNames.LangfuseUserId, metadata.UserId);
        AddAlso(AttributeNames.LangfuseUserId, AttributeNames.UserId);
        AddClient(ref tags, AttributeNames.LangfuseSessionId, metadata.SessionId);
        AddAlso(AttributeNames.LangfuseSessionId, AttributeNames.SessionId);
        if (metadata.Tags is string[] { Length: > 0 } traceTags)
        {
            entries[added++] = new(AttributeNames.LangfuseTraceTags, BoundTags(ref tags, traceTags));
        }

        AddClient(ref tags, AttributeNames.LangfuseRelease, metadata.Release);
        AddClient(ref tags, AttributeNames.LangfuseVersion, metadata.Version);
        if (seeded)
        {
            AddClient(ref tags, AttributeNames.LangfuseTraceSeed, metadata.ExistingTraceId);
        }

        // Counted first: enumerating the interface boxes an enumerator even when it is empty.
        if (metadata.TraceMetadata.Count > 0)
        {
            var names = new UniqueClientKeys(metadata.TraceMetadata);
            foreach (var (key, value) in metadata.TraceMetadata)
            {
                if (tags.Bound(AttributeNames.LangfuseTraceMetadataPrefix, key) is not { } boundKey)
                {
                    continue;
                }

                var name = AttributeNames.LangfuseTraceMetadataPrefix + names.Unique(key, boundKey);
                if ((!seeded || name != AttributeNames.LangfuseTraceSeed) && tags.Bound(name, value) is { } boundValue)
                {
                    entries[added++] = new(name, boundValue);
                }
            }
        }

        count = added;
        return entries;
    }

    // Each tag bounded; the client's own array (read from its metadata, not shared) when none changed.
    // An array, not a list: OpenTelemetry exports only arrays as array attributes.
    private static string[] BoundTags(ref FirstTags tags, string[] traceTags)
    {
        string[]? bounded = null;
        var kept = 0;
        for (var i = 0; i < traceTags.Length; i++)
        {
            var item = tags.Bound(AttributeNames.LangfuseTraceTags, traceTags[i]);
            if (bounded is null && !ReferenceEquals(item, traceTags[i]))
            {
                bounded = new string[traceTags.Length];
                Array.Copy(traceTags, bounded, i);
                kept = i;
            }

            if (bounded is not null && item is not null)
            {
                bounded[kept++] = item;
            }
        }

        if (bounded is null)
        {
            return traceTags;
        }

        if (kept < bounded.Length)
        {
            Array.Resize(ref bounded, kept);
        }

        return bounded;
    }

    // The values there are to record (fewer when a value is cut from the budget): the array's size.
    private static int MostTraceTags(LlmMetadata metadata, bool seeded, string? defaultEnvironment)
    {
        var most = metadata.Environment is not null || defaultEnvironment is not null ? 1 : 0;
        if (!metadata.IsPresent)
        {
            return most;
        }

        // User and session count twice: Langfuse's key and OpenTelemetry's.
        foreach (var value in (ReadOnlySpan<string?>)[
            metadata.TraceName,
            metadata.UserId,
            metadata.UserId,
            metadata.SessionId,
            metadata.SessionId,
            metadata.Release,
            metadata.Version,
            seeded ? metadata.ExistingTraceId : null])
        {
            most += value is null ? 0 : 1;
        }

        return most + (metadata.Tags is string[] { Length: > 0 } ? 1 : 0) + metadata.TraceMetadata.Count;
    }
}
