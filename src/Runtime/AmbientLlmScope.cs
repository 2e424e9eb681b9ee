using System.Threading;

namespace TracedLlm;

/// <summary>
/// The traced call, or the attempt inside it, that the running code belongs to, flowing with the
/// async context (<see cref="LlmCall.Current"/>, <see cref="LlmAttempt.Current"/>). Off until
/// something needs it: setting an <see cref="AsyncLocal{T}"/> changes the execution context, and
/// every later change of <c>Activity.Current</c> copies one more entry: 72 B a request with no
/// listener, 288 B with every span recorded (bench/Pipeline <c>alloc</c>), which a gateway that
/// never reads it should not pay. What needs it turns it on at start-up
/// (<see cref="LlmCall.EnableCurrent"/>; <c>UseTracedLlm()</c> and <c>AddTracedLlmAttempts()</c> do);
/// code that reads it while it is off turns it on for the requests that start from then on, and
/// the next request says so once (<see cref="TakeLateNotice"/>): the reads before found nothing.
/// </summary>
internal static class AmbientLlmScope
{
    private static readonly AsyncLocal<object?> Scope = new();
    private static volatile bool s_enabled;
    private static int s_lateNotice;

    public static object? Current
    {
        get
        {
            if (s_enabled)
            {
                return Scope.Value;
            }

            // Read while off: what the reader looks for was never entered. From the next request on, it is.
            if (Interlocked.CompareExchange(ref s_lateNotice, 1, 0) == 0)
            {
                s_enabled = true;
            }

            return null;
        }
    }

    public static bool Enabled => s_enabled;

    /// <summary>
    /// The call or attempt the running code belongs to while the scope flows, else null; never turns it on (an
    /// observer's read).
    /// </summary>
    public static object? Peek => s_enabled ? Scope.Value : null;

    public static void Enable() => s_enabled = true;

    /// <summary>
    /// True once, for the first request after a read turned the scope on: the request that says the
    /// earlier reads found nothing (<see cref="LlmCall"/>'s log, <c>TracedLlm.Attempts</c>).
    /// </summary>
    public static bool TakeLateNotice() =>
        Volatile.Read(ref s_lateNotice) == 1 && Interlocked.CompareExchange(ref s_lateNotice, 2, 1) == 1;

    /// <summary>
    /// Makes <paramref name="callOrAttempt"/> current for the code that runs after it in the calling async method and
    /// what it calls.
    /// </summary>
    /// <remarks>
    /// The method's caller keeps its own (an async method's execution context never flows back out).
    /// </remarks>
    public static void Enter(object callOrAttempt)
    {
        if (s_enabled)
        {
            Scope.Value = callOrAttempt;
        }
    }
}
