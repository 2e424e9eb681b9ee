using System;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Gateway.Tests;

/// <summary>Where a fault is injected: every component a traced request passes through.</summary>
public enum FaultSite
{
    Authenticator,

    /// <summary>
    /// The app's own MVC action filter, which runs after model binding and before the action (a controller route's
    /// only).
    /// </summary>
    AppFilter,

    PreCallGuardrail,
    DuringCallGuardrail,
    PostCallGuardrail,
    HandlerBeforeLlmCall,

    /// <summary>
    /// The LLM attempt: the whole call when not streamed, the stream before its first chunk when streamed.
    /// </summary>
    Upstream,

    /// <summary>
    /// The gateway's own target chooser (<c>LlmCall.ExecuteAsync(chooseTarget, ...)</c> / <c>StreamAsync</c>), asked
    /// after its first attempt failed.
    /// </summary>
    TargetChooser,
    StreamAfterFirstChunk,
    FailureLogger,
}

/// <summary>How the component fails.</summary>
public enum Fault
{
    SyncThrow,
    AsyncThrow,

    /// <summary>An <see cref="OperationCanceledException"/> of the component's own, not the client's.</summary>
    OwnCancellation,

    /// <summary>A <see cref="TimeoutException"/> of the component's own (its own dependency was slow).</summary>
    OwnTimeout,

    /// <summary>
    /// The component's "no": an authenticator's failure, a guardrail's block verdict, a block thrown by handler code.
    /// </summary>
    Block,
    DisconnectBeforeResponse,
    DisconnectAfterResponseStarted,

    /// <summary>ASP.NET Core's request timeout fires while the component runs.</summary>
    ServerRequestTimeout,

    /// <summary>The upstream layer reports that the provider did not answer in time.</summary>
    UpstreamTimeout,

    /// <summary>
    /// The component answers with an error result of its own (status 400 or more): the handler's
    /// <c>Results.Problem(...)</c>, or the upstream's error answer relayed as it came.
    /// </summary>
    ErrorResult,
}

/// <summary>
/// When, in a stream, a fault or a client's departure lands. The status line leaves with the first
/// chunk, so "the response starts" is the stream's handler starting: before it a failure is a JSON
/// error, so it is between the start and the first chunk; after the first chunk it is an error event.
/// </summary>
public enum Landing
{
    /// <summary>Before the streaming handler reaches its upstream (the handler's own code holds).</summary>
    BeforeResponse,

    /// <summary>The upstream attempt has started; its first chunk has not come.</summary>
    BeforeFirstChunk,

    /// <summary>The first chunk is written; the second has not come.</summary>
    BetweenChunks,
}

/// <summary>The kind of route a cell's request goes to.</summary>
public enum RouteKind
{
    /// <summary>A static handler that answers with its own response or chunks.</summary>
    Typed,

    /// <summary>
    /// A relay (TracedLlm.ReverseProxy): the upstream is an HTTP peer whose bytes the relay passes on.
    /// </summary>
    Relay,

    /// <summary>
    /// The typed handler's work as an MVC [ApiController] action, with the app's exception handler middleware.
    /// </summary>
    Controller,

    /// <summary>
    /// The typed handler on a route that keeps ASP.NET Core's answers (<c>LlmErrorResponses.Host</c>): the app's
    /// exception handler middleware answers what the handler lets escape; the pipeline's own errors are problem
    /// details.
    /// </summary>
    Host,
}

/// <summary>What the client gets.</summary>
public enum Answer
{
    /// <summary>A JSON error body in the route's format.</summary>
    Json,

    /// <summary>An error event in the stream, in the route's format, and no terminal event.</summary>
    StreamErrorEvent,

    /// <summary>Nothing: the client is gone.</summary>
    Nothing,

    /// <summary>The error result's own status, headers and body, unchanged.</summary>
    ErrorResultsOwn,

    /// <summary>
    /// The app's own exception handling's answer (its problem details, 500), unchanged: the app's own exception on a
    /// controller route, or on a route that keeps ASP.NET Core's answers.
    /// </summary>
    AppsOwn,

    /// <summary>The pipeline's own error as problem details (a route that keeps ASP.NET Core's answers).</summary>
    Problem,
}

/// <summary>
/// The documented outcome of a failure: status, code, <c>error.type</c>, the message the client and the spans read, and
/// how it is answered.
/// </summary>
public sealed record Expected(int Status, string? Code, string ErrorType, string Message, Answer Answer);

