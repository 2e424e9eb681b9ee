using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>The channels a router has open, at most <see cref="TraceRoutingOptions.MaxLiveDestinations"/>.</summary>
/// <remarks>
/// A <see cref="DestinationChannel"/> per endpoint and credentials, whatever the number of
/// destinations sending there: the export's memory follows the configuration, never the number of
/// teams that ever called. A channel opens when a span first needs it, and closes when it has been idle for
/// <see cref="TraceRoutingOptions.IdleTimeout"/>, when the limit needs room (the sixteenth used
/// longest ago, at once: one sort for many openings), or when a reload leaves no destination sending
/// to it. Closing waits for nothing: the channel refuses spans from then on (the router queues them
/// where the destination opens again), the shared export thread seals what it holds, its sends finish
/// on their own, and a sweep lets it go once they have (or once its shut-down bound has passed). So a
/// reopening costs a few small objects, never a thread nor a wait: the serializer, the HTTP handler
/// and its connection pools, the HTTP clients and the batch buffers are the router's
/// (bench/results/2026-11-29-destinations-scale.md).
/// </remarks>
internal sealed class LiveDestinations : IDisposable
{
    private static readonly TimeSpan SweepSoon = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly Dictionary<ChannelKey, DestinationChannel> _open = new();
    private readonly List<DestinationChannel> _closing = new();
    private readonly ChannelResources _shared;
    private readonly Func<ExportQueueOptions> _queue;
    private readonly Timer _timer;
    private int _maxLive;
    private TimeSpan _idleTimeout;
    private long _lastIdleCheck;
    private bool _sweepScheduled;
    private bool _stopped;

    public LiveDestinations(
        SharedSerializer serializer,
        Func<ExportQueueOptions> queue,
        (ExportBudget Queue, ExportBudget Buffer) budgets,
        Action<string> warn,
        int maxLive,
        TimeSpan idleTimeout)
    {
        _shared = new ChannelResources(serializer, budgets, warn);
        _queue = queue;
        (_maxLive, _idleTimeout) = (maxLive, idleTimeout);
        _lastIdleCheck = Stopwatch.GetTimestamp();
        var check = IdleCheck(idleTimeout);
        _timer = new Timer(static state => ((LiveDestinations)state!).OnTimer(), this, check, check);
    }

