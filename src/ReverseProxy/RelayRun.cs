using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using TracedLlm.Reading;
using TracedLlm.Telemetry;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace TracedLlm.Relay;

/// <summary>A route's relay settings, its own over the relay's.</summary>
internal sealed record RelaySettings(
    RelayPostCallGuardrails PostCallGuardrails,
    RelayUpstreamErrors UpstreamErrors,
    bool AttemptResponseHeaders,
    int MaxBufferedResponseBytes,
    int IncrementalCheckBytes,
    int MaxUpstreamErrorBytes);

/// <summary>
/// One relayed request: its attempts through
/// <see cref="LlmCall.ExecuteAsync{T}(LlmTarget, IReadOnlyList{LlmTarget}, LlmRetryPolicy,
/// Func{LlmAttempt, CancellationToken, Task{T}})"/> (Polly: retries, fallbacks, Retry-After, the circuit breaker),
/// each one YARP's forwarder sending the body the guardrails read.
/// </summary>
/// <remarks>
/// Then the response's facts on the LLM span, and the result the pipeline writes (what was held back, a buffered body,
/// or the last upstream answer).
/// </remarks>
internal sealed class RelayRun
{
    private readonly LlmRelay _relay;
    private readonly Func<LlmAttempt, RelayDestination> _destinations;
    private readonly LlmRelayResult _result;
    private Action? _recordEvent;

    // The facts a response may leave unstated, in Unknown's bit order.
    private static readonly string[] UnknownNames =
    [
        AttributeNames.GenAiResponseModel,
        AttributeNames.GenAiResponseId,
        AttributeNames.GenAiUsageInputTokens,
        AttributeNames.GenAiUsageOutputTokens,
        AttributeNames.GenAiResponseFinishReasons,
    ];

    public RelayRun(
        LlmRelay relay,
        LlmCall call,
        LlmRetryPolicy policy,
        Func<LlmAttempt, RelayDestination> destinations,
        RelaySettings settings)
    {
        _relay = relay;
        Call = call;
        Policy = policy;
        Settings = settings;
        _destinations = destinations;
        HasPostCallGuardrails = relay.HasPostCallGuardrails;
        if (HasPostCallGuardrails && settings.PostCallGuardrails == RelayPostCallGuardrails.Refuse)
        {
            // The host's start-up check says this; a host started without it still never skips them.
            throw new InvalidOperationException(
                $"Post-call guardrails are registered, and the relay on {call.Route.HttpMethod} {call.Route.Pattern} "
                + "has no choice of how they see its responses: "
                    + $"set {LlmRelayOptions.SectionName}:{nameof(LlmRelayOptions.PostCallGuardrails)} to Buffer "
                    + "or Incremental.");
        }

        ChecksIncrementally =
            HasPostCallGuardrails && settings.PostCallGuardrails == RelayPostCallGuardrails.Incremental;
        HoldsBodies = HasPostCallGuardrails || relay.HasDuringCallGuardrails;

        // A stream's terminal event is held back while guardrails may still fail the request after it.
        AsksForIdentity =
            call.Parameters.Stream
            && (ChecksIncrementally || (relay.HasDuringCallGuardrails && !HasPostCallGuardrails));
        _result = new LlmRelayResult(call, this);
    }

    public LlmCall Call { get; }

    /// <summary>The call's side of the seam: every step of the pipeline the relay takes goes through it.</summary>
    public ILlmCallRelay Seam => Call;

    public LlmRetryPolicy Policy { get; }

    public RelaySettings Settings { get; }

    public bool HasPostCallGuardrails { get; }

    public bool ChecksIncrementally { get; }

    /// <summary>
    /// Every body is held whole or held back (<see cref="ModeFor"/> never answers <see cref="BodyMode.Pass"/>):
    /// guardrails may still fail the request after the upstream is done.
    /// </summary>
    public bool HoldsBodies { get; }

    /// <summary>
    /// The output text of the current attempt's response, for the post-call guardrails; null when there are none.
    /// </summary>
    public TextSink? Text { get; private set; }

