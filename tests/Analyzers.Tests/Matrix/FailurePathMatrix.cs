using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2002's construct matrix: an exception raised through each construct of C# in traced code, where
/// the only failure filter accepts <c>HttpException</c>. The faulty form raises a
/// <c>GuardrailRaisedException</c> (accepted by no filter), the sound one an <c>HttpException</c>.
/// </summary>
internal static class FailurePathMatrix
{
    internal const string Header = "using System.Linq;\nusing System.Runtime.ExceptionServices;\n" + Corpus.Header + """
        internal sealed class GuardrailRaisedException : Exception
        {
            public GuardrailRaisedException(string message) : base(message) { }
        }

        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool {|#9:IsProxyOnlyError|}(Exception exception) => exception is HttpException;
        }

        """;

    private static string Route(string body, string members = "") => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
            {
                await Task.Yield();
                var text = request.Model ?? "";
        {{body}}
                return new Reply { Text = text };
            }
        }
        {{members}}
        """;

    /// <summary>
    /// <c>@T</c> is the raised type; <c>{|#n:...|}</c> marks each raise the faulty form is reported at (with the filter
    /// as additional location).
    /// </summary>
    private static MatrixCell Raise(string construct, string source, Held held = Held.Yes)
    {
        var cell = Pair(construct, source, "@T", "GuardrailRaisedException", "HttpException", held);
        var raises = Enumerable
            .Range(0, 4)
            .Where(n => source.Contains("{|#" + n + ":", System.StringComparison.Ordinal));
        return cell with
        {
            Expected = raises
                .Select(n =>
                    new DiagnosticResult("TLLM2002", DiagnosticSeverity.Warning).WithLocation(n).WithLocation(9))
                .ToArray()
        };
    }

    /// <summary>
    /// A raise no filter accepts, in both forms of a cell of code a library runs later (see <see cref="Callbacks"/>).
    /// </summary>
    private const string Raised = "{|#0:throw new GuardrailRaisedException(\"model\");|}";

    /// <summary>The faulty form of a <see cref="Callbacks"/> cell is reported at its raise, with the filter.</summary>
    private static MatrixCell Later(MatrixCell cell) =>
        cell with
        {
            Expected = new[]
            {
                new DiagnosticResult("TLLM2002", DiagnosticSeverity.Warning).WithLocation(0).WithLocation(9)
            }
        };

    internal static readonly IReadOnlyDictionary<string, MatrixCell> Cells = ByName(
        Raise(
            "throw statement after a pattern",
            Route("if (request.Model is null or \"\") { {|#0:throw new @T(\"model\");|} }")),
        Raise(
            "throw expression in a conditional",
            Route("text = text.Length > 0 ? text : {|#0:throw new @T(\"model\")|};")),
        Raise("throw expression in ??", Route("text = request.Model ?? {|#0:throw new @T(\"model\")|};")),
        Raise(
            "switch expression throwing arm with when",
            Route(
                "text = text switch { \"a\" when call.Route is not null => text, \"\" => {|#0:throw new "
                + "@T(\"model\")|}, _ => text };")),
        Raise(
            "switch statement case",
            Route("switch (text) { case \"\": {|#0:throw new @T(\"model\");|} default: break; }")),
        Raise(
            "exception created into a reassigned local",
            Route(
                "Exception failure = new InvalidOperationException(\"x\");\nfailure = new @T(\"model\");\nif "
                + "(text.Length == 0) { {|#0:throw failure;|} }"),
            Held.MissedKnownLimit),
        Raise(
            "exception from a tuple deconstruction",
            Route("var (failure, _) = (new @T(\"model\"), 1);\nif (text.Length == 0) { {|#0:throw failure;|} }")),
        Raise(
            "exception in a record property",
            Route(
                "var box = new Failure(new @T(\"model\"));\nif (text.Length == 0) { {|#0:throw box.Error;|} }",
                "internal sealed record Failure(Exception Error);"),
            Held.MissedKnownLimit),
        Raise(
            "ExceptionDispatchInfo.Throw",
            Route("if (text.Length == 0) { {|#0:ExceptionDispatchInfo.Throw(new @T(\"model\"))|}; }")),
        Raise(
            "TaskCompletionSource.SetException",
            Route(
                "var done = new TaskCompletionSource<string>();\nif (text.Length == 0) { "
                + "{|#0:done.SetException(new @T(\"model\"))|}; } else { done.SetResult(text); }\ntext = await "
                + "done.Task;")),
        Raise(
            "faulted task from an async helper",
            Route(
                "text = await Helper.CheckAsync(text);",
                "internal static class Helper { public static Task<string> CheckAsync(string text) => text.Length "
                + "> 0 ? Task.FromResult(text) : {|#0:Task.FromException<string>(new @T(\"model\"))|}; }")),
        Raise(
            "generic helper with a constraint",
            Route(
                "text = Helper.Require<string>(request.Model);",
                "internal static class Helper { public static T Require<T>(T? value) where T : class => value ?? "
                + "{|#0:throw new @T(\"model\")|}; }")),
        Raise(
            "lambda",
            Route(
                "Func<string, string> check = value => value.Length > 0 ? value : {|#0:throw new "
                + "@T(\"model\")|};\ntext = check(text);")),
        Raise(
            "local function",
            Route(
                "string Check(string value) => value.Length > 0 ? value : {|#0:throw new @T(\"model\")|};\ntext = "
                + "Check(text);")),
        Raise(
            "method group",
            Route(
                "Func<string, string> check = Helper.Check;\ntext = check(text);",
                "internal static class Helper { public static string Check(string value) => value.Length > 0 ? "
                + "value : {|#0:throw new @T(\"model\")|}; }")),
        Raise(
            "delegate stored in a field",
            Route(
                "text = Helper.Check(text);",
                "internal static class Helper { public static readonly Func<string, string> Check = value => "
                + "value.Length > 0 ? value : {|#0:throw new @T(\"model\")|}; }")),
        Raise(
            "event handler",
            Route(
                "var bus = new Bus();\nbus.Seen += (_, _) => {|#0:throw new @T(\"model\")|};\nbus.Raise();",
                "internal sealed class Bus { public event EventHandler? Seen; public void Raise() => "
                + "Seen?.Invoke(this, EventArgs.Empty); }")),
        Later(
            Callbacks.Event("handler of a library's event, a lambda", Route(Callbacks.Lambda(Raised), Callbacks.Types))
        ),
        Later(Callbacks.Event("handler of a library's event, a method group", Callbacks.MethodGroup(Route, Raised))),
        Later(Callbacks.Timer("System.Threading.Timer callback", Route(Callbacks.Callback(Raised), Callbacks.Types))),
        Raise(
            "iterator",
            Route(
                "text = string.Concat(Helper.Checked(text));",
                "internal static class Helper { public static IEnumerable<string> Checked(string value) { if "
                + "(value.Length == 0) { {|#0:throw new @T(\"model\");|} } yield return value; } }")),
        Raise(
            "async iterator read with await foreach",
            Route(
                "await foreach (var part in Helper.CheckedAsync(text)) { text = part; }",
                "internal static class Helper { public static async IAsyncEnumerable<string> CheckedAsync(string "
                + "value) { await Task.Yield(); if (value.Length == 0) { {|#0:throw new @T(\"model\");|} } yield "
                + "return value; } }")),
        Raise(
            "catch when wrapping into another type, finally",
            Route(
                "try { text = System.IO.File.ReadAllText(text); } catch (System.IO.IOException e) when (e.HResult "
                + "!= 0) { {|#0:throw new @T(e.Message);|} } finally { text += \".\"; }")),
        Raise(
            "LINQ selector",
            Route(
                "text = string.Concat(new[] { text }.Select(value => value.Length > 0 ? value : {|#0:throw new "
                + "@T(\"model\")|}));")),
        Raise(
            "Task.WhenAll fan-out",
            Route(
                "var parts = await Task.WhenAll(Helper.CheckAsync(text), Helper.CheckAsync(text));\ntext = parts[0];",
                "internal static class Helper { public static async Task<string> CheckAsync(string value) { await "
                + "Task.Yield(); return value.Length > 0 ? value : {|#0:throw new @T(\"model\")|}; } }")),
        Raise(
            "Parallel.ForEachAsync fan-out",
            Route(
                "await Parallel.ForEachAsync(new[] { text }, async (value, ct) => { await Task.Yield(); if "
                + "(value.Length == 0) { {|#0:throw new @T(\"model\");|} } });")));
}
