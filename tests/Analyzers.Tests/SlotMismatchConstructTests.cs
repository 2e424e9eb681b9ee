using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// TLLM2001's readings added for the construct matrix (issue 41): a default left out by a call, a static
/// readonly field set in its type's static constructor; and the silences that keep the new readings sound:
/// a field also written some other way, a tuple element or a collection element written or the collection
/// handed on, a helper that writes its parameter, an iterator yielding a value not known.
/// Not among the metamorphic seeds: adding examples to a seed file shifts which rewrite each later example takes.
/// </summary>
public sealed class SlotMismatchConstructTests
{
    [Fact]
    public Task ADefaultLeftOutIsReportedAtTheDefaultForTheRoutesThatLeaveItOut() => AnalyzerAsync(Corpus.Header + """
        internal static class Slots
        {
            public static object? Read(LlmCall call, string key = {|#0:"metadata"|}) => call.HttpContext.Items[key];
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = $"{Slots.Read(call)}" };

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = $"{Slots.Read(call)}"
                + $"{Slots.Read(call)}{Slots.Read(call, "litellm_metadata")}" };
        }
        """, Diagnostic("TLLM2001", 0, SlotMismatchTests.MessagesOnly + " (through Routes.Chat → Slots.Read)"));

    [Fact]
    public Task TheFixRewritesTheDefault() => FixAsync<TracedLlm.CodeFixes.SlotMismatchCodeFix>(Corpus.Header + """
        internal static class Slots
        {
            public static object? Read(
                LlmCall call,
                string key = {|TLLM2001:"metadata"|}) =>
                call.HttpContext.Items[key];
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new() { Text = $"{Slots.Read(call)}" };
        }
        """, Corpus.Header + """
        internal static class Slots
        {
            public static object? Read(
                LlmCall call,
                string key = global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot) =>
                call.HttpContext.Items[key];
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new() { Text = $"{Slots.Read(call)}" };
        }
        """);

    [Fact]
    public Task ValuesWrittenElsewhereKeepTheRuleSilent() => AnalyzerAsync(Corpus.Header + """
        internal static class Keys
        {
            public static readonly string Assigned;
            public static readonly string Given;
            public static readonly string RightToo;

            static Keys()
            {
                Assigned = "metadata";
                Given = "metadata";
                Fill(out Given);
                RightToo = DateTime.Now.Ticks > 0 ? "metadata" : "litellm_metadata";
            }

            private static void Fill(out string key) => key =
                Environment.GetEnvironmentVariable("SLOT") ?? "litellm_metadata";

            public static string Swap(string key, LlmCall call)
            {
                key = call.Route.MetadataSlot;
                return key;
            }

            public static IEnumerable<string> Some(LlmCall call)
            {
                yield return "metadata";
                yield return call.Route.MetadataSlot;
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                string text0;
                var pair = (Key: "metadata", Count: 1);
                pair.Key = call.Route.MetadataSlot;
                var other = ("metadata", 2);
                Rename(ref other.Item1, call);
                var written = new List<string> { "metadata" };
                written[0] = call.Route.MetadataSlot;
                var added = new List<string> { "metadata" };
                added.Add(call.Route.MetadataSlot);
                text0 = $"{call.HttpContext.Items[written[0]]}{call.HttpContext.Items[added[1]]}"
                    + $"{call.HttpContext.Items[Keys.Swap("metadata", call)]}";
                var text = text0 + $"{call.HttpContext.Items[Keys.Given]}{call.HttpContext.Items[Keys.RightToo]}"
                    + $"{call.HttpContext.Items[pair.Key]}{call.HttpContext.Items[other.Item1]}";
                foreach (var key in Keys.Some(call))
                {
                    text += call.HttpContext.Items[key];
                }

                foreach (var key in new[] { "metadata", call.Route.MetadataSlot })
                {
                    text += call.HttpContext.Items[key];
                }

                return new Reply { Text = text + call.HttpContext.Items[{|#0:Keys.Assigned|}] };
            }

            private static void Rename(ref string key, LlmCall call) => key = call.Route.MetadataSlot;
        }
        """, Diagnostic("TLLM2001", 0, SlotMismatchTests.MessagesOnly));

    /// <summary>
    /// An array handed to a method that writes its element: the own flow leaves the element unknown (the array is
    /// handed on), and ValueContentAnalysis, which answered the initializer's literal behind it (a false alarm until
    /// issue 41's metamorphic sweep), is not asked for an element of a collection the block hands to a method.
    /// </summary>
    [Fact]
    public Task AnArrayAMethodWritesIsNotReadAsItsInitializer() => AnalyzerAsync(Corpus.Header + """
        internal static class Keys
        {
            public static void Fill(string[] keys, LlmCall call) => keys[0] = call.Route.MetadataSlot;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var handed = new[] { "metadata" };
                Keys.Fill(handed, call);
                return new Reply { Text = call.HttpContext.Items[handed[0]]?.ToString() };
            }
        }
        """);
}
