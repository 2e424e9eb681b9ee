using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.Analyzers.Tests.Matrix;
using TracedLlm.Testing;
using Xunit;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// A review's probes of 5ecd792 (TLLM2006, 2026-11-27 evening): a send in a helper that sends what its callers hand it, read
/// where the helper is called; a message built in the member handed to a helper of source that leaves it alone; Json.NET's body
/// of a class that is not sealed read as that class when no class of the program derives from it. Each probe asserts what the
/// page (docs/diagnostics/TLLM2006.md) promises: <c>Reports</c> (its markup is the finding: a real model call, a POST with a body
/// naming a model input, made outside an attempt, or a shape the page says is read as before) or <c>Silent</c> (a shape the page
/// says is read as no model call). A failing <c>Reports</c> probe is a missed model call; a failing <c>Silent</c> probe is a false
/// alarm on a shape the promise covers. The <c>Baseline_</c> and <c>Member_</c> probes read the same shapes without the new readings
/// (a send made directly where the helper would be called, or in the member): they show which misses the readings inherit from
/// gaps that were there before 5ecd792.
/// </summary>
public sealed class HandedReviewTests
{
    private const string Url = "\"http://upstream/v1/chat/completions\"";
    private const string Basket = "\"http://apigw/api/v1/basket/items\"";

    /// <summary>A body that names a model input: the user's text.</summary>
    private const string Body = "new StringContent(request.Model ?? \"\")";

    /// <summary>A form naming no model input: what a token endpoint is sent.</summary>
    private const string Form = "new FormUrlEncodedContent(new Dictionary<string, string> { [\"grant_type\"] = \"client_credentials\" })";

    /// <summary>An application's HTTP helper that posts the content it is handed.</summary>
    private const string PostHelper = "internal static class Upstream { public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }";

    private static string Route(string statements, string members = "") => ReadingsReviewTests.Upstream(statements, members);

    private static readonly MetadataReference JsonNet = MetadataReference.CreateFromFile(typeof(Newtonsoft.Json.JsonConvert).Assembly.Location);

    private static Task Run(string source, MetadataReference[] references)
    {
        var test = new TracedLlmTest<EmptyCodeFixProvider> { TestCode = UnscopedUpstreamCallMatrix.Header + source };
        test.TestState.AdditionalReferences.Add(JsonNet);
        foreach (var reference in references)
        {
            test.TestState.AdditionalReferences.Add(reference);
        }

        return test.RunAsync();
    }

    private static Task Reports(string source, params MetadataReference[] references) => Run(source, references);

    private static Task Silent(string source, params MetadataReference[] references) => Run(MatrixCell.WithoutMarkup(source), references);

    /// <summary>
    /// A known limit written in TLLM2006's page (a false alarm): a local function is not read as a helper whose parameters its callers
    /// hand in. The probe asserts what the rule does today (reported), so that a fix turns it into a failing test to flip.
    /// </summary>
    private static Task KnownFalseAlarm(string source, params MetadataReference[] references) => Reports(source, references);

