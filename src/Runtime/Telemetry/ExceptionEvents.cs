using System;
using System.Text.RegularExpressions;

namespace TracedLlm.Telemetry;

/// <summary>
/// Stack traces for the OpenTelemetry <c>exception</c> events (recorded, bounded and redacted by
/// <c>TelemetryText.AddException</c>) without the directories of source files. A stack trace built from PDBs names
/// every frame's file as the build machine saw it (<c>/home/builder/src/.../Routes.cs</c>): user code built without
/// <c>PathMap</c> would send its build paths to every trace backend. Only the file name and line
/// stay, which is what a reader needs.
/// </summary>
internal static partial class ExceptionEvents
{
    /// <summary>
    /// The text with every frame's <c>in /any/dir/File.cs:line N</c> cut to <c>in File.cs:line N</c>.
    /// </summary>
    internal static string WithoutSourceDirectories(string stackTrace) =>
        stackTrace.Contains(":line ", StringComparison.Ordinal)
            ? SourceFile().Replace(stackTrace, " in $1:line ")
            : stackTrace;

    // A frame is "   at Type.Method(args) in {file}:line {n}" (both separators, any drive).
    [GeneratedRegex(@" in [^\r\n]*?([^\\/\r\n]+):line ", RegexOptions.CultureInvariant)]
    private static partial Regex SourceFile();
}
