using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// TLLM2001 follows a key's value as C# carries it: a local reassigned on one branch, a tuple
/// deconstruction, a switch expression, a captured primary-constructor parameter, a record's
/// <c>with</c> expression, a static abstract interface member read in a generic helper, a delegate
/// kept in a collection and invoked later. Each route reads the wrong slot's key one way.
/// </summary>
public sealed class SlotMismatchValueFlowTests
{
    private const string ChatOnly =
        "Metadata slot mismatch: key 'litellm_metadata' names a metadata slot, but this code is reached from route "
        + "'POST /v1/chat/completions' (slot 'metadata')";

    private const string MessagesOnly =
        "Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route 'POST "
        + "/v1/messages' (slot 'litellm_metadata')";

    [Fact]
    public Task LocalsTuplesAndSwitchExpressions() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var key = "metadata";
                if (request.Model is null)
                {
                    key = "metadata";
                }

                var (slot, _) = ("metadata", 1);
                var chosen = request.Model switch { "a" => "metadata", _ => "metadata" };
                return new Reply { Text = $"{call.HttpContext.Items[{|#0:key|}]}{call.HttpContext.Items[{|#1:slot|}]}"
                    + $"{call.HttpContext.Items[{|#2:chosen|}]}" };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly),
        Diagnostic("TLLM2001", 1, MessagesOnly),
        Diagnostic("TLLM2001", 2, MessagesOnly));

    [Fact]
    public Task ALocalReassignedAValueOnlyTheOwnReadingFollows() => AnalyzerAsync(Corpus.Header + """
        internal sealed record SlotName(string Value);

        internal sealed class Slot(string value)
        {
            public string Get() => value;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var first = "model";
                first = ("metadata", 0).Item1;
                var second = "model";
                second = new SlotName("metadata").Value;
                var third = "model";
                third = new Slot("metadata").Get();
                var kept = "metadata";
                kept = ("model", 0).Item1;
                var chosen = request.Model is null ? "metadata" : "model";
                chosen = "model";
                if (request.Model == "x") { chosen = ("model", 0).Item1; }
                return new Reply { Text = $"{call.HttpContext.Items[{|#0:first|}]}"
                    + $"{call.HttpContext.Items[{|#1:second|}]}{call.HttpContext.Items[{|#2:third|}]}"
                    + $"{call.HttpContext.Items[kept]}{call.HttpContext.Items[chosen]}" };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly),
        Diagnostic("TLLM2001", 1, MessagesOnly),
        Diagnostic("TLLM2001", 2, MessagesOnly));

    [Fact]
    public Task APrimaryConstructorParameterARecordWithAndAStaticAbstractMember() => AnalyzerAsync(Corpus.Header + """
        internal sealed class SlotReader(string key)
        {
            public object? Read(LlmCall call) => call.HttpContext.Items[key];
        }

        internal sealed record SlotOptions(string Key)
        {
            public static SlotOptions Default { get; } = new("litellm_metadata");
        }

        internal interface ISlot
        {
            static abstract string Key { get; }
        }

        internal sealed class Metadata : ISlot
        {
            public static string Key => "metadata";
        }

        internal static class Slots
        {
            public static object? Read<T>(LlmCall call)
                where T : ISlot => call.HttpContext.Items[{|#2:T.Key|}];
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var reader = new SlotReader({|#0:"metadata"|});
                var options = SlotOptions.Default with { Key = "metadata" };
                return new Reply { Text = $"{reader.Read(call)}{call.HttpContext.Items[{|#1:options.Key|}]}"
                    + $"{Slots.Read<Metadata>(call)}" };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly),
        Diagnostic("TLLM2001", 1, MessagesOnly),
        Diagnostic("TLLM2001", 2, MessagesOnly + " (through Routes.Messages → Slots.Read)"));

    [Fact]
    public Task ADelegateKeptInACollectionAndInvokedLater() => AnalyzerAsync(Corpus.Header + """
        internal static class Readers
        {
            public static readonly List<Func<LlmCall, object?>> All = new()
            {
                call => call.HttpContext.Items[{|#0:"metadata"|}],
            };
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                object? value = null;
                foreach (var read in Readers.All)
                {
                    value = read(call);
                }

                return new Reply { Text = value as string };
            }
        }
        """, Diagnostic("TLLM2001", 0, MessagesOnly + " (through Routes.Messages → Readers.All)"));

    [Fact]
    public Task UnrelatedDictionariesWritersAndAHelperBranchingOnTheRoutesSlotAreClean() =>
        AnalyzerAsync(Corpus.Header + """
        internal static class Slots
        {
            public static object? Read(LlmCall call) => call.Route.MetadataSlot == MetadataSlots.Metadata
                ? call.HttpContext.Items["metadata"]
                : call.HttpContext.Items["litellm_metadata"];

            public static object? ReadBySwitch(LlmCall call) => call.Route.MetadataSlot switch
            {
                "metadata" => call.HttpContext.Items["metadata"],
                _ => null,
            };
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = $"{Slots.Read(call)}"
                + $"{Slots.ReadBySwitch(call)}" };

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var labels = new Dictionary<string, string> { ["metadata"] = "kept by the provider" };
                labels["metadata"] = "still the provider's";
                using var stream = new System.IO.MemoryStream();
                using var writer = new Utf8JsonWriter(stream);
                writer.WriteStartObject();
                writer.WriteString("metadata", "provider field");
                writer.WriteEndObject();
                return new Reply { Text = $"{Slots.Read(call)}{Slots.ReadBySwitch(call)}{labels.Count}" };
            }
        }
        """);
    // Issue 41, the metamorphic sweep: each construct below was reported only while its key was a literal
    // Roslyn's ValueContentAnalysis could read; with the key one step further (a record, a tuple, a delegate
    // field ...) it was missed. The own value flow now reads the construct itself.

    [Fact]
    public Task AThrowingArmOrBranchGivesNoValue() => AnalyzerAsync(Corpus.Header + """
        internal static class Keys
        {
            public static readonly Func<string> Key = () => "metadata";
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var chosen = request.Model switch { "" => throw new InvalidOperationException(), _ => Keys.Key() };
                var other = request.Model is null ? throw new ArgumentException("no model") : Keys.Key();
                return new Reply { Text = $"{call.HttpContext.Items[{|#0:chosen|}]}"
                    + $"{call.HttpContext.Items[{|#1:other|}]}" };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly),
        Diagnostic("TLLM2001", 1, MessagesOnly));

    [Fact]
    public Task AnAwaitedAsyncMethodGivesWhatItReturns() => AnalyzerAsync(Corpus.Header + """
        internal sealed record Holder(string Value);

        internal static class Keys
        {
            public static async Task<string> GetAsync()
            {
                await Task.Yield();
                return new Holder("metadata").Value;
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, LlmCall call) =>
                new Reply { Text = call.HttpContext.Items[{|#0:await Keys.GetAsync()|}]?.ToString() };
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly));

    [Fact]
    public Task AnIteratorYieldsWhatItsBodyComputes() => AnalyzerAsync(Corpus.Header + """
        internal static class Keys
        {
            public static IEnumerable<string> All()
            {
                var key = "metadata";
                yield return key;
            }

            public static async IAsyncEnumerable<string> AllAsync(string key)
            {
                await Task.Yield();
                yield return key;
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, LlmCall call)
            {
                var text = "";
                foreach (var k in Keys.All())
                {
                    text += call.HttpContext.Items[{|#0:k|}];
                }

                await foreach (var k in Keys.AllAsync("metadata"))
                {
                    text += call.HttpContext.Items[{|#1:k|}];
                }

                return new Reply { Text = text };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly),
        Diagnostic("TLLM2001", 1, MessagesOnly));

    [Fact]
    public Task ALocalFunctionAndAMethodGroupGiveWhatTheyReturn() => AnalyzerAsync(Corpus.Header + """
        internal static class Keys
        {
            public static string Get() => ("metadata", 0).Item1;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var captured = "metadata";
                string Key() => captured;
                Func<string> group = Keys.Get;
                return new Reply { Text = $"{call.HttpContext.Items[{|#0:Key()|}]}"
                    + $"{call.HttpContext.Items[{|#1:group()|}]}" };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly),
        Diagnostic("TLLM2001", 1, MessagesOnly));

    [Fact]
    public Task AnOutOrRefArgumentHoldsWhatTheMethodAssigns() => AnalyzerAsync(Corpus.Header + """
        internal sealed record Holder(string Value);

        internal static class Keys
        {
            public static void Get(out string key) => key = new Holder("metadata").Value;

            public static void Set(ref string key) => key = ("metadata", 0).Item1;

            // Assigned on one branch only: the local may keep its own value, so it is not followed.
            public static void Maybe(ref string key, bool change)
            {
                if (change)
                {
                    key = "metadata";
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                Keys.Get(out var first);
                var second = "litellm_metadata";
                Keys.Set(ref second);
                var third = "litellm_metadata";
                Keys.Maybe(ref third, request.Model is null);
                return new Reply { Text = $"{call.HttpContext.Items[{|#0:first|}]}"
                    + $"{call.HttpContext.Items[{|#1:second|}]}{call.HttpContext.Items[third]}" };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly),
        Diagnostic("TLLM2001", 1, MessagesOnly));

    [Fact]
    public Task APatternVariableHoldsTheValueItTested() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                object boxed = ("metadata", 0).Item1;
                if (boxed is string k)
                {
                    return new Reply { Text = call.HttpContext.Items[{|#0:k|}]?.ToString() };
                }

                return new Reply();
            }
        }
        """,
        Diagnostic("TLLM2001", 0, MessagesOnly));
    [Fact]
    public Task AConcatenationOfAConstantAndAFieldOrACallIsJoinedOnceResolved() => AnalyzerAsync(Corpus.Header + """
        internal interface ISuffix
        {
            static abstract string Value { get; }
        }

        internal sealed class Wrong : ISuffix
        {
            public static string Value => "_metadata";
        }

        internal static class Keys
        {
            public const string Prefix = "litellm";
            public static readonly Func<string> Suffix = () => "_metadata";
            public static readonly Func<string> Other = () => "metadata";

            public static string Of<T>() where T : ISuffix => T.Value;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                var first = call.HttpContext.Items[{|#0:Keys.Prefix + Keys.Suffix()|}];
                var second = call.HttpContext.Items[{|#1:$"{Keys.Prefix}{Keys.Of<Wrong>()}"|}];
                var right = call.HttpContext.Items[Keys.Other()];
                var unknown = call.HttpContext.Items[Keys.Suffix() + request.Model];
                return new Reply { Text = $"{first}{second}{right}{unknown}" };
            }
        }
        """,
        Diagnostic("TLLM2001", 0, ChatOnly),
        Diagnostic("TLLM2001", 1, ChatOnly));
}