    /// <summary>A referenced library compiled from <paramref name="source"/> (an assembly the compilation references, as a package's).</summary>
    private static MetadataReference Library(string name, string source, params MetadataReference[] more)
    {
        var compilation = CSharpCompilation.Create(name, new[] { CSharpSyntaxTree.ParseText(source) },
            TestReferences.All.Append(JsonNet).Concat(more),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    // ===== 1. A helper's send of what it is handed, read where the helper is called =====

    // --- Unsound candidates: a real model call through the helper the reading must not silence.

    /// <summary>The helper is taken as a method group by a startup method the request does not run (a DI registration): its callers are unknown, the page says reported.</summary>
    [Fact]
    public Task Send_MethodGroupRegisteredAtStartup() => Reports(Route(
        $"_ = await Upstream.PostAsync(http, {Basket}, {Form});\n_ = await Senders.Post!(http, {Url}, {Body});",
        PostHelper + "\ninternal static class Senders { public static Func<HttpClient, string, HttpContent, Task<HttpResponseMessage>>? Post; public static void Configure() => Post = Upstream.PostAsync; }"));

    /// <summary>The helper kept in a delegate by a lambda registered at startup (the content a lambda's parameter): the page says reported.</summary>
    [Fact]
    public Task Send_LambdaRegisteredAtStartup() => Reports(Route(
        $"_ = await Upstream.PostAsync(http, {Basket}, {Form});\n_ = await Senders.Post!(http, {Url}, {Body});",
        PostHelper + "\ninternal static class Senders { public static Func<HttpClient, string, HttpContent, Task<HttpResponseMessage>>? Post; public static void Configure() => Post = (h, u, c) => Upstream.PostAsync(h, u, c); }"));

    /// <summary>The helper also called, with the user's text, by a field initializer the request runs (<c>new Audit(...)</c>).</summary>
    [Fact]
    public Task Send_CalledFromFieldInitializer() => Reports(Route(
        $"var audit = new Audit(http, request.Model ?? \"\");\n_ = await audit.Sent;\n_ = await Upstream.PostAsync(http, {Basket}, {Form});",
        PostHelper + $"\ninternal sealed class Audit(HttpClient http, string text) {{ public readonly Task<HttpResponseMessage> Sent = Upstream.PostAsync(http, {Url}, new StringContent(text)); }}"));

    /// <summary>The helper also called, with the user's text, by a Dispose the request's <c>using</c> runs.</summary>
    [Fact]
    public Task Send_CalledFromDisposeOfUsing() => Reports(Route(
        $"using (new Batch(http, request.Model ?? \"\")) {{ }}\n_ = await Upstream.PostAsync(http, {Basket}, {Form});",
        PostHelper + $"\ninternal sealed class Batch(HttpClient http, string text) : IDisposable {{ public void Dispose() => Upstream.PostAsync(http, {Url}, new StringContent(text)).GetAwaiter().GetResult(); }}"));

    /// <summary>The helper is a base class's method that implements a source interface for a derived class; the route calls it through the interface with the user's text, and directly with a form.</summary>
    [Fact]
    public Task Send_InterfaceImplementedThroughBaseClass() => Reports(Route(
        $"IBackend backend = new Backend();\n_ = await backend.PostAsync(http, {Url}, {Body});\n_ = await new BackendBase().PostAsync(http, {Basket}, {Form});",
        "internal interface IBackend { Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data); }\n"
        + "internal class BackendBase { public async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }\n"
        + "internal sealed class Backend : BackendBase, IBackend { }"));

    /// <summary>A GET with the user's text handed to a helper that makes it a POST by a deconstruction before it sends it.</summary>
    [Fact]
    public Task Send_HelperSetsMethodByDeconstruction() => Reports(Route(
        $"_ = await Upstream.SendAsync(http, new HttpRequestMessage(HttpMethod.Get, {Url}) {{ Content = {Body} }});",
        "internal static class Upstream { public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage given) { (given.Method, _) = (HttpMethod.Post, 0); return await {|TLLM2006:http.SendAsync(given)|}; } }"));

    /// <summary>A bodiless POST handed twice to one helper, which gives the second parameter (the same message) the user's text and sends the first.</summary>
    [Fact]
    public Task Send_SameMessageHandedTwiceOneGetsContent() => Reports(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\n_ = await Upstream.SendAsync(http, message, message, request.Model ?? \"\");",
        "internal static class Upstream { public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage given, HttpRequestMessage prepared, string text) { prepared.Content = new StringContent(text); return await {|TLLM2006:http.SendAsync(given)|}; } }"));

    /// <summary>A "form" (JSON with messages declared as x-www-form-urlencoded) handed to a helper that sets its media type to JSON: the page reads a content's members only being read, and a media type set after as a string.</summary>
    [Fact]
    public Task Send_HelperSetsContentTypeOfHandedForm() => Reports(Route(
        $"var json = JsonSerializer.Serialize(new {{ model = request.Model, messages = request.Messages }});\n_ = await Upstream.PostAsync(http, {Url}, new StringContent(json, System.Text.Encoding.UTF8, \"application/x-www-form-urlencoded\"));",
        "internal static class Upstream { public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) { data.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(\"application/json\"); return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"));

    /// <summary>Baseline of the probe above in the member itself: the page says a media type set after is read as a string (reported).</summary>
    [Fact]
    public Task Baseline_MemberSetsContentTypeOfForm() => Reports(Route(
        $"var json = JsonSerializer.Serialize(new {{ model = request.Model, messages = request.Messages }});\nvar content = new StringContent(json, System.Text.Encoding.UTF8, \"application/x-www-form-urlencoded\");\ncontent.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(\"application/json\");\n_ = await {{|TLLM2006:http.PostAsync({Url}, content)|}};"));

    /// <summary>A helper with two contents, the form only read, the user's text sent: the ordinal read must be the sent one's.</summary>
    [Fact]
    public Task Send_TwoContentParametersSendsTheBody() => Reports(Route(
        $"_ = await Upstream.PostAsync(http, {Url}, {Form}, {Body});",
        "internal static class Upstream { public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent audit, HttpContent data) { _ = audit.Headers; return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"));

    /// <summary>A helper called from two routes: one hands a form, the other the user's text.</summary>
    [Fact]
    public Task Send_TwoRoutesOneWithBody() => Reports($$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                _ = await Upstream.PostAsync(http, {{Basket}}, {{Form}});
                return new Reply();
            }

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static async Task<Reply> Embed(ChatRequest request, LlmCall call, HttpClient http)
            {
                _ = await Upstream.PostAsync(http, {{Url}}, {{Body}});
                return new Reply();
            }
        }
        {{PostHelper}}
        """);

    /// <summary>A virtual helper called with a form; the runtime type's override hands the base a body.</summary>
    [Fact]
    public Task Send_OverrideHandsBodyToBase() => Reports(Route(
        $"Api api = new ChatApi();\n_ = await api.PostAsync(http, {Basket}, {Form});",
        "internal class Api { public virtual async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }\n"
        + $"internal sealed class ChatApi : Api {{ public override Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) => base.PostAsync(http, {Url}, new StringContent(\"{{\\\"messages\\\":[]}}\")); }}"));

    /// <summary>A chain of six helpers handing a form on: beyond the page's four calls up, read as before (reported).</summary>
    [Fact]
    public Task Send_ChainBeyondLimit() => Reports(Route(
        $"_ = await Chain.A1(http, {Form});",
        PostHelper + "\ninternal static class Chain {\n"
        + string.Concat(Enumerable.Range(1, 5).Select(i => $"public static Task<HttpResponseMessage> A{i}(HttpClient http, HttpContent c) => A{i + 1}(http, c);\n"))
        + $"public static Task<HttpResponseMessage> A6(HttpClient http, HttpContent c) => Upstream.PostAsync(http, {Url}, c);\n}}"));

    /// <summary>The helper implements a referenced library's interface, called through it with the user's text, and directly with a form: the page says reported.</summary>
    [Fact]
    public Task Send_ThroughLibraryInterface() => Reports(Route(
        $"Lib.ISender sender = new Sender(http);\n_ = await sender.PostAsync({Url}, {Body});\n_ = await new Sender(http).PostAsync({Basket}, {Form});",
        "internal sealed class Sender(HttpClient http) : Lib.ISender { public async Task<HttpResponseMessage> PostAsync(string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"),
        Library("SenderLib", "namespace Lib; public interface ISender { System.Threading.Tasks.Task<System.Net.Http.HttpResponseMessage> PostAsync(string uri, System.Net.Http.HttpContent data); }"));

    /// <summary>Baseline of <see cref="Send_CalledFromDisposeOfUsing"/> without a helper: the send made in the Dispose the request's <c>using</c> runs (the call graph reaches it: the language runs the Dispose, so no call is written for it).</summary>
    [Fact]
    public Task Baseline_DirectSendInDisposeOfUsing() => Reports(Route(
        "using (new Batch(http, request.Model ?? \"\")) { }",
        $"internal sealed class Batch(HttpClient http, string text) : IDisposable {{ public void Dispose() => {{|TLLM2006:http.PostAsync({Url}, new StringContent(text))|}}.GetAwaiter().GetResult(); }}"));

    /// <summary>Baseline of <see cref="Send_CalledFromFieldInitializer"/> without a helper: the send made in a field initializer the request's object creation runs (reached).</summary>
    [Fact]
    public Task Baseline_DirectSendInFieldInitializer() => Reports(Route(
        "var audit = new Audit(http, request.Model ?? \"\");\n_ = await audit.Sent;",
        $"internal sealed class Audit(HttpClient http, string text) {{ public readonly Task<HttpResponseMessage> Sent = {{|TLLM2006:http.PostAsync({Url}, new StringContent(text))|}}; }}"));

    /// <summary>The helper also called, with the user's text, by an expression-bodied property the route reads.</summary>
    [Fact]
    public Task Send_CalledFromPropertyGetter() => Reports(Route(
        $"var audit = new Audit(http, request.Model ?? \"\");\n_ = await audit.Sent;\n_ = await Upstream.PostAsync(http, {Basket}, {Form});",
        PostHelper + $"\ninternal sealed class Audit(HttpClient http, string text) {{ public Task<HttpResponseMessage> Sent => Upstream.PostAsync(http, {Url}, new StringContent(text)); }}"));

    /// <summary>The helper also called, with the user's text, by a user-defined operator the route applies.</summary>
    [Fact]
    public Task Send_CalledFromOperator() => Reports(Route(
        $"var sent = new Note(request.Model ?? \"\") + http;\n_ = await sent;\n_ = await Upstream.PostAsync(http, {Basket}, {Form});",
        PostHelper + $"\ninternal sealed record Note(string Text) {{ public static Task<HttpResponseMessage> operator +(Note note, HttpClient http) => Upstream.PostAsync(http, {Url}, new StringContent(note.Text)); }}"));

    /// <summary>Baseline of <see cref="Send_CalledFromOperator"/> without a helper: the send made in a user-defined operator the route applies (reached).</summary>
    [Fact]
    public Task Baseline_DirectSendInOperator() => Reports(Route(
        "var sent = new Note(request.Model ?? \"\") + http;\n_ = await sent;",
        $"internal sealed record Note(string Text) {{ public static Task<HttpResponseMessage> operator +(Note note, HttpClient http) => {{|TLLM2006:http.PostAsync({Url}, new StringContent(note.Text))|}}; }}"));

    // --- Shapes the promise covers: read as no model call.

    /// <summary>A helper generic in its result (<c>PostAsync&lt;T&gt;</c>, as typed clients write) handed a form.</summary>
    [Fact]
    public Task Quiet_GenericResultHelper() => Silent(Route(
        $"_ = await Upstream.PostAsync<Reply>(http, {Basket}, {Form});",
        "internal static class Upstream { public static async Task<T?> PostAsync<T>(HttpClient http, string uri, HttpContent data) { using var response = await {|TLLM2006:http.PostAsync(uri, data)|}; return await response.Content.ReadFromJsonAsync<T>(); } }"));

    /// <summary>An extension method on HttpClient handed a form.</summary>
    [Fact]
    public Task Quiet_ExtensionHelper() => Silent(Route(
        $"_ = await http.PostFormAsync({Basket}, {Form});",
        "internal static class Upstream { public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"));

    /// <summary>A partial method as the helper, handed a form.</summary>
    [Fact]
    public Task Quiet_PartialHelper() => Silent(Route(
        $"_ = await Upstream.PostAsync(http, {Basket}, {Form});",
        "internal static partial class Upstream { public static partial Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data); }\n"
        + "internal static partial class Upstream { public static partial async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"));

    /// <summary>The page's own shape: a typed client's <c>PostAsync(string uri, StringContent data)</c> handed the JSON of a record naming no model input.</summary>
    [Fact]
    public Task Quiet_TypedClientStringContentJson() => Silent(Route(
        $"var client = new BasketClient(http);\nvar json = JsonSerializer.Serialize(new BasketItem {{ Id = 1, Quantity = 2 }});\n_ = await client.PostAsync({Basket}, new StringContent(json, System.Text.Encoding.UTF8, \"application/json\"));",
        "internal sealed class BasketClient(HttpClient http) { public async Task<HttpResponseMessage> PostAsync(string uri, StringContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }\n"
        + "internal sealed record BasketItem { public int Id { get; init; } public int Quantity { get; init; } }"));

    /// <summary>The helper a sealed override of an abstract method, called through the base, handed a form.</summary>
    [Fact]
    public Task Quiet_SealedOverrideThroughBase() => Silent(Route(
        $"Backend backend = new BasketBackend();\n_ = await backend.PostAsync(http, {Basket}, {Form});",
        "internal abstract class Backend { public abstract Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data); }\n"
        + "internal class BasketBackend : Backend { public sealed override async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"));

    /// <summary>The helper an explicit implementation of a source interface, called through it, handed a form (the page: through any interface method the helper implements).</summary>
    [Fact]
    public Task Quiet_ExplicitInterfaceImplementation() => Silent(Route(
        $"IBackend backend = new Backend();\n_ = await backend.PostAsync(http, {Basket}, {Form});",
        "internal interface IBackend { Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent data); }\n"
        + "internal sealed class Backend : IBackend { async Task<HttpResponseMessage> IBackend.PostAsync(HttpClient http, string uri, HttpContent data) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"));

    /// <summary>A helper whose content is optional (null by default), called with named arguments out of order and no content.</summary>
    [Fact]
    public Task Quiet_OptionalContentOmittedNamedArguments() => Silent(Route(
        $"_ = await Upstream.PostAsync(uri: {Basket}, http: http);",
        "internal static class Upstream { public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string uri, HttpContent? data = null) { return await {|TLLM2006:http.PostAsync(uri, data)|}; } }"));

    /// <summary>A chain of three helpers handing a form on: within the page's four calls up.</summary>
    [Fact]
    public Task Quiet_ChainOfThree() => Silent(Route(
        $"_ = await Chain.A1(http, {Form});",
        PostHelper + "\ninternal static class Chain {\npublic static Task<HttpResponseMessage> A1(HttpClient http, HttpContent c) => A2(http, c);\npublic static Task<HttpResponseMessage> A2(HttpClient http, HttpContent c) => A3(http, c);\n"
        + $"public static Task<HttpResponseMessage> A3(HttpClient http, HttpContent c) => Upstream.PostAsync(http, {Url}, c);\n}}"));

    /// <summary>A helper called with the user's text inside an attempt and with a form outside one.</summary>
    [Fact]
    public Task Quiet_BodyInsideAttemptFormOutside() => Silent(Route(
        $"_ = await Upstream.PostAsync(http, {Basket}, {Form});\nreturn await call.ExecuteAsync(new LlmTarget(\"openai\", \"gpt-4o\"), LlmRetryPolicy.None, async (attempt, cancellationToken) =>\n{{\n_ = await Upstream.PostAsync(http, {Url}, {Body});\nreturn new Reply();\n}});",
        PostHelper));

    /// <summary>A static helper of a generic class, handed a GET message.</summary>
    [Fact]
    public Task Quiet_HelperOfGenericClass() => Silent(Route(
        $"_ = await Upstream<Reply>.SendAsync(http, new HttpRequestMessage(HttpMethod.Get, {Basket}));",
        "internal static class Upstream<TTag> { public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage given) { given.Headers.Add(\"api-key\", \"k\"); return await {|TLLM2006:http.SendAsync(given)|}; } }"));

    /// <summary>A local function of a helper method as the one that sends what it is handed (a form); the page names no exclusion for it.</summary>
    [Fact]
    public Task Quiet_LocalFunctionHelper() => KnownFalseAlarm(Route(
        "_ = await Basket.Save(http);",
        $"internal static class Basket {{ public static async Task<HttpResponseMessage> Save(HttpClient http) {{ return await Post({Basket}, {Form}); async Task<HttpResponseMessage> Post(string uri, HttpContent data) => await {{|TLLM2006:http.PostAsync(uri, data)|}}; }} }}"));

    // ===== 2. A message built in the member handed to a helper of source that leaves it alone =====

    /// <summary>A GET with the user's text handed to a helper that makes it a POST by a deconstruction.</summary>
    [Fact]
    public Task Alone_HelperSetsMethodByDeconstruction() => Reports(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Get, {Url}) {{ Content = {Body} }};\nHeaders.Apply(message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal static class Headers { public static void Apply(HttpRequestMessage request) { request.Headers.Add(\"api-key\", \"k\"); (request.Method, _) = (HttpMethod.Post, 0); } }"));

    /// <summary>Not new (the member's own reading): a GET with the user's text made a POST by a deconstruction in the member.</summary>
    [Fact]
    public Task Member_SetsMethodByDeconstruction() => Reports(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Get, {Url}) {{ Content = {Body} }};\n(message.Method, _) = (HttpMethod.Post, 0);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};"));

    /// <summary>A bodiless POST handed down three helpers, the last giving it the user's text.</summary>
    [Fact]
    public Task Alone_ThirdHelperGivesContent() => Reports(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nHeaders.Apply(message, request.Model ?? \"\");\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal static class Headers { public static void Apply(HttpRequestMessage request, string text) { request.Headers.Add(\"api-key\", \"k\"); One(request, text); } private static void One(HttpRequestMessage request, string text) => Two(request, text); private static void Two(HttpRequestMessage request, string text) => request.Content = new StringContent(text); }"));

    /// <summary>A bodiless POST handed to a helper that keeps it in a list (a library's Add), whose later code gives it the user's text.</summary>
    [Fact]
    public Task Alone_HelperAddsToList() => Reports(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nHeaders.Apply(message);\nHeaders.Fill(request.Model ?? \"\");\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal static class Headers { private static readonly List<HttpRequestMessage> Pending = new(); public static void Apply(HttpRequestMessage request) { Pending.Add(request); } public static void Fill(string text) { foreach (var m in Pending) m.Content = new StringContent(text); } }"));

    /// <summary>A bodiless POST handed to a helper that hands it to a delegate the caller gives (which sets the user's text).</summary>
    [Fact]
    public Task Alone_HelperInvokesConfigureDelegate() => Reports(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nHeaders.Apply(message, m => m.Content = {Body});\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal static class Headers { public static void Apply(HttpRequestMessage request, Action<HttpRequestMessage> configure) { request.Headers.Add(\"api-key\", \"k\"); configure(request); } }"));

    /// <summary>A bodiless POST handed to a partial method that adds a header (an ordinary method whose body is in the compilation).</summary>
    [Fact]
    public Task AloneQuiet_PartialHelper() => Silent(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nHeaders.Apply(message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal static partial class Headers { public static partial void Apply(HttpRequestMessage request); }\ninternal static partial class Headers { public static partial void Apply(HttpRequestMessage request) { request.Headers.Add(\"api-key\", \"k\"); } }"));

    /// <summary>A bodiless POST handed to an extension method (its <c>this</c> parameter) that adds a header.</summary>
    [Fact]
    public Task AloneQuiet_ExtensionHelper() => Silent(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nmessage.WithApiKey(\"k\");\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal static class Headers { public static void WithApiKey(this HttpRequestMessage request, string key) { request.Headers.Add(\"api-key\", key); } }"));

    /// <summary>A GET with a body handed, by named arguments out of order, to a generic helper that adds a header.</summary>
    [Fact]
    public Task AloneQuiet_GenericHelperNamedArguments() => Silent(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Get, {Url}) {{ Content = {Body} }};\nHeaders.Apply(value: 7, request: message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal static class Headers { public static void Apply<T>(HttpRequestMessage request, T value) { request.Headers.Add(\"x-value\", value?.ToString()); } }"));

    /// <summary>A bodiless POST handed to an instance method of a record that reads its address and sets its version.</summary>
    [Fact]
    public Task AloneQuiet_RecordInstanceHelper() => Silent(Route(
        $"using var message = new HttpRequestMessage(HttpMethod.Post, {Url});\nnew Stamp(\"k\").Apply(message);\nusing var response = await {{|TLLM2006:http.SendAsync(message)|}};",
        "internal sealed record Stamp(string Key) { public void Apply(HttpRequestMessage request) { _ = request.RequestUri; request.Version = new Version(2, 0); request.Headers.Add(\"api-key\", Key); } }"));

    // ===== 3. Json.NET's body of a class that is not sealed, read as that class when none derives from it =====

    private const string OrderLibrary = "namespace Shop; public class Order { public int OrderNumber { get; set; } }";

    /// <summary>The class declared in a referenced library, which also declares a private nested class deriving from it that adds Messages.</summary>
    [Fact]
    public Task JsonNet_PrivateNestedDerivedInLibrary() => Reports(Route(
        $"Shop.Order order = Shop.Order.Make(request.Model);\n_ = await {{|TLLM2006:http.PostAsync({Basket}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order)))|}};"),
        Library("ShopNested", "namespace Shop; public class Order { public int OrderNumber { get; set; } public static Order Make(string? text) => text is null ? new Order() : new Chat { Messages = new() { text } }; private sealed class Chat : Order { public System.Collections.Generic.List<string> Messages { get; set; } = new(); } }"));

    /// <summary>The class declared in one library, a class deriving from it adding Messages in another library the compilation references.</summary>
    [Fact]
    public Task JsonNet_DerivedInAnotherLibrary()
    {
        var shop = Library("Shop", OrderLibrary);
        var plugin = Library("ShopChat", "namespace ShopChat; public sealed class ChatOrder : Shop.Order { public System.Collections.Generic.List<string> Messages { get; set; } = new(); } public static class Orders { public static Shop.Order Make(string? text) => new ChatOrder { Messages = { text ?? \"\" } }; }", shop);
        return Reports(Route(
            $"Shop.Order order = ShopChat.Orders.Make(request.Model);\n_ = await {{|TLLM2006:http.PostAsync({Basket}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order)))|}};"),
            shop, plugin);
    }

    /// <summary>The class declared in a referenced library with no class deriving from it anywhere in the program.</summary>
    [Fact]
    public Task JsonNetQuiet_LibraryClassNoneDerived() => Silent(Route(
        $"var order = new Shop.Order {{ OrderNumber = 1 }};\n_ = await {{|TLLM2006:http.PostAsync({Basket}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order)))|}};"),
        Library("Shop", OrderLibrary));

    /// <summary>A generic class of the compilation derives from the class, adding a Messages of its type parameter.</summary>
    [Fact]
    public Task JsonNet_GenericDerivedInSource() => Reports(Route(
        $"Order order = Orders.Make(request.Model);\n_ = await {{|TLLM2006:http.PostAsync({Basket}, new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(order)))|}};",
        "internal class Order { public int OrderNumber { get; set; } }\ninternal sealed class Tagged<T> : Order { public T? Messages { get; set; } }\ninternal static class Orders { public static Order Make(string? text) => new Tagged<string> { Messages = text }; }"));
}
