// Reads a .nettrace taken with the runtime's allocation sampling and stacks
// (dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x1:5 --duration 00:00:00:06)
// and prints the sampled bytes by allocating stack, largest first: which code allocates what, for
// bench/results/2026-11-26-bytes-item-by-item.md. The runtime samples one allocation every
// ~100 KB, so a stack's bytes are an estimate; divide by the requests of the traced window.
//
// Usage: dotnet run --project bench/gateway/AllocStacks -c Release -- TRACE [TYPE-REGEX (.)] [FRAMES (12)]
// TOP=N prints N stacks (25). Frames of the async machinery are shown as "~".
using System.Text.RegularExpressions;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: AllocStacks TRACE.nettrace [TYPE-REGEX] [FRAMES]");
    return 2;
}

var filter = new Regex(args.Length > 1 ? args[1] : ".", RegexOptions.CultureInvariant);
var depth = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 12;
var top = int.TryParse(Environment.GetEnvironmentVariable("TOP"), out var n) ? n : 25;

using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var stacks = new Dictionary<string, long>(StringComparer.Ordinal);
long total = 0;
foreach (var traceEvent in log.Events)
{
    if (traceEvent is not GCAllocationTickTraceData tick)
    {
        continue;
    }

    total += tick.AllocationAmount64;
    var type = tick.TypeName ?? "?";
    if (!filter.IsMatch(type))
    {
        continue;
    }

    var frames = new List<string>();
    for (var frame = traceEvent.CallStack(); frame is not null && frames.Count < depth; frame = frame.Caller)
    {
        var name = frame.CodeAddress.FullMethodName;
        if (string.IsNullOrEmpty(name))
        {
            name = frame.CodeAddress.ModuleName + "!?";
        }

        frames.Add(name.StartsWith("System.Runtime.CompilerServices", StringComparison.Ordinal) || name.Contains("AsyncMethodBuilder", StringComparison.Ordinal)
            ? "~"
            : name.Length > 160 ? name[..160] : name);
    }

    var key = type + "\n    " + string.Join("\n    ", frames);
    stacks[key] = stacks.GetValueOrDefault(key) + tick.AllocationAmount64;
}

Console.WriteLine($"sampled bytes in all: {total}");
foreach (var (stack, bytes) in stacks.OrderByDescending(pair => pair.Value).Take(top))
{
    Console.WriteLine($"{bytes}\t{stack}\n");
}

return 0;
