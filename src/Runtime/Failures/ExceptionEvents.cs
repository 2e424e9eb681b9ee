using System;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TracedLlm.Pipeline;

/// <summary>
/// Records an exception as the OpenTelemetry <c>exception</c> event of a span, its stack trace
/// without the directories of source files. A stack trace built from PDBs names every frame's file
/// as the build machine saw it (<c>/home/builder/src/.../Routes.cs</c>): user code built without
/// <c>PathMap</c> would send its build paths to every trace backend. Only the file name and line
/// stay, which is what a reader needs.
/// </summary>
internal static partial class ExceptionEvents
{
    private const string StackTraceTag = "exception.stacktrace";

    /// <summary>Adds the <c>exception</c> event (type, message, stack trace without source directories).</summary>
    public static void Record(Activity span, Exception exception) =>
        span.AddException(exception, new TagList { { StackTraceTag, WithoutSourceDirectories(exception.ToString()) } });

    /// <summary>The text with every frame's <c>in /any/dir/File.cs:line N</c> cut to <c>in File.cs:line N</c>.</summary>
    internal static string WithoutSourceDirectories(string stackTrace) =>
        stackTrace.Contains(":line ", StringComparison.Ordinal) ? SourceFile().Replace(stackTrace, " in $1:line ") : stackTrace;

    // A frame is "   at Type.Method(args) in {file}:line {n}" (both separators, any drive).
    [GeneratedRegex(@" in [^\r\n]*?([^\\/\r\n]+):line ", RegexOptions.CultureInvariant)]
    private static partial Regex SourceFile();
}
