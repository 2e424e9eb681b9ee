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

    /// <summary>A request's body: what every model API takes its input in.</summary>
    private const string Body = "new StringContent(\"{}\")";

    /// <summary>
    /// The upstream call the construct cells carry: a POST with a body, the call every model API generates with.
    /// </summary>
    private static string Post(string on = "http") => $"{{|TLLM2006:{on}.PostAsync({Url}, {Body})|}}";

    /// <summary>
    /// The construct's statements in the handler, and the same statements inside an attempt; <paramref name="members"/>
    /// are types the construct uses.
    /// </summary>
    private static MatrixCell Call(string construct, string statements, string members = "", Held held = Held.Yes)
    {
        string Handler(string body) => Route(body, members);

        return new(
            construct,
            Handler(statements + "\nreturn new Reply();"),
            Handler($$"""
                return await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None,
                    async (attempt, cancellationToken) =>
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

    /// <summary>
    /// One of HttpClient's verb methods (the sound form: it sends what it is named for, not a POST) against the POST
    /// that is a model call.
    /// </summary>
    private static MatrixCell Verb(string construct, string post, string verb) =>
        Pair(
            construct + " (not a POST)",
            Route($"_ = await {{|TLLM2006:http.@C|}};\nreturn new Reply();"),
            "@C",
            post.Replace("@U", Url).Replace("@B", Body),
            verb.Replace("@U", Url));

    private static readonly System.Reflection.Assembly[] Sdk =
    {
        typeof(OpenAI.Chat.ChatClient).Assembly,
        typeof(System.ClientModel.ClientResult).Assembly
    };

    /// <summary>
    /// A method declared in source whose signature reads like an upstream call (in <paramref name="members"/>, where
    /// <c>@A</c> is empty in the faulty form and starts the method's own attempt in the sound one), called by the
    /// route outside any attempt (<paramref name="statements"/>). A method with a body here is judged by its body,
    /// as any helper is: the faulty form is reported at the call inside it, the sound form not at all.
    /// </summary>
    private static MatrixCell Wrapper(
        string construct,
        string parameter,
        string statements,
        string members,
        Held held = Held.Yes)
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

        // In the sound form the call inside the wrapper is in its attempt: only the route's markup (a known limit's)
        // stays.
        return new(
            construct,
            Source(members.Replace("@A", string.Empty)),
            Source(
                WithoutMarkup(members)
                    .Replace(
                        "@A",
                        "using var attempt = LlmCall.Current?.StartAttempt(new LlmTarget(\"openai\", \"gpt-4o\"));")),
            held)
        {
            Libraries = Sdk
        };
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
            public async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(
                string prompt) =>
                await client.CompleteChatAsync(prompt);
        }
        """;

    /// <summary>A route's send through a named client <c>Startup</c> registers (as attempts with <c>@R</c>).</summary>
    private const string Registration = """
        internal static class Startup
        {
            public static object Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
            {
                var builder = Microsoft.Extensions.DependencyInjection.HttpClientFactoryServiceCollectionExtensions
                    .AddHttpClient(services, "upstream");
                return @R;
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory)
            {
                var client = factory.CreateClient("upstream");
                var url = "http://upstream/v1/chat/completions";
                using var response = await {|TLLM2006:client.PostAsync(url, new StringContent("{}"))|};
                return new Reply { Text = response.ReasonPhrase };
            }
        }
        """;

    /// <summary>A static class whose method sends (the send <paramref name="reported"/> in the faulty form).</summary>
    private static string Helper(string signature, string send, string type = "Helper", bool reported = true) =>
        $"internal static class {type}\n{{\n    public static Task<HttpResponseMessage> {signature} =>\n        "
        + (reported ? $"{{|TLLM2006:{send}|}}" : send) + ";\n}\n";

    private const string ChatMessages =
        "new[] { new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, \"hello\") }";

    internal static readonly IReadOnlyDictionary<string, MatrixCell> Cells = ByName(
        Wrapper(
            "method declared in source returning the SDK's result type",
            "ChatService service",
            "var completion = await service.GetCompletionAsync(\"hello\");\nreturn new Reply { Text = "
            + "completion.Value.Content[0].Text };",
            """
            internal sealed class ChatService(OpenAI.Chat.ChatClient client)
            {
                public async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(
                    string prompt)
                {
                    @A
                    return await {|TLLM2006:client.CompleteChatAsync(prompt)|};
                }
            }
            """),
        Wrapper(
            "method declared in source on a type derived from HttpClient",
            "UpstreamClient upstream",
            "using var response = await upstream.CompleteAsync();\nreturn new Reply { Text = await "
            + "response.Content.ReadAsStringAsync() };",
            $$"""
            internal sealed class UpstreamClient : HttpClient
            {
                public async Task<HttpResponseMessage> CompleteAsync()
                {
                    @A
                    return await {{Post("this")}};
                }
            }
            """),
        Wrapper(
            "IChatClient implemented in source, called through its own type",
            "GatewayChatClient chat",
            $"var response = await chat.GetResponseAsync({ChatMessages});\nreturn new Reply {{ Text = response.Text "
            + $"}};",
            """
            internal sealed class GatewayChatClient(Microsoft.Extensions.AI.IChatClient inner)
                : Microsoft.Extensions.AI.IChatClient
            {
                public async Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(
                    IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
                    Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default)
                {
                    @A
                    return await {|TLLM2006:inner.GetResponseAsync(messages, options, cancellationToken)|};
                }

                public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(
                    IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
                    Microsoft.Extensions.AI.ChatOptions? options = null,
                    CancellationToken cancellationToken = default) =>
                    throw new NotSupportedException();

                public object? GetService(Type serviceType, object? serviceKey = null) =>
                    inner.GetService(serviceType, serviceKey);

                public void Dispose() => inner.Dispose();
            }
            """),
        Wrapper(
            "partial method declared in source returning the SDK's result type",
            "PartialChatService service",
            "var completion = await service.GetCompletionAsync(\"hello\");\nreturn new Reply { Text = "
            + "completion.Value.Content[0].Text };",
            """
            internal sealed partial class PartialChatService
            {
                private readonly OpenAI.Chat.ChatClient _client;

                public PartialChatService(OpenAI.Chat.ChatClient client) => _client = client;

                public partial Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(
                    string prompt);
            }

            internal sealed partial class PartialChatService
            {
                public partial async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>>
                    GetCompletionAsync(string prompt)
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
            GeneratedWrapper(
                "using var attempt = call.StartAttempt(new LlmTarget(\"openai\", \"gpt-4o\"));\nvar completion = "
                + "await service.GetCompletionAsync(\"hello\");"))
        {
            Libraries = Sdk
        },
        // Known limit: a method with no body in source (abstract, an interface's) is still taken by its signature,
        // since an implementation may live where the compilation cannot see; its source implementations are followed
        // too.
        Wrapper(
            "interface method declared in source returning the SDK's result type",
            "IChatService service",
            "var completion = await {|TLLM2006:service.GetCompletionAsync(\"hello\")|};\nreturn new Reply { Text = "
            + "completion.Value.Content[0].Text };",
            """
            internal interface IChatService
            {
                Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(string prompt);
            }

            internal sealed class ChatService(OpenAI.Chat.ChatClient client) : IChatService
            {
                public async Task<System.ClientModel.ClientResult<OpenAI.Chat.ChatCompletion>> GetCompletionAsync(
                    string prompt)
                {
                    @A
                    return await {|TLLM2006:client.CompleteChatAsync(prompt)|};
                }
            }
            """,
            Held.FalseAlarmKnownLimit),
        Call("awaited call in a local", $"var response = await {Post()};"),
        Call(
            "reassigned local holding the client",
            $"var client = new HttpClient();\nclient = http;\n_ = await {Post("client")};"),
        Call(
            "client in a static field",
            $"_ = await {Post("Clients.Shared")};",
            "internal static class Clients { public static readonly HttpClient Shared = new(); }"),
        Call(
            "client in an expression-bodied property",
            $"_ = await {Post("new Clients().Http")};",
            "internal sealed class Clients { public HttpClient Http => new(); }"),
        Call("object initializer", $"var reply = new Reply {{ Text = (await {Post()}).ReasonPhrase }};"),
        Call(
            "using declaration",
            $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, {Url}) "
            + $"{{ Content = {Body} }})|}};"),
        Verb("HttpClient.GetAsync", "PostAsync(@U, @B)", "GetAsync(@U)"),
        Verb("HttpClient.GetStringAsync", "PostAsync(@U, @B)", "GetStringAsync(@U)"),
        Verb("HttpClient.GetStreamAsync", "PostAsync(@U, @B)", "GetStreamAsync(@U)"),
        Verb("HttpClient.GetByteArrayAsync", "PostAsync(@U, @B)", "GetByteArrayAsync(@U)"),
        Verb("HttpClient.DeleteAsync", "PostAsync(@U, @B)", "DeleteAsync(@U)"),
        Verb("HttpClient.PutAsync", "PostAsync(@U, @B)", "PutAsync(@U, null)"),
        Verb("HttpClient.PatchAsync", "PostAsync(@U, @B)", "PatchAsync(@U, null)"),
        Verb("GetFromJsonAsync", "PostAsJsonAsync(@U, request)", "GetFromJsonAsync<Reply>(@U)"),
        Verb("DeleteFromJsonAsync", "PostAsJsonAsync(@U, request)", "DeleteFromJsonAsync<Reply>(@U)"),
        Verb("PutAsJsonAsync", "PostAsJsonAsync(@U, request)", "PutAsJsonAsync(@U, request)"),
        Verb("PatchAsJsonAsync", "PostAsJsonAsync(@U, request)", "PatchAsJsonAsync(@U, request)"),
        Pair(
            "GetFromJsonAsAsyncEnumerable",
            Route($"@S\nreturn new Reply();"),
            "@S",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({Url}, request)|}};",
            $"await foreach (var reply in http.GetFromJsonAsAsyncEnumerable<Reply>({Url})) {{ _ = reply; }}"),
        Call("conditional operator", $"var response = request.Model is null ? null : await {Post()};"),
        Call("null-coalescing operator", $"var text = request.Model ?? (await {Post()}).ReasonPhrase;"),
        Call(
            "switch expression arm with when",
            $"var text = request.Model switch {{ \"a\" when call.Route is not null => await {Post()}, "
            + $"null => throw new InvalidOperationException(), _ => null }};"),
        Call(
            "switch statement",
            $"switch (request.Model) {{ case \"a\": _ = await {Post()}; break; default: break; }}"),
        Call(
            "pattern matching",
            $"if (http is {{ Timeout.TotalSeconds: > 0 }} client) {{ _ = await {Post("client")}; }}"),
        Call("tuple deconstruction", $"var (response, count) = (await {Post()}, 1);"),
        Call(
            "record method",
            $"_ = await new Upstream(http).ReadAsync();",
            $"internal sealed record Upstream(HttpClient Http) {{ public Task<HttpResponseMessage> ReadAsync() "
            + $"=> {Post("Http")}; }}"),
        Call(
            "generic helper with a constraint",
            $"_ = await Helper.SendAsync(http);",
            $"internal static class Helper {{ public static Task<HttpResponseMessage> SendAsync<T>(T invoker) "
            + $"where T : HttpMessageInvoker => {{|TLLM2006:invoker.SendAsync(new HttpRequestMessage(HttpMethod.Post, "
            + $"{Url}) {{ Content = {Body} }}, CancellationToken.None)|}}; }}"),
        Call(
            "decorator of IChatClient reached through the interface's extension",
            "var response = await {|TLLM2006:Microsoft.Extensions.AI.ChatClientExtensions.GetResponseAsync("
            + "Clients.Chat, \"hello\")|};\n"
            + "_ = response.Text + response.FinishReason;",
            """
            internal static class Clients
            {
                public static Microsoft.Extensions.AI.IChatClient Chat { get; set; } = null!;
            }

            internal sealed class Caching(Microsoft.Extensions.AI.IChatClient inner)
                : Microsoft.Extensions.AI.DelegatingChatClient(inner)
            {
                public override async Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(
                    IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
                    Microsoft.Extensions.AI.ChatOptions? options = null,
                    CancellationToken cancellationToken = default) =>
                    await {|TLLM2006:base.GetResponseAsync(messages, options, cancellationToken)|};
            }
            """),
        Call("lambda", $"Func<Task<HttpResponseMessage>> read = () => {Post()};\n_ = await read();"),
        Call("local function", $"Task<HttpResponseMessage> Read() => {Post()};\n_ = await Read();"),
        Call(
            "method group",
            $"Func<HttpClient, Task<HttpResponseMessage>> read = Helper.ReadAsync;\n_ = await read(http);",
            $"internal static class Helper {{ public static Task<HttpResponseMessage> ReadAsync(HttpClient http) "
            + $"=> {Post()}; }}"),
        Call(
            "delegate stored in a field",
            $"_ = await Helper.Read(http);",
            $"internal static class Helper {{ public static readonly Func<HttpClient, "
            + $"Task<HttpResponseMessage>> Read = http => {Post()}; }}"),
        Call(
            "delegate stored in a collection",
            $"var readers = new Dictionary<string, Func<Task<HttpResponseMessage>>> {{ [\"a\"] = () "
            + $"=> {Post()} }};\n_ = await readers[\"a\"]();"),
        Call(
            "event handler",
            $"var bus = new Bus();\nbus.Seen += async (_, _) => await {Post()};\nbus.Raise();",
            "internal sealed class Bus { public event EventHandler? Seen; public void Raise() => "
            + "Seen?.Invoke(this, EventArgs.Empty); }"),
        Callbacks.Event(
            "handler of a library's event, a lambda",
            Route(Callbacks.Lambda($"_ = {Post()};") + "\nreturn new Reply();", Callbacks.Types)),
        Callbacks.Event(
            "handler of a library's event, a method group",
            Callbacks.MethodGroup(
                (statements, members) => Route(statements + "\nreturn new Reply();", members),
                $"using var http = new HttpClient(); _ = {Post()};")),
        Callbacks.Timer(
            "System.Threading.Timer callback",
            Route(Callbacks.Callback($"_ = {Post()};") + "\nreturn new Reply();", Callbacks.Types)),
        Call(
            "async helper method",
            "_ = await Helper.ReadAsync(http);",
            $"internal static class Helper {{ public static async Task<HttpResponseMessage> ReadAsync(HttpClient http) "
            + $"{{ await Task.Yield(); return await {Post()}; }} }}"),
        Call(
            "iterator",
            "foreach (var task in Helper.Reads(http)) { _ = await task; }",
            $"internal static class Helper {{ public static IEnumerable<Task<HttpResponseMessage>> Reads(HttpClient "
            + $"http) {{ yield return {Post()}; }} }}"),
        Call(
            "await foreach over an async iterator",
            "await foreach (var text in Helper.ReadsAsync(http)) { _ = text; }",
            $"internal static class Helper {{ public static async IAsyncEnumerable<HttpResponseMessage> "
            + $"ReadsAsync(HttpClient http) {{ yield return await {Post()}; }} }}"),
        Call(
            "await using",
            $"using var response = await {Post()};\nawait using var stream = await "
            + "response.Content.ReadAsStreamAsync();"),
        Call(
            "Dispose a using statement runs",
            "using (new Batch(http)) { }",
            $"internal sealed class Batch(HttpClient http) : IDisposable {{ public void Dispose() "
            + $"=> {Post()}.GetAwaiter().GetResult(); }}"),
        Call(
            "Dispose a using declaration runs, by a base class's implementation",
            "using var batch = new Batch(http);",
            $"internal class Flusher(HttpClient http) : IDisposable {{ public void Dispose() "
            + $"=> {Post()}.GetAwaiter().GetResult(); }}\ninternal sealed class Batch(HttpClient http) : "
            + $"Flusher(http);"),
        Call(
            "DisposeAsync an await using runs",
            "await using (new Batch(http)) { }",
            $"internal sealed class Batch(HttpClient http) : IAsyncDisposable {{ public async ValueTask DisposeAsync() "
            + $"=> _ = await {Post()}; }}"),
        Call(
            "field initializer an object creation runs",
            "var audit = new Audit(http);\n_ = await audit.Sent;",
            $"internal sealed class Audit(HttpClient http) {{ public readonly Task<HttpResponseMessage> Sent = "
            + $"{Post()}; }}"),
        Call(
            "auto-property initializer of a base class an object creation runs",
            "var audit = new Audit(http);\n_ = await audit.Sent;",
            $"internal class Sender(HttpClient http) {{ public Task<HttpResponseMessage> Sent {{ get; }} = {Post()}; "
            + $"}}\ninternal sealed class Audit(HttpClient http) : Sender(http);"),
        Call(
            "user-defined binary operator",
            "_ = await (new Note(request.Model ?? \"\") + http);",
            $"internal sealed record Note(string Text) {{ public static Task<HttpResponseMessage> operator +(Note "
            + $"note, HttpClient http) => {Post()}; }}"),
        Call(
            "user-defined conversion",
            "Task<HttpResponseMessage> sent = new Note(http);\n_ = await sent;",
            $"internal sealed record Note(HttpClient Http) {{ public static implicit operator "
            + $"Task<HttpResponseMessage>(Note note) => {Post("note.Http")}; }}"),
        Call(
            "enumerator a foreach runs over a collection type of source",
            "foreach (var response in new Replies(http)) { _ = await response; }",
            $"internal sealed class Replies(HttpClient http) {{ public Enumerator GetEnumerator() => new(http); "
            + $"public struct Enumerator(HttpClient http) {{ private int _index; "
            + $"public Task<HttpResponseMessage> Current => {Post()}; public bool MoveNext() => _index++ < 1; }} }}"),
        Call(
            "Deconstruct a deconstruction runs",
            "var (response, count) = new Sent(http);\n_ = await response;",
            $"internal sealed class Sent(HttpClient http) {{ public void Deconstruct(out Task<HttpResponseMessage> "
            + $"response, out int count) {{ response = {Post()}; count = 1; }} }}"),
        Call(
            "Deconstruct a foreach's deconstruction runs",
            "foreach (var (response, count) in new[] { new Sent(http) }) { _ = await response; }",
            $"internal sealed class Sent(HttpClient http) {{ public void Deconstruct(out Task<HttpResponseMessage> "
            + $"response, out int count) {{ response = {Post()}; count = 1; }} }}"),
        Call(
            "interface method inherited from a base not declaring it",
            "ISender sender = new Sender(http);\n_ = await sender.SendAsync();",
            $"internal interface ISender {{ Task<HttpResponseMessage> SendAsync(); "
            + $"}}\ninternal class SenderBase(HttpClient http) {{ public Task<HttpResponseMessage> SendAsync() "
            + $"=> {Post()}; }}\ninternal sealed class Sender(HttpClient http) : SenderBase(http), ISender;"),
        Call(
            "user-defined compound assignment and increment",
            "var note = new Note(http);\nnote += 1;\nnote++;",
            $"internal sealed record Note(HttpClient Http) {{ public static Note operator +(Note note, int step) "
            + $"{{ _ = {Post("note.Http")}; return note; }} public static Note operator ++(Note note) "
            + $"{{ _ = {{|TLLM2006:note.Http.PostAsync(\"http://upstream/v1/embeddings\", {Body})|}}; return note; "
            + $"}} }}"),
        Call(
            "try, catch when and finally",
            $"try {{ _ = await {Post()}; }} catch (HttpRequestException e) when (e.StatusCode is null) {{ throw; "
            + $"}} finally {{ _ = await {{|TLLM2006:http.PostAsync(\"http://upstream/v1/embeddings\", {Body})|}}; }}"),
        Call("LINQ", $"var texts = await Task.WhenAll(new[] {{ \"a\", \"b\" }}.Select(model => {Post()}));"),
        Call(
            "Task.WhenAll fan-out",
            $"await Task.WhenAll({Post()}, {{|TLLM2006:http.PostAsync(\"http://upstream/v1/embeddings\", {Body})|}});"),
        Call(
            "Parallel.ForEachAsync fan-out",
            $"await Parallel.ForEachAsync(new[] {{ \"a\", \"b\" }}, async (model, ct) => {{ _ = await {Post()}; }});"),
        Call(
            "Channel fan-out",
            $"var channel = "
            + $"Channel.CreateUnbounded<string>();\nchannel.Writer.TryWrite(\"a\");\nchannel.Writer.Complete();\nvar "
            + $"consumer = Task.Run(async () => {{ await foreach (var model in channel.Reader.ReadAllAsync()) "
            + $"{{ _ = await {Post()}; }} }});\nawait consumer;"),
        // Issue 78: a send's client, request and address followed to where the code makes them.
        Call("client and request through a helper's parameters",
            $"var client = http;\nusing var message = new HttpRequestMessage(HttpMethod.Post, {Url});\n"
                + $"message.Content = {Body};\n_ = await Helper.SendAsync(client, message);",
            Helper("SendAsync(HttpClient client, HttpRequestMessage message)", "client.SendAsync(message)")),
        Call("address through a string parameter two calls deep", $"_ = await Outer.SendAsync(http, {Url});",
            Helper("SendAsync(HttpClient h, string u)", "Inner.SendAsync(h, u)", "Outer", reported: false)
                + Helper("SendAsync(HttpClient h, string u)", $"h.PostAsync(u, {Body})", "Inner")),
        Call("address interpolated from a parameter",
            "_ = await Helper.SendAsync(http, \"v1/\" + \"chat/completions\");",
            Helper("SendAsync(HttpClient h, string path)", $"h.PostAsync($\"http://upstream/{{path}}\", {Body})")),
        Call("address from a conditional through a parameter",
            $"var url = request.Model is null ? {Url} : \"http://upstream/v1/embeddings\";\n"
                + "_ = await Helper.SendAsync(http, url);",
            Helper("SendAsync(HttpClient h, string u)", $"h.PostAsync(u, {Body})")),
        Call("request a helper builds from the address",
            $"using var message = Requests.Post({Url});\n_ = await {{|TLLM2006:http.SendAsync(message)|}};",
            "internal static class Requests { public static HttpRequestMessage Post(string url) =>\n"
                + $"new(HttpMethod.Post, url) {{ Content = {Body} }}; }}"),
        Call("address in a static readonly field", $"_ = await {{|TLLM2006:http.PostAsync(Endpoints.Chat, {Body})|}};",
            $"internal static class Endpoints {{ public static readonly string Chat = {Url}; }}"),
        Pair("address a caller hands a helper: a model API's, or a webhook's",
            Route("_ = await Helper.SendAsync(http, @U);\nreturn new Reply();",
                Helper("SendAsync(HttpClient h, string u)", $"h.PostAsync(u, {Body})")),
            "@U", Url, "\"http://hooks/delivered\""),
        Pair("named client registered with AddTracedLlmAttempts(), or not", Registration, "@R", "builder",
            "Microsoft.Extensions.DependencyInjection.TracedLlmHttpClientBuilderExtensions\n"
                + ".AddTracedLlmAttempts(builder)"),
        // A send to an address that names no model API is a model call when the route's attempts use the same client.
        Pair(
            "POST to an address no model API has, through a client the route's attempts use, and through one they "
            + "do not",
            Route(
                $"_ = await {{|TLLM2006:Clients.@M.PostAsync(\"http://backend/api/run\", "
                + $"{Body})|}};\n_ = await call.ExecuteAsync(new LlmTarget(\"backend\", \"m\"), LlmRetryPolicy.None, "
                + $"(attempt, ct) => Clients.Model.PostAsync(\"http://backend/api/run\", {Body}, "
                + $"ct));\nreturn new Reply();",
                "internal static class Clients { public static readonly HttpClient Model = new(); public static "
                + "readonly HttpClient Other = new(); }"),
            "@M",
            "Model",
            "Other"),
        Pair(
            "POST to an address no model API has, in a method the route's attempts also run, and in one they do not",
            Route(
                "_ = await Backend.@M(http);\n_ = await call.ExecuteAsync(new LlmTarget(\"backend\", \"m\"), "
                + "LlmRetryPolicy.None, (attempt, ct) => Backend.RunAsync(http));\nreturn new Reply();",
                $"internal static class Backend {{ public static Task<HttpResponseMessage> RunAsync(HttpClient http) "
                + $"=> {{|TLLM2006:http.PostAsync(\"http://backend/api/run\", {Body})|}}; "
                + $"public static Task<HttpResponseMessage> NotifyAsync(HttpClient http) "
                + $"=> http.PostAsync(\"http://backend/api/notify\", {Body}); }}"),
            "@M",
            "RunAsync",
            "NotifyAsync"));
}
