using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;

namespace TracedLlm.Gateway.Tests;

/// <summary>A way an upstream fails without an exception reaching the route's caller (issue 78, item 4).</summary>
public enum UnthrownFault
{
    /// <summary>
    /// YARP's forwarder returns an error (the upstream cut the connection) and the route writes its own 502.
    /// </summary>
    ForwarderErrorAnsweredByHand,

    /// <summary>The upstream answers 500; the route reads it as an answer and answers 200.</summary>
    FailingStatusAnswered200,

    /// <summary>
    /// The upstream's stream ends cleanly, before its end marker (<c>[DONE]</c>, <c>message_stop</c>).
    /// </summary>
    StreamCutBeforeEndMarker,

    /// <summary>
    /// The upstream reports an error inside a success: an error event mid-stream, or an error body under 200.
    /// </summary>
    ErrorEventMidStream,
}

/// <summary>How the route calls its upstream.</summary>
public enum UnthrownPath
{
    /// <summary><c>IHttpForwarder.SendAsync</c> called by the route, inside an attempt it starts.</summary>
    DirectForwarder,

    /// <summary>
    /// An <c>HttpClient</c> whose sends are attempts (<c>AddTracedLlmAttempts()</c>), the body read by the route.
    /// </summary>
    HttpClientAttempts,

    /// <summary>An <c>IChatClient</c> (the OpenAI SDK through M.E.AI) with <c>UseTracedLlm()</c>.</summary>
    ChatClient,

    /// <summary>The relay (TracedLlm.ReverseProxy).</summary>
    Relay,
}

/// <summary>What the client gets in an unthrown cell.</summary>
public enum UnthrownAnswer
{
    /// <summary>
    /// The route's error JSON (the pipeline wrote the answer: it answers the failure in the route's format).
    /// </summary>
    Json,

    /// <summary>
    /// The route's error event ends the stream, no terminal event (a stream cannot become an error status).
    /// </summary>
    StreamErrorEvent,

    /// <summary>The app's own answer, written by hand, unchanged.</summary>
    AppsOwn,

    /// <summary>
    /// The upstream's events as relayed (its own error event among them), then the route's error event.
    /// </summary>
    RelayedThenErrorEvent,

    /// <summary>
    /// The connection cut under the upstream's body the relay was passing on when its end said it failed (or, had it
    /// all gone, that body).
    /// </summary>
    RelayedAsItCame,
}

/// <summary>
/// The documented outcome of an unthrown cell: the status, code, <c>error.type</c> and message of its record, and the
/// answer.
/// </summary>
public sealed record UnthrownExpected(
    int Status, string? Code, string ErrorType, string Message, UnthrownAnswer Answer);

/// <summary>
/// One cell of the unthrown part of the fault matrix: a way to fail × the path to the upstream × format × stream.
/// </summary>
/// <remarks>
/// Each cell must reach the failure path once (one failure span, each failure logger once), end every
/// span, mark the LLM span and the last attempt failed with the cause, and answer in the route's format,
/// or keep the app's own answer.
/// </remarks>
public sealed record UnthrownCell(UnthrownFault Fault, UnthrownPath Path, WireFormat Format, bool Stream)
{
    private const string Truncated = "The upstream provider's response was cut off before its end.";
    private const string Reported = "The upstream provider reported an error in its response.";
    private const string Status500 = "The upstream provider answered 500.";

    /// <summary>Every combination, each with its cell or with why it cannot exist.</summary>
    public static IReadOnlyList<(UnthrownCell Cell, string? WhyNot)> AllCombinations { get; } = (
        from fault in Enum.GetValues<UnthrownFault>()
        from path in Enum.GetValues<UnthrownPath>()
        from format in new[] { WireFormat.OpenAI, WireFormat.Anthropic }
        from stream in new[] { false, true }
        let cell = new UnthrownCell(fault, path, format, stream)
        select (cell, cell.WhyItCannotExist())).ToList();

