using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.IO;
using System.Net.Http;

namespace TracedLlm;

/// <summary>
/// What a provider's client library threw, in the gateway's terms, recorded on the attempt while the exception itself
/// goes on unchanged (the app's own <c>catch</c> of it keeps working).
/// </summary>
/// <remarks>
/// The OpenAI and Azure clients (System.ClientModel) throw <see cref="ClientResultException"/> for an error status
/// and for a transport failure alike. Inside a traced request the status means an <see cref="UpstreamException"/>
/// (with its <c>Retry-After</c>), so the retry policy and the failure path treat it as they treat the same status
/// over plain HTTP (passed on, 401/403 → 502) instead of as an unknown exception (500), and a transport failure
/// means the <see cref="HttpRequestException"/> or <see cref="IOException"/> under it.
/// </remarks>
internal static class ProviderFailures
{
    private static Exception Translate(Exception exception) => exception switch
    {
        ClientResultException { Status: > 0 } result => new UpstreamException(result.Status,
            string.Create(CultureInfo.InvariantCulture, $"The upstream provider answered {result.Status}."), result)
        {
            RetryAfter = RetryAfter(result.GetRawResponse()),
        },
        ClientResultException { InnerException: (HttpRequestException or IOException or TimeoutException
            or OperationCanceledException) and var inner } => inner,
        _ => exception,
    };

    /// <summary>
    /// <see cref="Translate"/>, then, for an attempt the step started itself (no retry policy to classify it), what the
    /// policy would have read.
    /// </summary>
    /// <remarks>
    /// The provider client's timeout (a <see cref="TimeoutException"/>, or HttpClient's cancellation caused by one) is
    /// an <see cref="UpstreamTimeoutException"/> (504, not a 500 of the gateway's own), and an
    /// <see cref="HttpRequestException"/> with a status is that status (<see cref="UpstreamException"/>, passed on), as
    /// over plain HTTP. Once the call is cancelled (the client left), nothing more is read into it.
    /// </remarks>
    private static Exception TranslateOwned(Exception exception, LlmCall call) =>
        Translate(exception) switch
        {
            var failure when call.CancellationToken.IsCancellationRequested => failure,
            (TimeoutException or OperationCanceledException { InnerException: TimeoutException }) and var timeout =>
                new UpstreamTimeoutException(innerException: timeout),
            HttpRequestException { StatusCode: { } status } and var http => new UpstreamException(
                (int)status,
                string.Create(CultureInfo.InvariantCulture, $"The upstream provider answered {(int)status}."),
                http),
            var failure => failure,
        };

    /// <summary>
    /// What <paramref name="exception"/> means (<see cref="TranslateOwned"/> in the step's own attempt,
    /// <see cref="Translate"/> in one the app opened), recorded on <paramref name="attempt"/> for the exception.
    /// </summary>
    public static Exception Explain(LlmAttempt attempt, Exception exception, bool owned)
    {
        var meaning = owned ? TranslateOwned(exception, attempt.Call) : Translate(exception);
        if (!ReferenceEquals(meaning, exception))
        {
            attempt.RecordFailureMeaning(exception, meaning);
        }

        return meaning;
    }

    private static TimeSpan? RetryAfter(PipelineResponse? response) =>
        response is null
            ? null
            : UpstreamHttp.GetRetryAfter(
                response.Headers.TryGetValue("retry-after-ms", out var milliseconds) ? milliseconds : null,
                response.Headers.TryGetValue("Retry-After", out var retryAfter) ? retryAfter : null);
}
