using System.Threading;

namespace TracedLlm;

/// <summary>
/// The bytes all of a router's destinations may hold together in one of the export's bounds (spans
/// queued, batches waiting to be delivered): each destination is held to its own share of it, and
/// all of them together to the whole, except that each may always hold a reserve of its own, so a
/// destination whose backend hangs or refuses can take from the others at most what lies beyond
/// their reserves. The bound is then the configured total plus a reserve per open destination.
/// </summary>
internal sealed class ExportBudget
{
    private long _used;

    public ExportBudget(long total, long reserve)
    {
        Total = total;
        Reserve = reserve;
    }

    public long Total { get; }

    /// <summary>What each destination may hold whatever the others do.</summary>
    public long Reserve { get; }

    /// <summary>The bytes held now, by every destination.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Takes <paramref name="bytes"/> for a destination that would then hold <paramref name="heldAfter"/>; false (nothing taken) when the total has no room and the destination is past its reserve.</summary>
    public bool TryTake(long bytes, long heldAfter)
    {
        if (heldAfter <= Reserve)
        {
            Interlocked.Add(ref _used, bytes);
            return true;
        }

        var used = Interlocked.Read(ref _used);
        while (true)
        {
            if (used + bytes > Total)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used)
            {
                return true;
            }

            used = seen;
        }
    }

    public void Return(long bytes) => Interlocked.Add(ref _used, -bytes);
}
