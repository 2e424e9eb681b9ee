using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Reading;

namespace TracedLlm;

/// <summary>The one seam between a relay (TracedLlm.ReverseProxy) and the call it relays.</summary>
/// <remarks>
/// The relay begins its attempts, reports what it passes on to the client and hands over what it read, and the call
/// records it on its spans and metrics. Internal, shared with the relay package through <c>InternalsVisibleTo</c>: the
/// two packages are built and released together at one version, so the seam needs no public surface.
/// </remarks>
internal interface ILlmCallRelay
{
    /// <summary>
    /// Whether a JSON answer's bytes are kept for the output content (capture on, output not masked, the span
    /// recorded).
    /// </summary>
    bool CapturesOutput { get; }

    /// <summary>
    /// Whether a stream's text deltas are kept for <c>gen_ai.output.messages</c> (the latest conventions, output
    /// captured).
    /// </summary>
    bool CapturesStructuredOutput { get; }

    /// <summary>Begins the relay and runs its attempts, which keep the policy's attempt timeout themselves.</summary>
    /// <remarks>
    /// The time to first token is measured from here; <paramref name="attemptResponseHeaders"/> says whether its
    /// attempts write the <c>x-litellm-attempted-*</c> headers. Each attempt gets the call's token (the client, the
    /// deadline).
    /// </remarks>
    Task<T> RelayAsync<T>(
        bool attemptResponseHeaders,
        LlmTarget primary,
        IReadOnlyList<LlmTarget> fallbacks,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, Task<T>> attempt);

    /// <summary>Writes the call's attempt headers so far, before an attempt's answer starts the response.</summary>
    void WriteAttemptHeaders(LlmAttempt attempt);

    /// <summary>
    /// Says whether a failure after the first byte may end the relayed body with an error event (else it cuts the
    /// connection).
    /// </summary>
    void BodyTakesEvents(bool takesEvents);

    /// <summary>An event of the relayed stream reached the client (its count and timings).</summary>
    void EventWritten();

    /// <summary>Runs the post-call guardrails on the response so far or whole.</summary>
    ValueTask CheckAsync(object response);

    /// <summary>Records what the relay read of the answer that went on.</summary>
    /// <remarks>
    /// Its JSON body as the output content, its facts (model, id, finish reasons, service tier, usage whole or in
    /// part), and for a stream its text as <c>gen_ai.output.messages</c> and its timings. Null facts: nothing could be
    /// read.
    /// </remarks>
    void Complete(ResponseFacts? facts, TextSink? body, TextSink? streamedText, bool eventStream);

    /// <summary>
    /// The call answers with the upstream's own error (status 400 or more): the failure path records it with this
    /// description.
    /// </summary>
    void AnswerUpstreamError(int statusCode, string description);
}
