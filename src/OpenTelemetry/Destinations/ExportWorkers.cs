using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// The one export thread a router's destinations share: a turn at each destination with work or a
/// due batch, one piece at most, so no backlog delays another's batch long.
/// </summary>
/// <remarks>
/// A destination with a backlog delays another's due batch by one piece at most. A turn only
/// serializes (under the router's <see cref="SharedSerializer"/>, CPU only) and seals; sends are
/// asynchronous on the thread pool, so no backend, hung or refusing, holds it. One thread,
/// because the serializer is one lock: a second would only wait for it; a hundred threads cost a
/// hundred times the waking and switching (bench/results/2026-11-28-destinations-quiet.md).
/// The thread visits only the destinations that asked for a turn (spans queued, a flush, a close)
/// and those whose wait has ended, in order of their due time: a sweep over every open destination
/// at each wake cost a thousand quiet destinations most of the thread's time
/// (bench/results/2026-11-29-destinations-scale.md).
/// </remarks>
internal sealed class ExportWorkers : IDisposable
{
    // Stopwatch ticks in a millisecond, and in the grid due turns are rounded up to (ScheduleAt).
    private static readonly long TicksPerMillisecond = Math.Max(1, Stopwatch.Frequency / 1000);
    private static readonly long TurnTick = Math.Max(1, Stopwatch.Frequency / 100);

    private readonly Lock _gate = new();
    private readonly Queue<Member> _ready = new();
    private readonly PriorityQueue<Member, long> _due = new();
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Thread _thread;
    private volatile bool _disposed;

    // Until when the thread sleeps (a Stopwatch timestamp; long.MinValue while it works): a turn
    // scheduled for earlier wakes it. Under _gate.
    private long _sleepUntil = long.MinValue;

    public ExportWorkers()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "TracedLlm destinations export" };
        _thread.Start();
    }

    /// <summary>The shared thread's stepping-aside state (<see cref="ExportThreadScheduling"/>).</summary>
    public ExportThreadState State { get; } = new();

    /// <summary>Takes <paramref name="processor"/> in: a turn at once, then when it asks or its wait ends.</summary>
    public Member Add(BoundedExportProcessor processor)
    {
        var member = new Member(processor);
        Signal(member);
        return member;
    }

    /// <summary>Gives <paramref name="member"/> a turn soon (once, however often it asks before it).</summary>
    public void Signal(Member member)
    {
        if (Interlocked.Exchange(ref member.Signalled, 1) == 0)
        {
            lock (_gate)
            {
                _ready.Enqueue(member);
            }

            Wake();
        }
    }

    /// <summary>
    /// Gives <paramref name="member"/> a turn at <paramref name="dueAt"/> unless it has an earlier one;
    /// from any thread.
    /// </summary>
    /// <remarks>
    /// <paramref name="dueAt"/> is a <see cref="Stopwatch"/> timestamp, rounded up to the next 10 ms so
    /// that many such turns share a wake.
    /// </remarks>
    public void ScheduleAt(Member member, long dueAt)
    {
        dueAt = OnTick(dueAt);
        bool wake;
        lock (_gate)
        {
            Schedule(member, dueAt);
            wake = dueAt < _sleepUntil;
        }

        if (wake)
        {
            Wake();
        }
    }

    /// <summary>No turn for <paramref name="member"/> after this.</summary>
    public static void Remove(Member member) => Volatile.Write(ref member.Removed, true);

    public void Dispose()
    {
        _disposed = true;
        Wake();
    }

    private void Wake()
    {
        if (!_wake.IsSet)
        {
            _wake.Set();
        }
    }

    private void Run()
    {
        State.Start();
        var piece = new PieceArrays();
        var turns = new List<Member>();
        while (!_disposed)
        {
            // Reset before taking the turns: a signal from here on is for work this pass may miss.
            _wake.Reset();
            TakeTurns(turns);
            var worked = false;
            foreach (var member in turns)
            {
                // Cleared before the turn: a signal during it queues the member again.
                Volatile.Write(ref member.Signalled, 0);
                if (Volatile.Read(ref member.Removed))
                {
                    continue;
                }

                var (done, dueAt) = TakeTurn(member, piece, ref worked);
                if (done)
                {
                    Remove(member);
                }
                else if (dueAt == 0)
                {
                    // Mid-round, or more work: another turn, after the others' turns.
                    Signal(member);
                }
                else
                {
                    dueAt = OnTick(dueAt);
                    lock (_gate)
                    {
                        Schedule(member, dueAt);
                    }
                }
            }

            turns.Clear();
            if (!worked)
            {
                Sleep();
            }
        }
    }

    // Until the next turn is due, or a member asks for one (or schedules an earlier one).
    private void Sleep()
    {
        long next;
        lock (_gate)
        {
            next = _due.TryPeek(out _, out var at) ? at : long.MaxValue;
            _sleepUntil = next;
        }

        // In whole milliseconds, rounded up: the event's wait truncates, so a wait of 9.7 ms woke 0.7 ms
        // early, found no turn due and slept again; with a thousand teams every due turn cost two wakes
        // (bench/results/2026-11-30-destinations-own-cpu.md).
        _wake.Wait(next == long.MaxValue ? Timeout.Infinite : Milliseconds(next - Stopwatch.GetTimestamp()));
        lock (_gate)
        {
            _sleepUntil = long.MinValue;
        }
    }

    // Stopwatch ticks as whole milliseconds, rounded up, at least one.
    private static int Milliseconds(long ticks) =>
        (int)Math.Clamp(ticks / TicksPerMillisecond + (ticks % TicksPerMillisecond > 0 ? 1 : 0), 1, int.MaxValue);

    // A due time rounded up to the next turn tick (10 ms), so that many turns share a wake.
    private static long OnTick(long dueAt) =>
        dueAt > long.MaxValue - TurnTick ? dueAt : (dueAt + TurnTick - 1) / TurnTick * TurnTick;

    // The members signalled, then those whose wait has ended.
    private void TakeTurns(List<Member> turns)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            while (_ready.TryDequeue(out var member))
            {
                turns.Add(member);
            }

            while (_due.TryPeek(out var member, out var at) && at <= now)
            {
                _due.Dequeue();

                // An entry the member's earlier turn replaced is left where it was, and skipped here.
                if (member.DueAt == at)
                {
                    member.DueAt = 0;
                    turns.Add(member);
                }
                else if (member.Parked == at)
                {
                    member.Parked = 0;
                }
            }
        }
    }

    private static (bool Done, long DueAt) TakeTurn(Member member, PieceArrays piece, ref bool worked)
    {
        try
        {
            var (turnWorked, done, dueAt) = member.Processor.Turn(piece, worked);
            worked |= turnWorked;
            return (done, dueAt);
        }
        catch (ObjectDisposedException)
        {
            // Disposed without a shut-down (or after one timed out): nothing is left to export to.
            member.Processor.TurnsEnded();
            return (true, long.MaxValue);
        }
    }

    // A turn at dueAt, unless one is due sooner. Under _gate.
    // A quiet channel's request of spans replaces its batch's due turn by the spans' (sooner), then
    // asks for the batch's again: the entry left in the heap is used again, not pushed a second time,
    // which halved the heap a thousand teams keep (bench/results/2026-11-30-destinations-own-cpu.md).
    private void Schedule(Member member, long dueAt)
    {
        if (member.DueAt != 0 && dueAt >= member.DueAt)
        {
            return;
        }

        if (member.DueAt != 0)
        {
            member.Parked = member.DueAt;
        }
        else if (member.Parked == dueAt)
        {
            member.Parked = 0;
            member.DueAt = dueAt;
            return;
        }

        member.DueAt = dueAt;
        _due.Enqueue(member, dueAt);
    }

    /// <summary>A processor's place on the shared thread: whether it asked for a turn, when its wait ends.</summary>
    internal sealed class Member(BoundedExportProcessor processor)
    {
        public readonly BoundedExportProcessor Processor = processor;
        public int Signalled;
        public bool Removed;

        /// <summary>When its wait ends (a <see cref="Stopwatch"/> timestamp), 0 for none; under the gate.</summary>
        public long DueAt;

        /// <summary>
        /// The time of an entry of its own left in the heap when a sooner one replaced it, 0 for none; under the gate.
        /// </summary>
        public long Parked;
    }
}

