using System.Collections.Generic;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2006's construct matrix: an upstream call made through each construct of C#, in the handler (the
/// faulty form, outside any attempt) and the same code run inside <c>LlmCall.ExecuteAsync</c>'s operation
/// (the sound form: everything it reaches is inside the attempt).
/// </summary>
internal static class UnscopedUpstreamCallMatrix
{
    internal const string Header = "using System.Linq;\nusing System.Threading.Channels;\n" + Corpus.Header;

    private const string Url = "\"http://upstream/v1/chat/completions\"";

    private static string Get(string on = "http") => $"{{|TLLM2006:{on}.GetStringAsync({Url})|}}";

    /// <summary>The construct's statements in the handler, and the same statements inside an attempt; <paramref name="members"/> are types the construct uses.</summary>
    private static MatrixCell Call(string construct, string statements, string members = "", Held held = Held.Yes)
    {
        string Handler(string body) => Route(body, members);

        return new(
            construct,
            Handler(statements + "\nreturn new Reply();"),
            Handler($$"""
                return await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None, async (attempt, cancellationToken) =>
                {
                {{statements}}
                    return new Reply();
                });
                """),
            held);
    }

    private static string Route(string body, string members = "") => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
        {{body}}
            }
        }
        {{members}}
        """;

    /// <summary>A send outside any attempt in both forms; <paramref name="token"/> gives the request message its method.</summary>
    private static MatrixCell Method(string construct, string statements, string token, string faulty, string sound) =>
        Pair(construct, Route(statements + "\nreturn new Reply();"), token, faulty, sound);

    private static readonly System.Reflection.Assembly[] Sdk = { typeof(OpenAI.Chat.ChatClient).Assembly, typeof(System.ClientModel.ClientResult).Assembly };

    /// <summary>
    /// A method declared in source whose signature reads like an upstream call (in <paramref name="members"/>, where
    /// <c>@A</c> is empty in the faulty form and starts the method's own attempt in the sound one), called by the
    /// route outside any attempt (<paramref name="statements"/>). A method with a body here is judged by its body,
    /// as any helper is: the faulty form is reported at the call inside it, the sound form not at all.
    /// </summary>
    private static MatrixCell Wrapper(string construct, string parameter, string statements, string members, Held held = Held.Yes)
    {
        string Source(string wrapper) => $$"""
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async Task<Reply> Chat(ChatRequest request, {{parameter}})
                {
            {{statements}}
                }
            }
            {{wrapper}}
            """;

        // In the sound form the call inside the wrapper is in its attempt: only the route's markup (a known limit's) stays.
        return new(
            construct,
            Source(members.Replace("@A", string.Empty)),
            Source(WithoutMarkup(members).Replace("@A", "using var attempt = LlmCall.Current?.StartAttempt(new LlmTarget(\"openai\", \"gpt-4o\"));")),
            held) { Libraries = Sdk };
    }

    private static string GeneratedWrapper(string call) => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, GeneratedChatService service)
            {
                {{call}}
                return new Reply { Text = completion.Value.Content[0].Text };
            }
        }

        [System.CodeDom.Compiler.GeneratedCode("a client generator", "1.0")]
        internal sealed class GeneratedChatService(OpenAI.Chat.ChatClient client)
        {
            public async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(string prompt) =>
                await client.CompleteChatAsync(prompt);
        }
        """;

    private const string ChatMessages = "new[] { new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, \"hello\") }";

    internal static readonly IReadOnlyDictionary<string, MatrixCell> Cells = ByName(
        Wrapper(
            "method declared in source returning the SDK's result type",
            "ChatService service",
            "var completion = await service.GetCompletionAsync(\"hello\");\nreturn new Reply { Text = completion.Value.Content[0].Text };",
            """
            internal sealed class ChatService(OpenAI.Chat.ChatClient client)
            {
                public async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(string prompt)
                {
                    @A
                    return await {|TLLM2006:client.CompleteChatAsync(prompt)|};
                }
            }
            """),
        Wrapper(
            "method declared in source on a type derived from HttpClient",
            "UpstreamClient upstream",
            "return new Reply { Text = await upstream.GetCompletionAsync() };",
            $$"""
            internal sealed class UpstreamClient : HttpClient
            {
                public async Task<string> GetCompletionAsync()
                {
                    @A
                    return await {{Get("this")}};
                }
            }
            """),
        Wrapper(
            "IChatClient implemented in source, called through its own type",
            "GatewayChatClient chat",
            $"var response = await chat.GetResponseAsync({ChatMessages});\nreturn new Reply {{ Text = response.Text }};",
            """
            internal sealed class GatewayChatClient(Microsoft.Extensions.AI.IChatClient inner) : Microsoft.Extensions.AI.IChatClient
            {
                public async Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default)
                {
                    @A
                    return await {|TLLM2006:inner.GetResponseAsync(messages, options, cancellationToken)|};
                }

                public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                    throw new NotSupportedException();

                public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

                public void Dispose() => inner.Dispose();
            }
            """),
        Wrapper(
            "partial method declared in source returning the SDK's result type",
            "PartialChatService service",
            "var completion = await service.GetCompletionAsync(\"hello\");\nreturn new Reply { Text = completion.Value.Content[0].Text };",
            """
            internal sealed partial class PartialChatService
            {
                private readonly OpenAI.Chat.ChatClient _client;

                public PartialChatService(OpenAI.Chat.ChatClient client) => _client = client;

                public partial Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(string prompt);
            }

            internal sealed partial class PartialChatService
            {
                public partial async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(string prompt)
                {
                    @A
                    return await {|TLLM2006:_client.CompleteChatAsync(prompt)|};
                }
            }
            """),
        // Generated code is not analyzed (its body gives no facts), so a generated wrapper is judged by its signature.
        new MatrixCell(
            "method in generated code returning the SDK's result type",
            GeneratedWrapper("var completion = await {|TLLM2006:service.GetCompletionAsync(\"hello\")|};"),
            GeneratedWrapper("using var attempt = call.StartAttempt(new LlmTarget(\"openai\", \"gpt-4o\"));\nvar completion = await service.GetCompletionAsync(\"hello\");")) { Libraries = Sdk },
        // Known limit: a method with no body in source (abstract, an interface's) is still taken by its signature,
        // since an implementation may live where the compilation cannot see; its source implementations are followed too.
        Wrapper(
            "interface method declared in source returning the SDK's result type",
            "IChatService service",
            "var completion = await {|TLLM2006:service.GetCompletionAsync(\"hello\")|};\nreturn new Reply { Text = completion.Value.Content[0].Text };",
            """
            internal interface IChatService
            {
                Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(string prompt);
            }

            internal sealed class ChatService(OpenAI.Chat.ChatClient client) : IChatService
            {
                public async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(string prompt)
                {
                    @A
                    return await {|TLLM2006:client.CompleteChatAsync(prompt)|};
                }
            }
            """,
            Held.FalseAlarmKnownLimit),
        Call("awaited call in a local", $"var text = await {Get()};"),
        Call("reassigned local holding the client", $"var client = new HttpClient();\nclient = http;\n_ = await {Get("client")};"),
        Call("client in a static field", $"_ = await {Get("Clients.Shared")};", "internal static class Clients { public static readonly HttpClient Shared = new(); }"),
        Call("client in an expression-bodied property", $"_ = await {Get("new Clients().Http")};", "internal sealed class Clients { public HttpClient Http => new(); }"),
        Call("object initializer", $"var reply = new Reply {{ Text = await {Get()} }};"),
        Call("using declaration", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Get, {Url}))|}};"),
        Method("request message whose method is HEAD or OPTIONS (a GET may be a model API's: listing models)", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.@M, {Url}))|}};", "@M", "Get", "Head"),
        Method("request message in a local, OPTIONS in its object initializer, then given another method", $"var message = new HttpRequestMessage {{ Method = new HttpMethod(\"OPTIONS\"), RequestUri = new Uri({Url}) }};\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", "message.Method = HttpMethod.Post;", ""),
        Method("request message in a local, HEAD, then an alias of it given another method", $"var message = new HttpRequestMessage(HttpMethod.Head, {Url});\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", "var same = message; same.Method = HttpMethod.Post;", "message.Headers.Add(\"x-probe\", \"1\");"),
        Pair("request message in a local, HEAD, then passed to a helper that may change it", Route($"var message = new HttpRequestMessage(HttpMethod.Head, {Url});\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();", "internal static class Messages { public static void Prepare(HttpRequestMessage message) => message.Method = HttpMethod.Post; }"), "@M", "Messages.Prepare(message);", "_ = message.RequestUri;"),
        Call("conditional operator", $"var text = request.Model is null ? \"none\" : await {Get()};"),
        Call("null-coalescing operator", $"var text = request.Model ?? await {Get()};"),
        Call("switch expression arm with when", $"var text = request.Model switch {{ \"a\" when call.Route is not null => await {Get()}, null => throw new InvalidOperationException(), _ => \"none\" }};"),
        Call("switch statement", $"switch (request.Model) {{ case \"a\": _ = await {Get()}; break; default: break; }}"),
        Call("pattern matching", $"if (http is {{ Timeout.TotalSeconds: > 0 }} client) {{ _ = await {Get("client")}; }}"),
        Call("tuple deconstruction", $"var (text, count) = (await {Get()}, 1);"),
        Call("record method", $"_ = await new Upstream(http).ReadAsync();", $"internal sealed record Upstream(HttpClient Http) {{ public Task<string> ReadAsync() => {Get("Http")}; }}"),
        Call("generic helper with a constraint", $"_ = await Helper.SendAsync(http);", $"internal static class Helper {{ public static Task<HttpResponseMessage> SendAsync<T>(T invoker) where T : HttpMessageInvoker => {{|TLLM2006:invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, {Url}), CancellationToken.None)|}}; }}"),
        Call("lambda", $"Func<Task<string>> read = () => {Get()};\n_ = await read();"),
        Call("local function", $"Task<string> Read() => {Get()};\n_ = await Read();"),
        Call("method group", $"Func<HttpClient, Task<string>> read = Helper.ReadAsync;\n_ = await read(http);", $"internal static class Helper {{ public static Task<string> ReadAsync(HttpClient http) => {Get()}; }}"),
        Call("delegate stored in a field", $"_ = await Helper.Read(http);", $"internal static class Helper {{ public static readonly Func<HttpClient, Task<string>> Read = http => {Get()}; }}"),
        Call("delegate stored in a collection", $"var readers = new Dictionary<string, Func<Task<string>>> {{ [\"a\"] = () => {Get()} }};\n_ = await readers[\"a\"]();"),
        Call("event handler", $"var bus = new Bus();\nbus.Seen += async (_, _) => await {Get()};\nbus.Raise();", "internal sealed class Bus { public event EventHandler? Seen; public void Raise() => Seen?.Invoke(this, EventArgs.Empty); }"),
        Callbacks.Event("handler of a library's event, a lambda", Route(Callbacks.Lambda($"_ = {Get()};") + "\nreturn new Reply();", Callbacks.Types)),
        Callbacks.Event("handler of a library's event, a method group", Callbacks.MethodGroup((statements, members) => Route(statements + "\nreturn new Reply();", members), $"using var http = new HttpClient(); _ = {Get()};")),
        Callbacks.Timer("System.Threading.Timer callback", Route(Callbacks.Callback($"_ = {Get()};") + "\nreturn new Reply();", Callbacks.Types)),
        Call("async helper method", "_ = await Helper.ReadAsync(http);", $"internal static class Helper {{ public static async Task<string> ReadAsync(HttpClient http) {{ await Task.Yield(); return await {Get()}; }} }}"),
        Call("iterator", "foreach (var task in Helper.Reads(http)) { _ = await task; }", $"internal static class Helper {{ public static IEnumerable<Task<string>> Reads(HttpClient http) {{ yield return {Get()}; }} }}"),
        Call("await foreach over an async iterator", "await foreach (var text in Helper.ReadsAsync(http)) { _ = text; }", $"internal static class Helper {{ public static async IAsyncEnumerable<string> ReadsAsync(HttpClient http) {{ yield return await {Get()}; }} }}"),
        Call("await using", $"await using var stream = await {{|TLLM2006:http.GetStreamAsync({Url})|}};"),
        Call("try, catch when and finally", $"try {{ _ = await {Get()}; }} catch (HttpRequestException e) when (e.StatusCode is null) {{ throw; }} finally {{ _ = await {{|TLLM2006:http.GetStringAsync(\"http://upstream/health\")|}}; }}"),
        Call("LINQ", $"var texts = await Task.WhenAll(new[] {{ \"a\", \"b\" }}.Select(model => {Get()}));"),
        Call("Task.WhenAll fan-out", $"await Task.WhenAll({Get()}, {{|TLLM2006:http.GetStringAsync(\"http://upstream/v1/models\")|}});"),
        Call("Parallel.ForEachAsync fan-out", $"await Parallel.ForEachAsync(new[] {{ \"a\", \"b\" }}, async (model, ct) => {{ _ = await {Get()}; }});"),
        Call("Channel fan-out", $"var channel = Channel.CreateUnbounded<string>();\nchannel.Writer.TryWrite(\"a\");\nchannel.Writer.Complete();\nvar consumer = Task.Run(async () => {{ await foreach (var model in channel.Reader.ReadAllAsync()) {{ _ = await {Get()}; }} }});\nawait consumer;"));
}
