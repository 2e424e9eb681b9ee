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

    /// <summary>A client type whose send gives a bodiless message its content: what it sends is not what the call was given.</summary>
    private const string BodyFillingClient = $"internal sealed class CompletionClient : HttpClient {{ public override Task<HttpResponseMessage> SendAsync(HttpRequestMessage message, CancellationToken cancellationToken) {{ message.Content ??= {Body}; return base.SendAsync(message, cancellationToken); }} }}";

    /// <summary>The upstream call the construct cells carry: a POST with a body, the call every model API generates with.</summary>
    private static string Post(string on = "http") => $"{{|TLLM2006:{on}.PostAsync({Url}, {Body})|}}";

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

    /// <summary>One of HttpClient's verb methods (the sound form: it sends what it is named for, not a POST) against the POST that is a model call.</summary>
    private static MatrixCell Verb(string construct, string post, string verb) =>
        Pair(construct + " (not a POST)", Route($"_ = await {{|TLLM2006:http.@C|}};\nreturn new Reply();"), "@C", post.Replace("@U", Url).Replace("@B", Body), verb.Replace("@U", Url));

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

    /// <summary>An address that is no model API's: the JSON cells' bodies say what the call is, the address does not.</summary>
    private const string BasketUrl = "\"http://apigw/api/v1/basket/items\"";

    private static readonly System.Reflection.Assembly[] JsonNet = { typeof(Newtonsoft.Json.JsonConvert).Assembly };

    /// <summary>
    /// A <c>POST</c> whose body is the JSON of a value (<paramref name="statements"/>, its types in <paramref name="members"/>):
    /// the sound form's value names no model API's input and can carry no other name, the faulty form's may.
    /// </summary>
    private static MatrixCell Json(string construct, string statements, string members, string faulty, string sound) =>
        Pair(construct, Route(statements + "\nreturn new Reply();", members), "@M", faulty, sound) with { Libraries = JsonNet };

    /// <summary>A form naming no model input: what a token endpoint is sent.</summary>
    private const string Form = "new FormUrlEncodedContent(new Dictionary<string, string> { [\"grant_type\"] = \"client_credentials\" })";

    /// <summary>An application's HTTP helper: a static method <paramref name="name"/> taking the client and <paramref name="parameters"/>.</summary>
    private static string Helper(string name, string parameters, string body) =>
        $"internal static class Upstream {{ public static async Task<HttpResponseMessage> {name}(HttpClient http, {parameters}) {{ {body} }} }}";

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
            "using var response = await upstream.CompleteAsync();\nreturn new Reply { Text = await response.Content.ReadAsStringAsync() };",
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
        Call("awaited call in a local", $"var response = await {Post()};"),
        Call("reassigned local holding the client", $"var client = new HttpClient();\nclient = http;\n_ = await {Post("client")};"),
        Call("client in a static field", $"_ = await {Post("Clients.Shared")};", "internal static class Clients { public static readonly HttpClient Shared = new(); }"),
        Call("client in an expression-bodied property", $"_ = await {Post("new Clients().Http")};", "internal sealed class Clients { public HttpClient Http => new(); }"),
        Call("object initializer", $"var reply = new Reply {{ Text = (await {Post()}).ReasonPhrase }};"),
        Call("using declaration", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, {Url}) {{ Content = {Body} }})|}};"),
        Method("request message whose method is HEAD", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.@M, {Url}) {{ Content = {Body} }})|}};", "@M", "Post", "Head"),
        Method("request message whose method is GET (a list of models, a status, a download)", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.@M, {Url}) {{ Content = {Body} }})|}};", "@M", "Post", "Get"),
        Method("request message whose method is named, in any case", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(new HttpMethod(@M), {Url}) {{ Content = {Body} }})|}};", "@M", "\"post\"", "\"DELETE\""),
        Method("request message given no method (the default is GET)", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage {{ @M RequestUri = new Uri({Url}), Content = {Body} }})|}};", "@M", "Method = HttpMethod.Post,", ""),
        Method("request message in a local whose method's name is a local, GET on one path, POST or GET on the other", $"string verb;\nif (request.Model is null) {{ verb = \"GET\"; }} else {{ verb = @M; }}\nusing var message = new HttpRequestMessage(new HttpMethod(verb), {Url}) {{ Content = {Body} }};\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", "\"POST\"", "\"GET\""),
        Method("request message whose method's name is a local a lambda sets to POST, and to GET", $"var verb = \"GET\";\nAction promote = () => verb = @M;\npromote();\nusing var message = new HttpRequestMessage(new HttpMethod(verb), {Url}) {{ Content = {Body} }};\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", "\"POST\"", "\"GET\""),
        Method("request message whose method's name is a local a local function may set to POST, and to GET", $"var verb = \"GET\";\nvoid WithBody() {{ verb = @M; }}\nif (request.Model is not null) {{ WithBody(); }}\nusing var message = new HttpRequestMessage(new HttpMethod(verb), {Url}) {{ Content = {Body} }};\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", "\"POST\"", "\"GET\""),
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
        Pair("GetFromJsonAsAsyncEnumerable", Route($"@S\nreturn new Reply();"), "@S", $"_ = await {{|TLLM2006:http.PostAsJsonAsync({Url}, request)|}};", $"await foreach (var reply in http.GetFromJsonAsAsyncEnumerable<Reply>({Url})) {{ _ = reply; }}"),
        Method("request message in a local, OPTIONS in its object initializer, then given another method", $"var message = new HttpRequestMessage {{ Method = new HttpMethod(\"OPTIONS\"), RequestUri = new Uri({Url}), Content = {Body} }};\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", "message.Method = HttpMethod.Post;", ""),
        Method("request message in a local, HEAD, then an alias of it given another method", $"var message = new HttpRequestMessage(HttpMethod.Head, {Url}) {{ Content = {Body} }};\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", "var same = message; same.Method = HttpMethod.Post;", "message.Headers.Add(\"x-probe\", \"1\");"),
        Pair("request message in a local, HEAD, then passed to a helper that may change it", Route($"var message = new HttpRequestMessage(HttpMethod.Head, {Url}) {{ Content = {Body} }};\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();", "internal static class Messages { public static void Prepare(HttpRequestMessage message) => message.Method = HttpMethod.Post; }"), "@M", "Messages.Prepare(message);", "_ = message.RequestUri;"),
        // A POST with no body sends no input, and every model API takes its input in the body: no model call.
        Method("PostAsync given null for its content (no body), and a content", $"_ = await {{|TLLM2006:http.PostAsync({Url}, @M)|}};", "@M", Body, "null"),
        Method("PostAsync given null for its content by name, and a content", $"_ = await {{|TLLM2006:http.PostAsync({Url}, content: @M)|}};", "@M", Body, "null"),
        Method("PostAsJsonAsync of null (a JSON body), and PostAsync of null", $"_ = await {{|TLLM2006:http.@M|}};", "@M", $"PostAsJsonAsync<ChatRequest?>({Url}, null)", $"PostAsync({Url}, null)"),
        Method("POST message built in the call, content in its object initializer or none", $"using var response = await {{|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, {Url}) {{ @M }})|}};", "@M", $"Content = {Body}", "Version = new Version(2, 0)"),
        Method("POST message in a local, a header added (a token exchange), content set after or none", $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nmessage.Headers.Add(\"Ocp-Apim-Subscription-Key\", \"key\");\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", $"message.Content = {Body};", ""),
        Method("POST message target-typed in a local, content in its object initializer or options and version", $"HttpRequestMessage message = new(HttpMethod.Post, {Url}) {{ @M }};\nmessage.Options.Set(new HttpRequestOptionsKey<string>(\"model\"), \"gpt-4o\");\nusing var response = await {{|TLLM2006:http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead)|}};", "@M", $"Content = {Body}", "Version = new Version(2, 0)"),
        Method("POST message in a local, content set on one branch or a header", $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nif (request.Model is not null) {{ @M }}\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", $"message.Content = {Body};", "message.Headers.Add(\"x-model\", request.Model);"),
        Method("POST message in a local, content given with ??= or a header", $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", $"message.Content ??= {Body};", "message.Headers.Add(\"x-model\", \"gpt-4o\");"),
        Method("POST message in a local captured by a lambda that sets its content, or a header", $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nAction prepare = () => @M;\nprepare();\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", $"message.Content = {Body}", "message.Headers.Add(\"x-model\", \"gpt-4o\")"),
        Method("POST message in a local, its content set through an alias, or its address read", $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "@M", $"var same = message; same.Content = {Body};", "_ = message.RequestUri;"),
        Pair("POST message in a local, passed to a helper that sets its content, or its options set", Route($"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();", $"internal static class Messages {{ public static void Fill(HttpRequestMessage message) => message.Content = {Body}; }}"), "@M", "Messages.Fill(message);", "message.Options.Set(new HttpRequestOptionsKey<string>(\"model\"), \"gpt-4o\");"),
        Pair("POST message from a parameter (its content unread), and one built in the helper without content", Route($"_ = await Upstream.SendAsync(http, new HttpRequestMessage(HttpMethod.Post, {Url}) {{ Content = {Body} }});\nreturn new Reply();", $"internal static class Upstream {{ public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage given) {{ @M }} }}"), "@M", "return await {|TLLM2006:http.SendAsync(given)|};", $"using var token = new HttpRequestMessage(HttpMethod.Post, {Url});\nreturn await {{|TLLM2006:http.SendAsync(token)|}};"),
        Pair("message of a type derived from HttpRequestMessage (its constructor sets a content), and HttpRequestMessage without one", Route($"using var response = await {{|TLLM2006:http.SendAsync(@M)|}};\nreturn new Reply();", $"internal sealed class CompletionMessage : HttpRequestMessage {{ public CompletionMessage(string url) : base(HttpMethod.Post, url) {{ Content = {Body}; }} }}"), "@M", $"new CompletionMessage({Url})", $"new HttpRequestMessage(HttpMethod.Post, {Url})"),
        Pair("PostAsync of null through a client type whose SendAsync override sets the content, and through HttpClient", Route($"var completions = new CompletionClient();\n_ = await {{|TLLM2006:@M.PostAsync({Url}, null)|}};\nreturn new Reply();", BodyFillingClient), "@M", "completions", "http"),
        Pair("POST message sent through a client type whose SendAsync override sets the content, and through HttpClient", Route($"var completions = new CompletionClient();\nusing var response = await {{|TLLM2006:@M.SendAsync(new HttpRequestMessage(HttpMethod.Post, {Url}))|}};\nreturn new Reply();", BodyFillingClient), "@M", "completions", "http"),
        // A message handed to a helper of source that leaves it alone (adds headers) is still read where it is built.
        Pair("GET message with a body handed to a helper that adds a header, and to one that makes it a POST",
            Route($"using var message = new HttpRequestMessage(HttpMethod.Get, {Url}) {{ Content = {Body} }};\nHeaders.Apply(message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();",
                "internal static class Headers { public static void Apply(HttpRequestMessage request) { @M } }"),
            "@M", "request.Method = HttpMethod.Post;", "request.Headers.Add(\"api-key\", \"k\");"),
        Pair("POST message without a body handed to a helper that adds headers, and to one that gives it a content",
            Route($"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nHeaders.Apply(message, \"token\");\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();",
                "internal static class Headers { public static void Apply(HttpRequestMessage request, string token) { request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(\"Bearer\", token); @M } }"),
            "@M", $"request.Content = {Body};", "request.Headers.Add(\"x-version\", \"1\");"),
        Pair("POST message without a body handed to a virtual helper (an override gives it a content), and to one that is not",
            Route($"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nnew Headers().Apply(message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();", "@M"),
            "@M",
            "internal class Headers { public virtual void Apply(HttpRequestMessage request) => request.Headers.Add(\"api-key\", \"k\"); }\ninternal sealed class BodyHeaders : Headers { public override void Apply(HttpRequestMessage request) => request.Content = new StringContent(\"{}\"); }",
            "internal class Headers { public void Apply(HttpRequestMessage request) => request.Headers.Add(\"api-key\", \"k\"); }"),
        Pair("POST message without a body handed to a helper that hands it to one that gives it a content, or adds a header",
            Route($"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nHeaders.Apply(message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();",
                "internal static class Headers { public static void Apply(HttpRequestMessage request) { request.Headers.Add(\"api-key\", \"k\"); Fill(request); } private static void Fill(HttpRequestMessage request) { @M } }"),
            "@M", $"request.Content = {Body};", "request.Headers.Add(\"x-version\", \"1\");"),
        Pair("POST message without a body handed to a helper that keeps it in a field (set later), and to one that adds a header",
            Route($"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nHeaders.Apply(message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();",
                "internal static class Headers { public static HttpRequestMessage? Last; public static void Apply(HttpRequestMessage request) { @M } }"),
            "@M", "Last = request;", "request.Headers.Add(\"api-key\", \"k\");"),
        // A helper's send of a message or content it is handed is read where the helper is called.
        Pair("message handed to a helper that sends it: a POST with a body, and a GET",
            Route($"using var message = @M;\n_ = await Upstream.SendAsync(http, message);\nreturn new Reply();", Helper("SendAsync", "HttpRequestMessage given", "return await {|TLLM2006:http.SendAsync(given)|};")),
            "@M", $"new HttpRequestMessage(HttpMethod.Post, {Url}) {{ Content = {Body} }}", $"new HttpRequestMessage(HttpMethod.Get, {Url})"),
        Pair("message handed to a helper that adds a header and sends it: with a body, and without one",
            Route($"_ = await Upstream.SendAsync(http, new HttpRequestMessage(HttpMethod.Post, {Url}) {{ @M }});\nreturn new Reply();", Helper("SendAsync", "HttpRequestMessage given", "given.Headers.Add(\"api-key\", \"k\");\nreturn await {|TLLM2006:http.SendAsync(given)|};")),
            "@M", $"Content = {Body}", "Version = new Version(2, 0)"),
        Pair("message handed to a helper that gives it a content, or a header, before it sends it (a GET handed in)",
            Route($"_ = await Upstream.SendAsync(http, new HttpRequestMessage(HttpMethod.Get, {Url}));\nreturn new Reply();", Helper("SendAsync", "HttpRequestMessage given", "@M\nreturn await {|TLLM2006:http.SendAsync(given)|};")),
            "@M", $"given.Content = {Body};", "given.Headers.Add(\"api-key\", \"k\");"),
        Pair("content handed to a helper's PostAsync: a body, and a form naming no model input",
            Route($"_ = await Upstream.PostAsync(http, {Url}, @M);\nreturn new Reply();", Helper("PostAsync", "string uri, HttpContent data", "return await {|TLLM2006:http.PostAsync(uri, data)|};")),
            "@M", Body, Form),
        Pair("content handed to a helper that builds the message around it: a body, and null",
            Route($"_ = await Upstream.SendAsync(http, @M);\nreturn new Reply();", Helper("SendAsync", "HttpContent? data", $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url}) {{ Content = data }};\nreturn await {{|TLLM2006:http.SendAsync(message)|}};")),
            "@M", Body, "null"),
        Pair("content handed on from helper to helper: a body, and a form",
            Route($"_ = await Api.Save(http, @M);\nreturn new Reply();", Helper("PostAsync", "string uri, HttpContent data", "return await {|TLLM2006:http.PostAsync(uri, data)|};")
                + $"\ninternal static class Api {{ public static Task<HttpResponseMessage> Save(HttpClient http, HttpContent body) => Upstream.PostAsync(http, {BasketUrl}, body); }}"),
            "@M", Body, Form),
        Pair("helper called twice, with a form and with a body, and twice with a form",
            Route($"_ = await Upstream.PostAsync(http, {BasketUrl}, {Form});\n_ = await Upstream.PostAsync(http, {Url}, @M);\nreturn new Reply();", Helper("PostAsync", "string uri, HttpContent data", "return await {|TLLM2006:http.PostAsync(uri, data)|};")),
            "@M", Body, Form),
        Pair("helper also taken as a method group (its callers unknown), and only called",
            Route($"_ = await Upstream.PostAsync(http, {BasketUrl}, {Form});\n@M\nreturn new Reply();", Helper("PostAsync", "string uri, HttpContent data", "return await {|TLLM2006:http.PostAsync(uri, data)|};")),
            "@M", "Func<HttpClient, string, HttpContent, Task<HttpResponseMessage>> post = Upstream.PostAsync;\n_ = await post(http, \"x\", new StringContent(request.Model ?? \"\"));", ""),
        Pair("helper called through an interface its class implements: a body, and a form",
            Route($"IBackend backend = new Backend();\n_ = await backend.PostAsync(http, {BasketUrl}, @M);\nreturn new Reply();",
                "internal interface IBackend { Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data); }\n"
                + "internal sealed class Backend : IBackend { public async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"),
            "@M", Body, Form),
        Pair("content handed to a helper from a lambda's parameter, and a form",
            Route($"Func<HttpContent, Task<HttpResponseMessage>> send = async data => await Upstream.PostAsync(http, {Url}, @M);\n_ = await send({Body});\nreturn new Reply();", Helper("PostAsync", "string uri, HttpContent data", "return await {|TLLM2006:http.PostAsync(uri, data)|};")),
            "@M", "data", Form),
        Pair("POST message in a local, its content set by an extension method, or a header", Route($"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};\nreturn new Reply();", $"internal static class Bodies {{ public static void WithBody(this HttpRequestMessage message) => message.Content = {Body}; }}"), "@M", "message.WithBody();", "message.Headers.Add(\"x-model\", \"gpt-4o\");"),
        // A POST whose body is the JSON of a value of a known type naming none of the model APIs' inputs is no model call.
        Json("JSON POST of an anonymous value naming no model input, and of one naming messages",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, new {{ CatalogItemId = 1, BasketId = request.Model, Quantity = 1@M }})|}};", "",
            ", messages = request.Messages", ""),
        Json("JSON POST of a class naming no model input, and of one with a Messages property",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, new BasketItem {{ CatalogItemId = 1, Quantity = 1 }})|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } public int Quantity { get; set; } @M}",
            "public List<JsonObject>? Messages { get; set; } ", ""),
        Json("StringContent of JsonSerializer.Serialize kept in locals, a record naming no model input, and one with a Prompt",
            $"var item = new BasketItem {{ CatalogItemId = 1, BasketId = request.Model }};\nvar json = JsonSerializer.Serialize(item);\nvar content = new StringContent(json, System.Text.Encoding.UTF8, \"application/json\");\n_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, content)|}};",
            "internal record BasketItem { public int CatalogItemId { get; init; } public string? BasketId { get; init; } @M}",
            "public string? Prompt { get; init; } ", ""),
        Json("POST message whose content is JsonContent.Create of a record struct naming no model input, and of one with an Input",
            $"using var message = new HttpRequestMessage(HttpMethod.Post, {BasketUrl}) {{ Content = JsonContent.Create(new BasketLine(1, 2)) }};\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
            "internal readonly record struct BasketLine(int CatalogItemId, int Quantity) { @M}",
            "public string? Input { get; init; } ", ""),
        Json("StringContent of JsonConvert.SerializeObject of a sealed class naming no model input, and of one with Contents",
            $"var order = new Order {{ OrderNumber = 7 }};\n_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order), System.Text.Encoding.UTF8, \"application/json\"))|}};",
            "internal sealed class Order { public int OrderNumber { get; set; } @M}",
            "public string[]? Contents { get; set; } ", ""),
        Json("JsonConvert.SerializeObject of a class that is not sealed (the runtime type may add an input), and of a sealed one",
            $"Order order = Orders.Make(request.Model);\n_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order)))|}};",
            "@M",
            "internal class Order { public int OrderNumber { get; set; } }\ninternal sealed class ChatOrder : Order { public List<JsonObject>? Messages { get; set; } }\ninternal static class Orders { public static Order Make(string? model) => model is null ? new Order() : new ChatOrder(); }",
            "internal sealed class Order { public int OrderNumber { get; set; } }\ninternal static class Orders { public static Order Make(string? model) => new Order(); }"),
        Json("JsonConvert.SerializeObject of a class not sealed: one a class of the program derives from adding Messages, and one none derives from",
            $"Order order = Orders.Make(request.Model);\n_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order)))|}};",
            "internal abstract class Entity { public int Id { get; set; } }\ninternal class Order : Entity { public int OrderNumber { get; set; } public List<OrderLine> Lines { get; set; } = new(); }\ninternal class OrderLine : Entity { public decimal Amount { get; set; } }\n@M",
            "internal sealed class ChatOrder : Order { public List<JsonObject>? Messages { get; set; } }\ninternal static class Orders { public static Order Make(string? model) => model is null ? new Order() : new ChatOrder(); }",
            "internal static class Orders { public static Order Make(string? model) => new Order(); }"),
        Json("JsonConvert.SerializeObject of a class not sealed whose list's element class another class derives from adding a Prompt, and none",
            $"var order = new Order();\n_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order)))|}};",
            "internal class Order { public List<OrderLine> Lines { get; set; } = new(); }\ninternal class OrderLine { public decimal Amount { get; set; } }\n@M",
            "internal sealed class PromptLine : OrderLine { public string? Prompt { get; set; } }", ""),
        Json("JSON POST of a property serialized as messages, and as items",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, new Basket())|}};",
            "internal sealed class Basket { [System.Text.Json.Serialization.JsonPropertyName(\"@M\")] public List<int> Lines { get; set; } = new(); }",
            "messages", "items"),
        Json("JsonConvert of a property named prompt by [JsonProperty], and item_id",
            $"_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(new Basket())))|}};",
            "internal sealed class Basket { [Newtonsoft.Json.JsonProperty(\"@M\")] public string? Line { get; set; } }",
            "prompt", "item_id"),
        Json("JSON POST of a value nesting messages below the top (an input in a payload), and nesting none",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, new {{ header = new {{ app_id = \"a\" }}, payload = new {{ @M = new[] {{ new {{ role = \"user\", line_id = 1 }} }} }} }})|}};", "",
            "messages", "lines"),
        Json("JSON POST of a class with a member typed object (any names below it), and typed int",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, new Envelope {{ Id = 1 }})|}};",
            "internal sealed class Envelope { public int Id { get; set; } public @M Payload { get; set; } }",
            "object?", "int"),
        Json("JSON POST of a dictionary (any names), and of a class",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, @M)|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } }",
            "new Dictionary<string, int> { [\"catalogItemId\"] = 1 }", "new BasketItem { CatalogItemId = 1 }"),
        Json("JSON POST of a JsonObject (any names), and of a class",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, @M)|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } }",
            "new JsonObject { [\"catalogItemId\"] = 1 }", "new BasketItem { CatalogItemId = 1 }"),
        Json("JSON POST of a value typed object (its runtime type written), and of its class",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync@M({BasketUrl}, new BasketItem {{ CatalogItemId = 1 }})|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } }",
            "<object>", ""),
        Json("JSON POST of a class with [JsonExtensionData] (any names), and with a number in its place",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, new BasketItem {{ CatalogItemId = 1 }})|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } @M }",
            "[System.Text.Json.Serialization.JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }", "public int Extra { get; set; }"),
        Json("JSON POST of a derived class adding Messages, and of its base class",
            $"_ = await {{|TLLM2006:http.PostAsJsonAsync({BasketUrl}, new @M {{ OrderNumber = 7 }})|}};",
            "internal class Order { public int OrderNumber { get; set; } }\ninternal sealed class ChatOrder : Order { public List<JsonObject>? Messages { get; set; } }",
            "ChatOrder", "Order"),
        // A form (application/x-www-form-urlencoded) is no model API's body: an OAuth token exchange, a payment form.
        Json("POST of a form (an OAuth token exchange), and of a string content",
            $"_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, @M)|}};", "",
            "new StringContent(\"grant_type=authorization_code\")",
            "new FormUrlEncodedContent(new Dictionary<string, string> { [\"grant_type\"] = \"authorization_code\", [\"code\"] = request.Model ?? \"\" })"),
        Json("form naming a model input (a prompt), and naming none",
            $"_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new FormUrlEncodedContent(new Dictionary<string, string> {{ [\"@M\"] = request.Model ?? \"\" }}))|}};", "",
            "prompt", "code"),
        Json("POST message whose content is a form of pairs kept in a list, and a multipart form",
            $"var pairs = new List<KeyValuePair<string, string>> {{ new(\"client_id\", \"app\") }};\npairs.Add(new(\"code\", request.Model ?? \"\"));\nusing var message = new HttpRequestMessage(HttpMethod.Post, {BasketUrl}) {{ Content = @M }};\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "",
            "new MultipartFormDataContent()", "new FormUrlEncodedContent(pairs)"),
        Json("StringContent of a form written by hand (declared application/x-www-form-urlencoded, a spam check), and declared JSON",
            $"var form = \"key=abc&comment_author=\" + System.Net.WebUtility.UrlEncode(request.Model);\nusing var message = new HttpRequestMessage(HttpMethod.Post, {BasketUrl}) {{ Content = new StringContent(form, System.Text.Encoding.UTF8, \"@M\") }};\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "",
            "application/json", "application/x-www-form-urlencoded"),
        Json("POST message given its content by one statement after it is built: a form declared by its media type (a spam check), and declared JSON",
            $"var form = \"key=abc&comment_author=\" + System.Net.WebUtility.UrlEncode(request.Model);\nusing var message = new HttpRequestMessage(HttpMethod.Post, {BasketUrl});\nmessage.Headers.TryAddWithoutValidation(\"User-Agent\", \"blog\");\nmessage.Content = new StringContent(form, System.Text.Encoding.UTF8, \"@M\");\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};", "",
            "application/json", "application/x-www-form-urlencoded"),
        Json("POST message given the JSON of a class naming no model input after it is built, and only on one branch",
            $"using var message = new HttpRequestMessage(HttpMethod.Post, {BasketUrl});\n@M\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } }",
            "if (request.Model is not null) { message.Content = JsonContent.Create(new BasketItem { CatalogItemId = 1 }); }", "message.Content = JsonContent.Create(new BasketItem { CatalogItemId = 1 });"),
        Json("StringContent of a form written by hand naming a prompt, and a code",
            $"_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new StringContent(\"@M=\" + request.Model, System.Text.Encoding.UTF8, \"application/x-www-form-urlencoded\"))|}};", "",
            "prompt", "code"),
        Json("StringContent of a JSON text from elsewhere (a string), and of JsonSerializer.Serialize of a class",
            $"_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, new StringContent(@M))|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } }",
            "request.Model ?? \"{}\"", "JsonSerializer.Serialize(new BasketItem { CatalogItemId = 1 })"),
        Json("content in a local written again (a string content), and written once",
            $"HttpContent content = JsonContent.Create(new BasketItem {{ CatalogItemId = 1 }});\n@M\n_ = await {{|TLLM2006:http.PostAsync({BasketUrl}, content)|}};",
            "internal sealed class BasketItem { public int CatalogItemId { get; set; } }",
            "content = new StringContent(request.Model ?? \"{}\");", ""),
        Call("conditional operator", $"var response = request.Model is null ? null : await {Post()};"),
        Call("null-coalescing operator", $"var text = request.Model ?? (await {Post()}).ReasonPhrase;"),
        Call("switch expression arm with when", $"var text = request.Model switch {{ \"a\" when call.Route is not null => await {Post()}, null => throw new InvalidOperationException(), _ => null }};"),
        Call("switch statement", $"switch (request.Model) {{ case \"a\": _ = await {Post()}; break; default: break; }}"),
        Call("pattern matching", $"if (http is {{ Timeout.TotalSeconds: > 0 }} client) {{ _ = await {Post("client")}; }}"),
        Call("tuple deconstruction", $"var (response, count) = (await {Post()}, 1);"),
        Call("record method", $"_ = await new Upstream(http).ReadAsync();", $"internal sealed record Upstream(HttpClient Http) {{ public Task<HttpResponseMessage> ReadAsync() => {Post("Http")}; }}"),
        Call("generic helper with a constraint", $"_ = await Helper.SendAsync(http);", $"internal static class Helper {{ public static Task<HttpResponseMessage> SendAsync<T>(T invoker) where T : HttpMessageInvoker => {{|TLLM2006:invoker.SendAsync(new HttpRequestMessage(HttpMethod.Post, {Url}) {{ Content = {Body} }}, CancellationToken.None)|}}; }}"),
        Call("lambda", $"Func<Task<HttpResponseMessage>> read = () => {Post()};\n_ = await read();"),
        Call("local function", $"Task<HttpResponseMessage> Read() => {Post()};\n_ = await Read();"),
        Call("method group", $"Func<HttpClient, Task<HttpResponseMessage>> read = Helper.ReadAsync;\n_ = await read(http);", $"internal static class Helper {{ public static Task<HttpResponseMessage> ReadAsync(HttpClient http) => {Post()}; }}"),
        Call("delegate stored in a field", $"_ = await Helper.Read(http);", $"internal static class Helper {{ public static readonly Func<HttpClient, Task<HttpResponseMessage>> Read = http => {Post()}; }}"),
        Call("delegate stored in a collection", $"var readers = new Dictionary<string, Func<Task<HttpResponseMessage>>> {{ [\"a\"] = () => {Post()} }};\n_ = await readers[\"a\"]();"),
        Call("event handler", $"var bus = new Bus();\nbus.Seen += async (_, _) => await {Post()};\nbus.Raise();", "internal sealed class Bus { public event EventHandler? Seen; public void Raise() => Seen?.Invoke(this, EventArgs.Empty); }"),
        Callbacks.Event("handler of a library's event, a lambda", Route(Callbacks.Lambda($"_ = {Post()};") + "\nreturn new Reply();", Callbacks.Types)),
        Callbacks.Event("handler of a library's event, a method group", Callbacks.MethodGroup((statements, members) => Route(statements + "\nreturn new Reply();", members), $"using var http = new HttpClient(); _ = {Post()};")),
        Callbacks.Timer("System.Threading.Timer callback", Route(Callbacks.Callback($"_ = {Post()};") + "\nreturn new Reply();", Callbacks.Types)),
        Call("async helper method", "_ = await Helper.ReadAsync(http);", $"internal static class Helper {{ public static async Task<HttpResponseMessage> ReadAsync(HttpClient http) {{ await Task.Yield(); return await {Post()}; }} }}"),
        Call("iterator", "foreach (var task in Helper.Reads(http)) { _ = await task; }", $"internal static class Helper {{ public static IEnumerable<Task<HttpResponseMessage>> Reads(HttpClient http) {{ yield return {Post()}; }} }}"),
        Call("await foreach over an async iterator", "await foreach (var text in Helper.ReadsAsync(http)) { _ = text; }", $"internal static class Helper {{ public static async IAsyncEnumerable<HttpResponseMessage> ReadsAsync(HttpClient http) {{ yield return await {Post()}; }} }}"),
        Call("await using", $"using var response = await {Post()};\nawait using var stream = await response.Content.ReadAsStreamAsync();"),
        Call("Dispose a using statement runs", "using (new Batch(http)) { }", $"internal sealed class Batch(HttpClient http) : IDisposable {{ public void Dispose() => {Post()}.GetAwaiter().GetResult(); }}"),
        Call("Dispose a using declaration runs, through a base class's implementation", "using var batch = new Batch(http);", $"internal class Flusher(HttpClient http) : IDisposable {{ public void Dispose() => {Post()}.GetAwaiter().GetResult(); }}\ninternal sealed class Batch(HttpClient http) : Flusher(http);"),
        Call("DisposeAsync an await using runs", "await using (new Batch(http)) { }", $"internal sealed class Batch(HttpClient http) : IAsyncDisposable {{ public async ValueTask DisposeAsync() => _ = await {Post()}; }}"),
        Call("field initializer an object creation runs", "var audit = new Audit(http);\n_ = await audit.Sent;", $"internal sealed class Audit(HttpClient http) {{ public readonly Task<HttpResponseMessage> Sent = {Post()}; }}"),
        Call("auto-property initializer of a base class an object creation runs", "var audit = new Audit(http);\n_ = await audit.Sent;", $"internal class Sender(HttpClient http) {{ public Task<HttpResponseMessage> Sent {{ get; }} = {Post()}; }}\ninternal sealed class Audit(HttpClient http) : Sender(http);"),
        Call("user-defined binary operator", "_ = await (new Note(request.Model ?? \"\") + http);", $"internal sealed record Note(string Text) {{ public static Task<HttpResponseMessage> operator +(Note note, HttpClient http) => {Post()}; }}"),
        Call("user-defined conversion", "Task<HttpResponseMessage> sent = new Note(http);\n_ = await sent;", $"internal sealed record Note(HttpClient Http) {{ public static implicit operator Task<HttpResponseMessage>(Note note) => {Post("note.Http")}; }}"),
        Call("enumerator a foreach runs over a collection type of source", "foreach (var response in new Replies(http)) { _ = await response; }", $"internal sealed class Replies(HttpClient http) {{ public Enumerator GetEnumerator() => new(http); public struct Enumerator(HttpClient http) {{ private int _index; public Task<HttpResponseMessage> Current => {Post()}; public bool MoveNext() => _index++ < 1; }} }}"),
        Call("Deconstruct a deconstruction runs", "var (response, count) = new Sent(http);\n_ = await response;", $"internal sealed class Sent(HttpClient http) {{ public void Deconstruct(out Task<HttpResponseMessage> response, out int count) {{ response = {Post()}; count = 1; }} }}"),
        Call("Deconstruct a foreach's deconstruction runs", "foreach (var (response, count) in new[] { new Sent(http) }) { _ = await response; }", $"internal sealed class Sent(HttpClient http) {{ public void Deconstruct(out Task<HttpResponseMessage> response, out int count) {{ response = {Post()}; count = 1; }} }}"),
        Call("interface method a class inherits from a base that does not declare the interface", "ISender sender = new Sender(http);\n_ = await sender.SendAsync();", $"internal interface ISender {{ Task<HttpResponseMessage> SendAsync(); }}\ninternal class SenderBase(HttpClient http) {{ public Task<HttpResponseMessage> SendAsync() => {Post()}; }}\ninternal sealed class Sender(HttpClient http) : SenderBase(http), ISender;"),
        Call("user-defined compound assignment and increment", "var note = new Note(http);\nnote += 1;\nnote++;", $"internal sealed record Note(HttpClient Http) {{ public static Note operator +(Note note, int step) {{ _ = {Post("note.Http")}; return note; }} public static Note operator ++(Note note) {{ _ = {{|TLLM2006:note.Http.PostAsync(\"http://upstream/v1/embeddings\", {Body})|}}; return note; }} }}"),
        Call("try, catch when and finally", $"try {{ _ = await {Post()}; }} catch (HttpRequestException e) when (e.StatusCode is null) {{ throw; }} finally {{ _ = await {{|TLLM2006:http.PostAsync(\"http://upstream/v1/embeddings\", {Body})|}}; }}"),
        Call("LINQ", $"var texts = await Task.WhenAll(new[] {{ \"a\", \"b\" }}.Select(model => {Post()}));"),
        Call("Task.WhenAll fan-out", $"await Task.WhenAll({Post()}, {{|TLLM2006:http.PostAsync(\"http://upstream/v1/embeddings\", {Body})|}});"),
        Call("Parallel.ForEachAsync fan-out", $"await Parallel.ForEachAsync(new[] {{ \"a\", \"b\" }}, async (model, ct) => {{ _ = await {Post()}; }});"),
        Call("Channel fan-out", $"var channel = Channel.CreateUnbounded<string>();\nchannel.Writer.TryWrite(\"a\");\nchannel.Writer.Complete();\nvar consumer = Task.Run(async () => {{ await foreach (var model in channel.Reader.ReadAllAsync()) {{ _ = await {Post()}; }} }});\nawait consumer;"));
}
