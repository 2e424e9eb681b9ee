using System;
using System.Net.Http;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using TracedLlm.Reading;
using TracedLlm.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Relay;

/// <summary>
/// One relay attempt: the forwarder's token, the decision on the upstream's answer, and what the reader found in the
/// body as it passed.
/// </summary>
/// <remarks>
/// The token carries the attempt timeout until the answer's headers, then the idle timeout between reads, both on this
/// attempt's one source: the attempt policy leaves the relay's attempts to it. It ends either with a failure thrown to
/// the attempt policy (nothing was passed on: it may be retried) or as the attempt's outcome, a failure after the first
/// byte included.
/// </remarks>
internal sealed partial class RelayAttempt : IDisposable
{
    // The longest wait for the answer's headers (and, in a run that holds its bodies, for an error
    // answer's body), and whether it is the destination's own activity timeout rather than the attempt timeout.
    private readonly TimeSpan? _headersWait;
    private readonly bool _destinationsWait;
    private ContentDecoder? _decoder;
    private PooledBufferWriter? _bufferedBody;
    private long _bytesRead;
    private long _nextCheck;

    public RelayAttempt(RelayRun run, LlmAttempt attempt, RelayDestination destination, CancellationToken attemptToken)
    {
        Run = run;
        Attempt = attempt;
        Destination = destination;
        // The attempt's token is the call's (the client, the deadline): the pipeline leaves the attempt
        // timeout to the relay (ILlmCallRelay.RelayAsync), which keeps it here until the
        // answer's headers come, then between reads of the body (RelayBodyStream).
        Cancellation = CancellationTokenSource.CreateLinkedTokenSource(attemptToken);

        // A run that holds its bodies gives the forwarder no activity timeout (LlmRelay.RequestConfigFor):
        // the destination's own, when it is the shorter, times the wait for the headers here instead.
        _headersWait = run.Policy.AttemptTimeout;
        if (run.HoldsBodies && destination.RequestConfig?.ActivityTimeout is { } own && !(own >= _headersWait))
        {
            _headersWait = own;
            _destinationsWait = true;
        }

        if (_headersWait is { } wait)
        {
            Cancellation.CancelAfter(wait);
        }
    }

    public RelayRun Run { get; }

    public LlmAttempt Attempt { get; }

    public RelayDestination Destination { get; }

    public CancellationTokenSource Cancellation { get; }

    public CancellationToken Token => Cancellation.Token;

    public int Status { get; private set; }

    public bool ResponseSeen { get; private set; }

    public UpstreamAnswer? Answer { get; private set; }

    public TimeSpan? RetryAfter { get; private set; }

    public Exception? HeaderFailure { get; private set; }

    /// <summary>The gateway's own transforms answered instead of the upstream.</summary>
    public bool AnsweredByGateway { get; private set; }

    public ResponseReader? Reader { get; private set; }

    /// <summary>The body is not read: an unknown content coding, or data the decoder gave up on.</summary>
    public bool Unreadable => Reader is null || _decoder is { Stopped: true } || UnknownCoding;

    public bool UnknownCoding { get; private set; }

    public bool IsEventStream { get; private set; }

    public BodyMode Mode { get; private set; }

    /// <summary>The held-back events can be found in the bytes as they are on the wire (no content coding).</summary>
    public bool CanHoldBack => Mode == BodyMode.HoldBack && _decoder is null && Reader is not null;

    public long BytesReleased { get; private set; }

    public Exception? BodyFailure { get; set; }

    public byte[]? HeldTail { get; set; }

    public PooledBufferWriter BufferedBody => _bufferedBody ??= new PooledBufferWriter();

    public bool HasBufferedBody => Mode == BodyMode.Buffer && BodyFailure is null;

