using System;
using System.Diagnostics;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// The retry and fallback bookkeeping of one call: which target and kind the next attempt has, how
/// long to wait after a failure, and the LiteLLM-compatible response headers once it is over.
/// </summary>
internal sealed class AttemptSequence
{
    private readonly LlmCall _call;
    private readonly LlmRetryPolicy _policy;
    private readonly LlmTarget _primary;
    private int _target = -1;
    private int _retriesOnTarget;
    private int _retries;
    private int _fallbacks;
    private int _index;
    private string? _lastFailure;
    private bool _newTarget = true;

    public AttemptSequence(LlmCall call, LlmTarget primary, LlmRetryPolicy policy)
    {
        _call = call;
        _primary = primary;
        _policy = policy;
    }

    public LlmAttempt Next()
    {
        if (_newTarget)
        {
            _target++;
        }

        var kind = _index == 0 ? AttemptKind.Initial : _newTarget ? AttemptKind.Fallback : AttemptKind.Retry;
        _newTarget = false;
        return new LlmAttempt(_call, _target == 0 ? _primary : _policy.Fallbacks[_target - 1], _index++, kind, _lastFailure);
    }

    /// <summary>The wait before the next attempt, or null when the call gives up with this failure.</summary>
    public TimeSpan? After(Exception failure)
    {
        _lastFailure = failure.GetType().FullName;
        if (_call.HttpContext.RequestAborted.IsCancellationRequested || !_policy.IsRetryable(failure))
        {
            return null;
        }

        if (_retriesOnTarget < _policy.MaxRetries)
        {
            _retriesOnTarget++;
            _retries++;
            return _policy.DelayBefore(_retriesOnTarget);
        }

        if (_target < _policy.Fallbacks.Count)
        {
            _newTarget = true;
            _retriesOnTarget = 0;
            _fallbacks++;
            return TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Records how many retries and fallbacks it took, on the LLM span and as response headers.</summary>
    public void Finish()
    {
        if (_call.Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.AttemptRetries, _retries);
            span.SetTag(AttributeNames.AttemptFallbacks, _fallbacks);
        }

        var response = _call.HttpContext.Response;
        if (!response.HasStarted)
        {
            response.Headers["x-litellm-attempted-retries"] = Text(_retries);
            response.Headers["x-litellm-attempted-fallbacks"] = Text(_fallbacks);
            if (_retries > 0)
            {
                response.Headers["x-litellm-max-retries"] = Text(_policy.MaxRetries);
            }
        }
    }

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
