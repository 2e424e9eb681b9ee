using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// The export thread every destination of a router shares, in place of a thread each: it takes a
/// turn at each destination that has work or a due batch, one piece at most a turn, so a destination
/// with a backlog delays another's due batch by one piece at most. A turn only serializes (under the
/// router's <see cref="SharedSerializer"/>, CPU only) and seals; sends are asynchronous on the thread
/// pool, so no backend, hung or refusing, holds it. One thread, because the serializer is one lock:
/// a second would only wait for it; a hundred threads cost a hundred times the waking and switching
/// (bench/results/2026-11-28-destinations-quiet.md).
/// </summary>
internal sealed class ExportWorkers : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<BoundedExportProcessor> _members = [];
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Thread _thread;
    private BoundedExportProcessor[] _snapshot = [];
    private volatile bool _disposed;

    public ExportWorkers()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "TracedLlm destinations export" };
        _thread.Start();
    }

    /// <summary>The stepping-aside state of the shared thread (<see cref="ExportThreadScheduling"/>), one for every member.</summary>
    public ExportThreadState State { get; } = new();

    public void Add(BoundedExportProcessor member)
    {
        lock (_gate)
        {
            _members.Add(member);
            _snapshot = [.. _members];
        }

        Wake();
    }

    public void Remove(BoundedExportProcessor member)
    {
        lock (_gate)
        {
            if (_members.Remove(member))
            {
                _snapshot = [.. _members];
            }
        }
    }

    public void Wake()
    {
        if (!_wake.IsSet)
        {
            _wake.Set();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Wake();
    }

    private void Run()
    {
        State.Start();
        var piece = new Activity[BoundedExportProcessor.PieceSize];
        while (!_disposed)
        {
            // Reset before the sweep: a wake set from here on is for work the sweep may miss.
            _wake.Reset();
            var worked = false;
            var due = long.MaxValue;
            foreach (var member in Volatile.Read(ref _snapshot))
            {
                bool done;
                long memberDue;
                try
                {
                    (worked, done, memberDue) = member.Turn(ref piece, worked);
                }
                catch (ObjectDisposedException)
                {
                    // Disposed without a shut-down (or after one timed out): nothing is left to export to.
                    (done, memberDue) = (true, long.MaxValue);
                    member.TurnsEnded();
                }

                if (done)
                {
                    Remove(member);
                }

                due = Math.Min(due, memberDue);
            }

            if (!worked)
            {
                var wait = due == long.MaxValue ? Timeout.InfiniteTimeSpan : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait != Timeout.InfiniteTimeSpan && wait < TimeSpan.FromMilliseconds(1))
                {
                    wait = TimeSpan.FromMilliseconds(1);
                }

                _wake.Wait(wait);
            }
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

    /// <summary>The thread's Linux id, to bring it back from a request thread; 0 until it starts, or when it may not step aside.</summary>
    public int ThreadId;
    public int Background;
    public long EqualUntil;

    /// <summary>Called on the thread itself, when it starts.</summary>
    public void Start()
    {
        CanStepAside = ExportThreadScheduling.CanStepAside();
        ThreadId = CanStepAside ? ExportThreadScheduling.CurrentThreadId() : 0;
    }
}