/// <summary>
/// One cell of the fault matrix: a component, a way to fail, a wire format, streamed or not, and the
/// kind of route: a typed one (the handler answers with its own response or chunks), a relay
/// (TracedLlm.ReverseProxy: the upstream is an HTTP peer whose bytes the relay passes on, the
/// upstream faults injected into its HTTP client and its response's body), or the typed handler's
/// work as an MVC controller action, inside MVC's own invocation.
/// </summary>
public sealed record FaultCell(
    FaultSite Site, Fault Fault, WireFormat Format, bool Stream, RouteKind Route = RouteKind.Typed)
{
    /// <summary>True for the relay's cells.</summary>
    public bool Relay => Route == RouteKind.Relay;

    public const string BlockMessage = "Blocked by the fault matrix.";
    public const string AuthFailureMessage = "Refused by the fault matrix.";

    /// <summary>
    /// The handler's own error result (<c>Results.Problem</c>): its title, in the problem details the client reads.
    /// </summary>
    public const string ProblemTitle = "Every backend of the fault matrix is draining.";

    /// <summary>The upstream's error answer, relayed as it came, with its <c>Retry-After</c>.</summary>
    public const string UpstreamErrorBody =
        """{"error":{"message":"Rate limit reached for gpt in the fault matrix.","type":"requests","param":"""
        + """null,"code":"rate_limit_exceeded"}}""";
    public const string UpstreamRetryAfter = "7";
    private const string InternalError = "The gateway failed to handle the request.";

    /// <summary>Every combination of the five dimensions, each with its cell or with why it cannot exist.</summary>
    public static IReadOnlyList<(FaultCell Cell, string? WhyNot)> AllCombinations { get; } = (
        from site in Enum.GetValues<FaultSite>()
        from fault in Enum.GetValues<Fault>()
        from format in new[] { WireFormat.OpenAI, WireFormat.Anthropic }
        from stream in new[] { false, true }
        from route in Enum.GetValues<RouteKind>()
        let cell = new FaultCell(site, fault, format, stream, route)
        select (cell, cell.WhyItCannotExist())).ToList();

    /// <summary>The cells that can exist: the matrix the tests run.</summary>
    public static IEnumerable<FaultCell> All => AllCombinations.Where(c => c.WhyNot is null).Select(c => c.Cell);

    /// <summary>Null when the combination exists; else why it cannot.</summary>
    public string? WhyItCannotExist()
    {
        var runsAfterFirstChunk = Stream && (Site is FaultSite.StreamAfterFirstChunk or FaultSite.PostCallGuardrail);
        var runsBeforeFirstChunk = Site is FaultSite.Authenticator or FaultSite.AppFilter or FaultSite.PreCallGuardrail
            or FaultSite.HandlerBeforeLlmCall or FaultSite.Upstream or FaultSite.TargetChooser;
        return (Site, Fault) switch
        {
            (FaultSite.AppFilter, _) when Route != RouteKind.Controller =>
                "only a controller route has the app's MVC filters",
            (FaultSite.AppFilter, Fault.Block) => "a filter's no is the result it answers with: the ErrorResult cell",
            (FaultSite.TargetChooser, Fault.AsyncThrow) =>
                "a target chooser is synchronous: what it throws is the SyncThrow cell",
            (FaultSite.TargetChooser, Fault.DisconnectBeforeResponse or Fault.ServerRequestTimeout) =>
                "a target chooser is synchronous: it does not wait for the client or the deadline",
            (FaultSite.StreamAfterFirstChunk, _) when !Stream => "a response that is not streamed has no chunks",
            (FaultSite.FailureLogger, Fault.Block) =>
                "a failure logger has no verdict (a block it throws is an exception like any other: the throw cells)",
            (not (FaultSite.Upstream or FaultSite.StreamAfterFirstChunk), Fault.UpstreamTimeout) =>
                "only the upstream call has an upstream deadline (a component's own timeout is its OwnTimeout cell)",
            (not (FaultSite.HandlerBeforeLlmCall or FaultSite.Upstream or FaultSite.AppFilter), Fault.ErrorResult) =>
                "only the handler (or a controller's filter before it) answers with a result of its own: its own "
                + "error result, or the upstream's error answer it relays (after the first chunk the response has "
                + "started: the StreamAfterFirstChunk cells)",
            (FaultSite.FailureLogger, Fault.DisconnectBeforeResponse) =>
                "the failure logger runs after the error response is written",
            (_, Fault.DisconnectBeforeResponse) when runsAfterFirstChunk =>
                "it runs after the stream's first chunk was written: the response has started",
            (not FaultSite.FailureLogger, Fault.DisconnectAfterResponseStarted) when !Stream =>
                "a response that is not streamed starts only when the finished result is written, and after that only "
                + "the failure logger runs",
            (_, Fault.DisconnectAfterResponseStarted) when runsBeforeFirstChunk =>
                "it runs before the stream's first chunk: the response has not started",
            _ => null,
        };
    }

    /// <summary>
    /// True when the stream has sent chunks before the fault: the failure is an error event. A
    /// streamed request's during-call guardrail fails after the stream's content unless it throws
    /// synchronously (before the handler starts) or the client leaves before the first chunk.
    /// </summary>
    public bool StreamStartsFirst => Stream && (Site is FaultSite.StreamAfterFirstChunk or FaultSite.PostCallGuardrail
        || (Site == FaultSite.DuringCallGuardrail && Fault is not (Fault.SyncThrow or Fault.DisconnectBeforeResponse)));

    /// <summary>
    /// The failure logger's cells fail the request first with a pre-call block (400), then the
    /// logger fails; every other cell's failure is its own fault.
    /// </summary>
    public Expected Expected => ExpectedWhen(StreamStartsFirst);

    /// <summary>The cell's outcome, its answer an error event when the stream had started by then.</summary>
    public Expected ExpectedWhen(bool streamStarted)
    {
        if (Site == FaultSite.FailureLogger)
        {
            return new Expected(400, "guardrail_blocked", typeof(GuardrailBlockedException).FullName!, BlockMessage,
                Route == RouteKind.Host ? Answer.Problem : Answer.Json);
        }

        if (AppAnswers && !streamStarted)
        {
            // An action's own exception goes on to the app's exception handler, which answers 500 in its own shape.
            var thrown = Fault switch
            {
                Fault.OwnCancellation => typeof(OperationCanceledException),
                Fault.OwnTimeout => typeof(TimeoutException),
                _ => typeof(FaultInjectedException),
            };
            return new Expected(500, null, thrown.FullName!,
                $"{thrown.Name} was thrown; the application answered 500 Internal Server Error.", Answer.AppsOwn);
        }

        var answer = streamStarted ? Answer.StreamErrorEvent : Route == RouteKind.Host ? Answer.Problem : Answer.Json;
        return Fault switch
        {
            Fault.SyncThrow or Fault.AsyncThrow =>
                new Expected(500, "internal_error", typeof(FaultInjectedException).FullName!, InternalError, answer),
            Fault.OwnCancellation => new Expected(500, "internal_error", typeof(OperationCanceledException).FullName!,
                InternalError, answer),
            // The upstream call's own timeout says the upstream did not answer in time (retryable,
            // 504); any other component's timeout is a fault of the gateway's own code (500).
            Fault.OwnTimeout when Site is FaultSite.Upstream or FaultSite.StreamAfterFirstChunk => new Expected(504,
                "upstream_timeout", typeof(UpstreamTimeoutException).FullName!,
                "The upstream provider did not answer in time.", answer),
            Fault.OwnTimeout =>
                new Expected(500, "internal_error", typeof(TimeoutException).FullName!, InternalError, answer),
            Fault.Block when Site == FaultSite.Authenticator =>
                new Expected(401, null, typeof(LlmAuthenticationException).FullName!, AuthFailureMessage, answer),
            Fault.Block => new Expected(400, "guardrail_blocked", typeof(GuardrailBlockedException).FullName!,
                BlockMessage, answer),
            Fault.DisconnectBeforeResponse or Fault.DisconnectAfterResponseStarted => new Expected(499,
                "client_disconnected", "client_disconnected", "The client closed the request.", Answer.Nothing),
            Fault.ServerRequestTimeout => new Expected(504,
                "request_timeout", "request_timeout", "The request took longer than this gateway allows.", answer),
            Fault.UpstreamTimeout => new Expected(504,
                "upstream_timeout", typeof(UpstreamTimeoutException).FullName!,
                "The upstream provider did not answer in time.", answer),

            // error.type is the status, as OpenTelemetry's HTTP conventions record an error status;
            // the description is the pipeline's (the handler's) or the relay's (the upstream's).
            Fault.ErrorResult when Site == FaultSite.Upstream =>
                new Expected(429, null, "429", "The upstream provider answered 429.", Answer.ErrorResultsOwn),
            Fault.ErrorResult when Site == FaultSite.AppFilter => new Expected(503, null, "503",
                "A filter answered 503 Service Unavailable before the action ran.", Answer.ErrorResultsOwn),
            Fault.ErrorResult => new Expected(503, null, "503",
                "The route's handler answered 503 Service Unavailable.", Answer.ErrorResultsOwn),
            _ => throw new ArgumentOutOfRangeException(nameof(Fault)),
        };
    }

    /// <summary>
    /// True when a controller route's app, or the app's exception handling on a route that keeps ASP.NET Core's
    /// answers, answers the failure itself: the app's own code (its MVC filter, the handler's step, the upstream
    /// call, the target chooser) threw an exception that is not TracedLlm's, before the response started. A
    /// component's own timeout is the upstream's <see cref="UpstreamTimeoutException"/> (TracedLlm's) at the
    /// upstream, the action's elsewhere.
    /// </summary>
    public bool AppAnswers => Route is RouteKind.Controller or RouteKind.Host && (Site, Fault) switch
    {
        (FaultSite.HandlerBeforeLlmCall or FaultSite.Upstream or FaultSite.TargetChooser,
            Fault.SyncThrow or Fault.AsyncThrow or Fault.OwnCancellation) => true,
        (FaultSite.HandlerBeforeLlmCall or FaultSite.TargetChooser, Fault.OwnTimeout) => true,
        (FaultSite.AppFilter, Fault.SyncThrow or Fault.AsyncThrow or Fault.OwnCancellation or Fault.OwnTimeout) => true,
        _ => false,
    };

    /// <summary>
    /// The fault makes the component wait until it is cancelled (the client leaves, the deadline passes).
    /// </summary>
    public bool Hangs =>
        Fault is Fault.DisconnectBeforeResponse or Fault.DisconnectAfterResponseStarted or Fault.ServerRequestTimeout;

    public override string ToString() =>
        $"{Site} × {Fault} × {Format} × {(Stream ? "stream" : "whole")} × {Route.ToString().ToLowerInvariant()}";
}

