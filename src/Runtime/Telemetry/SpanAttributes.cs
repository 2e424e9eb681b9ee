using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// Writes the contract's attributes. Callers check <see cref="Activity.IsAllDataRequested"/> first,
/// so nothing is built for a span that is not recorded. Every value a client chose goes through
/// <see cref="FirstTags.AddClient(string, string?)"/> or <see cref="FirstTags.Bound"/>: redacted,
/// bounded and charged to the request.
/// </summary>
internal static class SpanAttributes
{
    /// <summary>
    /// The server span's attributes: the route, how its trace was joined, and the trace-level
    /// metadata, which it prepares once for the request's other spans (<see cref="AddTraceTags"/>).
    /// An unauthenticated caller's span gets the route only (its trace records the status and
    /// failure reason from the failure path): nothing the caller chose.
    /// </summary>
    public static void AddServerAttributes(Activity span, LlmCall call, in TraceJoin join, string? defaultEnvironment)
    {
        var tags = new FirstTags(span, call);
        var route = call.Route;
        tags.Add(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Span);
        tags.Add(AttributeNames.HttpRequestMethod, route.HttpMethod);
        tags.Add(AttributeNames.HttpRoute, route.Pattern);
        tags.Add(AttributeNames.MetadataSlot, route.MetadataSlot);
        if (call.Trust == CallerTrust.Unauthenticated)
        {
            tags.Add(AttributeNames.TraceJoin, "unauthenticated");
            tags.Add(AttributeNames.LangfuseEnvironment, defaultEnvironment);
            return;
        }

        tags.Add(AttributeNames.TraceJoin, join.Source switch
        {
            TraceJoinSource.Metadata => "metadata",
            TraceJoinSource.TraceParent => "traceparent",
            _ => "none",
        });

        // The OpenTelemetry keys for user and session on the root; Langfuse reads its own on every span.
        var metadata = call.Metadata;
        var traceTags = TraceTags(ref tags, metadata, join.TraceIdSeed is not null, defaultEnvironment, out var traceTagCount, out var imitatedTraceName);
        call.SetTraceTags(traceTags, traceTagCount);
        foreach (var (key, value) in traceTags.AsSpan(0, traceTagCount))
        {
            if (key == AttributeNames.LangfuseUserId)
            {
                tags.Add(AttributeNames.UserId, value);
            }
            else if (key == AttributeNames.LangfuseSessionId)
            {
                tags.Add(AttributeNames.SessionId, value);
            }
        }

        AddTraceTags(ref tags, call);
        tags.Complete(metadata.DroppedTraceEntries);
        if (imitatedTraceName is not null)
        {
            AddReservedNameEvent(span, call, "trace_name", imitatedTraceName);
        }
    }

    /// <summary>Appends the request's trace-level attributes to one of its spans, once the caller is authenticated (nothing before).</summary>
    public static void AddTraceTags(ref FirstTags tags, LlmCall call)
    {
        foreach (var (key, value) in call.TraceTags)
        {
            tags.Add(key, value);
        }
    }

    /// <summary>
    /// The trace-level attributes Langfuse reads from every observation (its v4 data model keeps
    /// them per observation, as its own SDKs' span processor does): environment, name, user,
    /// session, tags, release, version, the trace id's seed and the trace metadata, each client
    /// value bounded once here. Trace metadata comes last: where the attribute limit is reached,
    /// it is what is left out. A client's <c>trace_seed</c> gives way to the seed the gateway used.
    /// Returned as an array sized for the most there can be and the <paramref name="count"/> used:
    /// one allocation a request (a list and its copy were 250 bytes more).
    /// </summary>
    private static KeyValuePair<string, object?>[] TraceTags(ref FirstTags tags, LlmMetadata metadata, bool seeded, string? defaultEnvironment, out int count, out string? imitatedTraceName)
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

        if (metadata.Environment is { } environment)
        {
            AddClient(ref tags, AttributeNames.LangfuseEnvironment, environment);
        }
        else if (defaultEnvironment is not null)
        {
            entries[added++] = new(AttributeNames.LangfuseEnvironment, defaultEnvironment);
        }

        if (!metadata.IsPresent)
        {
            count = added;
            return entries;
        }

