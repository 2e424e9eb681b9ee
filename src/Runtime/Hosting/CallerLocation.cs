using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Reflection;

namespace TracedLlm;

/// <summary>
/// The app's own code on the current stack, as a warning names it: <c>Contoso.Routes.Chat (Routes.cs:42)</c>.
/// </summary>
/// <remarks>
/// The first frame outside .NET (<c>System.*</c>, <c>Microsoft.*</c>), TracedLlm's packages and the
/// libraries that send on an app's behalf (Polly, YARP, the OpenAI, Anthropic and Azure SDKs).
/// Read from the stack of the send itself, so it names the code that made it when the send was
/// reached without an await in between (a handler or service calling <c>HttpClient</c>); after one (a
/// handler of the client's that waited first) only library frames are left, and it says so. Computed
/// once per host and operation, never on a request's path otherwise. The file name only, never its
/// directory (the build machine's).
/// </remarks>
internal static class CallerLocation
{
    /// <summary>
    /// What a warning says when no frame of the app's own is on the stack and the request is not known.
    /// </summary>
    public const string Unknown = "an unknown caller (no frame of the application's own was on the send's stack)";

    private static readonly string[] LibraryPrefixes =
        ["System", "Microsoft.", "mscorlib", "netstandard", "Polly", "Yarp.", "OpenAI", "Anthropic", "Azure."];

    // TracedLlm's packages by name: an app's own assemblies may start with "TracedLlm" too.
    private static readonly string[] Packages =
        ["TracedLlm", "TracedLlm.ReverseProxy", "TracedLlm.Extensions.AI", "TracedLlm.OpenTelemetry"];

    /// <summary>
    /// The first frame of the app's own code on the current stack, else the request's route, else <see
    /// cref="Unknown"/>.
    /// </summary>
    /// <remarks>
    /// The route's handler is named when the stack has no frame of the app's: a client's first send runs
    /// after an await of HttpClient's own, on a stack without its caller.
    /// </remarks>
    public static string Find(LlmCall? call) =>
        FirstOwnFrame()
        ?? (call is null
            ? Unknown
            : $"the route {call.Route.HttpMethod} {call.Route.Pattern}: {call.Route.Handler}, or code it awaits");

    [UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "A warning's text only: a frame whose method is unknown (trimmed, Native AOT) is skipped.")]
    private static string? FirstOwnFrame()
    {
        var frames = new StackTrace(1, fNeedFileInfo: true).GetFrames();
        foreach (var frame in frames)
        {
            if (frame.GetMethod() is not { DeclaringType: { } type } method || IsLibrary(type.Assembly))
            {
                continue;
            }

            var file = frame.GetFileName() is { Length: > 0 } path
                ? $" ({Path.GetFileName(path)}:{frame.GetFileLineNumber()})"
                : string.Empty;
            return NameOf(type, method.Name) + file;
        }

        return null;
    }

    private static bool IsLibrary(Assembly assembly)
    {
        var name = assembly.GetName().Name ?? string.Empty;
        if (Array.IndexOf(Packages, name) >= 0)
        {
            return true;
        }

        foreach (var prefix in LibraryPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal)
                && (name.Length == prefix.Length || prefix[^1] == '.' || name[prefix.Length] == '.'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The method as its author wrote it: an async method's state machine (<c>&lt;Chat&gt;d__3.MoveNext</c>) or a
    /// lambda's class names the method it is in.
    /// </summary>
    private static string NameOf(Type type, string method)
    {
        while (type.Name.StartsWith('<') && type.DeclaringType is { } outer)
        {
            // <Chat>d__3 (an async method or iterator), <>c__DisplayClass2_0 / <>c (a lambda's closure).
            var end = type.Name.IndexOf('>');
            if (end > 1)
            {
                method = type.Name[1..end];
            }

            type = outer;
        }

        if (method.StartsWith('<') && method.IndexOf('>') is > 1 and var close)
        {
            // <Chat>b__0 (a lambda in Chat).
            method = method[1..close];
        }

        return (type.FullName ?? type.Name).Replace('+', '.') + "." + method;
    }
}
