using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// Writes a streaming handler's chunks as server-sent events in the route's wire format
/// (<see cref="ServerSentEvents"/>), under the LLM span.
/// </summary>
/// <remarks>
/// Each chunk flushed as it comes, the stream's terminal event held back until the post-call guardrails are done, and
/// the stream's timings (time to first token and per output token) recorded on the LLM span. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StreamStage
{
    /// <summary>
    /// Writes the handler's chunks as server-sent events, flushing each. The handler resumes under
    /// the LLM span after every chunk; the first chunk's time is the time to first token. The
    /// stream's terminal event is held back for <see cref="CompleteAsync"/>, and the chunks
    /// are kept for the post-call guardrails when there are any.
    /// </summary>
    public static async Task WriteAsync<T>(LlmCall call, IAsyncEnumerable<T> chunks, JsonTypeInfo<T> typeInfo)
    {
        var response = call.HttpContext.Response;
        var format = call.Route.ErrorFormat;
        var cancellation = call.CancellationToken;
        var llm = call.Span;
        var kept = call.Gateway.PostCallGuardrails.Length > 0 ? new List<T>() : null;
        call.StreamedResponse = kept;
        var structured = call.StreamedOutput = LlmStage.StartStreamedOutput(call);
        if (call.StreamStartTimestamp == 0)
        {
            call.StreamStartTimestamp = Stopwatch.GetTimestamp();
        }
        await using var enumerator = chunks.GetAsyncEnumerator(cancellation);
        while (true)
        {
            // Activity.Current does not flow back out of an iterator: set it before each resume.
            if (llm is not null)
            {
                Spans.MakeCurrent(llm);
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
            structured?.Add(json);
            var name = ServerSentEvents.EventName(format, json);
            if (call.HeldTerminalEvent is { } early)
            {
                // The handler went on after its terminal event: keep the order it chose.
                call.HeldTerminalEvent = null;
                await ServerSentEvents.WriteEventAsync(response, early, ServerSentEvents.EventName(format, early))
                    .ConfigureAwait(false);
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

    /// <summary>
    /// The hook for a result that writes a stream's events itself (the relay's): reports that an
    /// event has gone to the client. From the first one on, a failure ends the stream with an error
    /// event in the route's format instead of cutting the connection, and the stream's chunk count
    /// and the times of its first and last event are the ones <see cref="Timings"/> reads.
    /// </summary>
    public static void ReportEventWritten(LlmCall call)
    {
        System.ArgumentNullException.ThrowIfNull(call);
        var now = Stopwatch.GetTimestamp();
        if (call.StreamedChunks++ == 0)
        {
            call.FirstChunkTimestamp = now;
        }

        call.LastChunkTimestamp = now;
    }

    /// <summary>
    /// The streamed chunks as post-call guardrails see them (a <c>List&lt;TChunk&gt;</c>), or null when no post-call
    /// guardrail is registered.
    /// </summary>
    public static object? Chunks(LlmCall call) => call.StreamedResponse;

    /// <summary>Ends a stream once its guardrails are done.</summary>
    /// <remarks>
    /// Writes the held-back terminal event (Anthropic <c>message_stop</c>) or OpenAI's <c>data: [DONE]</c>, and records
    /// the stream's timings on the LLM span (TTFT, and for Langfuse the instant of the first chunk that TTFT ends at,
    /// as its completion start time). A client that left, or a request timeout that passed, before this point fails
    /// the request: the stream did not end.
    /// </remarks>
    public static async Task CompleteAsync(LlmCall call)
    {
        var httpContext = call.HttpContext;
        httpContext.RequestAborted.ThrowIfCancellationRequested();
        var response = httpContext.Response;
        if (call.HeldTerminalEvent is { } terminal)
        {
            call.HeldTerminalEvent = null;
            await ServerSentEvents.WriteEventAsync(
                    response, terminal, ServerSentEvents.EventName(call.Route.ErrorFormat, terminal))
                .ConfigureAwait(false);
        }
        else if (call.Route.ErrorFormat != WireFormat.Anthropic)
        {
            await ServerSentEvents.WriteDoneAsync(response).ConfigureAwait(false);
        }

        if (call.StreamedOutput is { } structured)
        {
            structured.Complete();
            LlmStage.RecordStreamedOutput(
                call, structured.Text, structured.FinishReason is { } reason ? [reason] : null);
        }

        RecordTimings(call);
    }

    /// <summary>Starts a relayed response (TracedLlm.ReverseProxy).</summary>
    /// <remarks>
    /// The time to first token is measured from here, and <paramref name="attemptResponseHeaders"/> says whether this
    /// call's attempts write the <c>x-litellm-attempted-*</c> response headers (the relay's own setting, not
    /// <see cref="TracedLlmOptions.AttemptResponseHeaders"/>). Call it before the first attempt.
    /// </remarks>
    internal static void BeginRelay(LlmCall call, bool attemptResponseHeaders)
    {
        ArgumentNullException.ThrowIfNull(call);
        call.StreamStartTimestamp = Stopwatch.GetTimestamp();
        call.AttemptResponseHeaders = attemptResponseHeaders;
    }

    /// <summary>
    /// Says whether an error event may follow the relayed body the client has. It may when the body
    /// is an event stream in no content coding whose bytes passed on end between events: from the
    /// first byte on, a failure then ends it with an error event in the route's format, whether or
    /// not an event came before it (a stream of comments only, an upstream's keep-alive, is still a
    /// stream). It may not when the body is not an event stream, is in a content coding (an event
    /// appended in plain text would not decode), or ends inside an event (the error would be read as
    /// the rest of that event): a failure after the first byte then cuts the connection instead, so
    /// the client never takes the body for a whole one. Call it for each attempt whose answer goes
    /// on to the client, and again when what it passed on changes the answer.
    /// </summary>
    internal static void ReportRelayedBodyTakesEvents(LlmCall call, bool takesEvents)
    {
        ArgumentNullException.ThrowIfNull(call);
        call.RelayedBodyTakesEvents = takesEvents;
    }

    /// <summary>
    /// Records a relayed stream's timings on the LLM span, as <see cref="CompleteAsync"/> does for a handler's stream.
    /// </summary>
    internal static void CompleteRelay(LlmCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        RecordTimings(call);
    }

    /// <summary>
    /// The stream's chunk count, TTFT (with Langfuse's completion start time) and TPOT on the LLM span.
    /// </summary>
    private static void RecordTimings(LlmCall call)
    {
        if (call.Span is { IsAllDataRequested: true } span)
        {
            var (timeToFirstToken, timePerOutputToken) = Timings(call);
            span.SetTag(AttributeNames.StreamChunks, call.StreamedChunks);
            if (timeToFirstToken is { } ttft)
            {
                span.SetTag(AttributeNames.TimeToFirstToken, ttft);
                span.SetTag(AttributeNames.LangfuseCompletionStartTime, CompletionStartTime(call.FirstChunkTimestamp));
            }

            // The 1.41 measure: from the answering attempt's send, not the handler's start.
            if (AttemptMetrics.Records(call) && AttemptMetrics.TimeToFirstChunkOf(call) is { } ttfc)
            {
                span.SetTag(AttributeNames.GenAiResponseTimeToFirstChunk, ttfc);
            }

            if (timePerOutputToken is { } tpot)
            {
                span.SetTag(AttributeNames.TimePerOutputToken, tpot);
            }
        }
    }

    /// <summary>
    /// TTFT from the start of the stream (the handler's start) to the first chunk; TPOT over the output tokens after
    /// the first.
    /// </summary>
    internal static (double? TimeToFirstToken, double? TimePerOutputToken) Timings(LlmCall call)
    {
        if (call.FirstChunkTimestamp == 0)
        {
            return (null, null);
        }

        var ttft = Stopwatch.GetElapsedTime(call.StreamStartTimestamp, call.FirstChunkTimestamp).TotalSeconds;
        double? tpot = call.OutputTokens is > 1 and { } tokens
            ? Stopwatch.GetElapsedTime(
                    call.FirstChunkTimestamp,
                    call.LastChunkTimestamp == 0 ? Stopwatch.GetTimestamp() : call.LastChunkTimestamp).TotalSeconds
                / (tokens - 1)
            : null;
        return (ttft, tpot);
    }

    /// <summary>
    /// The UTC instant of a <see cref="Stopwatch"/> timestamp in the past, as ISO 8601 with
    /// microseconds (the form Langfuse parses): the wall clock now, less the time elapsed since.
    /// </summary>
    internal static string CompletionStartTime(long timestamp)
    {
        var instant = System.DateTime.UtcNow - Stopwatch.GetElapsedTime(timestamp);
        return instant.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }
}