/// <summary>
/// The cells of the upstream component as an app's own HttpClient makes it: a route whose provider
/// service sends through a named client with Polly's retry and <c>AddTracedLlmAttempts()</c>
/// (tests/Gateway.AttemptRoutes), the fault injected below every handler of the client, at the
/// network (<see cref="FaultSite.Upstream"/>), or into the body the service reads
/// (<see cref="FaultSite.StreamAfterFirstChunk"/>). Every such cell of the typed route, under
/// <see cref="Prefix"/>; the other components are the route's, the same for any handler.
/// </summary>
public static class HttpClientCells
{
    /// <summary>Where the HttpClient routes are mapped (after a deadline's prefix).</summary>
    public const string Prefix = "/attempts";

    public static IEnumerable<FaultCell> All => FaultCell.All
        .Where(c => c.Route == RouteKind.Typed && c.Site is FaultSite.Upstream or FaultSite.StreamAfterFirstChunk);

    /// <summary>
    /// The cell's documented outcome: the typed route's, but for the upstream's error answer, which the
    /// service's handler passes on as its own error result (its description the pipeline's, not a relay's).
    /// </summary>
    public static Expected ExpectedOf(FaultCell cell) => cell is { Site: FaultSite.Upstream, Fault: Fault.ErrorResult }
        ? cell.Expected with { Message = "The route's handler answered 429 Too Many Requests." }
        : cell.Expected;

