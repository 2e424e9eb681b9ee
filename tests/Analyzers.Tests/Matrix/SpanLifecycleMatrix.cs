using System.Collections.Generic;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2003's construct matrix: an Activity started in traced code and carried by each construct of C#.
/// The faulty form leaves it open on some path (or never ends it); the sound one ends it on every path.
/// </summary>
internal static class SpanLifecycleMatrix
{
    internal const string Header = "using System.Linq;\n" + Corpus.Header;

    private const string Start = "{|TLLM2003:Telemetry.Source.StartActivity(\"upstream\")|}";

    private static string Route(string body, string members = "") => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
        {{body}}
                return new Reply();
            }
        }
        {{members}}
        """;

    private static MatrixCell Span(
        string construct,
        string faulty,
        string sound,
        string members = "",
        Held held = Held.Yes) => new(construct, Route(faulty, members), Route(sound, members), held);

    private const string Work = "await System.IO.File.ReadAllTextAsync(request.Model!);";

    internal static readonly IReadOnlyDictionary<string, MatrixCell> Cells = ByName(
        Span(
            "local assigned once",
            $"var span = {Start};\nspan?.SetTag(\"model\", request.Model);\n{Work}",
            $"using var span = {Start};\nspan?.SetTag(\"model\", request.Model);\n{Work}"),
        Span(
            "local reassigned",
            $"Activity? span = null;\nspan = {Start};\n{Work}\nspan?.Stop();",
            $"Activity? span = null;\nspan = {Start};\ntry {{ {Work} }} finally {{ span?.Stop(); }}"),
        Span(
            "local assigned in branches",
            $"Activity? span;\nif (request.Model is null) {{ span = {Start}; }} else {{ span = null; "
            + $"}}\n{Work}\nspan?.Dispose();",
            $"Activity? span;\nif (request.Model is null) {{ span = {Start}; }} else {{ span = null; "
            + $"}}\ntry {{ {Work} }} finally {{ span?.Dispose(); }}"),
        Span(
            "null-coalescing assignment",
            $"Activity? span = null;\nspan ??= {Start};\n{Work}\nspan?.Stop();",
            $"Activity? span = null;\nspan ??= {Start};\ntry {{ {Work} }} finally {{ span?.Stop(); }}"),
        Span(
            "conditional operator",
            $"var span = request.Model is null ? null : {Start};\n{Work}",
            $"using var span = request.Model is null ? null : {Start};\n{Work}"),
        Span(
            "switch expression with a discard",
            $"var span = request.Model switch {{ null => null, _ => {Start} }};\n{Work}",
            $"using var span = request.Model switch {{ null => null, _ => {Start} }};\n{Work}"),
        Span(
            "switch statement ending it in one case",
            $"var span = {Start};\nswitch (request.Model) {{ case \"a\": span?.Stop(); break; default: {Work} break; "
            + $"}}",
            $"var span = {Start};\ntry {{ switch (request.Model) {{ case \"a\": break; default: {Work} break; "
            + $"}} }} finally {{ span?.Stop(); }}"),
        Span(
            "pattern matching",
            $"if ({Start} is {{ }} span) {{ span.SetTag(\"model\", request.Model); {Work} }}",
            $"if ({Start} is {{ }} span) {{ using (span) {{ {Work} }} }}"),
        Span(
            "try, catch when and finally",
            $"var span = {Start};\ntry {{ {Work} span?.Stop(); }} catch (System.IO.IOException e) "
            + $"when (e.HResult != 0) {{ span?.Stop(); throw; }}",
            $"var span = {Start};\ntry {{ {Work} }} catch (System.IO.IOException e) when (e.HResult != 0) {{ throw; "
            + $"}} finally {{ span?.Stop(); }}"),
        Span("started and discarded", $"_ = {Start};", $"using var _ = {Telemetry}"),
        Span(
            "fluent call on a started span",
            $"{Start}?.SetTag(\"model\", request.Model);",
            $"using var span = {Start}?.SetTag(\"model\", request.Model);"),
        Span(
            "helper returning the span (the caller owns it)",
            $"var span = {{|TLLM2003:Spans.Open()|}};\n{Work}",
            $"using var span = Spans.Open();\n{Work}",
            "internal static class Spans { public static Activity? Open() => "
            + "Telemetry.Source.StartActivity(\"upstream\"); }"),
        Span(
            "out parameter",
            $"{{|TLLM2003:Spans.Open(out var span)|}};\n{Work}",
            $"Spans.Open(out var span);\nusing (span) {{ {Work} }}",
            "internal static class Spans { public static void Open(out Activity? span) => span = "
            + "Telemetry.Source.StartActivity(\"upstream\"); }"),
        Span(
            "generic helper with a constraint",
            $"var span = Spans.Tagged({Start});\n{Work}",
            $"using var span = Spans.Tagged({Start});\n{Work}",
            "internal static class Spans { public static T? Tagged<T>(T? span) where T : Activity => span; }",
            Held.MissedKnownLimit),
        Span(
            "lambda",
            $"Func<Task> run = async () => {{ var span = {Start}; {Work} }};\nawait run();",
            $"Func<Task> run = async () => {{ using var span = {Start}; {Work} }};\nawait run();"),
        Span(
            "local function",
            $"async Task RunAsync() {{ var span = {Start}; {Work} }}\nawait RunAsync();",
            $"async Task RunAsync() {{ using var span = {Start}; {Work} }}\nawait RunAsync();"),
        Span(
            "event handler",
            $"var bus = new Bus();\nbus.Seen += (_, _) => {{ var span = {Start}; span?.SetTag(\"seen\", true); "
            + $"}};\nbus.Raise();",
            $"var bus = new Bus();\nbus.Seen += (_, _) => {{ using var span = {Start}; span?.SetTag(\"seen\", true); "
            + $"}};\nbus.Raise();",
            "internal sealed class Bus { public event EventHandler? Seen; public void Raise() => "
            + "Seen?.Invoke(this, EventArgs.Empty); }"),
        Span(
            "async helper",
            "await Spans.RunAsync(request.Model!);",
            "await Spans.RunAsync(request.Model!);",
            "internal static class Spans { public static async Task RunAsync(string path) { @U } }".Replace(
                "@U",
                "var span = " + Start + "; await System.IO.File.ReadAllTextAsync(path);")
        ) with
        {
            Clean = Route(
                "await Spans.RunAsync(request.Model!);",
                "internal static class Spans { public static async Task RunAsync(string path) { using var span = "
                + "Telemetry.Source.StartActivity(\"upstream\"); await System.IO.File.ReadAllTextAsync(path); } }")
        },
        Span(
            "iterator",
            "foreach (var n in Spans.Numbers()) { _ = n; }",
            "foreach (var n in Spans.Numbers()) { _ = n; }",
            $"internal static class Spans {{ public static IEnumerable<int> Numbers() {{ var span = {Start}; "
            + $"yield return 1; span?.Stop(); }} }}",
            Held.MissedKnownLimit
        ) with
        {
            Clean = Route(
                "foreach (var n in Spans.Numbers()) { _ = n; }",
                "internal static class Spans { public static IEnumerable<int> Numbers() { using var span = "
                + "Telemetry.Source.StartActivity(\"upstream\"); yield return 1; } }")
        },
        Span(
            "await foreach body",
            $"await foreach (var n in Spans.NumbersAsync()) {{ var span = {Start}; {Work} }}",
            $"await foreach (var n in Spans.NumbersAsync()) {{ using var span = {Start}; {Work} }}",
            "internal static class Spans { public static async IAsyncEnumerable<int> NumbersAsync() { await "
            + "Task.Yield(); yield return 1; } }"),
        Span(
            "Task.WhenAll before the stop",
            $"var span = {Start};\nawait Task.WhenAll(System.IO.File.ReadAllTextAsync(request.Model!), "
            + "Task.Delay(1));\nspan?.Stop();",
            $"var span = {Start};\ntry {{ await Task.WhenAll(System.IO.File.ReadAllTextAsync(request.Model!), "
            + $"Task.Delay(1)); }} finally {{ span?.Stop(); }}"),
        Span(
            "Parallel.ForEachAsync body",
            $"await Parallel.ForEachAsync(new[] {{ \"a\" }}, async (path, ct) => {{ var span = {Start}; "
            + $"await System.IO.File.ReadAllTextAsync(path, ct); }});",
            $"await Parallel.ForEachAsync(new[] {{ \"a\" }}, async (path, ct) => {{ using var span = {Start}; "
            + $"await System.IO.File.ReadAllTextAsync(path, ct); }});"),
        Span(
            "tuple deconstruction",
            $"var (span, attempt) = ({Start}, 1);\n{Work}",
            $"var (span, attempt) = ({Start}, 1);\nusing (span) {{ {Work} }}"),
        Span(
            "record wrapping the span",
            $"var scope = new SpanScope({Start});\n{Work}",
            $"using var scope = new SpanScope({Start});\n{Work}",
            "internal sealed record SpanScope(Activity? Span) : IDisposable { public void Dispose() => "
            + "Span?.Dispose(); }",
            Held.FalseAlarmKnownLimit),
        Span(
            "orphan: empty parent context",
            "using var span = {|TLLM2003:Telemetry.Source.StartActivity(\"upstream\", ActivityKind.Client, "
            + "default(ActivityContext))|};",
            "using var span = Telemetry.Source.StartActivity(\"upstream\", ActivityKind.Client, "
            + "Activity.Current?.Context ?? default);"));

    private const string Telemetry = "Telemetry.Source.StartActivity(\"upstream\");";
}
