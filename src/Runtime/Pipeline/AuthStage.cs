using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// Authentication and its <c>auth</c> span. The authenticator runs before any span exists (nothing a
/// caller sent reaches a trace until it has passed); the span is recorded afterwards, under the
/// server span, with the authenticator's own start and end. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AuthStage
{
    private static readonly ActivitySource Source = TracedLlmTelemetry.Source;

    /// <summary>
    /// Runs the authenticator before any span exists (it reads headers, and may read the call's
    /// metadata, but nothing is recorded yet). Never throws: the outcome and its timing are kept on
    /// the call, <see cref="RequestStage.StartSpan"/> decides from it what the trace may hold, and
    /// <see cref="ThrowIfUnauthenticated"/> raises a refusal once the spans exist.
    /// </summary>
    public static ValueTask AuthenticateAsync(LlmCall call)
    {
        var authenticator = call.Gateway.Authenticator;
        if (authenticator is null)
        {
            return ValueTask.CompletedTask;
        }

        if (Source.HasListeners())
        {
            call.Authentication.StartTimestamp = Stopwatch.GetTimestamp();
        }

        ValueTask<AuthResult> pending;
        try
        {
            pending = authenticator.AuthenticateAsync(call, call.HttpContext.RequestAborted);
        }
        catch (Exception exception)
        {
            Refuse(call, exception);
            return ValueTask.CompletedTask;
        }

        // Most authenticators answer synchronously (a cached key look-up): no async state machine then.
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAuthenticationAsync(pending, call);
        }

        Authenticated(call, pending.Result);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Records the <c>auth</c> span under the server span with the authenticator's own start and
    /// end: it ran before the server span existed. Left open (its end time already set) so that a
    /// refusal marks it before it ends; null when no authenticator is registered or nothing records.
    /// </summary>
    public static Activity? StartSpan(LlmCall call, Activity? server)
    {
        // Before any child span starts: the caller's identity in the trace tags (never a client's
        // imitation of it, also when nothing records), and on the server span for the export.
        CallerAttributes.Apply(call, server);
        if (server is null || call.Gateway.Authenticator is null)
        {
            return null;
        }

        var state = call.Authentication;
        var startTimestamp = state.StartTimestamp == 0 ? Stopwatch.GetTimestamp() : state.StartTimestamp;
        var endTimestamp = state.EndTimestamp == 0 ? startTimestamp : state.EndTimestamp;

        // The server span's start is the request's start timestamp: both ends are placed from it on one clock.
        var auth = server.Source.StartActivity(
            SpanNames.Auth, ActivityKind.Internal, server.Context, tags: null, links: null,
            startTime: server.StartTimeUtc + Stopwatch.GetElapsedTime(call.StartTimestamp, startTimestamp));
        if (auth is null)
        {
            return null;
        }

        if (auth.IsAllDataRequested)
        {
            // An authenticated caller's auth span carries the trace-level attributes like its other spans; a refused
            // one's nothing it chose.
            var tags = new FirstTags(auth, call);
            tags.Add(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Span);
            CallerAttributes.AddTo(ref tags, call.Caller);
            tags.AddTraceTags(call);
        }

        auth.SetEndTime(server.StartTimeUtc + Stopwatch.GetElapsedTime(call.StartTimestamp, endTimestamp));
        return auth;
    }

    /// <summary>Raises the authenticator's refusal (or failure), now that the spans that record it exist.</summary>
    public static void ThrowIfUnauthenticated(LlmCall call) => call.Authentication.Failure?.Throw();

    /// <summary>
    /// Ends the <c>auth</c> span (its end time was set when it started) and makes the server span current again;
    /// returns null.
    /// </summary>
    public static Activity? EndSpan(Activity? auth, Activity? server) => Spans.End(auth, server);

    private static async ValueTask AwaitAuthenticationAsync(ValueTask<AuthResult> pending, LlmCall call)
    {
        AuthResult result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Refuse(call, exception);
            return;
        }

        Authenticated(call, result);
    }

    private static void Authenticated(LlmCall call, AuthResult result)
    {
        if (!result.Succeeded)
        {
            Refuse(call, new LlmAuthenticationException(
                result.FailureMessage ?? "Authentication failed.", result.Forbidden));
            return;
        }

        ref var state = ref call.Authentication;
        state.Trust = CallerTrust.Authenticated;
        state.Caller = result.Caller;
        state.EndTimestamp = state.StartTimestamp == 0 ? 0 : Stopwatch.GetTimestamp();
        call.UserApiKeyHash = result.KeyHash;
    }

    private static void Refuse(LlmCall call, Exception exception)
    {
        ref var state = ref call.Authentication;
        state.Trust = CallerTrust.Unauthenticated;
        state.Failure = ExceptionDispatchInfo.Capture(exception);
        state.EndTimestamp = state.StartTimestamp == 0 ? 0 : Stopwatch.GetTimestamp();
    }
}