        // A trace name that imitates a span name of the contract is the gateway's to give: left out (and an event says so).
        if (metadata.TraceName is { } traceName && tags.Bound(AttributeNames.LangfuseTraceName, traceName) is { } boundTraceName)
        {
            imitatedTraceName = ReservedSpanNames.Imitated(boundTraceName);
            if (imitatedTraceName is null)
            {
                entries[added++] = new(AttributeNames.LangfuseTraceName, boundTraceName);
            }
        }

        AddClient(ref tags, AttributeNames.LangfuseUserId, metadata.UserId);
        AddClient(ref tags, AttributeNames.LangfuseSessionId, metadata.SessionId);
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

        foreach (var value in (ReadOnlySpan<string?>)[metadata.TraceName, metadata.UserId, metadata.SessionId, metadata.Release, metadata.Version, seeded ? metadata.ExistingTraceId : null])
        {
            most += value is null ? 0 : 1;
        }

        return most + (metadata.Tags is string[] { Length: > 0 } ? 1 : 0) + metadata.TraceMetadata.Count;
    }

    /// <summary>The LLM span's request attributes and the request's trace-level ones; returns the captured input content, if any.</summary>
    public static string? AddLlmRequestAttributes(Activity span, LlmCall call)
    {
        var tags = new FirstTags(span, call);
        var parameters = call.Parameters;
        tags.Add(AttributeNames.GenAiOperationName, call.Route.Operation);

        // The one generation of the request: usage, model and prompt link are read from this span only.
        tags.Add(AttributeNames.LangfuseObservationType, call.Route.Operation == "embeddings" ? LangfuseObservationTypes.Embedding : LangfuseObservationTypes.Generation);
        if (parameters.Model is { } model && tags.Bound(AttributeNames.GenAiRequestModel, model) is { } boundModel)
        {
            tags.Add(AttributeNames.GenAiRequestModel, boundModel);
            tags.Add(AttributeNames.LangfuseObservationModelName, boundModel);
        }

        if (parameters.Temperature is { } temperature)
        {
            tags.Add(AttributeNames.GenAiRequestTemperature, temperature);
        }

        if (parameters.TopP is { } topP)
        {
            tags.Add(AttributeNames.GenAiRequestTopP, topP);
        }

        if (parameters.MaxTokens is { } maxTokens)
        {
            tags.Add(AttributeNames.GenAiRequestMaxTokens, maxTokens);
        }

        var metadata = call.Metadata;
        tags.AddClient(AttributeNames.LangfusePromptName, metadata.PromptName);
        if (metadata.PromptVersion is { } version)
        {
            tags.Add(AttributeNames.LangfusePromptVersion, version);
        }

        string? input = null;
        if (call.Gateway.Options.CaptureMessageContent && !metadata.MaskInput)
        {
            input = Content(call, AttributeNames.LangfuseObservationInput, call.UpstreamBody.Span);
            tags.Add(AttributeNames.LangfuseObservationInput, input);
        }

        AddTraceTags(ref tags, call);
        if (metadata.ObservationMetadata.Count > 0)
        {
            var names = new UniqueClientKeys(metadata.ObservationMetadata);
            foreach (var (key, value) in metadata.ObservationMetadata)
            {
                tags.AddClient(AttributeNames.LangfuseObservationMetadataPrefix, key, value, ref names);
            }
        }

        tags.Complete(metadata.DroppedObservationEntries);
        // The span kept its contract name because the client's imitated it (LlmSpanName): say so.
        if (metadata.GenerationName is { } generationName && span.DisplayName == SpanNames.LlmRequest && ReservedSpanNames.Imitated(generationName) is { } imitated)
        {
            AddReservedNameEvent(span, call, "generation_name", imitated);
        }

        return input;
    }

    /// <summary>
    /// The LLM span's name: metadata <c>generation_name</c> (redacted, at most
    /// <see cref="TelemetryLimits.MaxSpanNameLength"/> characters), else <c>litellm_request</c>; also
    /// <c>litellm_request</c> when the name equals or imitates a span name of the contract
    /// (<see cref="ReservedSpanNames"/>), which the LLM span's attributes then record as an event.
    /// </summary>
    public static string LlmSpanName(LlmCall call)
    {
        if (call.Metadata.GenerationName is not { } name)
        {
            return SpanNames.LlmRequest;
        }

        var dropped = 0;
        if (TelemetryText.ForSpan(call, "name", name, Math.Min(TelemetryLimits.MaxSpanNameLength, call.Gateway.Options.Limits.MaxAttributeValueLength), ref dropped) is not { } bounded)
        {
            return SpanNames.LlmRequest;
        }

        return ReservedSpanNames.Imitated(bounded) is null ? bounded : SpanNames.LlmRequest;
    }

    /// <summary>Records that a client's name for <paramref name="field"/> was ignored because it imitates <paramref name="imitated"/>.</summary>
    private static void AddReservedNameEvent(Activity span, LlmCall call, string field, string imitated)
    {
        if (TelemetryText.HasRoomForEvent(span, call.Gateway.Options.Limits.MaxEventsPerSpan))
        {
            span.AddEvent(new ActivityEvent(AttributeNames.ReservedNameEvent, tags: new ActivityTagsCollection
            {
                [AttributeNames.InvalidTraceContextField] = field,
                [AttributeNames.InvalidTraceContextReason] = $"equals or imitates the span name '{imitated}', which the span contract gives its own span",
            }));
        }
    }

    /// <summary>
    /// The attributes of a failure recorded in a trace of its own (its caller's trace was not
    /// sampled): the route, the status and the failure; the caller's context is its link.
    /// </summary>
    public static void AddFailureRecordAttributes(Activity span, LlmCall call, FailurePath.Failure failure)
    {
        var tags = new FirstTags(span, call);
        tags.Add(AttributeNames.HttpRequestMethod, call.Route.HttpMethod);
        tags.Add(AttributeNames.HttpRoute, call.Route.Pattern);
        tags.Add(AttributeNames.MetadataSlot, call.Route.MetadataSlot);
        tags.Add(AttributeNames.TraceJoin, "link");
        tags.Add(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
        tags.Add(AttributeNames.ErrorType, failure.ErrorType);
    }

    /// <summary>
    /// Captured UTF-8 JSON content as text: redacted, cut at <see cref="TracedLlmOptions.MaxContentLength"/>
    /// characters with a visible marker, and charged to the request's budget (null once it is spent).
    /// </summary>
    public static string? Content(LlmCall call, string key, ReadOnlySpan<byte> json)
    {
        var dropped = 0;
        var options = call.Gateway.Options;

        // Decoded no further than can be kept (and scanned for a credential crossing the cut).
        var decoded = Encoding.UTF8.GetString(json.Length > (options.MaxContentLength + 1024) * 4 ? json[..((options.MaxContentLength + 1024) * 4)] : json);
        return TelemetryText.ForSpan(call, key, decoded, options.MaxContentLength, ref dropped);
    }

    public static void AddGuardrailAttributes(Activity span, string name, GuardrailMode mode, string status, string? response)
    {
        var tags = new FirstTags(span);
        tags.Add(AttributeNames.OpenInferenceSpanKind, "GUARDRAIL");
        tags.Add(AttributeNames.GuardrailName, name);
        tags.Add(AttributeNames.GuardrailMode, GuardrailRunner.ModeName(mode));
        tags.Add(AttributeNames.GuardrailStatus, status);
        tags.Add(AttributeNames.GuardrailResponse, response);
    }
}