/// <summary>The shared thread's arrays: a piece's spans and routes, and one translation's spans at a time.</summary>
internal sealed class PieceArrays
{
    public Activity[] Spans { get; private set; } = new Activity[BoundedExportProcessor.PieceSize];

    public SpanRoute?[] Routes { get; private set; } = new SpanRoute?[BoundedExportProcessor.PieceSize];

    public Activity[] Group { get; private set; } = new Activity[BoundedExportProcessor.PieceSize];

    public SpanRoute?[] GroupRoutes { get; private set; } = new SpanRoute?[BoundedExportProcessor.PieceSize];

    /// <summary>Room for a piece of <paramref name="spans"/>.</summary>
    public void EnsureRoom(int spans)
    {
        if (Spans.Length < spans)
        {
            (Spans, Routes) = (new Activity[spans], new SpanRoute?[spans]);
            (Group, GroupRoutes) = (new Activity[spans], new SpanRoute?[spans]);
        }
    }
}

/// <summary>
/// Whether an export thread steps aside for requests (<see cref="ExportThreadScheduling"/>): its
/// thread id, whether it is stepped aside now, and until when spans piling up keep it the requests' equal.
/// </summary>
internal sealed class ExportThreadState
{
    public bool CanStepAside;

    /// <summary>The thread's Linux id, to bring it back from a request thread; 0 before it starts, or never.</summary>
    public int ThreadId;
    public int Background;
    public long EqualUntil;

    /// <summary>
    /// The spans serialized since the thread last yielded (the shared thread's members yield a piece's
    /// worth at a time).
    /// </summary>
    public int SerializedSinceYield;

    /// <summary>Called on the thread itself, when it starts.</summary>
    public void Start()
    {
        CanStepAside = ExportThreadScheduling.CanStepAside();
        ThreadId = CanStepAside ? ExportThreadScheduling.CurrentThreadId() : 0;
    }
}
