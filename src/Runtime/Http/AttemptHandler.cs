using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Options;
using TracedLlm.Reading;

namespace TracedLlm;

/// <summary>
/// The innermost handler of an HttpClient whose sends are attempts (<c>AddTracedLlmAttempts()</c>).
/// </summary>
/// <remarks>
/// Every send that reaches it, each re-send of the client's resilience handler included, is one upstream attempt of the
/// traced request it runs in (<see cref="LlmCall.StartAttempt(LlmTarget)"/>, which tells initial, retry and fallback
/// apart), carrying that attempt's <c>traceparent</c>. The attempt fails with an error status (its <c>Retry-After</c>
/// kept), or with what a failed send means (<see cref="UpstreamFailures"/>); a successful one ends with its body
/// (<see cref="AttemptBody"/>). Inside an attempt the app's code opened, a send only carries that attempt's
/// <c>traceparent</c>; outside a traced request it passes untouched.
/// </remarks>
internal sealed class AttemptHandler(string clientName, IOptionsMonitor<TracedLlmAttemptOptions> options)
    : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage request,
        CancellationToken cancellationToken)
    {
        if (StateOf(request) is not { } state)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var settings = options.Get(clientName);
        if (OpenAttempt(state) is { } open)
        {
            var carried = Carry(request, state, open, settings);
            return Restore(await base.SendAsync(carried, cancellationToken).ConfigureAwait(false), request, carried);
        }

        var target = await AttemptTargets.OfAsync(request, state, settings, cancellationToken).ConfigureAwait(false);
        var attempt = state.Call.StartAttempt(target);
        HttpResponseMessage response;
        try
        {
            var message = Carry(request, state, attempt, settings);
            response = Restore(
                await base.SendAsync(message, cancellationToken).ConfigureAwait(false),
                request,
                message);
        }
        catch (Exception exception)
        {
            Failed(attempt, exception, cancellationToken);
            throw;
        }

        return Answered(attempt, response, settings);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (StateOf(request) is not { } state)
        {
            return base.Send(request, cancellationToken);
        }

        var settings = options.Get(clientName);
        if (OpenAttempt(state) is { } open)
        {
            var carried = Carry(request, state, open, settings);
            return Restore(base.Send(carried, cancellationToken), request, carried);
        }

        var attempt = state.Call.StartAttempt(AttemptTargets.Of(request, state, settings, cancellationToken));
        HttpResponseMessage response;
        try
        {
            var message = Carry(request, state, attempt, settings);
            response = Restore(base.Send(message, cancellationToken), request, message);
        }
        catch (Exception exception)
        {
            Failed(attempt, exception, cancellationToken);
            throw;
        }

        return Answered(attempt, response, settings);
    }

    /// <summary>
    /// The send's state, put there by the outer handler (or made here); null outside a traced request, or after its LLM
    /// call ended.
    /// </summary>
    private static SendState? StateOf(HttpRequestMessage request)
    {
        if (!request.Options.TryGetValue(SendState.Key, out var state))
        {
            if (LlmCall.Current is not { } call)
            {
                return null;
            }

            state = new SendState(call);
            request.Options.Set(SendState.Key, state);
        }

        if (state.Call.Span is { IsStopped: true })
        {
            // Work the request left running (a fire-and-forget task) must not start spans under its ended LLM span.
            return null;
        }

        state.Sent = true;
        return state;
    }

    /// <summary>
    /// An attempt of the same request that the app's code opened around the send (<c>StartAttempt</c>,
    /// <c>ExecuteAsync</c>, <c>UseTracedLlm()</c>).
    /// </summary>
    private static LlmAttempt? OpenAttempt(SendState state) =>
        LlmAttempt.Current is { } open && ReferenceEquals(open.Call, state.Call) ? open : null;

    /// <summary>
    /// The message that goes: <paramref name="request"/> carrying the attempt's <c>traceparent</c>,
    /// or, for a re-send of a message that went out once, a copy of it. HttpClient's own propagation
    /// marks a message it stamped, and on its next send replaces whatever <c>traceparent</c> it
    /// carries with a span of its own (recorded only when HttpClient is instrumented); a copy is a
    /// message it has not stamped, so the attempt's stays.
    /// </summary>
    private static HttpRequestMessage Carry(
        HttpRequestMessage request,
        SendState state,
        LlmAttempt attempt,
        TracedLlmAttemptOptions settings)
    {
        if (!settings.PropagateTraceContext)
        {
            attempt.MarkSent();
            return request;
        }

        var message = state.Stamped ? Copy(request) : request;
        state.Stamped = true;
        attempt.ApplyTraceContext(message);
        return message;
    }

    private static HttpRequestMessage Copy(HttpRequestMessage request)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri)
        {
            // The same content: a re-send writes it again, as the original message would have.
            Content = request.Content,
            Version = request.Version,
            VersionPolicy = request.VersionPolicy,
        };

        foreach (var header in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        var options = (IDictionary<string, object?>)copy.Options;
        foreach (var option in request.Options)
        {
            options[option.Key] = option.Value;
        }

        return copy;
    }

    /// <summary>The response names the message the app sent, not the copy that went.</summary>
    private static HttpResponseMessage Restore(
        HttpResponseMessage response,
        HttpRequestMessage request,
        HttpRequestMessage sent)
    {
        if (!ReferenceEquals(request, sent))
        {
            response.RequestMessage = request;
        }

        return response;
    }

    private static void Failed(LlmAttempt attempt, Exception exception, CancellationToken cancellationToken)
    {
        // A client that left (or a during-call guardrail's stop) is not the upstream's failure: abandoned.
        if (attempt.Call.CancellationToken.IsCancellationRequested)
        {
            attempt.Dispose();
            return;
        }

        attempt.Fail(
            UpstreamFailures.Classify(exception, callCancelled: false, cancellationToken.IsCancellationRequested));
    }

    /// <summary>An error status fails the attempt at once (the app gets the response as it came).</summary>
    /// <remarks>
    /// A success with a body to read ends the attempt with its body, or at once when there is none to read.
    /// </remarks>
    private static HttpResponseMessage Answered(
        LlmAttempt attempt,
        HttpResponseMessage response,
        TracedLlmAttemptOptions settings)
    {
        if (!response.IsSuccessStatusCode)
        {
            attempt.Fail(UpstreamHttp.StatusFailure(response));
            return response;
        }

        var kind = ResponseReader.KindOf(response);
        if (!settings.RecordResponse || kind == BodyKind.Other)
        {
            attempt.Succeed();
            return response;
        }

        response.Content = new AttemptResponseContent(response.Content, new AttemptBody(attempt, response, kind));
        return response;
    }
}
