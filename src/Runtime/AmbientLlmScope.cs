using System.Threading;

namespace TracedLlm;

/// <summary>
/// The traced call, or the attempt inside it, that the running code belongs to, flowing with the
/// async context (<see cref="LlmCall.Current"/>, <see cref="LlmAttempt.Current"/>). Off until
/// something reads it (<see cref="LlmCall.EnableCurrent"/>; <c>UseTracedLlm()</c> does): setting an
/// <see cref="AsyncLocal{T}"/> changes the execution context, and every later change of
/// <c>Activity.Current</c> copies one more entry: 72 B a request with no listener, 288 B with every
/// span recorded (bench/Pipeline <c>alloc</c>), which a gateway that never reads it should not pay.
/// </summary>
internal static class AmbientLlmScope
{
    private static readonly AsyncLocal<object?> Scope = new();
    private static volatile bool s_enabled;

    public static object? Current => s_enabled ? Scope.Value : null;

    public static void Enable() => s_enabled = true;

    /// <summary>
    /// Makes <paramref name="callOrAttempt"/> current for the code that runs after it in the calling
    /// async method and what it calls; the method's caller keeps its own (an async method's
    /// execution context never flows back out).
    /// </summary>
    public static void Enter(object callOrAttempt)
    {
        if (s_enabled)
        {
            Scope.Value = callOrAttempt;
        }
    }
}
