using System.Reflection;
using Microsoft.Extensions.Primitives;
using OpenTelemetry.Context.Propagation;

namespace TracedLlm.Benchmarks;

/// <summary>
/// `tracestate` mode: the caller's <c>tracestate</c> read by the runtime
/// (<c>TraceStateHeader.TryRead</c>, what <c>TraceJoin</c> uses: OpenTelemetry.Api's
/// <see cref="TraceContextPropagator"/>, its <c>Extract</c> and, over 512 characters, its
/// <c>Inject</c> to cut) beside the propagator's <c>Extract</c> alone, called the same way (one static
/// propagator, the header as the carrier, a static getter). First what each keeps of the behaviour
/// tests' headers, then ns (this thread's CPU time, median of rounds) and bytes per header. At
/// 5da8f1f the runtime's reader was the hand-written one this compared it with.
/// </summary>
internal static class TraceStateCost
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static readonly TraceContextPropagator Propagator = new();

    // The propagator reads a tracestate only beside a valid traceparent: a fixed one, allocated once.
    private static readonly string[] AnyTraceParent = [TraceParent];

    private static readonly Func<StringValues, string, IEnumerable<string>?> Getter =
        static (traceState, name) => name == "tracestate" ? traceState : AnyTraceParent;

    private delegate bool TryRead(StringValues headers, out string? kept);

    // Internal to the runtime (no InternalsVisibleTo for the bench): bound once, called through a delegate.
    private static readonly TryRead Runtime = typeof(TracedLlm.Telemetry.TracedLlmTelemetry).Assembly
        .GetType("TracedLlm.Pipeline.TraceStateHeader", throwOnError: true)!
        .GetMethod("TryRead", BindingFlags.Public | BindingFlags.Static)!
        .CreateDelegate<TryRead>();

    public static void Run(int rounds)
    {
        var wide = Enumerable.Range(0, 30).Select(i => $"k{i:D2}={new string('v', 30)}").ToArray();
        var cases = new (string Name, string Header)[]
        {
            ("two members", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
            ("white space, empty", " rojo=1 ,, congo=2\t"),
            ("tenant@vendor, digit first", "tenant1@vendor=x,0k=y"),
            ("30 members, 1,049 chars", string.Join(",", wide)),
            ("a 205-char member first", $"long={new string('l', 200)},{string.Join(",", wide[..10])}"),
            ("800 members", string.Join(",", Enumerable.Range(0, 800).Select(i => $"k{i}=v{i}"))),
            ("upper-case key", "Rojo=1"),
            ("'=' in value", "rojo=a=b"),
            ("duplicate key", "rojo=1,rojo=2"),
            ("empty value", "rojo="),
            ("space in key", "ro jo=1"),
            ("257-char value", $"k={new string('v', 257)}"),
            ("33 members", string.Join(",", Enumerable.Range(0, 33).Select(i => $"k{i}=v"))),
            ("only commas", ",,"),
            ("value ends in space", "rojo=1 x ,congo=2"),
            ("key of 257 chars", $"{new string('k', 257)}=v"),
            ("'@' twice in a key (Level 2 grammar)", "a@b@c=1"),
            ("system id of 15 chars", "t@abcdefghijklmno=1"),
            ("hostile 20 KB", Hostile()),
            ("hostile 20 KB, valid", HostileValid()),
        };

        Console.WriteLine("what each keeps: runtime (TraceStateHeader.TryRead) | the propagator's Extract alone -> ActivityContext.TraceState");
        foreach (var (name, header) in cases)
        {
            var runtime = Runtime(header, out var kept) ? Show(kept) : "INVALID (none kept, event)";
            Console.WriteLine($"- {name} ({header.Length} chars)\n    runtime: {runtime}\n    extract: {Show(Extract(header))}");
        }

        Console.WriteLine();
        foreach (var (name, header) in new[] { cases[0], cases[3], cases[^2], cases[^1] })
        {
            var iterations = header.Length > 1_000 ? 20_000 : 1_000_000;
            Measure("runtime", name, header, iterations, rounds, static h => Runtime(h, out var kept) ? kept : null);
            Measure("extract", name, header, iterations, rounds, static h => Extract(h));
        }
    }

    // A valid-looking 20 KB header: 1,000 members of 20 characters, far past 32 members and 512 characters.
    private static string Hostile() => string.Join(",", Enumerable.Range(0, 1_000).Select(i => $"k{i:D4}={new string('v', 14)}"))[..20_000];

    // 32 members of the longest key and value (513 characters each), then empty members (commas) to 20 KB:
    // the most a valid header makes either reader do.
    private static string HostileValid()
    {
        var members = string.Join(",", Enumerable.Range(0, 32).Select(i => $"{i:D3}{new string('k', 253)}={new string('v', 256)}"));
        return members + new string(',', 20_000 - members.Length);
    }

    private static string? Extract(string header) =>
        Propagator.Extract(default, new StringValues(header), Getter).ActivityContext.TraceState;

    private static string Show(string? value) => value switch
    {
        null => "null",
        { Length: > 120 } => $"\"{value[..60]}…{value[^40..]}\" ({value.Length} chars)",
        _ => $"\"{value}\" ({value.Length} chars)",
    };

    private static void Measure(string who, string name, string header, int iterations, int rounds, Func<string, string?> read)
    {
        for (var i = 0; i < iterations; i++)
        {
            read(header);
        }

        var times = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var start = ProcessCpu.ThreadNow();
            for (var i = 0; i < iterations; i++)
            {
                read(header);
            }

            times.Add((ProcessCpu.ThreadNow() - start).TotalNanoseconds / iterations);
        }

        var bytes = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            read(header);
        }

        bytes = (GC.GetAllocatedBytesForCurrentThread() - bytes) / 100;
        times.Sort();
        Console.WriteLine($"{who} {name,-14} {times[times.Count / 2],10:F0} ns {bytes,8} B");
    }
}