    /// <summary>
    /// The upstream answered: an error status is kept (not relayed) for the policy; a body that is not what was asked
    /// for fails the attempt.
    /// </summary>
    /// <remarks>
    /// Anything else goes through the destination's transforms and then to the client, read on the way.
    /// </remarks>
    public async ValueTask<bool> OnResponseAsync(
        HttpContext httpContext,
        HttpResponseMessage response,
        HttpTransformer inner,
        CancellationToken cancellationToken)
    {
        // The headers are here: from now on the attempt timeout is the idle time between reads. An error
        // answer's body is read within the same wait: where the forwarder has no activity timeout (a run
        // that holds its bodies) nothing else would bound it.
        ResponseSeen = true;
        Status = (int)response.StatusCode;
        if (!Cancellation.IsCancellationRequested)
        {
            Cancellation.CancelAfter(
                Status >= 400 && Run.HoldsBodies && _headersWait is { } wait ? wait : Timeout.InfiniteTimeSpan);
        }

        if (Status >= 400)
        {
            Answer = await UpstreamAnswer
                .CaptureAsync(response, Run.Settings.MaxUpstreamErrorBytes, cancellationToken)
                .ConfigureAwait(false);
            Answer.Transformer = inner;
            RetryAfter = UpstreamHttp.GetRetryAfter(response);
            ResetStatus(httpContext);
            return false;
        }

        IsEventStream = UpstreamHttp.IsEventStream(response);
        if (Run.Call.Parameters.Stream && !IsEventStream && Status is >= 200 and < 300)
        {
            HeaderFailure = UpstreamHttp.NotAnEventStream();
            ResetStatus(httpContext);
            return false;
        }

        var kind = ResponseReader.KindOf(response);
        Reader = new ResponseReader(
            kind,
            Run.Text ?? Run.StreamedContent(kind),
            IsEventStream ? Run.RecordEvent : null,
            Run.OutputContent());
        var codings = response.Content.Headers.ContentEncoding;
        UnknownCoding = !ContentDecoder.TryCreate(
            codings.Count == 0 ? null : string.Join(",", codings),
            Reader,
            Attempt.MaxResponseBytes * 4,
            out _decoder);
        var identity = _decoder is null && !UnknownCoding;

        // An event stream takes an error event after its first byte, comments only or not; a compressed one
        // (an event in plain text would not decode) or a body of another kind does not: a failure cuts it.
        Run.Seam.BodyTakesEvents(identity && IsEventStream);
        Mode = Run.ModeFor(kind, identity);

        var headers = httpContext.Response.Headers;
        HeadersBefore = Mode == BodyMode.Pass ? null : HeaderSnapshot.Take(headers);
        if (!await inner.TransformResponseAsync(httpContext, response, cancellationToken).ConfigureAwait(false))
        {
            AnsweredByGateway = true;
            return false;
        }

        if (IsEventStream)
        {
            // A relayed stream that ends before its last event ends with an error event the upstream
            // did not send (docs/relay.md): with the upstream's Content-Length kept, Kestrel would
            // refuse those bytes and the client would see a whole-looking 200. Sent chunked instead.
            headers.ContentLength = null;
        }

        // LiteLLM's attempt headers, by the attempt policy's one writer, before the response starts.
        Run.Seam.WriteAttemptHeaders(Attempt);
        if (Mode == BodyMode.Buffer)
        {
            // A held response's headers wait with it: a failure before it is sent answers without them.
            HeldHeaders = HeaderSnapshot.Take(headers);
            HeaderSnapshot.Restore(headers, HeadersBefore!);
        }

        response.Content = new RelayContent(response.Content, this);
        return true;
    }

    /// <summary>
    /// The response's headers before this attempt's transforms wrote the upstream's (for a held response), or null.
    /// </summary>
    public System.Collections.Generic.KeyValuePair<
        string,
        Microsoft.Extensions.Primitives.StringValues
    >[]? HeadersBefore { get; private set; }

    /// <summary>A buffered response's headers as the transforms made them, written with it.</summary>
    public System.Collections.Generic.KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>[]? HeldHeaders
    {
        get;
        private set;
    }

    /// <summary>The attempt's outcome once the forwarder is done.</summary>
    /// <remarks>
    /// Thrown when the attempt failed before the first byte reached the client (the policy may retry it), else this
    /// attempt, its span recorded.
    /// </remarks>
    public RelayAttempt Finish(ForwarderError error, HttpContext httpContext, CancellationToken attemptToken)
    {
        if (Answer is not null)
        {
            throw new UpstreamAnswerException(Answer, RetryAfter);
        }

        if (HeaderFailure is not null)
        {
            throw HeaderFailure;
        }

        if (!ResponseSeen)
        {
            if (error == ForwarderError.None)
            {
                // A request transform answered itself: the upstream was never called.
                AnsweredByGateway = true;
                return this;
            }

            ExceptionDispatchInfo.Throw(RequestFailure(error, httpContext, attemptToken));
        }

        if (BodyFailure is { } failure && BytesReleased == 0 && IsUpstreamFailure(failure))
        {
            throw failure;
        }

        if (!AnsweredByGateway && Reader is null && error != ForwarderError.None)
        {
            ExceptionDispatchInfo.Throw(RequestFailure(error, httpContext, attemptToken));
        }

        if (BodyFailure is not null && ReleasedMidEvent)
        {
            // The client has part of an event: an error event written after it would be read as the rest of that
            // event (a data line glued to the error's), not as an error. The failure path cuts its connection instead.
            Run.Seam.BodyTakesEvents(false);
        }

        RecordSpan();
        switch (BodyFailure)
        {
            case null:
                break;
            case OperationCanceledException when Run.Call.CancellationToken.IsCancellationRequested:
                // The client left: the attempt is abandoned, not failed.
                Attempt.Dispose();
                break;
            case GuardrailBlockedException:
            case not null when CheckFailed:
                // A guardrail blocked, or broke on, what the upstream answered well: the guardrail's
                // failure is the request's (500), never the attempt's (it was once recorded as an
                // upstream failure with the guardrail's exception type).
                Attempt.Succeed();
                break;
            case { } other:
                Attempt.Fail(other);
                break;
        }

        return this;
    }

    public void Dispose()
    {
        Cancellation.Dispose();
        _decoder?.Dispose();
    }

    private void RecordSpan()
    {
        var facts = Unreadable ? null : Reader?.Facts;
        Attempt.RecordResponse(facts?.ResponseModel, facts?.InputTokens, facts?.OutputTokens);
        if (Attempt.Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.HttpResponseStatusCode, Status);
            span.SetTag(AttributeNames.RelayResponseBytes, _bytesRead);
            span.SetTag(AttributeNames.RelayFormat, ResponseFacts.FormatName(facts?.Format ?? ResponseFormat.Unknown));
        }
    }

    /// <summary>
    /// The response's status back to 200 with no reason phrase: an attempt's answer that does not go on leaves neither
    /// behind.
    /// </summary>
    internal static void ResetStatus(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        if (httpContext.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = null;
        }
    }
}