/// <summary>
/// Writes a span's first attributes, whose keys are distinct: on a span nobody has tagged yet
/// they are appended, which spares <see cref="Activity.SetTag"/>'s search of the span's tags for
/// each key. A span that already has tags (a sampler's attributes, a listener's enrichment) gets
/// <see cref="Activity.SetTag"/>, so no key is ever recorded twice. Null values are left out.
/// With the request's <see cref="LlmCall"/>, the span holds at most
/// <see cref="TelemetryLimits.MaxAttributesPerSpan"/> attributes and client values are bounded.
/// </summary>
internal struct FirstTags
{
    private readonly Activity _span;
    private readonly LlmCall? _call;
    private readonly bool _untagged;
    private readonly int _maxCount;
    private int _count;
    private int _dropped;

    public FirstTags(Activity span, LlmCall? call = null)
    {
        _span = span;
        _call = call;
        _maxCount = call?.Gateway.Options.Limits.MaxAttributesPerSpan ?? int.MaxValue;
        _untagged = true;
        foreach (var _ in span.EnumerateTagObjects())
        {
            _untagged = false;
            _count++;
        }
    }

    /// <summary>Adds a value of the gateway's own (a constant, a number, a route).</summary>
    public void Add(string key, object? value)
    {
        if (value is null)
        {
            return;
        }

        if (_count >= _maxCount)
        {
            TelemetryText.Count(TelemetryText.Reasons.AttributeLimit);
            _dropped++;
            return;
        }

        _count++;
        if (_untagged)
        {
            _span.AddTag(key, value);
        }
        else
        {
            _span.SetTag(key, value);
        }
    }

