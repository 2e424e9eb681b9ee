using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;

namespace TracedLlm.Analyzers.Tests.Stress;

/// <summary>
/// The C# compiler of the SDK running the tests, called as the <c>csc</c> command is: its own
/// <c>Program.Main</c>, in-process (in an assembly load context of its own, since its Roslyn is
/// not the 4.14 this project references), with analyzers and generators loaded by its own loader
/// and run by its own driver, concurrently, while it compiles method bodies in parallel: the code
/// path of a <c>dotnet build</c> without the compiler server, at the cost of one compilation and
/// not one process start. Diagnostics come back from a SARIF error log.
/// </summary>
internal sealed class CommandLineCompiler
{
    private static readonly object ConsoleLock = new();

    private readonly MethodInfo _main;

    private CommandLineCompiler(MethodInfo main, string directory)
    {
        _main = main;
        Directory = directory;
    }

    /// <summary>The SDK's compiler directory (<c>sdk/&lt;version&gt;/Roslyn/bincore</c>).</summary>
    public string Directory { get; }

    private static readonly Lazy<CommandLineCompiler> Loaded = new(Load);

    /// <summary>The compiler, loaded once per test run.</summary>
    public static CommandLineCompiler Instance => Loaded.Value;

    private static CommandLineCompiler Load()
    {
        var directory = System.IO.Directory.EnumerateDirectories(Path.Combine(DotnetRoot, "sdk"))
            .Select(sdk => Path.Combine(sdk, "Roslyn", "bincore"))
            .Where(bincore => File.Exists(Path.Combine(bincore, "csc.dll")))
            .OrderByDescending(bincore =>
                Version.TryParse(
                    Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(bincore))!).Split('-')[0],
                    out var v)
                    ? v
                    : new Version(0, 0))
            .First();
        var context = new CompilerLoadContext(directory);
        var program = context
            .LoadFromAssemblyPath(Path.Combine(directory, "csc.dll"))
            .GetType("Microsoft.CodeAnalysis.CSharp.CommandLine.Program", throwOnError: true)!;
        return new CommandLineCompiler(
            program.GetMethod("Main", BindingFlags.Public | BindingFlags.Static, new[] { typeof(string[]) })!,
            directory);
    }

    /// <summary>The .NET reference pack's assemblies, as a build of a net10.0 project references them.</summary>
    public static IEnumerable<string> FrameworkReferences(string pack) =>
        System.IO.Directory.EnumerateFiles(
            System.IO.Directory.EnumerateDirectories(Path.Combine(DotnetRoot, "packs", pack))
                .Select(version => Path.Combine(version, "ref", "net10.0"))
                .Where(System.IO.Directory.Exists)
                .OrderByDescending(path =>
                    Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path))), out var v)
                        ? v
                        : new Version(0, 0))
                .First(),
            "*.dll");

    /// <summary>
    /// Compiles a library from <paramref name="sources"/> in <paramref name="work"/>, with the analyzers and generators
    /// given; the exit code, every diagnostic of the error log, and what the compiler printed.
    /// </summary>
    public CompilerRun Compile(
        string work,
        IEnumerable<string> sources,
        IEnumerable<string> references,
        IEnumerable<string> analyzers)
    {
        var errorLog = Path.Combine(work, "errors.sarif");
        var arguments = new List<string>
        {
            "/noconfig",
            "/nologo",
            "/nostdlib+",
            "/target:library",
            "/langversion:latest",
            "/nullable:enable",
            "/deterministic+",
            "/out:" + Path.Combine(work, "Stress.dll"),
            "/errorlog:" + errorLog + ",version=2.1",
        };
        arguments.AddRange(analyzers.Select(path => "/analyzer:" + path));
        arguments.AddRange(references.Select(path => "/reference:" + path));
        arguments.AddRange(sources);

        int exitCode;
        var printed = new StringWriter();
        lock (ConsoleLock)
        {
            var console = Console.Out;
            Console.SetOut(printed);
            try
            {
                exitCode = (int)_main.Invoke(null, new object[] { arguments.ToArray() })!;
            }
            finally
            {
                Console.SetOut(console);
            }
        }

        return new CompilerRun(
            exitCode,
            File.Exists(errorLog) ? ReadErrorLog(errorLog) : Array.Empty<LoggedDiagnostic>(),
            printed.ToString());
    }

    private static string DotnetRoot =>
        // <dotnet>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll -> <dotnet>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));

    private static IReadOnlyList<LoggedDiagnostic> ReadErrorLog(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var diagnostics = new List<LoggedDiagnostic>();
        foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
        {
            if (!run.TryGetProperty("results", out var results))
            {
                continue;
            }

            foreach (var result in results.EnumerateArray())
            {
                var where = string.Empty;
                if (result.TryGetProperty("locations", out var locations) && locations.GetArrayLength() > 0
                    && locations[0].TryGetProperty("physicalLocation", out var physical))
                {
                    var file = Path.GetFileName(
                        new Uri(physical.GetProperty("artifactLocation").GetProperty("uri").GetString()!).LocalPath);
                    var region = physical.GetProperty("region");
                    where =
                        $"{file}({region.GetProperty("startLine").GetInt32()}"
                        + $",{region.GetProperty("startColumn").GetInt32()})";
                }

                diagnostics.Add(new LoggedDiagnostic(
                    result.GetProperty("ruleId").GetString()!,
                    where,
                    result.GetProperty("message").GetProperty("text").GetString()!));
            }
        }

        return diagnostics;
    }

    /// <summary>
    /// Resolves the compiler's own assemblies from its directory and the framework's from the
    /// default context, and nothing else: in a <c>csc</c> process nothing else is loaded, so the
    /// analyzers under test are loaded by the compiler's analyzer loader from their files, never
    /// shared with the copies this test process has loaded.
    /// </summary>
    private sealed class CompilerLoadContext(string directory) : AssemblyLoadContext("csc")
    {
        private static readonly string Framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;

        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(directory, name.Name + ".dll");
            if (File.Exists(path))
            {
                return LoadFromAssemblyPath(path);
            }

            return File.Exists(Path.Combine(Framework, name.Name + ".dll"))
                ? null
                : throw new FileNotFoundException($"{name.Name} is not part of the compiler", name.Name);
        }
    }
}

/// <summary>
/// One diagnostic of the compiler's error log: its ID, where (<c>File.cs(line,column)</c>), and its message.
/// </summary>
internal sealed record LoggedDiagnostic(string Id, string Location, string Message)
{
    public override string ToString() => $"{Location}: {Id}: {Message}";
}

internal sealed record CompilerRun(int ExitCode, IReadOnlyList<LoggedDiagnostic> Diagnostics, string Output);
