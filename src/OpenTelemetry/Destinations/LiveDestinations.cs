using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// The destinations a router has open, at most <see cref="TraceRoutingOptions.MaxLiveDestinations"/>:
/// one is opened when a span first needs it, closed when it has been idle for
/// <see cref="TraceRoutingOptions.IdleTimeout"/>, when the limit needs its place (the one used
/// longest ago), or when a reload changes or removes it; a closed destination delivers its queue
/// within its shut-down bound, in the background. So the memory and threads of the export are
/// bounded by configuration, never by how many teams ever called.
/// </summary>
internal sealed class LiveDestinations : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoutedDestination> _open = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Task> _closing = new();
    private readonly SharedSerializer _serializer;
    private readonly SocketsHttpHandler _handler;
    private readonly Func<ExportQueueOptions> _queue;
    private readonly (ExportBudget Queue, ExportBudget Buffer) _budgets;
    private readonly Action<string> _warn;
    private readonly Timer _idleTimer;
    private int _maxLive;
    private TimeSpan _idleTimeout;
    private bool _stopped;

    public LiveDestinations(SharedSerializer serializer, Func<ExportQueueOptions> queue, (ExportBudget Queue, ExportBudget Buffer) budgets, Action<string> warn, int maxLive, TimeSpan idleTimeout)
    {
        _serializer = serializer;
        _queue = queue;
        _budgets = budgets;
        _warn = warn;
        (_maxLive, _idleTimeout) = (maxLive, idleTimeout);

        // One connection pool for every destination (a pool per backend address inside it); no
        // redirect is followed, as OpenTelemetry's own client follows none.
        _handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        _idleTimer = new Timer(static state => ((LiveDestinations)state!).CloseIdle(), this, IdleCheck(idleTimeout), IdleCheck(idleTimeout));
    }

    /// <summary>How many are open now.</summary>
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

    /// <summary>The open destinations' names (for tests and the start-up report).</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return _open.Keys.ToList();
            }
        }
    }

    /// <summary>The bytes every open destination holds together: spans queued (estimated) and batches buffered (as held).</summary>
    public (long Queued, long Buffered) Held => (_budgets.Queue.Used, _budgets.Buffer.Used);

    /// <summary>The batches an open destination holds in memory now (bytes), by name; 0 when it is not open.</summary>
    public long BufferedBytes(string name)
    {
        lock (_gate)
        {
            return _open.TryGetValue(name, out var destination) ? destination.Processor.BufferedExportBytes : 0;
        }
    }

    /// <summary>Applies new limits (a reload).</summary>
    public void Limit(int maxLive, TimeSpan idleTimeout)
    {
        lock (_gate)
        {
            (_maxLive, _idleTimeout) = (maxLive, idleTimeout);
        }

        _idleTimer.Change(IdleCheck(idleTimeout), IdleCheck(idleTimeout));
    }

    /// <summary>
    /// The open destination for <paramref name="definition"/>, opened if needed, its turn taken
    /// (<see cref="RoutedDestination.Exit"/> gives it back); null once stopped.
    /// </summary>
    public RoutedDestination? Enter(DestinationDefinition definition)
    {
        while (true)
        {
            RoutedDestination? destination;
            lock (_gate)
            {
                if (_stopped)
                {
                    return null;
                }

                if (!_open.TryGetValue(definition.Name, out destination) || !destination.Definition.Equals(definition))
                {
                    if (destination is not null)
                    {
                        // Its configuration changed: the old one delivers what it has, the new one takes over.
                        CloseLocked(destination);
                    }

                    while (_open.Count >= _maxLive)
                    {
                        CloseLocked(_open.Values.MinBy(d => d.LastUsed)!);
                    }

                    destination = new RoutedDestination(definition, _serializer, _handler, _queue(), _budgets, _warn);
                    _open[definition.Name] = destination;
                }
            }

            if (destination.TryEnter())
            {
                return destination;
            }
        }
    }

    /// <summary>Closes the open destinations that are not in <paramref name="keep"/> as they are (a reload removed or changed them).</summary>
    public void Retain(IReadOnlyDictionary<string, DestinationDefinition> keep)
    {
        lock (_gate)
        {
            foreach (var destination in _open.Values.ToList())
            {
                if (!keep.TryGetValue(destination.Definition.Name, out var definition) || !definition.Equals(destination.Definition))
                {
                    CloseLocked(destination);
                }
            }
        }
    }

    /// <summary>Flushes every open destination at once; false when one did not finish within <paramref name="timeoutMilliseconds"/>.</summary>
    public bool Flush(int timeoutMilliseconds)
    {
        List<RoutedDestination> open;
        lock (_gate)
        {
            open = _open.Values.ToList();
        }

        var flushes = open.Select(d => Task.Factory.StartNew(() => d.Processor.ForceFlush(timeoutMilliseconds), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        return Task.WhenAll(flushes).Wait(timeoutMilliseconds < 0 ? Timeout.Infinite : timeoutMilliseconds + 1000) && flushes.All(f => f.Result);
    }

    /// <summary>
    /// Stops: no destination opens after this; every open one (and every one still closing) delivers
    /// its queue at once, side by side, each within its shut-down bound (and <paramref name="timeoutMilliseconds"/>).
    /// </summary>
    public bool Shutdown(int timeoutMilliseconds)
    {
        Task[] all;
        lock (_gate)
        {
            _stopped = true;
            foreach (var destination in _open.Values.ToList())
            {
                CloseLocked(destination, timeoutMilliseconds);
            }

            all = _closing.ToArray();
        }

        _idleTimer.Change(Timeout.Infinite, Timeout.Infinite);
        var bound = timeoutMilliseconds < 0 ? Timeout.Infinite : timeoutMilliseconds + 1000;
        return Task.WhenAll(all).Wait(bound) && all.OfType<Task<bool>>().All(t => t.Result);
    }

    public void Dispose()
    {
        _idleTimer.Dispose();
        List<RoutedDestination> open;
        lock (_gate)
        {
            _stopped = true;
            open = _open.Values.ToList();
            _open.Clear();
        }

        foreach (var destination in open)
        {
            destination.Dispose();
        }

        _handler.Dispose();
    }

    // Idle ones closed, checked four times per idle timeout (at most every 30 s).
    private static TimeSpan IdleCheck(TimeSpan idleTimeout) => TimeSpan.FromTicks(Math.Clamp(idleTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond * 30));

    private void CloseIdle()
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var destination in _open.Values.ToList())
            {
                if (Stopwatch.GetElapsedTime(destination.LastUsed, now) >= _idleTimeout)
                {
                    CloseLocked(destination);
                }
            }
        }
    }

    // Out of the open set now; delivered and disposed in the background. Under _gate.
    private void CloseLocked(RoutedDestination destination, int timeoutMilliseconds = Timeout.Infinite)
    {
        if (_open.TryGetValue(destination.Definition.Name, out var open) && ReferenceEquals(open, destination))
        {
            _open.Remove(destination.Definition.Name);
        }

        _closing.RemoveAll(t => t.IsCompleted);
        _closing.Add(Task.Factory.StartNew(() =>
        {
            try
            {
                return destination.Close(timeoutMilliseconds);
            }
            finally
            {
                destination.Dispose();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }
}
