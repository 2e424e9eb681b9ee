using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// The cells of code a library runs later, from its own thread (a handler of its event, a timer's callback), which the
/// request neither runs nor awaits. <c>@E</c> names the timer: in the faulty form a type of this compilation that looks
/// like the library's (its <c>Elapsed</c> event declared in source, raised by its own <c>Start</c>; a constructor that
/// calls the callback it is given at once), in the sound form the library's own (<c>System.Timers.Timer</c>,
/// <c>System.Threading.Timer</c>).
/// </summary>
internal static class Callbacks
{
    /// <summary>
    /// The look-alikes in source: the code a route runs raises their event and calls their callback itself.
    /// </summary>
    public const string Types = """
        internal sealed class Poll { public Poll(double interval) {
            } public event System.Timers.ElapsedEventHandler? Elapsed; public void Start() =>
            Elapsed?.Invoke(this, null!); }
        internal sealed class Tick { public Tick(System.Threading.TimerCallback callback) => callback(null); }
        """;

    /// <summary><paramref name="source"/> subscribes to <c>new @E(1000)</c>'s <c>Elapsed</c> and starts it.</summary>
    public static MatrixCell Event(string construct, string source) =>
        Pair(construct, source, "@E", "Poll", "System.Timers.Timer");

    /// <summary><paramref name="source"/> hands a callback to <c>new @E(...)</c>.</summary>
    public static MatrixCell Timer(string construct, string source) =>
        Pair(construct, source, "@E", "Tick", "System.Threading.Timer");

    /// <summary>A lambda subscribed to a timer's <c>Elapsed</c> (<paramref name="body"/> is its body).</summary>
    public static string Lambda(string body) =>
        $"var timer = new @E(1000);\ntimer.Elapsed += (_, _) => {{ {body} }};\ntimer.Start();";

    /// <summary>
    /// A method group subscribed to a timer's <c>Elapsed</c>: <c>Poller.OnElapsed</c>, whose body is
    /// <paramref name="body"/>;
    /// <paramref name="route"/> writes the route from its statements and the types beside it.
    /// </summary>
    public static string MethodGroup(System.Func<string, string, string> route, string body) =>
        route(
            "var timer = new @E(1000);\ntimer.Elapsed += Poller.OnElapsed;\ntimer.Start();",
            $"internal static class Poller {{ public static void OnElapsed(object? sender, "
            + $"System.Timers.ElapsedEventArgs e) {{ {body} }} }}\n{Types}");

    /// <summary>A lambda given to a timer's constructor as its callback.</summary>
    public static string Callback(string body) => $"var ticker = new @E(_ => {{ {body} }});\nGC.KeepAlive(ticker);";
}
