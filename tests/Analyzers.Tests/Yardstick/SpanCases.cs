using System;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Analyzers.Tests.Yardstick;

/// <summary>
/// TLLM2003's yardstick: spans started one of several ways, ended (or not) one of several ways,
/// with one of several kinds of code between start and end, in one of several places a route
/// reaches. The verdict is computed from the parts: a span is not ended on every path when its end
/// is missing, sits on one branch only, only in a catch, in a helper that only tags it; or when
/// the end comes after code that can leave the block first (a return or continue, an await, a
/// throw, a call of a helper that throws) and nothing (a <c>using</c>, a <c>finally</c>) protects it.
/// </summary>
internal static class SpanCases
{
    private const string Rule = "TLLM2003";

    /// <summary>
    /// How the span is obtained: an expression, or (for an out parameter) a call that declares the local.
    /// </summary>
    private sealed record Start(string Name, string Expression, bool DeclaresLocal = false);

    /// <summary>
    /// What runs between the start and the end: the code (SPAN is the span, EXIT leaves the container's block), and
    /// whether it can leave the block early or fail.
    /// </summary>
    private sealed record Body(string Name, string Code, bool ExitsEarly = false, bool MayFail = false)
    {
        public bool Unsafe => ExitsEarly || MayFail;
    }

    /// <summary>
    /// How the span is ended, given its declaration and the body; and whether the span is left open with that body.
    /// </summary>
    private sealed record End(
        string Name,
        Func<string, string, string> Write,
        Func<Body, bool> LeftOpen,
        bool NeedsLocal = true,
        bool DeclaresItself = false);

    /// <summary>Where the code sits: wraps it (EXIT is what leaves its block) and places it in the route.</summary>
    private sealed record Container(string Name, string Exit, Func<string, (string InRoute, string Members)> Place);

    private static readonly Start[] Starts =
    {
        new("ActivitySource.StartActivity", "Telemetry.Source.StartActivity(\"work\")"),
        new("Activity.Start", "new Activity(\"work\").Start()"),
        new("helper returning it, 1 call", "Spans.Open1()"),
        new("helper returning it, 2 calls", "Spans.Open2()"),
        new("helper returning it, 3 calls", "Spans.Open3()"),
        new("out parameter", "Spans.TryOpen(out var span)", DeclaresLocal: true),
    };

    private static readonly Body[] Bodies =
    {
        new("tags", "SPAN?.SetTag(\"model\", request.Model);"),
        new("a helper that does not throw", "Spans.Log(request.Model);"),
        new("early exit", "if (request.Model is null)\n{\nEXIT\n}", ExitsEarly: true),
        new("await", "await Task.Delay(1);", MayFail: true),
        new("a helper that throws", "Spans.Validate(request.Model);", MayFail: true),
        new(
            "throw",
            "if (request.Model is null)\n{\nthrow new InvalidLlmRequestException(\"model\");\n}",
            MayFail: true),
        new(
            "loop",
            "foreach (var part in (request.Model ?? string.Empty).Split('-'))\n{\nSPAN?.AddEvent(new "
            + "ActivityEvent(part));\n}"),
        new(
            "switch",
            "switch (request.Model)\n{\ncase \"a\":\nSPAN?.SetTag(\"a\", "
            + "1);\nbreak;\ndefault:\nSPAN?.SetTag(\"other\", 1);\nbreak;\n}"),
        new(
            "pattern matching",
            "if (request is { Model: { Length: > 0 } model })\n{\nSPAN?.SetTag(\"model\", model);\n}"),
        new("conditional access", "SPAN?.SetTag(\"length\", request.Model?.Length);"),
        new(
            "out argument",
            "if (int.TryParse(request.Model, out var number))\n{\nSPAN?.SetTag(\"number\", number);\n}"),
        new("ref argument", "var count = 0;\nSpans.Count(ref count);\nSPAN?.SetTag(\"count\", count);"),
        new(
            "await in a narrow try",
            "try\n{\nawait Task.Delay(1);\n}\ncatch (OperationCanceledException)\n{\nthrow new "
            + "InvalidLlmRequestException(\"cancelled\");\n}",
            MayFail: true),
    };

