using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace TracedLlm.Tests;

/// <summary>
/// Waits for what another thread, a timer or another process makes true: polls a condition until it
/// holds or the time is up. The one wait helper of the tests (and of bench/chaos, linked).
/// </summary>
internal static class Eventually
{
    /// <summary>
    /// How long <see cref="HoldsAsync(Func{bool}, string, TimeSpan?, TimeSpan?)"/> waits unless told.
    /// </summary>
    public static readonly TimeSpan DefaultWithin = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, polled every <paramref name="poll"/> (10 ms
    /// unless told); a <see cref="TimeoutException"/> naming <paramref name="what"/> when it does not in time.
    /// </summary>
    public static Task HoldsAsync(
        Func<bool> condition,
        string what = "the condition",
        TimeSpan? within = null,
        TimeSpan? poll = null) => HoldsAsync(() => Task.FromResult(condition()), what, within, poll);

    /// <inheritdoc cref="HoldsAsync(Func{bool}, string, TimeSpan?, TimeSpan?)"/>
    public static async Task HoldsAsync(
        Func<Task<bool>> condition,
        string what = "the condition",
        TimeSpan? within = null,
        TimeSpan? poll = null)
    {
        var limit = within ?? DefaultWithin;
        if (!await TryAsync(condition, limit, poll))
        {
            throw new TimeoutException($"Waited {limit.TotalSeconds:0.#} s in vain for {what}.");
        }
    }

    /// <summary>
    /// Whether <paramref name="condition"/> held within <paramref name="within"/>, polled every <paramref name="poll"/>
    /// (10 ms unless told).
    /// </summary>
    public static Task<bool> TryAsync(Func<bool> condition, TimeSpan within, TimeSpan? poll = null) =>
        TryAsync(() => Task.FromResult(condition()), within, poll);

    /// <inheritdoc cref="TryAsync(Func{bool}, TimeSpan, TimeSpan?)"/>
    public static async Task<bool> TryAsync(Func<Task<bool>> condition, TimeSpan within, TimeSpan? poll = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > within)
            {
                return false;
            }

            await Task.Delay(poll ?? Poll);
        }

        return true;
    }
}
