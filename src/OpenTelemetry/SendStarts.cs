using System.Collections.Concurrent;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// Starts sends on the thread pool, all that are waiting by one work item, so that sends begun close
/// together wake one pool thread, not one each.
/// </summary>
/// <remarks>
/// A pool thread that runs out of work spins (yielding the core) before it sleeps, and that spin,
/// not the send, was most of the CPU of a thousand channels' small batches: a thousand teams of their
/// own keys cost 2.3 times one destination's CPU a request, 40% of it in the pool's spin
/// (perf, bench/results/2026-11-29-destinations-own.md). A send's start only runs until its first
/// wait (HttpClient's send is asynchronous), so one start never holds up the next for a backend's
/// answer: a hung or refusing backend reaches no other destination.
/// </remarks>
internal sealed class SendStarts
{
    private readonly ConcurrentQueue<(OtlpDelivery Delivery, ExportPayload Payload)> _starts = new();
    private int _scheduled;

    /// <summary>The starter every delivery of the process shares.</summary>
    public static SendStarts Shared { get; } = new();

    /// <summary>Sends <paramref name="payload"/> from the thread pool soon, with any others waiting then.</summary>
    public void Start(OtlpDelivery delivery, ExportPayload payload)
    {
        _starts.Enqueue((delivery, payload));
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Run(), this, preferLocal: false);
        }
    }

    private void Run()
    {
        while (true)
        {
            while (_starts.TryDequeue(out var start))
            {
                _ = start.Delivery.SendAsync(start.Payload);
            }

            // A start queued after the queue was seen empty, before the flag was cleared, is run here
            // (the exchange is a full fence: the emptiness is read after the flag is cleared).
            Interlocked.Exchange(ref _scheduled, 0);
            if (_starts.IsEmpty || Interlocked.Exchange(ref _scheduled, 1) != 0)
            {
                return;
            }
        }
    }
}