    /// <summary>The cells that exist.</summary>
    public static IEnumerable<UnthrownCell> All => AllCombinations.Where(c => c.WhyNot is null).Select(c => c.Cell);

    /// <summary>
    /// The route's path suffix for the cell's upstream path (<c>/v1/messages/relay</c>: the path's first resource says
    /// its format).
    /// </summary>
    public string Suffix => Path switch
    {
        UnthrownPath.DirectForwarder => "/fwd",
        UnthrownPath.HttpClientAttempts => "/http",
        UnthrownPath.ChatClient => "/chat",
        _ => "/relay",
    };

    /// <summary>The upstream's wire format: the route's, but the OpenAI SDK's behind the chat client.</summary>
    public WireFormat UpstreamFormat => Path == UnthrownPath.ChatClient ? WireFormat.OpenAI : Format;

    /// <summary>Null when the combination exists; else why it cannot.</summary>
    public string? WhyItCannotExist() => (Fault, Path) switch
    {
        (UnthrownFault.ForwarderErrorAnsweredByHand, not UnthrownPath.DirectForwarder) =>
            "only a route that calls YARP's forwarder itself answers its error by hand "
            + "(the relay answers it as a thrown failure)",
        (not UnthrownFault.ForwarderErrorAnsweredByHand, UnthrownPath.DirectForwarder) =>
            "the forwarder passes the upstream's status and bytes on without reading them: "
            + "a status, an end marker or an event is the relay's to read",
        (UnthrownFault.FailingStatusAnswered200, UnthrownPath.Relay) =>
            "the relay never answers 200 after an error status: it retries or passes the status on "
            + "(the matrix's Upstream × ErrorResult cells)",
        (UnthrownFault.StreamCutBeforeEndMarker, _) when !Stream =>
            "a whole answer has no end marker (a JSON body cut short is a cut connection)",
        (UnthrownFault.ErrorEventMidStream, UnthrownPath.ChatClient) when !Stream =>
            "the OpenAI SDK reads an error body under 200 as an answer with no choice: "
            + "nothing it returns says it failed",
        _ => null,
    };

    /// <summary>The cell's documented outcome.</summary>
    public UnthrownExpected Expected
    {
        get
        {
            var streamed = Stream ? UnthrownAnswer.StreamErrorEvent : UnthrownAnswer.Json;
            var bad = typeof(UpstreamBadResponseException).FullName!;
            const string Forwarder =
                "YARP's forwarder reported Request (HttpRequestException); the application answered 502 Bad Gateway.";
            return (Fault, Path) switch
            {
                (UnthrownFault.ForwarderErrorAnsweredByHand, _) =>
                    new(502, null, typeof(HttpRequestException).FullName!, Forwarder, UnthrownAnswer.AppsOwn),
                (UnthrownFault.FailingStatusAnswered200, _) =>
                    new(500, null, typeof(UpstreamException).FullName!, Status500, streamed),
                (UnthrownFault.StreamCutBeforeEndMarker, _) =>
                    new(502, "upstream_response_truncated", bad, Truncated, streamed),

                // The SDK shows no error event: its stream ends with no finish reason, so it was cut before its end.
                (UnthrownFault.ErrorEventMidStream, UnthrownPath.ChatClient) =>
                    new(502, "upstream_response_truncated", bad, Truncated, streamed),
                (UnthrownFault.ErrorEventMidStream, UnthrownPath.Relay) =>
                    new(502, "upstream_bad_response", bad, Reported, Stream
                        ? UnthrownAnswer.RelayedThenErrorEvent
                        : UnthrownAnswer.RelayedAsItCame),
                _ => new(502, "upstream_bad_response", bad, Reported, streamed),
            };
        }
    }

    public override string ToString() =>
        $"{Fault} × {Path} × {Format} × {(Stream ? "stream" : "whole")}";
}
