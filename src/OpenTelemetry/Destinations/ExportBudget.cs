using System.Threading;

namespace TracedLlm;

/// <summary>
/// The bytes a router's channels may hold together in one of the export's bounds, each within its
/// share.
/// </summary>
/// <remarks>
/// The bounds: spans queued, batches waiting to be delivered. Each channel may always hold a reserve of
/// its own, so one whose backend hangs or refuses can take from the others at most what lies beyond
/// their reserves. The reserves together are at most the total (a reserve is the total divided among
/// the configured channels, when that is less than two batches), so the bound is at most twice the
/// configured total, whatever the number of channels.
/// </remarks>
internal sealed class ExportBudget
{
    private long _used;
    private long _reserve;
    private long _open;

    public ExportBudget(long total, long reserve)
    {
        Total = total;
        _reserve = reserve;
    }

    public long Total { get; }

    /// <summary>What each channel may hold whatever the others do (a reload may change it).</summary>
    public long Reserve
    {
        get => Interlocked.Read(ref _reserve);
        set => Interlocked.Exchange(ref _reserve, value);
    }

    /// <summary>The bytes held now, by every destination.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>
    /// Takes <paramref name="bytes"/> for a destination that would then hold <paramref
    /// name="heldAfter"/>; false (nothing taken) when the total has no room and the destination is past
    /// its reserve.
    /// </summary>
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

    /// <summary>The bytes of the batches the channels are still building (not yet in <see cref="Used"/>).</summary>
    public long Open => Interlocked.Read(ref _open);

    /// <summary>Counts <paramref name="bytes"/> more (or fewer) of a batch being built.</summary>
    public void AddOpen(long bytes) => Interlocked.Add(ref _open, bytes);

    /// <summary>
    /// Whether the batches held, and those being built in the buffers of up to twice their bytes they are sealed in,
    /// reach half of <see cref="Total"/>.
    /// </summary>
    public bool UnderPressure => (2 * Open) + Used >= Total / 2;
}