    public bool AsksForIdentity { get; }

    /// <summary>
    /// The call's deadline passed (the attempt's <see cref="LlmAttempt.CallToken"/>, the one deadline
    /// the attempt sequence keeps for the whole call, is cancelled and the client is still there).
    /// </summary>
    public bool DeadlinePassed(LlmAttempt attempt) =>
        attempt.CallToken.IsCancellationRequested && !Call.CancellationToken.IsCancellationRequested;

    /// <summary>Reports each relayed stream event (made once a request, not once an attempt).</summary>
    public Action RecordEvent => _recordEvent ??= Seam.EventWritten;

    public async Task<LlmRelayResult> RunAsync(LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks)
    {
        RelayAttempt relayed;
        try
        {
            relayed = await Seam.RelayAsync(Settings.AttemptResponseHeaders, primary, fallbacks, Policy, AttemptAsync)
                .ConfigureAwait(false);
        }
        catch (UpstreamAnswerException answer)
            when (Settings.UpstreamErrors == RelayUpstreamErrors.Relay && answer.Answer.Body is not null)
        {
            // Every attempt failed and the last one was an answer: the client gets it as the upstream gave it.
            return _result.WithUpstreamAnswer(answer);
        }

        RecordFacts(relayed);
        if (relayed.BodyFailure is { } failure)
        {
            // After the first byte the failure path ends the stream with an error event; before
            // it, it answers with its own error, without the upstream's headers.
            if (!Call.HttpContext.Response.HasStarted && relayed.HeadersBefore is { } before)
            {
                HeaderSnapshot.Restore(Call.HttpContext.Response.Headers, before);

                // The snapshot predates LiteLLM's attempt headers, and the attempt policy, done, writes them
                // no more: written again, as every other answer of the call has them.
                Seam.WriteAttemptHeaders(relayed.Attempt);
            }

            throw failure;
        }

        return _result.WithResponse(relayed);
    }

    /// <summary>
    /// Where a JSON answer's bytes are kept for content capture (as much as the capture keeps), or null when it is off.
    /// </summary>
    public TextSink? OutputContent() =>
        Seam.CapturesOutput ? new TextSink((_relay.MaxContentLength + 1024) * 4) : null;

    /// <summary>
    /// Where a stream's text deltas are kept for <c>gen_ai.output.messages</c> when nothing else keeps them (the latest
    /// convention mode, content captured), else null.
    /// </summary>
    public TextSink? StreamedContent(BodyKind kind) =>
        kind == BodyKind.EventStream && Seam.CapturesStructuredOutput
            ? new TextSink((_relay.MaxContentLength + 1) * 4)
            : null;

    /// <summary>
    /// The body's mode: held whole for the guardrails, held back event by event, or passed on as it comes.
    /// </summary>
    public BodyMode ModeFor(BodyKind kind, bool identity)
    {
        if (HasPostCallGuardrails)
        {
            return ChecksIncrementally && kind == BodyKind.EventStream && identity
                ? BodyMode.HoldBack
                : BodyMode.Buffer;
        }

        // During-call guardrails may still fail the request once the upstream is done: nothing may look finished before
        // they are.
        if (_relay.HasDuringCallGuardrails)
        {
            return kind == BodyKind.EventStream && identity ? BodyMode.HoldBack : BodyMode.Buffer;
        }

        return BodyMode.Pass;
    }

    /// <summary>Runs the post-call guardrails on the response so far (an incremental check) or whole.</summary>
    public async ValueTask CheckAsync(bool complete)
    {
        await Seam.CheckAsync(_result.Snapshot(complete)).ConfigureAwait(false);
    }

