using System.Threading.Tasks;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2001: a key naming another metadata slot, in code a route reaches.</summary>
public sealed class SlotMismatchTests
{
    internal const string MessagesOnly =
        "Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route 'POST "
        + "/v1/messages' (slot 'litellm_metadata')";
    private const string ChatOnly =
        "Metadata slot mismatch: key 'litellm_metadata' names a metadata slot, but this code is reached from route "
        + "'POST /v1/chat/completions' (slot 'metadata')";

    // ---- where keys are used: indexers, instance methods, extension methods, JSON readers and writers ----

    [Fact]
    public Task IndexerInTheHandler() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new() { Text = call.HttpContext.Items[{|#0:"metadata"|}] as string };
        }
        """, Diagnostic("TLLM2001", 0, MessagesOnly));

    [Fact]
    public Task ExtensionMethodsOnAMetadataBag() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                // CollectionExtensions.TryAdd / GetValueOrDefault / Remove take the key as their second argument.
                IDictionary<string, object?> upstream = JsonSerializer.Deserialize<Dictionary<string,
                    object?>>(call.RequestBody.Span)!;
                upstream.TryAdd({|TLLM2001:"metadata"|}, new Dictionary<string,
                    object?> { ["existing_trace_id"] = call.Span?.TraceId.ToString() });
                IReadOnlyDictionary<string, JsonElement> fields = JsonSerializer.Deserialize<Dictionary<string,
                    JsonElement>>(call.RequestBody.Span)!;
                var slot = fields.GetValueOrDefault({|TLLM2001:"metadata"|});
                var copy = new Dictionary<string, object?>(upstream);
                copy.Remove({|TLLM2001:"metadata"|}, out _);
                return new Reply { Text = slot.ToString() };
            }
        }
        """);

    [Fact]
    public Task AnExtensionMethodOfTheGatewayThatTakesTheKey() => AnalyzerAsync(Corpus.Header + """
        internal static class JsonBodyExtensions
        {
            public static JsonObject? Slot(this JsonObject body, string name) => body[name] as JsonObject;

            public static string? TraceId(this JsonObject body, string slot) =>
                body.Slot(slot)?["existing_trace_id"]?.GetValue<string>();
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                return new Reply { Text = body.TraceId({|TLLM2001:"metadata"|}) };
            }

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                return new Reply { Text = body.TraceId("metadata") };
            }
        }
        """);

    /// <summary>
    /// A dictionary the code makes for an upstream body is not the request's metadata bag, whatever its keys.
    /// </summary>
    [Fact]
    public Task AnUpstreamBodyOfItsOwnIsNoMetadataBag() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                var text = await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None,
                    async (attempt, ct) =>
                {
                    var body = new Dictionary<string, object?>
                    {
                        ["model"] = request.Model,
                        ["litellm_metadata"] = new Dictionary<string,
                            object?> { ["trace_id"] = call.Span?.TraceId.ToString() },
                    };
                    using var response = await http.PostAsJsonAsync("http://upstream/v1/chat/completions", body, ct);
                    return await response.Content.ReadAsStringAsync(ct);
                });
                return new Reply { Text = text };
            }
        }
        """);

    [Fact]
    public Task Utf8JsonReaderAndWriterAndUtf8Literals() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            private static readonly JsonEncodedText SlotName = JsonEncodedText.Encode("metadata");

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var reader = new Utf8JsonReader(call.RequestBody.Span);
                var found = false;
                while (reader.Read())
                {
                    found |= reader.TokenType == JsonTokenType.PropertyName
                        && reader.ValueTextEquals({|TLLM2001:"metadata"u8|});
                }

                using var document = JsonDocument.Parse(call.RequestBody);
                document.RootElement.TryGetProperty({|TLLM2001:"metadata"u8|}, out var slot);
                using var stream = new System.IO.MemoryStream();
                using var writer = new Utf8JsonWriter(stream);
                writer.WriteStartObject();
                writer.WritePropertyName(SlotName);
                writer.WriteStringValue("metadata");
                writer.WriteEndObject();
                return new Reply { Text = found + slot.ToString() };
            }
        }
        """);

    // ---- where key values come from ----

    [Fact]
    public Task ConstFieldInAHelperTwoCallsAway() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new() { Text = SpanContext.Parent(call.HttpContext.Items) };
        }

        internal static class SpanContext
        {
            private const string MetadataKey = "metadata";

            public static string? Parent(IDictionary<object, object?> items) => Read(items);

            private static string? Read(IDictionary<object, object?> items) =>
                items.TryGetValue({|#0:MetadataKey|}, out var value) ? value as string : null;
        }
        """, Diagnostic("TLLM2001", 0, MessagesOnly + " (through Routes.Messages → SpanContext.Parent → "
            + "SpanContext.Read)"));

    [Fact]
    public Task KeysInStaticReadonlyFieldsPropertiesAndLambdaFields() => AnalyzerAsync(Corpus.Header + """
        internal static class Keys
        {
            public static readonly string Slot = "metadata";
            public static string Getter => "metadata";
            public static string Initialized { get; } = "metadata";
            public static readonly Func<string> Lambda = () => "metadata";
            public static string Method() => Slot;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var items = call.HttpContext.Items;
                return new Reply
                {
                    Text = $"{items[{|TLLM2001:Keys.Slot|}]}{items[{|TLLM2001:Keys.Getter|}]}"
                        + $"{items[{|TLLM2001:Keys.Initialized|}]}{items[{|TLLM2001:Keys.Lambda()|}]}"
                        + $"{items[{|TLLM2001:Keys.Method()|}]}",
                };
            }
        }
        """);

    [Fact]
    public Task KeysPassedAsParametersThroughHelpers() => AnalyzerAsync(Corpus.Header + """
        internal sealed class MetadataReader(IHttpContextAccessor accessor)
        {
            public object? Read(string slot) => ReadFrom(accessor.HttpContext!.Items, slot);

            private static object? ReadFrom(IDictionary<object, object?> items, string key) =>
                items.TryGetValue(key, out var value) ? value : null;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, MetadataReader reader) =>
                new() { Text = reader.Read({|#0:"metadata"|})?.ToString() };

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, MetadataReader reader) =>
                new() { Text = reader.Read("metadata")?.ToString() };
        }
        """, Diagnostic("TLLM2001", 0, MessagesOnly));

    [Fact]
    public Task AReassignedLocalHasTheValueItWasLastGiven() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var items = call.HttpContext.Items;
                var key = "litellm_metadata";
                var own = items[key];
                key = "metadata";
                var other = items[{|TLLM2001:key|}];
                key = "litellm_metadata";
                return new Reply { Text = $"{own}{other}{items[key]}" };
            }
        }
        """);

    [Fact]
    public Task InterpolatedAndConcatenatedConstants() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            private const string Prefix = "litellm";

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!;
                var a = body[{|TLLM2001:$"{Prefix}_metadata"|}];
                var b = body[{|TLLM2001:Prefix + "_metadata"|}];
                var c = body[$"{Prefix}_{request.Model}"];
                return new Reply { Text = $"{a}{b}{c}" };
            }
        }
        """);

    [Fact]
    public Task LocalKeyInAnAsyncLambda() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                var text = await Task.Run(() =>
                {
                    var key = "metadata";
                    return body.ContainsKey({|#0:key|}) ? "yes" : "no";
                });
                return new Reply { Text = text };
            }
        }
        """, Diagnostic("TLLM2001", 0, MessagesOnly));

    [Fact]
    public Task SharedHelperHardCodingOneSlotNamesTheRoutesThatDisagree() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = Shared.Parent(call) };

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = Shared.Parent(call) };
        }

        internal static class Shared
        {
            public static string? Parent(LlmCall call)
            {
                using var document = JsonDocument.Parse(call.RequestBody);
                return document.RootElement.TryGetProperty({|#0:"litellm_metadata"|}, out var slot) ? slot.GetRawText()
                    : null;
            }
        }
        """, Diagnostic("TLLM2001", 0, ChatOnly + " (through Routes.Chat → Shared.Parent)"));

    [Fact]
    public Task CustomSlotOfAnotherRouteIsASlotToo() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/embeddings", MetadataSlot = "gateway_meta")]
            public static Reply Embeddings(ChatRequest request, LlmCall call) =>
                new() { Text = call.HttpContext.Items[{|#0:"metadata"|}] as string };

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = call.HttpContext.Items[{|#1:"gateway_meta"|}] as string };
        }
        """,
        Diagnostic("TLLM2001", 0, "Metadata slot mismatch: key 'metadata' names a metadata slot, "
            + "but this code is reached from route 'POST /v1/embeddings' (slot 'gateway_meta')"),
        Diagnostic("TLLM2001", 1, "Metadata slot mismatch: key 'gateway_meta' names a metadata slot, "
            + "but this code is reached from route 'POST /v1/chat/completions' (slot 'metadata')"));

    [Fact]
    public Task AGuardrailReadingOneSlotIsReachedFromEveryRoute() => AnalyzerAsync(Corpus.Header + """
        internal sealed class TraceTagGuardrail : ILlmGuardrail
        {
            public string Name => "trace-tags";
            public GuardrailMode Modes => GuardrailMode.PreCall;

            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
            {
                var body = JsonNode.Parse(context.Call.RequestBody.Span);
                return ValueTask.FromResult(body?[{|#0:"metadata"|}]?["tags"] is null ? GuardrailVerdict.Allow
                    : GuardrailVerdict.Block("tags"));
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new();

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request) => new();
        }
        """, Diagnostic("TLLM2001", 0, MessagesOnly));

    // ---- clean code ----

    [Fact]
    public Task EachRouteUsingItsOwnSlotIsClean() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = call.HttpContext.Items[MetadataSlots.Metadata] as string };

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new() { Text = call.HttpContext.Items["litellm_metadata"] as string };

            [TracedLlmRoute("POST", "/v1/responses")]
            public static Reply Responses(ChatRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                body.TryAdd(TracedLlm.Generated.Contoso_Routes_Responses.MetadataSlot,
                    new JsonObject { ["existing_trace_id"] = "0af7651916cd43dd8448eb211c80319c" });
                return new Reply { Text = body.ToJsonString() };
            }
        }
        """);

    [Fact]
    public Task KeysChosenAtRunTimeAreClean() => AnalyzerAsync(Corpus.Header + """
        internal static class SlotBag
        {
            // A helper shared by routes with different slots, told the slot by its caller.
            public static JsonNode? Of(JsonObject body, LlmCall call) => body[call.Route.MetadataSlot];

            public static JsonNode? ByPath(JsonObject body, HttpContext context)
            {
                var slot = context.Request.Path.StartsWithSegments("/v1/messages") ? "litellm_metadata" : "metadata";
                return body[slot];
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) => Read(call);

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => Read(call);

            private static Reply Read(LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                var key = "metadata";
                foreach (var name in new[] { "litellm_metadata", "metadata" })
                {
                    key = name;
                }

                return new Reply { Text = $"{SlotBag.Of(body, call)}{SlotBag.ByPath(body, call.HttpContext)}"
                    + $"{body[key]}" };
            }
        }
        """);

    [Fact]
    public Task TheSameCodeOutsideTracedRoutesIsClean() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = request.Model };
        }

        internal static class Admin
        {
            public static object? Read(HttpContext context) => context.Items["metadata"];
        }
        """);

    [Fact]
    public Task KeysThatNameNoSlotAndValuesThatAreNoKeysAreClean() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var headers = new Dictionary<string, string> { ["x-metadata-version"] = "2" };
                headers.TryAdd("user_id", "metadata");
                var text = headers.GetValueOrDefault("x-metadata-version") + call.HttpContext.Items["user_id"]
                    + string.Concat("meta", "data");
                return new Reply { Text = text };
            }
        }
        """);

    [Fact]
    public Task APragmaSuppressesIt() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
        #pragma warning disable TLLM2001 // reads the provider-native metadata on purpose
                return new() { Text = call.HttpContext.Items["metadata"] as string };
        #pragma warning restore TLLM2001
            }
        }
        """);

    // ---- the fix ----

    [Fact]
    public Task FixUsesTheRoutesGeneratedConstant() => FixAsync<SlotMismatchCodeFix>(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new()
                {
                    Text = call.HttpContext.Items[
                        {|TLLM2001:"metadata"|}] as string,
                };
        }
        """, Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new()
                {
                    Text = call.HttpContext.Items[
                        global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot] as string,
                };
        }
        """);

    [Fact]
    public Task FixAllReplacesKeysOfEveryShapeInOneGo() => FixAsync<SlotMismatchCodeFix>(Corpus.Header + """
        internal static class Routes
        {
            private static readonly string Key = "metadata";

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                body.TryAdd({|TLLM2001:"metadata"|}, new JsonObject());
                var reader = new Utf8JsonReader(call.RequestBody.Span);
                var found = reader.ValueTextEquals({|TLLM2001:"metadata"u8|});
                return new Reply { Text = $"{body[{|TLLM2001:Key|}]}"
                    + $"{found}"
                    + $"{Helper.Read(call.HttpContext.Items,
                        {|TLLM2001:"metadata"|})}" };
            }
        }

        internal static class Helper
        {
            public static object? Read(IDictionary<object, object?> items, string key) => items[key];
        }
        """, Corpus.Header + """
        internal static class Routes
        {
            private static readonly string Key = "metadata";

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                body.TryAdd(global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot, new JsonObject());
                var reader = new Utf8JsonReader(call.RequestBody.Span);
                var found = reader.ValueTextEquals(global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot);
                return new Reply { Text = $"{body[global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot]}"
                    + $"{found}"
                    + $"{Helper.Read(call.HttpContext.Items,
                        global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot)}" };
            }
        }

        internal static class Helper
        {
            public static object? Read(IDictionary<object, object?> items, string key) => items[key];
        }
        """, fixAllIterations: 1);

    [Fact]
    public Task NoMechanicalFixWhenTheRoutesDisagree()
    {
        const string source = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = Shared.Read(call) };

                [TracedLlmRoute("POST", "/v1/messages")]
                public static Reply Messages(MessagesRequest request, LlmCall call) =>
                    new() { Text = Shared.Read(call) };
            }

            internal static class Shared
            {
                public static string? Read(LlmCall call) => call.HttpContext.Items[{|TLLM2001:"metadata"|}] as string;
            }
            """;
        return FixAsync<SlotMismatchCodeFix>(source, source);
    }
}