    /// <summary>Adds a value a client chose: redacted, cut to the length limit, charged to the request's byte budget.</summary>
    public void AddClient(string key, string? value)
    {
        if (value is not null)
        {
            Add(key, Bound(key, value));
        }
    }

    /// <summary>
    /// Adds a client-chosen map entry as <paramref name="prefix"/> + key, both bounded, the name kept
    /// unique among the map's (<paramref name="names"/>). (A secret-like key's value is already
    /// <see cref="SecretRedaction.Marker"/>: <see cref="LlmMetadata"/> is read so.)
    /// </summary>
    public void AddClient(string prefix, string key, string value, ref UniqueClientKeys names)
    {
        if (_count >= _maxCount)
        {
            TelemetryText.Count(TelemetryText.Reasons.AttributeLimit);
            _dropped++;
            return;
        }

        if (Bound(prefix, key) is { } boundKey)
        {
            var name = prefix + names.Unique(key, boundKey);
            Add(name, Bound(name, value));
        }
    }

    /// <summary>Adds client-chosen strings as one array attribute, each bounded.</summary>
    public void AddClient(string key, string[] values)
    {
        if (_call is null)
        {
            Add(key, values);
            return;
        }

        var bounded = new List<string>(values.Length);
        foreach (var value in values)
        {
            if (Bound(key, value) is { } item)
            {
                bounded.Add(item);
            }
        }

        // An array, not a list: OpenTelemetry exports only arrays as array attributes.
        Add(key, bounded.ToArray());
    }

    /// <summary>A client value as it may be recorded; null once the request's budget is spent.</summary>
    public string? Bound(string key, string value) => _call is null
        ? value
        : TelemetryText.ForSpan(_call, key, value, _call.Gateway.Options.Limits.MaxAttributeValueLength, ref _dropped);

    /// <summary>Marks the span with how many values were cut or left out (<paramref name="earlier"/> before these tags, while reading).</summary>
    public void Complete(int earlier = 0)
    {
        if (_dropped + earlier > 0)
        {
            _span.SetTag(AttributeNames.TelemetryDropped, _dropped + earlier);
        }
    }
}

/// <summary>
/// Keeps the attribute names of a client's map unique once its keys are bounded: two long keys cut
/// to the same text, or two keys redacted alike, would otherwise be one attribute recorded twice.
/// A key that bounding changed and that meets a name already taken gets <c>#2</c>, <c>#3</c>, ...;
/// keys left as sent keep their names (the map's keys are distinct). Nothing is allocated until
/// a key is changed.
/// </summary>
internal struct UniqueClientKeys
{
    private readonly IReadOnlyDictionary<string, string> _map;
    private HashSet<string>? _taken;

    public UniqueClientKeys(IReadOnlyDictionary<string, string> map)
    {
        _map = map;
    }

    /// <summary>The name to record <paramref name="key"/> under, given its bounded form.</summary>
    public string Unique(string key, string boundKey)
    {
        if (string.Equals(key, boundKey, StringComparison.Ordinal))
        {
            return key;
        }

        if (_taken is null)
        {
            _taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sent in _map.Keys)
            {
                _taken.Add(sent);
            }
        }

        var unique = boundKey;
        for (var n = 2; !_taken.Add(unique); n++)
        {
            unique = boundKey + "#" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return unique;
    }
}
