using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using TracedLlm.Relay;
using TracedLlm.Reading;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm;

/// <summary>
/// What a relay route's handler returns
/// (<see cref="LlmRelay.ForwardAsync(LlmCall, LlmTarget, string, LlmRetryPolicy)"/>).
/// </summary>
/// <remarks>
/// The upstream's answer, mostly relayed already while the handler ran, as an <see cref="IResult"/> the generated
/// pipeline writes after the guardrails are done: the stream's held-back last event, a response held for the post-call
/// guardrails, or, when every attempt failed, the last upstream answer. Post-call guardrails get it as their
/// <see cref="GuardrailContext.Response"/>: read <see cref="Text"/> and the other facts.
/// </remarks>
public sealed class LlmRelayResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private readonly LlmCall _call;
    private readonly RelayRun _run;
    private RelayAttempt? _relayed;
    private UpstreamAnswer? _answer;
    private ResponseFacts? _facts;

    internal LlmRelayResult(LlmCall call, RelayRun run)
    {
        _call = call;
        _run = run;
    }

    /// <summary>The status the client gets: the upstream's.</summary>
    public int StatusCode { get; private set; } = StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <summary>The response's media type, as the upstream sent it.</summary>
    public string? ContentType { get; private set; }

    /// <summary>True when the response is a stream of server-sent events.</summary>
    public bool IsStream => _relayed?.IsEventStream ?? _call.Parameters.Stream;

    /// <summary>
    /// False while a post-call guardrail checks a stream as it grows
    /// (<see cref="RelayPostCallGuardrails.Incremental"/>):
    /// <see cref="Text"/> is then the text so far.
    /// </summary>
    public bool IsComplete { get; private set; }

    /// <summary>
    /// The response's output text (a completion's content, a stream's text deltas, in order), when
    /// post-call guardrails are registered, else null. Tool calls and other content are not in it.
    /// </summary>
    public string? Text => _run.Text?.ToString();

    /// <summary>
    /// The length of <see cref="Text"/> in UTF-16 code units (as <see cref="string.Length"/> counts),
    /// counted from the bytes the relay kept without making the string; null when <see cref="Text"/> is.
    /// </summary>
    public int? TextLength => _run.Text?.Length;

    /// <summary>The model the upstream says answered (<c>model</c>), or null when it did not say.</summary>
    public string? ResponseModel => _facts?.ResponseModel;

    /// <summary>The upstream's response id, or null.</summary>
    public string? ResponseId => _facts?.ResponseId;

    /// <summary>
    /// Why the output ended, as the provider says it (<c>stop</c>, <c>end_turn</c>, <c>length</c>...); empty when it
    /// did not.
    /// </summary>
    public IReadOnlyList<string> FinishReasons =>
        (IReadOnlyList<string>?)_facts?.FinishReasons ?? Array.Empty<string>();

    /// <summary>
    /// Input tokens the upstream reported, cached ones included (Anthropic's cache reads and writes added to its
    /// <c>input_tokens</c>), or null.
    /// </summary>
    public long? InputTokens => _facts?.InputTokens;

    /// <summary>Output tokens the upstream reported, or null.</summary>
    public long? OutputTokens => _facts?.OutputTokens;

    /// <summary>
    /// When every attempt failed and the last upstream answer is relayed: that failure (status 400 or more), else null.
    /// </summary>
    public UpstreamException? UpstreamError { get; private set; }

    /// <summary>Writes what the relay left to write once the guardrails were done.</summary>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        if (_answer is { } answer)
        {
            // A failure of the request, answered as the upstream answered: the failure path records it
            // with the status as its error.type (as every error result is recorded) and the upstream's
            // words, and leaves the response as it is written.
            ((ILlmCallRelay)_call).AnswerUpstreamError(answer.Status, UpstreamError!.Message);
            await WriteAnswerAsync(httpContext, answer).ConfigureAwait(false);
            return;
        }

        if (_relayed is not { } relayed)
        {
            return;
        }

        if (relayed.HasBufferedBody && relayed.HeldHeaders is { } headers)
        {
            response.StatusCode = StatusCode;
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }

            // The whole body is here: its length goes with it (the upstream's own Content-Length when it
            // sent one, else the held bytes'), so the client reads one framed body, not a re-chunked one.
            // An empty one is left to the server, which frames it as its status says: a 204 or 304 has no
            // body to frame, and Kestrel fails one given a length and a write (a 500, a reset connection).
            var body = relayed.BufferedBody.WrittenMemory;
            try
            {
                if (!body.IsEmpty)
                {
                    if (response.ContentLength is null && !response.Headers.ContainsKey(HeaderNames.TransferEncoding))
                    {
                        response.ContentLength = body.Length;
                    }

                    await response.Body.WriteAsync(body, httpContext.RequestAborted).ConfigureAwait(false);
                }
            }
            finally
            {
                relayed.BufferedBody.Release();
            }
        }
        else if (relayed.HeldTail is { } tail)
        {
            await response.Body.WriteAsync(tail, httpContext.RequestAborted).ConfigureAwait(false);
            await response.Body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    internal LlmRelayResult Snapshot(bool complete)
    {
        IsComplete = complete;
        return this;
    }

    internal LlmRelayResult WithResponse(RelayAttempt relayed)
    {
        _relayed = relayed;
        _facts = relayed.Unreadable ? null : relayed.Reader?.Facts;
        StatusCode = relayed.AnsweredByGateway ? _call.HttpContext.Response.StatusCode : relayed.Status;
        ContentType = relayed.AnsweredByGateway ? _call.HttpContext.Response.ContentType : FindContentType(relayed);
        IsComplete = true;
        return this;
    }

    internal LlmRelayResult WithUpstreamAnswer(UpstreamAnswerException failure)
    {
        _answer = failure.Answer;
        UpstreamError = failure;
        StatusCode = failure.Answer.Status;
        foreach (var (name, values) in failure.Answer.Headers)
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase) && values.Length > 0)
            {
                ContentType = values[0];
            }
        }

        IsComplete = true;
        return this;
    }

    private static string? FindContentType(RelayAttempt relayed)
    {
        if (relayed.HeldHeaders is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    return value.ToString();
                }
            }
        }

        return relayed.Run.Call.HttpContext.Response.ContentType;
    }

    /// <summary>
    /// The last upstream answer, through the destination's transforms as a relayed response would have gone.
    /// </summary>
    private static async Task WriteAnswerAsync(HttpContext httpContext, UpstreamAnswer answer)
    {
        var response = httpContext.Response;
        response.StatusCode = answer.Status;
        if (answer.ReasonPhrase is { } reason && httpContext.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = reason;
        }

        using var message = answer.ToMessage();
        var transformer = answer.Transformer ?? HttpTransformer.Default;
        if (await transformer
                .TransformResponseAsync(httpContext, message, httpContext.RequestAborted)
                .ConfigureAwait(false) && answer.Body is { Length: > 0 } body)
        {
            await response.Body.WriteAsync(body, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