    private static readonly End[] Ends =
    {
        new(
            "using declaration",
            (declaration, body) => $"using {declaration}\n{body}",
            _ => false,
            DeclaresItself: true),
        new("using statement", (declaration, body) => $"{declaration}\nusing (span)\n{{\n{body}\n}}", _ => false),
        new(
            "Stop in finally",
            (declaration, body) => $"{declaration}\ntry\n{{\n{body}\n}}\nfinally\n{{\nspan?.Stop();\n}}",
            _ => false),
        new(
            "Dispose in finally",
            (declaration, body) => $"{declaration}\ntry\n{{\n{body}\n}}\nfinally\n{{\nspan?.Dispose();\n}}",
            _ => false),
        new("Stop after", (declaration, body) => $"{declaration}\n{body}\nspan?.Stop();", b => b.Unsafe),
        new(
            "null check",
            (declaration, body) => $"{declaration}\n{body}\nif (span is not null)\n{{\nspan.Stop();\n}}",
            b => b.Unsafe),
        new(
            "pattern",
            (declaration, body) => $"{declaration}\n{body}\nif (span is {{ }} open)\n{{\nopen.Dispose();\n}}",
            b => b.Unsafe),
        new("alias", (declaration, body) => $"{declaration}\nvar alias = span;\n{body}\nalias?.Stop();", b => b.Unsafe),
        new(
            "helper that ends it, 1 call",
            (declaration, body) => $"{declaration}\n{body}\nSpans.End1(span);",
            b => b.Unsafe),
        new(
            "helper that ends it, 3 calls",
            (declaration, body) => $"{declaration}\n{body}\nSpans.End3(span);",
            b => b.Unsafe),
        new(
            "both branches",
            (declaration, body) =>
                $"{declaration}\n{body}\nif (request.Model is not "
                + $"null)\n{{\nspan?.Stop();\n}}\nelse\n{{\nspan?.Dispose();\n}}",
            b => b.Unsafe),
        new(
            "end of try and catch-all",
            (declaration, body) =>
                $"{declaration}\ntry\n{{\n{body}\nspan?.Stop();\n}}\ncatch (Exception)\n{{\nspan?.Stop();\nthrow;\n}}",
            b => b.ExitsEarly),
        new(
            "registered for dispose",
            (declaration, body) =>
                $"{declaration}\n{body}\nif (span is not "
                + $"null)\n{{\ncall.HttpContext.Response.RegisterForDispose(span);\n}}",
            b => b.Unsafe),
        new(
            "callback",
            (declaration, body) =>
                $"{declaration}\n{body}\ncall.HttpContext.Response.OnCompleted(() "
                + $"=>\n{{\nspan?.Stop();\nreturn Task.CompletedTask;\n}});",
            b => b.Unsafe),
        new("stored in a field", (declaration, body) => $"{declaration}\n{body}\nSpans.Current = span;", b => b.Unsafe),
        new(
            "only in a catch",
            (declaration, body) =>
                $"{declaration}\ntry\n{{\n{body}\n}}\ncatch (Exception)\n{{\nspan?.Stop();\nthrow;\n}}",
            _ => true),
        new(
            "one branch",
            (declaration, body) => $"{declaration}\n{body}\nif (request.Model is not null)\n{{\nspan?.Stop();\n}}",
            _ => true),
        new(
            "helper that only tags it",
            (declaration, body) => $"{declaration}\n{body}\nSpans.Describe(span, \"work\");",
            _ => true),
        new("never ended", (declaration, body) => $"{declaration}\n{body}", _ => true),
        new("discarded", (start, body) => $"_ = {start};\n{body}", _ => true, NeedsLocal: false),
        new("a statement", (start, body) => $"{start};\n{body}", _ => true, NeedsLocal: false),
    };

