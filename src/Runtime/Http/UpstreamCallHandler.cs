using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// The outermost handler of an HttpClient whose sends are attempts (<c>AddTracedLlmAttempts()</c>), outside the app's
/// own resilience handlers.
/// </summary>
/// <remarks>
/// It finds the traced request a call belongs to and puts its <see cref="SendState"/> on the message for the innermost
/// <see cref="AttemptHandler"/> to find on every send. What leaves the client as an exception it reads once more: the
/// failure path names it by what it means (a timeout, an unreachable upstream, an open circuit) when the app's code
/// lets it through, and a circuit that refused the call before any send is recorded as the reason of the app's next
/// attempt, as the attempt policy records it.
/// </remarks>
internal sealed class UpstreamCallHandler(
    string clientName,
    IOptionsMonitor<TracedLlmAttemptOptions> options,
    ILogger logger,
    AttemptLog.Warned warned
) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage request,
        CancellationToken cancellationToken)
    {
        if (Begin(request) is not { } state)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!state.Call.CancellationToken.IsCancellationRequested)
        {
            var refused =
                !state.Sent && exception is Polly.CircuitBreaker.BrokenCircuitException
                    ? await AttemptTargets
                        .OfAsync(request, state, options.Get(clientName), cancellationToken)
                        .ConfigureAwait(false)
                    : null;
            Note(state, exception, refused, cancellationToken);
            throw;
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Begin(request) is not { } state)
        {
            return base.Send(request, cancellationToken);
        }

        try
        {
            return base.Send(request, cancellationToken);
        }
        catch (Exception exception) when (!state.Call.CancellationToken.IsCancellationRequested)
        {
            var refused = !state.Sent && exception is Polly.CircuitBreaker.BrokenCircuitException
                ? AttemptTargets.Of(request, state, options.Get(clientName), cancellationToken)
                : null;
            Note(state, exception, refused, cancellationToken);
            throw;
        }
    }

    private SendState? Begin(HttpRequestMessage request)
    {
        if (LlmCall.Current is not { } call)
        {
            AttemptLog.SentOutside(logger, clientName, warned.Outside);
            return null;
        }

        var state = new SendState(call);
        request.Options.Set(SendState.Key, state);
        return state;
    }

    /// <summary>
    /// What the exception means, on the call for the failure path; an open circuit that refused the call, as the next
    /// attempt's reason.
    /// </summary>
    private static void Note(
        SendState state,
        Exception exception,
        LlmTarget? refused,
        CancellationToken cancellationToken)
    {
        var call = state.Call;
        var meaning = refused is not null
            ? UpstreamFailures.CircuitOpen(exception, refused)!
            : exception is Polly.CircuitBreaker.BrokenCircuitException && state.Target is { } target
                ? UpstreamFailures.CircuitOpen(exception, target)!
                : UpstreamFailures.Classify(exception, callCancelled: false, cancellationToken.IsCancellationRequested);
        call.NoteUpstreamFailure(exception, meaning);
        if (refused is not null)
        {
            call.RefuseAttempt(refused, meaning);
        }
    }
}
