using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using TracedLlm.Analyzers.Tests.Matrix;
using Xunit;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// A review's probes of 72fb08b (TLLM2004: a try that cannot throw, read through interface and virtual dispatch, log
/// calls, result factories, value holders, interpolations, the caught exception's Message, fields of this). Each probe
/// asserts what the rule should do with the catch marked <c>/*P*/catch</c> in the first source (a controller reached
/// from a route, as the matrix's
/// <c>Dispatched</c>): reported when something in its try can throw a failure of the request, silent when nothing can.
/// The implementations are in sources of their own (their own catches are other findings, not asserted here).
/// </summary>
public sealed class NoThrowReviewTests
{
    private const string Probe = "/*P*/catch";
    private const string Awaited = "var result = await _downloads.PauseAsync(id); return Ok(result);";
    private const string Log = "Microsoft.Extensions.Logging.LoggerExtensions";
    private const string Logger =
        "private readonly Microsoft.Extensions.Logging.ILogger _logger = "
        + "Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;";

    /// <summary>A controller whose catch-all (<see cref="Probe"/>) is around <paramref name="try"/>.</summary>
    private static string Controller(string @try = Awaited, string more = "",
        string fields = "private readonly IDownloads _downloads;", string ctor = "_downloads = downloads;",
        string vis = "internal", string members = "", string iface = "Task<Result> PauseAsync(string id);") =>
            SwallowedExceptionMatrix.Header + $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
            {
                var text = (await new DownloadsController(new Downloads()).Pause(request.Model!)).ToString();
                return new Reply { Text = text };
            }
        }

        #nullable enable
        {{vis}} interface IDownloads { {{iface}} }

        {{vis}} sealed class Result
        {
            public bool Success { get; set; }
            public string Message { get; set; } = string.Empty;
            public static Result Failure(string message) => new Result { Success = false, Message = message };
        }

        internal sealed class DownloadsController : Microsoft.AspNetCore.Mvc.ControllerBase
        {
            {{fields}}

            public DownloadsController(IDownloads downloads) { {{ctor}} }

            public async Task<Microsoft.AspNetCore.Mvc.IActionResult> Pause(string id)
            {
                try { {{@try}} }
                {{Probe}} (Exception) { return StatusCode(500); }
            }

            {{members}}
        }
        {{more}}
        #nullable restore
        """;

    private const string SafeBody = "try { await File.WriteAllTextAsync(id + \".paused\", \"\"); "
        + "return new Result { Success = true }; } catch (Exception ex) "
        + "{ Microsoft.Extensions.Logging.LoggerExtensions.LogError(_logger, ex, \"pause failed for {Id}\", id); "
        + "return Result.Failure($\"Pause failed: {ex.Message}\"); }";

    /// <summary>
    /// An implementation of <c>IDownloads</c> in a file of its own (the matrix's <c>Downloads</c> by default: it
    /// catches everything itself).
    /// </summary>
    private static string Impl(string body = SafeBody, string modifiers = "public async", string name = "Downloads",
        string @base = "IDownloads", string more = "", string signature = "Task<Result> PauseAsync(string id)") => $$"""
        using System;
        using System.IO;
        using System.Threading.Tasks;

        namespace Contoso;

        #nullable enable
        internal class {{name}} : {{@base}}
        {
            private readonly Microsoft.Extensions.Logging.ILogger _logger =
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

            {{modifiers}} {{signature}}
            {
                {{body}}
            }
        }
        {{more}}
        #nullable restore
        """;

    private const string Usings =
        "using System;\nusing System.IO;\nusing System.Threading.Tasks;\nusing "
        + "Microsoft.Extensions.Logging;\n\nnamespace Contoso;\n#nullable enable\n";

    private static async Task<int> Count2004(params string[] sources)
    {
        var source = sources[0];
        var offset = source.IndexOf(Probe, StringComparison.Ordinal) + "/*P*/".Length;
        // The probes ask whether the catch is reported at all (whether its try can throw), not in which tier: since
        // issue 68 a catch that answers no error, or one reached through calls, is TLLM2007's (off by default, on here
        // as a team turns it on).
        var compilation = ProjectAnalysis.Compile(sources);
        compilation = compilation.WithOptions(
            compilation.Options.WithSpecificDiagnosticOptions(
                compilation.Options.SpecificDiagnosticOptions.SetItem(
                    DiagnosticIds.HandledWithoutRecord,
                    ReportDiagnostic.Warn)));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var diagnostics = await ProjectAnalysis.BuildDiagnosticsAsync(compilation);
        return diagnostics.Count(d => d.Id is DiagnosticIds.SwallowedException or DiagnosticIds.HandledWithoutRecord
            && d.Location.SourceTree?.FilePath == "Source0.cs" && d.Location.SourceSpan.Start == offset);
    }

    private static async Task Reports(params string[] sources) => Assert.Equal(1, await Count2004(sources));

    private static async Task Silent(params string[] sources) => Assert.Equal(0, await Count2004(sources));

    // ----- Controls: the matrix's cells.
    [Fact] public Task Control_OneQuietImplementation() => Silent(Controller(), Impl());

    // A second implementation runs only where the app makes it: each cell that needs one names it (Registered).
    [Fact] public Task Control_SecondImplementationThrows() => Reports(Controller(), Impl(),
        Impl("await Task.Yield(); throw new IOException(id);", name: "Mirror", more: MirrorRegistered));

    [Fact] public Task Control_SecondImplementationTheAppNeverMakesIsNotFollowed() => Silent(Controller(), Impl(),
        Impl("await Task.Yield(); throw new IOException(id);", name: "Mirror"));

    private const string MirrorRegistered =
        "internal static class Registered { public static readonly IDownloads Other = new Mirror(); }";

    // ----- (1) Dispatch: implementations that can throw.
    [Fact]
    public Task Impl_FilteredCatchAll() =>
        Reports(
            Controller(),
            Impl(
                SafeBody.Replace(
                    "catch (Exception ex)",
                    "catch (Exception ex) when (ex is not OperationCanceledException)")));

    [Fact]
    public Task Impl_CatchesOnlyIOException() =>
        Reports(Controller(), Impl(SafeBody.Replace("catch (Exception ex)", "catch (IOException ex)")));

    [Fact]
    public Task Impl_FinallyThrows() =>
        Reports(Controller(), Impl(SafeBody + " finally { File.Delete(id + \".lock\"); }"));

    [Fact]
    public Task Impl_HandlerCallsSourceMethod() =>
        Reports(
            Controller(),
            Impl(
                SafeBody.Replace("return Result.Failure", "Cleanup.Undo(id); return Result.Failure"),
                more: "internal static class Cleanup { public static void Undo(string id) "
                    + "{ File.Delete(id + \".paused\"); } }"));

    [Fact]
    public Task Impl_VirtualOverriddenInDerivedClass() =>
        Reports(
            Controller(),
            Impl(
                modifiers: "public virtual async",
                more: "internal sealed class Derived : Downloads { public override Task<Result> PauseAsync(string id) "
                    + "=> throw new IOException(id); }"));

    [Fact]
    public Task Impl_InheritedFromSourceBaseNotImplementingTheInterface() =>
        Reports(
            Controller(),
            Impl(),
            Usings
                + "internal class PauseBase { public async Task<Result> PauseAsync(string id) { await "
                + "File.WriteAllTextAsync(id, \"\"); return new Result(); } }\ninternal sealed class Mirror : "
                + "PauseBase, IDownloads { }");

    [Fact]
    public Task Impl_NotAsyncFromResult() =>
        Reports(Controller(), Impl("File.Delete(id); return Task.FromResult(new Result());", modifiers: "public"));

    [Fact]
    public Task Impl_ExplicitImplementationThrows() =>
        Reports(
            Controller(),
            Impl(),
            Impl(
                "await Task.Yield(); throw new IOException(id);",
                modifiers: "async",
                name: "Mirror",
                more: MirrorRegistered,
                signature: "Task<Result> IDownloads.PauseAsync(string id)"));

    [Fact]
    public Task Impl_AbstractBaseWithThrowingOverride() =>
        Reports(
            Controller(),
            Impl(),
            Usings
                + "internal abstract class Pauser : IDownloads { public abstract Task<Result> PauseAsync(string "
                + "id); }\ninternal sealed class Disk : Pauser { public override async Task<Result> "
                + "PauseAsync(string id) { await File.WriteAllTextAsync(id, \"\"); return new Result(); } }");

    [Fact]
    public Task Generic_InterfaceSecondImplementationThrows() =>
        Reports(
            Controller(
                "var result = await _store.LoadAsync(id); return Ok(result);",
                fields: "private readonly IStore<string> _store = new Cache<string>();",
                ctor: "",
                more: "internal interface IStore<T> { Task<T?> LoadAsync(string id); }"),
            Impl(),
            Usings
                + "internal sealed class Cache<T> : IStore<T> { public async Task<T?> LoadAsync(string id) { try { "
                + "await Task.Yield(); return default; } catch (Exception) { return default; } } }\n"
                + "internal sealed class Files : IStore<string> { public async Task<string?> LoadAsync(string id) "
                + "=> await File.ReadAllTextAsync(id); }\n"
                + "internal static class Registered { public static readonly IStore<string> Other = new Files(); }");

    [Fact]
    public Task Default_InterfaceMethodThrows() =>
        Reports(
            Controller(
                "var result = await _resumes.ResumeAsync(id); return Ok(result);",
                fields: "private readonly IResumes _resumes = new Resumer();",
                ctor: "",
                more: "internal interface IResumes { async Task<Result> ResumeAsync(string id) "
                    + "{ await File.WriteAllTextAsync(id, \"\"); return new Result(); "
                    + "} }\ninternal sealed class Resumer : IResumes { }"),
            Impl());

    [Fact]
    public Task ValueTask_ImplementationThrows() =>
        Reports(
            Controller(
                "var n = await _meter.MeasureAsync(id); return Ok(n);",
                fields: "private readonly IMeter _meter = new Meter();",
                ctor: "",
                more: "internal interface IMeter { ValueTask<int> MeasureAsync(string id); }"),
            Impl(),
            Usings
                + "internal sealed class Meter : IMeter { public async ValueTask<int> MeasureAsync(string id) => "
                + "(await File.ReadAllTextAsync(id)).Length; }");

    [Fact]
    public Task NoTask_SecondImplementationThrows() =>
        Reports(
            Controller(
                "var n = _meter.Measure(id); return Ok(n);",
                fields: "private readonly IMeter _meter = new Quiet();",
                ctor: "",
                more: "internal interface IMeter { int Measure(string id); }\ninternal sealed class Quiet : "
                    + "IMeter { public int Measure(string id) => 1; }"),
            Impl(),
            Usings
                + "internal sealed class Loud : IMeter { public int Measure(string id) => "
                + "File.ReadAllText(id).Length; }\n"
                + "internal static class Registered { public static readonly IMeter Other = new Loud(); }");

    // ----- (1) Dispatch: implementations the compilation may not hold.
    [Fact]
    public Task Library_InterfaceOfReferencedLibrary() =>
        Reports(
            Controller(
                "var n = _order.Compare(id, \"x\"); return Ok(n);",
                fields: "private readonly System.Collections.Generic.IComparer<string> _order = new ByLength();",
                ctor: "",
                more: "internal sealed class ByLength : System.Collections.Generic.IComparer<string> { public int "
                    + "Compare(string? a, string? b) => 0; }"),
            Impl());

    [Fact] public Task Library_PublicInterface() => Reports(Controller(vis: "public"), Impl());

    [Fact] public Task Library_InternalInterfaceWithFriends() => Reports(Controller(), Impl(),
        "[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Contoso.Tests\")]");

    // ----- (8) Receivers.
    [Fact]
    public Task Receiver_NonReadonlyField() => Reports(Controller(fields: "private IDownloads _downloads;"), Impl());

    [Fact]
    public Task Receiver_Property() =>
        Reports(
            Controller(
                Awaited.Replace("_downloads.", "Pauses."),
                fields: "private IDownloads Pauses { get; }",
                ctor: "Pauses = downloads;"),
            Impl());

    [Fact]
    public Task Receiver_StaticReadonlyField() =>
        Reports(
            Controller(
                Awaited.Replace("_downloads.", "Shared."),
                fields: "private static readonly IDownloads Shared = Make();\nprivate static IDownloads Make() "
                    + "{ System.IO.File.ReadAllText(\"cfg\"); return new Downloads(); }",
                ctor: ""),
            Impl());

    [Fact]
    public Task Receiver_ReadonlyFieldNeverSet() =>
        Reports(Controller(fields: "private readonly IDownloads _downloads = null!;", ctor: ""), Impl());

    // ----- (2) Log calls.
    [Fact]
    public Task Log_ArgumentCallsSource() =>
        Reports(
            Controller(
                $"{Log}.LogInformation(_logger, \"n {{N}}\", Disk.Count(id)); return Ok();",
                fields: Logger,
                ctor: "",
                more: "internal static class Disk { public static int Count(string id) => File.ReadAllText(id).Length; "
                    + "}"),
            Impl());

    [Fact]
    public Task Log_SourceExtensionOfILogger() =>
        Reports(
            Controller(
                "_logger.Snapshot(id); return Ok();",
                fields: Logger,
                ctor: "",
                more: "internal static class Audit { public static void Snapshot(this "
                    + "Microsoft.Extensions.Logging.ILogger logger, string id) => File.Copy(id, id + \".bak\"); }"),
            Impl());

    [Fact]
    public Task Log_HelperWhoseLogArgumentReadsFile() =>
        Reports(
            Controller(
                "Audit.Failed(_logger, id); return Ok();",
                fields: Logger,
                ctor: "",
                more: $"internal static class Audit {{ public static void Failed(Microsoft.Extensions.Logging.ILogger "
                    + $"logger, string id) => {Log}.LogError(logger, \"failed {{Text}}\", File.ReadAllText(id)); }}"),
            Impl());

    [Fact]
    public Task Log_HelperOnReceiverThatThrows() =>
        Reports(
            Controller(
                "Journal.Open(id).Paused(id); return Ok();",
                ctor: "",
                fields: "",
                more: $"internal sealed class Journal {{ {Logger} public void Paused(string id) "
                    + $"=> {Log}.LogInformation(_logger, \"paused {{Id}}\", id); "
                    + $"public static Journal Open(string path) {{ File.ReadAllText(path); return new Journal(); "
                    + $"}} }}"),
            Impl());

    [Fact]
    public Task Log_NonLogMethodOfALoggerType() =>
        Reports(
            Controller(
                "_files.Rotate(id); return Ok();",
                fields: "private readonly FileLogger _files = new FileLogger();",
                ctor: "",
                more: "internal sealed class FileLogger : Microsoft.Extensions.Logging.ILogger { public IDisposable? "
                    + "BeginScope<TState>(TState state) where TState : notnull => null; "
                    + "public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel level) => false; "
                    + "public void Log<TState>(Microsoft.Extensions.Logging.LogLevel level, "
                    + "Microsoft.Extensions.Logging.EventId id, TState state, Exception? e, "
                    + "Func<TState, Exception?, string> format) { } public void Rotate(string path) => "
                    + "File.Move(path, path + \".1\"); }"),
            Impl());

    [Fact]
    public Task Log_NullLoggerField() =>
        Reports(
            Controller(
                $"{Log}.LogInformation(_maybe!, \"paused\"); return Ok();",
                fields: "private readonly Microsoft.Extensions.Logging.ILogger? _maybe = null;",
                ctor: ""),
            Impl());

    // ----- (3) Result factories.
    [Fact]
    public Task Result_OkOnAnotherController() =>
        Reports(
            Controller(
                "return _peer.Ok(id);",
                fields: "private readonly Microsoft.AspNetCore.Mvc.ControllerBase _peer = null!;",
                ctor: ""),
            Impl());

    [Fact]
    public Task Result_OkOverriddenInSource() =>
        Reports(
            Controller(
                "return Ok(id);",
                ctor: "",
                fields: "",
                members: "public override Microsoft.AspNetCore.Mvc.OkObjectResult Ok(object? value) "
                    + "{ System.IO.File.AppendAllText(\"audit\", \"ok\"); return base.Ok(value); }"),
            Impl());

    [Fact]
    public Task Result_ResultsProblem() =>
        Reports(
            Controller("var problem = Results.Problem(\"paused\"); return Ok(problem);", ctor: "", fields: ""),
            Impl());

    // ----- (4) Value holders.
    [Fact]
    public Task Holder_ConstructorInSource() =>
        Reports(
            Controller(
                "var p = new Paused { Id = id }; return Ok(p);",
                ctor: "",
                fields: "",
                more: "internal sealed class Paused { public Paused() { File.Delete(\"x\"); } public string? Id { get; "
                    + "set; } }"),
            Impl());

    [Fact]
    public Task Holder_SetterWithBody() =>
        Reports(
            Controller(
                "var p = new Paused { Id = id }; return Ok(p);",
                ctor: "",
                fields: "",
                more: "internal sealed class Paused { private string _id = \"\"; public string Id { get => _id; "
                    + "set => _id = File.ReadAllText(value); } }"),
            Impl());

    [Fact]
    public Task Holder_InitializerCallsCode() =>
        Reports(
            Controller(
                "var p = new Paused { Id = id }; return Ok(p);",
                ctor: "",
                fields: "",
                more: "internal sealed class Paused { public string? Id { get; set; } public string Stamp { get; "
                    + "} = File.ReadAllText(\"stamp\"); }"),
            Impl());

    // ----- (5) Interpolation.
    [Fact]
    public Task Interpolation_OfAnObject() =>
        Reports(
            Controller(
                "var s = $\"paused {_tag}\"; return Ok(s);",
                ctor: "",
                fields: "private readonly Tag _tag = new Tag();",
                more: "internal sealed class Tag { public override string ToString() => File.ReadAllText(\"tag\"); }"),
            Impl());

    [Fact]
    public Task Interpolation_WithFormatString() =>
        Reports(
            Controller("var n = id.Length; var s = $\"paused {n:Q}\"; return Ok(s);", ctor: "", fields: ""),
            Impl());

    // ----- (6) Message.
    [Fact]
    public Task Message_OverriddenByTheThrownException() =>
        Reports(
            Controller(),
            Impl(
                "try { await Task.Yield(); throw new FlakyException(id); } catch (Exception ex) { return "
                + "Result.Failure(ex.Message); }",
                more: "internal sealed class FlakyException : Exception { private readonly string _path; "
                    + "public FlakyException(string path) { _path = path; "
                    + "} public override string Message => File.ReadAllText(_path); }"));

    // ----- (7) Fields.
    [Fact]
    public Task Field_StaticReadRunsTypeInitializer() =>
        Reports(
            Controller(
                "var n = Limits.Max; return Ok(n);",
                ctor: "",
                fields: "",
                more: "internal static class Limits { public static readonly int Max = "
                    + "File.ReadAllText(\"max\").Length; }"),
            Impl());

    // ----- At the root: read while typing, decided at the end, reported once.
    [Fact]
    public async Task Root_ReportedOnceAtEnd()
    {
        var source = SwallowedExceptionMatrix.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
                {
                    var text = "";
                    IDownloads pauses = new Mirror();
                    try { var result = await pauses.PauseAsync("x"); text = "paused"; }
                    /*P*/catch (Exception) { text = "failed"; }
                    return new Reply { Text = text };
                }
            }

            #nullable enable
            internal interface IDownloads { Task<Result> PauseAsync(string id); }
            internal sealed class Result { public bool Success { get; set; } }
            #nullable restore
            """;
        await Reports(source, Impl("await Task.Yield(); throw new IOException(id);",
            name: "Mirror").Replace("Result.Failure", "new Result"));
    }
}
