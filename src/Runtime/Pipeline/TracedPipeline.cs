using System;
using System.Buffers;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Unicode;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// The steps the generated route pipelines call. The generated code owns the span tree (which
/// span, which parent, when it ends); these steps do the work inside each span. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TracedPipeline
{
    private static readonly ActivitySource Source = TracedLlmTelemetry.Source;

    /// <summary>
    /// Reads the whole body, up to the configured limit. A body that ends because its client left
    /// is thrown as a <see cref="ConnectionAbortedException"/> (see <see cref="LeftWhileSending"/>).
    /// </summary>
    public static async ValueTask<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext httpContext, TracedLlmGateway gateway)
    {
        var limit = gateway.Options.MaxRequestBodyBytes;
        var request = httpContext.Request;
        if (request.ContentLength > limit)
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        var reader = request.BodyReader;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(httpContext.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception exception) when (LeftWhileSending(request, exception))
            {
                throw new ConnectionAbortedException("The client closed the connection before its request body ended.", exception);
            }

            if (read.Buffer.Length > limit)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                var body = read.Buffer.IsEmpty ? ReadOnlyMemory<byte>.Empty : read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);

                // JSON is UTF-8 (RFC 8259): refuse anything else here, once, rather than wherever a string is read.
                if (!Utf8.IsValid(body.Span))
                {
                    throw new InvalidLlmRequestException("The request body is not valid UTF-8 JSON.");
                }

                // Nor can an escaped lone surrogate ("\ud800") become text: found here, not where a string is read.
                if (JsonText.IndexOfLoneSurrogateEscape(body.Span) is var at and >= 0)
                {
                    throw new InvalidLlmRequestException($"The request body is not valid JSON text: the escape at byte {at} is half of a UTF-16 surrogate pair (\\ud800-\\udfff need their other half).");
                }

                return body;
            }

            // Not consumed: ask for more until the body is complete.
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>
    /// True when a body read failed because the client went away: its connection was reset
    /// (<see cref="ConnectionResetException"/>), or it closed before the <c>Content-Length</c> it
    /// declared (such a body has no framing to break, so Kestrel's 400 there says only that).
    /// Kestrel closes the response as it throws, but cancels <see cref="HttpContext.RequestAborted"/>
    /// a moment later, from the thread pool: the failure path, which can run first, knows the client
    /// left from this exception instead (it was a 400 "invalid framing" then). A chunked body cut
    /// short is not told apart from broken chunk framing (Kestrel says 400 for both) and is a 400
    /// unless the request token was cancelled by then.
    /// </summary>
    private static bool LeftWhileSending(HttpRequest request, Exception exception) => exception switch
    {
        ConnectionResetException => true,
        BadHttpRequestException bad => bad.StatusCode == StatusCodes.Status400BadRequest && request.ContentLength is not null,

        // Any other IOException is Kestrel's verdict on the framing (an overflowing chunk size, say).
        _ => false,
    };

    /// <summary>Creates the request's <see cref="LlmCall"/>; <paramref name="startTimestamp"/> is <see cref="Stopwatch.GetTimestamp"/> at the request's start.</summary>
    public static LlmCall CreateCall(HttpContext httpContext, TracedRouteInfo route, RequestEnvelope envelope, TracedLlmGateway gateway, long startTimestamp) =>
        new(httpContext, route, envelope, gateway, startTimestamp);

    /// <summary>
    /// Starts the server span once the caller's authentication is known. A trusted caller's span
    /// joins its context (metadata ids, then <c>traceparent</c>, then none) and records its trace
    /// attributes; an unauthenticated caller's span is a new root with the route only, no link and
    /// no event, so nothing it chose reaches a trace. Never the ambient activity as parent; an
    /// ASP.NET Core request span that a listener records (the instrumentation) is its parent where
    /// the join leads there (the server span is then Internal), and a link where it does not
    /// (<see cref="ServerSpanPlacement"/>).
    /// <paramref name="ambient"/> is <see cref="Activity.Current"/> as the request found it.
    /// </summary>
    public static Activity? StartServerSpan(LlmCall call, Activity? ambient)
    {
        // Nobody listens: no span can start, so there is no trace to join either.
        if (!Source.HasListeners())
        {
            return null;
        }

        var options = call.Gateway.Options;
        var trusted = call.Trust != CallerTrust.Unauthenticated;
        var join = default(TraceJoin);
        if (call.Trust == CallerTrust.Authenticated || (call.Trust == CallerTrust.Open && !options.RequireAuthenticationToJoinTrace))
        {
            StringValues traceParent = default, traceState = default;
            if (!options.IgnoreContextPropagation)
            {
                var headers = call.HttpContext.Request.Headers;
                traceParent = headers.TraceParent;
                traceState = traceParent.Count > 0 ? headers.TraceState : default;
            }

            join = TraceJoin.Resolve(call.Metadata, traceParent, traceState, options.IgnoreContextPropagation);
            call.CallerContext = join.Parent;
        }

        // No implicit parent: the joined context, or a recorded ASP.NET Core request span the join
        // agrees with, is the only parent the server span can get (ServerSpanPlacement).
        var placement = ServerSpanPlacement.Of(ambient, join, trusted);
        if (ambient is not null)
        {
            Activity.Current = null;
        }

        var server = Source.StartActivity(SpanNames.Server, placement.Kind, placement.Parent, tags: null, placement.Links);
        if (server is not null)
        {
            placement.LinkBack?.AddLink(new ActivityLink(server.Context));

            // The request started before its body was read, its caller authenticated and its trace
            // joined: move the start back by the time since then, from the clock reading the span started with.
            server.SetStartTime(server.StartTimeUtc - Stopwatch.GetElapsedTime(call.StartTimestamp));
        }

        call.ServerSpan = server;
        if (server is { IsAllDataRequested: true })
        {
            SpanAttributes.AddServerAttributes(server, call, join, options.DefaultEnvironment);
            if (trusted)
            {
                join.RecordEvents(server);
            }
        }

        return server;
    }

    /// <summary>Starts a child of an in-process span with an explicit parent; no parent, no child (never an orphan).</summary>
    public static Activity? StartChild(string name, ActivityKind kind, Activity? parent) =>
        parent is null ? null : Source.StartActivity(name, kind, parent.Context);

    /// <summary>
    /// Starts a child of a request's span with its Langfuse observation type and the request's
    /// trace-level attributes (those once the caller is authenticated; none before).
    /// </summary>
    public static Activity? StartChild(LlmCall call, string name, ActivityKind kind, Activity? parent, string observationType = LangfuseObservationTypes.Span)
    {
        var span = StartChild(name, kind, parent);
        if (span is { IsAllDataRequested: true })
        {
            var tags = new FirstTags(span, call);
            tags.Add(AttributeNames.LangfuseObservationType, observationType);
            SpanAttributes.AddTraceTags(ref tags, call);
        }

        return span;
    }

    /// <summary>Ends a span and makes <paramref name="current"/> the current activity again; returns null.</summary>
    public static Activity? End(Activity? span, Activity? current)
    {
        if (span is not null)
        {
            span.Stop();
            MakeCurrent(current);
        }

        return null;
    }

    /// <summary>
    /// Makes <paramref name="activity"/> the current activity unless it already is. The check is
    /// not only about the execution-context change: the setter validates an activity through its
    /// W3C <see cref="Activity.Id"/>, which builds a 55-character string on first use.
    /// </summary>
    internal static void MakeCurrent(Activity? activity)
    {
        if (!ReferenceEquals(Activity.Current, activity))
        {
            Activity.Current = activity;
        }
    }

    /// <summary>
    /// Ends the server span and records the response status and the request's metrics. The caller's
    /// ambient activity needs no restoring: an async method's caller keeps its own execution
    /// context, so <see cref="Activity.Current"/> as set inside the pipeline never reaches it.
    /// </summary>
    public static void EndServer(Activity? server, LlmCall call)
    {
        if (server is not null)
        {
            // The failure path records the status it answered with; a success records it here.
            if (server.IsAllDataRequested && call.Failure is null)
            {
                server.SetTag(AttributeNames.HttpResponseStatusCode, call.HttpContext.Response.StatusCode);
            }

            server.Stop();
        }

        // A caller that asked not to be sampled still gets its failures recorded: in a trace of their own, linked to it.
        if (call.Failure is { } failure && server is not { Recorded: true } && call.CallerContext != default)
        {
            RecordUnsampledFailure(call, failure);
        }

        call.EndRequest();
        GatewayMetrics.RecordRequest(call);
    }

    /// <summary>
    /// Records a failed request whose joined trace was not sampled (a <c>traceparent</c> ending
    /// <c>-00</c>): a new root server span and its failure span, with the route, the status and the
    /// failure, and a link to the caller's context. The sampler decides on it as on any new root.
    /// </summary>
    private static void RecordUnsampledFailure(LlmCall call, FailurePath.Failure failure)
    {
        if (!Source.HasListeners())
        {
            return;
        }

        Activity.Current = null;
        var record = Source.StartActivity(SpanNames.Server, ActivityKind.Server, default(ActivityContext), tags: null,
            links: new[] { new ActivityLink(call.CallerContext) }, startTime: DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(call.StartTimestamp));
        if (record is null)
        {
            return;
        }

        if (record.IsAllDataRequested)
        {
            SpanAttributes.AddFailureRecordAttributes(record, call, failure);
        }

        record.SetStatus(ActivityStatusCode.Error, failure.Message);
        var failed = StartChild(SpanNames.Failure, ActivityKind.Internal, record);
        if (failed is not null)
        {
            if (failed.IsAllDataRequested)
            {
                failed.SetTag(AttributeNames.ErrorType, failure.ErrorType);
                failed.SetTag(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
            }

            failed.SetStatus(ActivityStatusCode.Error, failure.Message);
            failed.Stop();
        }

        record.Stop();
    }

    /// <summary>Refuses <c>"stream": true</c> on a route with no streaming handler.</summary>
    public static void RejectStreaming(LlmCall call)
    {
        if (call.Parameters.Stream)
        {
            throw new InvalidLlmRequestException("This route does not stream responses: send \"stream\": false or leave it out.");
        }
    }

    /// <summary>
    /// Writes the handler's chunks as server-sent events, flushing each. The handler resumes under
    /// the LLM span after every chunk; the first chunk's time is the time to first token. The
    /// stream's terminal event is held back for <see cref="CompleteStreamAsync"/>, and the chunks
    /// are kept for the post-call guardrails when there are any.
    /// </summary>
    public static async Task StreamAsync<T>(LlmCall call, IAsyncEnumerable<T> chunks, JsonTypeInfo<T> typeInfo)
    {
        var response = call.HttpContext.Response;
        var format = call.Route.ErrorFormat;
        var cancellation = call.CancellationToken;
        var llm = call.Span;
        var kept = call.Gateway.PostCallGuardrails.Length > 0 ? new List<T>() : null;
        call.StreamedResponse = kept;
        call.StreamStartTimestamp = Stopwatch.GetTimestamp();
        await using var enumerator = chunks.GetAsyncEnumerator(cancellation);
        while (true)
        {
            // Activity.Current does not flow back out of an iterator: set it before each resume.
            if (llm is not null)
            {
                MakeCurrent(llm);
            }

            if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
            {
                break;
            }

            // A chunk that arrives once the request was cancelled (its client left, its deadline
            // passed, a during-call guardrail failed or blocked) is not written: nothing follows a
            // block, and the answer the failure path writes follows no half-sent event.
            cancellation.ThrowIfCancellationRequested();
            var chunk = enumerator.Current;
            kept?.Add(chunk);
            if (call.StreamedChunks++ == 0)
            {
                call.FirstChunkTimestamp = Stopwatch.GetTimestamp();
                ServerSentEvents.Start(response);
            }

            var json = ServerSentEvents.Serialize(chunk, typeInfo);
            var name = ServerSentEvents.EventName(format, json);
            if (call.HeldTerminalEvent is { } early)
            {
                // The handler went on after its terminal event: keep the order it chose.
                call.HeldTerminalEvent = null;
                await ServerSentEvents.WriteEventAsync(response, early, ServerSentEvents.EventName(format, early)).ConfigureAwait(false);
            }

            if (ServerSentEvents.IsTerminal(json, name))
            {
                call.HeldTerminalEvent = json;
            }
            else
            {
                await ServerSentEvents.WriteEventAsync(response, json, name).ConfigureAwait(false);
            }

            call.LastChunkTimestamp = Stopwatch.GetTimestamp();
        }

        if (call.StreamedChunks == 0)
        {
            ServerSentEvents.Start(response);
        }
    }

    /// <summary>The streamed chunks as post-call guardrails see them (a <c>List&lt;TChunk&gt;</c>), or null when no post-call guardrail is registered.</summary>
    public static object? StreamedResponse(LlmCall call) => call.StreamedResponse;

    /// <summary>
    /// Ends a stream once its guardrails are done: the held-back terminal event (Anthropic
    /// <c>message_stop</c>) or OpenAI's <c>data: [DONE]</c>, and the stream's timings on the LLM
    /// span (TTFT, and for Langfuse the instant of the first chunk that TTFT ends at, as its
    /// completion start time). A client that left, or a request timeout that passed, before this
    /// point fails the request: the stream did not end.
    /// </summary>
    public static async Task CompleteStreamAsync(LlmCall call)
    {
        var httpContext = call.HttpContext;
        httpContext.RequestAborted.ThrowIfCancellationRequested();
        var response = httpContext.Response;
        if (call.HeldTerminalEvent is { } terminal)
        {
            call.HeldTerminalEvent = null;
            await ServerSentEvents.WriteEventAsync(response, terminal, ServerSentEvents.EventName(call.Route.ErrorFormat, terminal)).ConfigureAwait(false);
        }
        else if (call.Route.ErrorFormat != WireFormat.Anthropic)
        {
            await ServerSentEvents.WriteDoneAsync(response).ConfigureAwait(false);
        }

        if (call.Span is { IsAllDataRequested: true } span)
        {
            var (timeToFirstToken, timePerOutputToken) = StreamTimings(call);
            span.SetTag(AttributeNames.StreamChunks, call.StreamedChunks);
            if (timeToFirstToken is { } ttft)
            {
                span.SetTag(AttributeNames.TimeToFirstToken, ttft);
                span.SetTag(AttributeNames.LangfuseCompletionStartTime, CompletionStartTime(call.FirstChunkTimestamp));
            }

            if (timePerOutputToken is { } tpot)
            {
                span.SetTag(AttributeNames.TimePerOutputToken, tpot);
            }
        }
    }

    /// <summary>
    /// The UTC instant of a <see cref="Stopwatch"/> timestamp in the past, as ISO 8601 with
    /// microseconds (the form Langfuse parses): the wall clock now, less the time elapsed since.
    /// </summary>
    internal static string CompletionStartTime(long timestamp)
    {
        var instant = DateTime.UtcNow - Stopwatch.GetElapsedTime(timestamp);
        return instant.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>TTFT from the start of the stream (the streaming handler's start) to the first chunk; TPOT over the output tokens after the first.</summary>
    internal static (double? TimeToFirstToken, double? TimePerOutputToken) StreamTimings(LlmCall call)
    {
        if (call.FirstChunkTimestamp == 0)
        {
            return (null, null);
        }

        var ttft = Stopwatch.GetElapsedTime(call.StreamStartTimestamp, call.FirstChunkTimestamp).TotalSeconds;
        double? tpot = call.OutputTokens is > 1 and { } tokens
            ? Stopwatch.GetElapsedTime(call.FirstChunkTimestamp, call.LastChunkTimestamp == 0 ? Stopwatch.GetTimestamp() : call.LastChunkTimestamp).TotalSeconds / (tokens - 1)
            : null;
        return (ttft, tpot);
    }

    /// <summary>
    /// Runs the authenticator before any span exists (it reads headers, and may read the call's
    /// metadata, but nothing is recorded yet). Never throws: the outcome and its timing are kept on
    /// the call, <see cref="StartServerSpan"/> decides from it what the trace may hold, and
    /// <see cref="ThrowIfUnauthenticated"/> raises a refusal once the spans exist.
    /// </summary>
    public static ValueTask AuthenticateAsync(LlmCall call)
    {
        var authenticator = call.Gateway.Authenticator;
        if (authenticator is null)
        {
            return ValueTask.CompletedTask;
        }

        if (Source.HasListeners())
        {
            call.Authentication.StartTimestamp = Stopwatch.GetTimestamp();
        }

        ValueTask<AuthResult> pending;
        try
        {
            pending = authenticator.AuthenticateAsync(call, call.HttpContext.RequestAborted);
        }
        catch (Exception exception)
        {
            Refuse(call, exception);
            return ValueTask.CompletedTask;
        }

        // Most authenticators answer synchronously (a cached key look-up): no async state machine then.
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAuthenticationAsync(pending, call);
        }

        Authenticated(call, pending.Result);
        return ValueTask.CompletedTask;
    }

    private static async ValueTask AwaitAuthenticationAsync(ValueTask<AuthResult> pending, LlmCall call)
    {
        AuthResult result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Refuse(call, exception);
            return;
        }

        Authenticated(call, result);
    }

    private static void Authenticated(LlmCall call, AuthResult result)
    {
        if (!result.Succeeded)
        {
            Refuse(call, new LlmAuthenticationException(result.FailureMessage ?? "Authentication failed.", result.Forbidden));
            return;
        }

        ref var state = ref call.Authentication;
        state.Trust = CallerTrust.Authenticated;
        state.KeyHash = result.KeyHash;
        state.EndTimestamp = state.StartTimestamp == 0 ? 0 : Stopwatch.GetTimestamp();
        call.UserApiKeyHash = result.KeyHash;
    }

    private static void Refuse(LlmCall call, Exception exception)
    {
        ref var state = ref call.Authentication;
        state.Trust = CallerTrust.Unauthenticated;
        state.Failure = ExceptionDispatchInfo.Capture(exception);
        state.EndTimestamp = state.StartTimestamp == 0 ? 0 : Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Records the <c>auth</c> span under the server span with the authenticator's own start and
    /// end: it ran before the server span existed. Left open (its end time already set) so that a
    /// refusal marks it before it ends; null when no authenticator is registered or nothing records.
    /// </summary>
    public static Activity? StartAuthSpan(LlmCall call, Activity? server)
    {
        if (server is null || call.Gateway.Authenticator is null)
        {
            return null;
        }

        var state = call.Authentication;
        var startTimestamp = state.StartTimestamp == 0 ? Stopwatch.GetTimestamp() : state.StartTimestamp;
        var endTimestamp = state.EndTimestamp == 0 ? startTimestamp : state.EndTimestamp;

        // The server span's start is the request's start timestamp: both ends are placed from it on one clock.
        var auth = Source.StartActivity(SpanNames.Auth, ActivityKind.Internal, server.Context, tags: null, links: null,
            startTime: server.StartTimeUtc + Stopwatch.GetElapsedTime(call.StartTimestamp, startTimestamp));
        if (auth is null)
        {
            return null;
        }

        if (auth.IsAllDataRequested)
        {
            // An authenticated caller's auth span carries the trace-level attributes like its other spans; a refused one's nothing it chose.
            var tags = new FirstTags(auth, call);
            tags.Add(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Span);
            tags.Add(AttributeNames.UserApiKeyHash, state.KeyHash);
            SpanAttributes.AddTraceTags(ref tags, call);
        }

        auth.SetEndTime(server.StartTimeUtc + Stopwatch.GetElapsedTime(call.StartTimestamp, endTimestamp));
        return auth;
    }

    /// <summary>Raises the authenticator's refusal (or failure), now that the spans that record it exist.</summary>
    public static void ThrowIfUnauthenticated(LlmCall call) => call.Authentication.Failure?.Throw();

    /// <summary>Deserializes the body (the slot removed) into the handler's request type.</summary>
    public static T ReadRequest<T>(LlmCall call, JsonTypeInfo<T> typeInfo)
    {
        call.Envelope.ThrowIfInvalid();
        if (call.UpstreamBody.IsEmpty)
        {
            throw new InvalidLlmRequestException("The request body is empty: send a JSON object.");
        }

        try
        {
            return JsonSerializer.Deserialize(call.UpstreamBody.Span, typeInfo)
                ?? throw new InvalidLlmRequestException("The request body must be a JSON object.");
        }
        catch (JsonException exception)
        {
            // Said in the client's terms (a JSON path, JSON kinds), never the handler's C# types.
            throw new InvalidLlmRequestException(RequestMismatch.Describe(exception.Path, typeInfo, call.UpstreamBody.Span), exception);
        }
    }

    /// <summary>Checks the body when the handler takes none.</summary>
    public static void ValidateBody(LlmCall call) => call.Envelope.ThrowIfInvalid();

    /// <summary>
    /// Starts the LLM span (named by metadata <c>generation_name</c>) under the server span, with its
    /// GenAI request attributes; captured input content goes on the server span too (Langfuse's trace input).
    /// </summary>
    public static Activity? StartLlmSpan(LlmCall call, Activity? server)
    {
        var llm = server is null ? null : StartChild(SpanAttributes.LlmSpanName(call), ActivityKind.Client, server);
        call.Span = llm;
        if (llm is { IsAllDataRequested: true }
            && SpanAttributes.AddLlmRequestAttributes(llm, call) is { } input
            && server is { IsAllDataRequested: true })
        {
            server.SetTag(AttributeNames.LangfuseObservationInput, input);
        }

        return llm;
    }

    /// <summary>Runs the pre-call or post-call guardrails in order; the first block stops the request.</summary>
    public static ValueTask RunGuardrailsAsync(LlmCall call, GuardrailMode mode, object? request, object? response)
    {
        var guardrails = mode == GuardrailMode.PreCall ? call.Gateway.PreCallGuardrails : call.Gateway.PostCallGuardrails;
        return guardrails.Length == 0 ? ValueTask.CompletedTask : GuardrailRunner.RunInOrderAsync(call, guardrails, mode, request, response);
    }

    /// <summary>Starts the during-call guardrails beside the handler.</summary>
    public static void StartDuringCallGuardrails(LlmCall call, object? request)
    {
        var guardrails = call.Gateway.DuringCallGuardrails;
        if (guardrails.Length > 0)
        {
            call.DuringCallGuardrails = GuardrailRunner.RunConcurrentlyAsync(call, guardrails, request, call.CreateDuringCallCancellation());
        }
    }

    /// <summary>
    /// Waits for the during-call guardrails. A block or a guardrail's failure fails the request even
    /// when the handler succeeded; so does a guardrail stopped because the client left or the
    /// request timed out (the guardrails did not finish, so the response may not be given).
    /// </summary>
    public static ValueTask CompleteDuringCallGuardrailsAsync(LlmCall call) =>
        call.DuringCallGuardrails is { } pending ? AwaitDuringCallAsync(pending) : ValueTask.CompletedTask;

    private static async ValueTask AwaitDuringCallAsync(Task<Exception?> pending)
    {
        if (await pending.ConfigureAwait(false) is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>
    /// Records the result as the LLM span's output, and the server span's (Langfuse's trace output),
    /// when content capture is on (and the request did not ask for <c>mask_output</c>); the
    /// serialized bytes are kept for the response.
    /// </summary>
    public static void RecordOutput<T>(LlmCall call, T result, JsonTypeInfo<T> typeInfo)
    {
        var options = call.Gateway.Options;
        if (options.CaptureMessageContent && !call.Metadata.MaskOutput && call.Span is { IsAllDataRequested: true } span)
        {
            call.SerializedResult = JsonSerializer.SerializeToUtf8Bytes(result, typeInfo);
            var output = SpanAttributes.Content(call, AttributeNames.LangfuseObservationOutput, call.SerializedResult);
            span.SetTag(AttributeNames.LangfuseObservationOutput, output);
            if (call.ServerSpan is { IsAllDataRequested: true } server)
            {
                server.SetTag(AttributeNames.LangfuseObservationOutput, output);
            }
        }
    }

    /// <summary>
    /// Writes a handler's typed result as JSON (status 200). A client that left, or a request
    /// timeout that passed, before this point fails the request; once started, the write is not
    /// cancelled (see <see cref="ServerSentEvents"/>: Kestrel would cut the connection mid-body).
    /// </summary>
    public static Task WriteResultAsync<T>(LlmCall call, T result, JsonTypeInfo<T> typeInfo)
    {
        call.HttpContext.RequestAborted.ThrowIfCancellationRequested();
        var response = call.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (call.SerializedResult is { } serialized)
        {
            response.ContentType = "application/json";
            response.ContentLength = serialized.Length;
            return response.Body.WriteAsync(serialized, CancellationToken.None).AsTask();
        }

        return response.WriteAsJsonAsync(result, typeInfo, contentType: "application/json", CancellationToken.None);
    }

    /// <summary>Executes a handler's <see cref="IResult"/>.</summary>
    public static Task WriteResultAsync(LlmCall call, IResult result) => result.ExecuteAsync(call.HttpContext);
}