    /// <summary>How many channels are open now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>The open channels' names (each its first destination's), for tests and the start-up report.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return _open.Keys.Select(k => k.Name).ToList();
            }
        }
    }

    /// <summary>The bytes all channels hold together: spans queued (estimated), batches buffered (as held).</summary>
    public (long Queued, long Buffered) Held => (_shared.Budgets.Queue.Used, _shared.Budgets.Buffer.Used);

    /// <summary>The bytes of batches the open channel named <paramref name="name"/> holds now; 0 for none.</summary>
    public long BufferedBytes(string name)
    {
        lock (_gate)
        {
            var open = _open.Values.FirstOrDefault(
                c => string.Equals(c.Key.Name, name, StringComparison.OrdinalIgnoreCase));
            return open?.Processor.BufferedExportBytes ?? 0;
        }
    }

    /// <summary>Applies new limits (a reload).</summary>
    public void Limit(int maxLive, TimeSpan idleTimeout)
    {
        lock (_gate)
        {
            (_maxLive, _idleTimeout) = (maxLive, idleTimeout);
            _timer.Change(_sweepScheduled ? SweepSoon : IdleCheck(idleTimeout), IdleCheck(idleTimeout));
        }
    }

    /// <summary>
    /// Queues <paramref name="span"/> for <paramref name="destination"/> in its open channel, opening
    /// it if needed; false once stopped (nothing queued).
    /// </summary>
    public bool TryEnqueue(DestinationDefinition destination, Activity span)
    {
        while (true)
        {
            if (destination.Channel is { } channel && channel.TryEnqueue(span, destination.Route))
            {
                return true;
            }

            // Closed since (or never opened): the open one, found or opened under the gate.
            if (Open(destination.Key) is not { } open)
            {
                return false;
            }

            destination.Channel = open;
        }
    }

    /// <summary>Closes the open channels <paramref name="keep"/> does not name (a reload moved them all off).</summary>
    public void Retain(IReadOnlyCollection<ChannelKey> keep)
    {
        var kept = keep.ToHashSet();
        lock (_gate)
        {
            foreach (var channel in _open.Values.Where(c => !kept.Contains(c.Key)).ToList())
            {
                CloseLocked(channel);
            }
        }
    }

    /// <summary>Flushes every open and closing channel at once; false when one did not finish in time.</summary>
    public bool Flush(int timeoutMilliseconds)
    {
        var started = Stopwatch.GetTimestamp();
        if (timeoutMilliseconds < 0)
        {
            var bound = _queue().FlushTimeout;
            timeoutMilliseconds = bound == Timeout.InfiniteTimeSpan
                ? Timeout.Infinite
                : (int)Math.Min(int.MaxValue, bound.TotalMilliseconds);
        }

        // Asked of all before any is waited for: they flush side by side, within the one bound.
        var flushes = All().Select(c => (Channel: c, Target: c.Processor.RequestFlush())).ToList();
        var flushed = true;
        foreach (var (channel, target) in flushes)
        {
            flushed &= channel.Processor.WaitFlush(target, started, timeoutMilliseconds);
        }

        return flushed;
    }

    /// <summary>
    /// Stops: no channel opens after this; every open one (and every one still closing) delivers what
    /// it holds at once, side by side, within the shut-down bound (and <paramref name="timeoutMilliseconds"/>).
    /// </summary>
    public bool Shutdown(int timeoutMilliseconds)
    {
        List<DestinationChannel> all;
        lock (_gate)
        {
            _stopped = true;
            foreach (var channel in _open.Values.ToList())
            {
                CloseLocked(channel);
            }

            all = [.. _closing];
            _closing.Clear();
        }

        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        var limit = _queue().ShutdownTimeout;
        var bound = timeoutMilliseconds < 0
            ? limit
            : TimeSpan.FromMilliseconds(Math.Min(timeoutMilliseconds, limit.TotalMilliseconds));
        var started = Stopwatch.GetTimestamp();
        while (all.Any(c => !c.Processor.Settled) && Stopwatch.GetElapsedTime(started) < bound)
        {
            Thread.Sleep(10);
        }

        // Those still sending give up now, side by side (each waits a moment for its cancelled sends).
        var waited = Stopwatch.GetElapsedTime(started);
        var settled = all.ToLookup(c => c.Processor.Settled);
        var finished = settled[true].Aggregate(true, (delivered, c) => c.Finish(0, waited) & delivered);
        var late = settled[false].ToList();
        var rest = Task.Run(() =>
        {
            var delivered = 1;
            Parallel.ForEach(late, new ParallelOptions { MaxDegreeOfParallelism = 16 }, c =>
            {
                if (!c.Finish(0, waited))
                {
                    Volatile.Write(ref delivered, 0);
                }
            });
            return delivered == 1;
        });
        return rest.Wait(TimeSpan.FromSeconds(5)) && rest.Result && finished;
    }

    public void Dispose()
    {
        _timer.Dispose();
        List<DestinationChannel> all;
        lock (_gate)
        {
            _stopped = true;
            all = [.. _open.Values, .. _closing];
            _open.Clear();
            _closing.Clear();
        }

        foreach (var channel in all)
        {
            channel.Dispose();
        }

        _shared.Dispose();
    }

    // Idle ones closed, checked four times per idle timeout (at most every 30 s).
    private static TimeSpan IdleCheck(TimeSpan idleTimeout) =>
        TimeSpan.FromTicks(
            Math.Clamp(idleTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond * 30));

    private List<DestinationChannel> All()
    {
        lock (_gate)
        {
            return [.. _open.Values, .. _closing];
        }
    }

    // The open channel of key, opened if needed (making room under the limit); null once stopped.
    private DestinationChannel? Open(ChannelKey key)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return null;
            }

            if (_open.TryGetValue(key, out var channel))
            {
                return channel;
            }

            if (_open.Count >= _maxLive)
            {
                var room = Math.Max(1, _maxLive / 16);
                foreach (var oldest in _open.Values.OrderBy(c => c.LastUsed).Take(room).ToList())
                {
                    CloseLocked(oldest);
                }
            }

            channel = new DestinationChannel(key, _shared, _queue());
            _open[key] = channel;
            return channel;
        }
    }

    // Out of the open set now; what it holds is delivered in the background, and a sweep lets it go. Under _gate.
    private void CloseLocked(DestinationChannel channel)
    {
        if (_open.TryGetValue(channel.Key, out var open) && ReferenceEquals(open, channel))
        {
            _open.Remove(channel.Key);
        }

        channel.BeginClose();
        _closing.Add(channel);
        if (!_sweepScheduled && !_stopped)
        {
            _sweepScheduled = true;
            _timer.Change(SweepSoon, IdleCheck(_idleTimeout));
        }
    }

    private void OnTimer()
    {
        List<DestinationChannel> settled = [];
        List<DestinationChannel> overdue = [];
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_lastIdleCheck, now) >= IdleCheck(_idleTimeout) - SweepSoon)
            {
                _lastIdleCheck = now;
                var idle = _open.Values.Where(c => Stopwatch.GetElapsedTime(c.LastUsed, now) >= _idleTimeout).ToList();
                foreach (var channel in idle)
                {
                    CloseLocked(channel);
                }
            }

            var bound = _queue().ShutdownTimeout;
            _closing.RemoveAll(channel =>
            {
                var done = channel.Processor.Settled;
                var late = !done && Stopwatch.GetElapsedTime(channel.ClosedAt, now) >= bound;
                (done ? settled : late ? overdue : null)?.Add(channel);
                return done || late;
            });

            // Closing ones are swept soon again, until none is left.
            _sweepScheduled = _closing.Count > 0;
            _timer.Change(_sweepScheduled ? SweepSoon : IdleCheck(_idleTimeout), IdleCheck(_idleTimeout));
        }

        foreach (var channel in settled)
        {
            channel.Finish(0);
        }

        // Past its bound (a backend that hangs): what it still holds is dropped and counted, off this thread.
        foreach (var channel in overdue)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.Finish(0), channel, preferLocal: false);
        }
    }
}