    private static readonly Container[] Containers =
    {
        new("the handler", "return new Reply();", code => (code, string.Empty)),
        new("a helper, 1 call", "return;", code => Helper(1, code)),
        new("a helper, 3 calls", "return;", code => Helper(3, code)),
        new(
            "an async lambda",
            "return;",
            code => ($"Func<Task> work = async () =>\n{{\n{code}\n}};\nawait work();", string.Empty)),
        new(
            "a local function called twice",
            "return;",
            code => ($"async Task Work()\n{{\n{code}\n}}\n\nawait Work();\nawait Work();", string.Empty)),
        new(
            "a loop",
            "continue;",
            code => ($"for (var attempt = 0; attempt < 2; attempt++)\n{{\n{code}\n}}", string.Empty)),
        new(
            "a try/finally around it",
            "return new Reply();",
            code => ($"try\n{{\n{code}\n}}\nfinally\n{{\nSpans.Log(\"done\");\n}}", string.Empty)),
    };

    private const string Helpers = """
        internal static class Spans
        {
            public static Activity? Current;

            public static Activity? Open1() => Telemetry.Source.StartActivity("work");

            public static Activity? Open2() => Open1();

            public static Activity? Open3()
            {
                var opened = Open2();
                opened?.SetTag("depth", 3);
                return opened;
            }

            public static bool TryOpen(out Activity? span)
            {
                span = Telemetry.Source.StartActivity("work");
                return span is not null;
            }

            public static void End1(Activity? span) => span?.Stop();

            public static void End2(Activity? span) => End1(span);

            public static void End3(Activity? span)
            {
                span?.SetTag("ended", true);
                End2(span);
            }

            public static void Describe(Activity? span, string name)
            {
                span?.SetTag("name", name);
                span?.SetTag("kind", "internal");
            }

            public static void Log(string? message) => Console.WriteLine(message);

            public static void Validate(string? model)
            {
                if (model is null)
                {
                    throw new InvalidLlmRequestException("model");
                }
            }

            public static void Count(ref int count) => count++;
        }
        """;

    /// <summary>Every end with every body, each pair twice with the start and the container taken in turn.</summary>
    public static IEnumerable<YardstickCase> All()
    {
        var index = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var end in Ends)
            {
                foreach (var body in Bodies)
                {
                    var starts = Starts
                        .Where(s => end.NeedsLocal || !s.DeclaresLocal)
                        .Where(s => !(end.DeclaresItself && s.DeclaresLocal))
                        .ToList();
                    var start = starts[(index + (pass * 3)) % starts.Count];
                    var container = Containers[((index / Bodies.Length) + index + (pass * 4)) % Containers.Length];
                    yield return Case(index++, start, end, body, container);
                }
            }
        }
    }

    private static YardstickCase Case(int index, Start start, End end, Body body, Container container)
    {
        var leftOpen = end.LeftOpen(body);
        var startText = leftOpen ? "{|" + Rule + ":" + start.Expression + "|}" : start.Expression;
        var declaration = start.DeclaresLocal ? startText + ";" : $"var span = {startText};";
        var bodyText = body.Code
            .Replace("SPAN", end.NeedsLocal ? "span" : "Activity.Current", StringComparison.Ordinal)
            .Replace("EXIT", container.Exit, StringComparison.Ordinal);
        var code = end.Write(end.NeedsLocal ? declaration : startText, bodyText);
        var (inRoute, members) = container.Place(code);
        var source = $$"""
            namespace Yardstick.Spans{{index}};

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/span{{index}}")]
                public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
                {
                    {{Indent(inRoute, 2)}}
                    return new Reply();
                }
            }
            {{members}}
            {{Helpers}}
            """;
        var name = $"{start.Name} / {end.Name} / {body.Name} / {container.Name}";
        return new YardstickCase(
            Rule,
            name,
            new[] { "start: " + start.Name, "end: " + end.Name, "between: " + body.Name, "in: " + container.Name },
            source);
    }

    private static (string InRoute, string Members) Helper(int depth, string code)
    {
        var members = new System.Text.StringBuilder("\ninternal static class Work\n{\n");
        for (var level = 1; level <= depth; level++)
        {
            var inner = level == depth ? code : $"await Run{level + 1}(request, call);";
            members.Append(
                $"    public static async Task Run{level}(ChatRequest request, "
                + $"LlmCall call)\n    {{\n        {Indent(inner, 2)}\n    }}\n\n");
        }

        return ("await Work.Run1(request, call);", members.Append("}\n").ToString());
    }

    private static string Indent(string code, int level) =>
        code.Replace("\n", "\n" + new string(' ', level * 4), StringComparison.Ordinal);
}