    /// <summary>
    /// How the cell's last attempt ends: abandoned when the client left or the deadline passed, else failed.
    /// </summary>
    public static string LastAttemptOutcome(FaultCell cell) => cell.Hangs ? "abandoned" : "failure";
}

/// <summary>
/// A streamed cell whose failure lands at a chosen moment: the during-call guardrail runs beside the
/// stream, so its fault, the client's departure while it runs and the deadline can land before the
/// response starts, between the start and the first chunk, or between chunks (the upstream holds
/// there until the request is cancelled, and the guardrail fails once it holds). Every other
/// component runs at one moment only, where its plain cell already lands.
/// </summary>
public sealed record TimedCell(FaultCell Cell, Landing Landing)
{
    /// <summary>
    /// Every streamed cell of a typed route at every landing, each a timed cell or with why not (the
    /// relay's upstream has no landings to hold at; the controller's stream is the typed route's
    /// stages, whose landings these cells take).
    /// </summary>
    public static IReadOnlyList<(TimedCell Cell, string? WhyNot)> AllCombinations { get; } = (
        from cell in FaultCell.All
        where cell.Stream && cell.Route == RouteKind.Typed
        from landing in Enum.GetValues<Landing>()
        let timed = new TimedCell(cell, landing)
        select (timed, timed.WhyItCannotExist())).ToList();

    public static IEnumerable<TimedCell> All => AllCombinations.Where(c => c.WhyNot is null).Select(c => c.Cell);

    public string? WhyItCannotExist() => (Cell.Site, Cell.Fault, Landing) switch
    {
        (not FaultSite.DuringCallGuardrail, _, _) =>
            $"the {Cell.Site} runs at one moment of the stream only: its plain cell lands there",
        (_, Fault.SyncThrow, not Landing.BeforeResponse) =>
            "a guardrail that throws as it is called fails before the handler starts",
        (_, Fault.DisconnectBeforeResponse, Landing.BetweenChunks) => "between chunks the response has started",
        (_, Fault.DisconnectAfterResponseStarted, not Landing.BetweenChunks) =>
            "before the first chunk the response has not started",
        _ => null,
    };

    public Expected Expected => Cell.ExpectedWhen(streamStarted: Landing == Landing.BetweenChunks);

    public override string ToString() => $"{Cell} at {Landing}";
}

/// <summary>What an injected component throws: a plain exception whose message must never reach the client.</summary>
public sealed class FaultInjectedException(string message) : Exception(message);
