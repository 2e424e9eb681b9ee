using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

// Sending and retrying: how many sends start at once, what an answer means for the batch (delivered,
// refused for good, or tried again after the backoff or the server's wait).
internal sealed partial class OtlpDelivery
{
    // Starts as many sends as allowed: all of them while the endpoint answers, one while it fails,
    // none before the retry time.
    private void Pump()
    {
        List<ExportPayload>? starting = null;
        lock (_gate)
        {
            if (_stopping || _waiting.Count == 0)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (now < _retryAt)
            {
                _retryTimer ??= new Timer(
                    static state => ((OtlpDelivery)state!).Pump(),
                    this,
                    Timeout.Infinite,
                    Timeout.Infinite);
                _retryTimer.Change(
                    (long)Math.Ceiling(Stopwatch.GetElapsedTime(now, _retryAt).TotalMilliseconds),
                    Timeout.Infinite);
                return;
            }

            var limit = _failures > 0 ? 1 : _maxConcurrent;
            while (_inFlight < limit && _waiting.First is { } next)
            {
                _waiting.RemoveFirst();
                _inFlight++;
                _inFlightSpans += next.Value.Spans;
                _inFlightMemorySpans += next.Value.File is null ? next.Value.Spans : 0;
                next.Value.TriedAt = now;
                (starting ??= new List<ExportPayload>()).Add(next.Value);
            }
        }

        if (starting is null)
        {
            return;
        }

        foreach (var payload in starting)
        {
            // Off the caller's thread: the export thread must not do network work.
            SendStarts.Shared.Start(this, payload);
        }
    }

    /// <summary>Sends <paramref name="payload"/> and settles it; never throws (its task ends in no fault).</summary>
    internal async Task SendAsync(ExportPayload payload)
    {
        SendOutcome outcome;
        try
        {
            using var request = Request(payload);
            using var response = await _client
                .SendAsync(
                    request,
                    _grpcEndpoint is null
                        ? HttpCompletionOption.ResponseHeadersRead
                        : HttpCompletionOption.ResponseContentRead,
                    _stop.Token)
                .ConfigureAwait(false);
            outcome = _grpcEndpoint is null ? OtlpResponses.FromHttp(response) : OtlpResponses.FromGrpc(response);
            if (outcome.Result == SendResult.Delivered)
            {
                // A success may still have rejected some of the batch's spans (its partial_success).
                outcome = await OtlpResponses
                    .FromBodyAsync(response, _grpcEndpoint is not null, _client.Timeout, _stop.Token)
                    .ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Settle(payload, stopped: true, default);
            return;
        }
        catch (IOException unreadable) when (!payload.InMemory)
        {
            // The disk buffer's file is gone or unreadable: nothing left to send.
            outcome = new SendOutcome(
                SendResult.Refused,
                null,
                $"its file could not be read ({unreadable.GetType().Name})");
        }
        catch (Exception e)
        {
            outcome = OtlpResponses.FromException(e);
        }

        Settle(payload, stopped: false, outcome);
    }

    private void Settle(ExportPayload payload, bool stopped, SendOutcome outcome)
    {
        var resolved = false;
        TimeSpan? wait = null;
        bool abandoned;
        lock (_gate)
        {
            // Stopping: not sent, or a retry that can no longer happen.
            abandoned = stopped || (outcome.Result == SendResult.Retry && _stopping);
            if (abandoned)
            {
                // Still in flight until it is counted, below.
            }
            else if (outcome.Result == SendResult.Retry)
            {
                EndSend(payload);

                // A failure counts once per round of tries: those begun before the last failure was seen do not add to
                // it.
                if (payload.TriedAt >= _lastFailureAt)
                {
                    _failures++;
                    _lastFailureAt = Stopwatch.GetTimestamp();
                }

                wait = outcome.RetryAfter ?? Backoff(_failures);
                _retryAt = Math.Max(
                    _retryAt,
                    Stopwatch.GetTimestamp() + (long)(wait.Value.TotalSeconds * Stopwatch.Frequency));
                _waiting.AddFirst(payload);
            }
            else
            {
                EndSend(payload);
                if (outcome.Result == SendResult.Delivered)
                {
                    _failures = 0;
                    _retryAt = 0;
                }

                resolved = true;
            }

            Monitor.PulseAll(_gate);
        }

        if (abandoned)
        {
            // Counted in the same step that ends its send: a shut-down reading the counts sees it
            // either in flight or abandoned, never both.
            Abandon(payload, wasInFlight: true);
            return;
        }

        if (resolved)
        {
            // Counted before it is resolved: a flush that sees it resolved sees it counted.
            if (outcome.Result == SendResult.Delivered)
            {
                // Rejected spans are the endpoint's final word, never sent again; a count past the
                // batch's (a confused endpoint) is the batch.
                var rejected = Math.Min(outcome.Rejected, payload.Spans);
                _report.Delivered(payload.Spans - rejected);
                if (rejected > 0)
                {
                    _report.Dropped(payload, rejected, BoundedExportProcessor.DropReason.Rejected, outcome.Detail);
                }
            }
            else
            {
                // Said in the drop's own warning, once an interval: an endpoint that refuses every batch
                // (a wrong key: 401) would otherwise write a line for each one.
                var failed = BoundedExportProcessor.DropReason.ExportFailed;
                _report.Dropped(payload, payload.Spans, failed, $"refused for good: {outcome.Detail}");
            }

            Resolve(payload);
        }
        else
        {
            _report.Retrying(payload.Spans, outcome.Detail, wait!.Value);
        }

        Pump();
    }

    // No longer in flight. Under _gate.
    private void EndSend(ExportPayload payload)
    {
        _inFlight--;
        _inFlightSpans -= payload.Spans;
        _inFlightMemorySpans -= payload.File is null ? payload.Spans : 0;
    }

    // The n-th failure in a row waits initial × 2^(n-1), at most the maximum, drawn between half and
    // one and a half times that (and never past the maximum), so that many gateways do not retry in step.
    private TimeSpan Backoff(int failures)
    {
        var doubled = _initialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        var wait = Math.Min(doubled, _maxBackoff.TotalMilliseconds) * (0.5 + Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Min(wait, _maxBackoff.TotalMilliseconds));
    }
}