    private async Task<RelayAttempt> AttemptAsync(LlmAttempt attempt, CancellationToken cancellationToken)
    {
        var destination =
            _destinations(attempt)
            ?? throw new InvalidOperationException("The relay's destination callback returned null.");
        Text = HasPostCallGuardrails ? new TextSink(Settings.MaxBufferedResponseBytes) : null;
        var httpContext = Call.HttpContext;
        PrepareRequest(httpContext);
        var relayAttempt = new RelayAttempt(this, attempt, destination, cancellationToken);
        try
        {
            if (destination.Yarp is var (route, cluster, target))
            {
                httpContext.Features.Set<IReverseProxyFeature>(new RelayProxyFeature(route, cluster, target));
            }

            var error = await _relay.Forwarder.SendAsync(
                httpContext,
                destination.Address,
                destination.Invoker ?? _relay.DefaultInvoker,
                _relay.RequestConfigFor(destination, Policy, HoldsBodies),
                new RelayTransformer(destination.Transformer ?? HttpTransformer.Default, relayAttempt),
                relayAttempt.Token).ConfigureAwait(false);
            return relayAttempt.Finish(error, httpContext, cancellationToken);
        }
        finally
        {
            relayAttempt.Dispose();
        }
    }

    /// <summary>The request as it goes upstream.</summary>
    /// <remarks>
    /// The body every reader of this request read (the route's metadata slot cut out, decoded, checked to read one way
    /// only), with its length, in place of the client's bytes; the response reset from an earlier attempt's answer.
    /// </remarks>
    private void PrepareRequest(HttpContext httpContext)
    {
        // The body every reader read, in place of the client's bytes (issue 28's one reading), for each attempt afresh.
        Call.PrepareRequestForForwarding();

        if (!httpContext.Response.HasStarted)
        {
            RelayAttempt.ResetStatus(httpContext);
        }

        httpContext.Features.Set<IForwarderErrorFeature>(null);
    }

    /// <summary>
    /// What the reader found, on the LLM span (the request's generation); what it could not find, named as unknown.
    /// </summary>
    private void RecordFacts(RelayAttempt relayed)
    {
        if (relayed.AnsweredByGateway)
        {
            return;
        }

        var facts = relayed.Unreadable ? null : relayed.Reader?.Facts;
        if (Call.Span is { IsAllDataRequested: true } span && Unknown(facts) is { } unknown)
        {
            span.SetTag(AttributeNames.RelayUnknown, unknown);
        }

        Seam.Complete(
            facts,
            relayed.Unreadable ? null : relayed.Reader?.Body,
            relayed.Reader?.Text,
            relayed.IsEventStream);
    }

    /// <summary>
    /// The facts the response did not state, by attribute name; null when it stated them all (nothing allocated for
    /// most answers).
    /// </summary>
    private static string[]? Unknown(ResponseFacts? facts)
    {
        var missing = (facts?.ResponseModel is null ? 1 : 0)
            | (facts?.ResponseId is null ? 2 : 0)
            | (facts?.InputTokens is null ? 4 : 0)
            | (facts?.OutputTokens is null ? 8 : 0)
            | (facts is null || facts.FinishReasons.Length == 0 ? 16 : 0);
        if (missing == 0)
        {
            return null;
        }

        var unknown = new string[BitOperations.PopCount((uint)missing)];
        for (int i = 0, next = 0; i < UnknownNames.Length; i++)
        {
            if ((missing & (1 << i)) != 0)
            {
                unknown[next++] = UnknownNames[i];
            }
        }

        return unknown;
    }
}

/// <summary>
/// The YARP route, cluster and destination of a relay attempt, for the transforms that read them as YARP's own pipeline
/// sets them.
/// </summary>
internal sealed class RelayProxyFeature(RouteModel route, ClusterState cluster, DestinationState destination)
    : IReverseProxyFeature
{
    public RouteModel Route { get; } = route;

    public ClusterModel Cluster { get; } = cluster.Model;

    public IReadOnlyList<DestinationState> AllDestinations { get; } = cluster.DestinationsState.AllDestinations;

    public IReadOnlyList<DestinationState> AvailableDestinations { get; set; } =
        cluster.DestinationsState.AvailableDestinations;

    public DestinationState? ProxiedDestination { get; set; } = destination;
}
