using System.Collections.Generic;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2004's construct matrix: a caught exception in each construct of C# that can hold a catch or carry
/// the caught failure on. In the faulty form the failure disappears; in the sound one it is handed on
/// (<c>@H</c> is <c>throw;</c>, or the construct's own way of failing).
/// </summary>
internal static class SwallowedExceptionMatrix
{
    internal const string Header =
        "using System.IO;\nusing System.Linq;\nusing System.Threading.Channels;\n" + Corpus.Header;

    private const string Catch = "{|TLLM2004:catch|}";

    /// <summary>
    /// A catch in code the route reaches through calls that does not answer the request: TLLM2007's (off by default, on
    /// in these tests).
    /// </summary>
    private const string Handled = "{|TLLM2007:catch|}";

    /// <summary>
    /// A helper's catch that answers the request by hand (writes the response's status) or gives up on an upstream
    /// call: TLLM2004's wherever it is.
    /// </summary>
    private static string Requests(string source) => source.Replace(Handled, Catch);

    private static string Route(string body, string members = "") => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
            {
                var text = "";
        {{body}}
                return new Reply { Text = text };
            }
        }
        {{members}}
        """;

    /// <summary>
    /// As <see cref="Handed"/>, the faulty handler answering the request with an error by hand and no record:
    /// TLLM2004's in a route's own code since issue 68 (a handler that falls back to a value is TLLM2007's, off by
    /// default).
    /// </summary>
    private static MatrixCell Answered(string construct, string source, Held held = Held.Yes) =>
        Pair(construct, source, "@H", "call.HttpContext.Response.StatusCode = 502;", "throw;", held);

    private static MatrixCell Handed(string construct, string source, Held held = Held.Yes) =>
        Pair(construct, source, "@H", "text = \"none\";", "throw;", held);

    /// <summary>
    /// A helper that writes a mark and swallows what writing it throws (<paramref name="handled"/> then runs).
    /// </summary>
    private static string CleanUp(string @catch, string handled = "", string caught = "IOException") =>
        $"internal static class Helper {{ public static async Task MarkAsync(string path) "
        + $"{{ try {{ await File.WriteAllTextAsync(path + \".failed\", \"\"); }} {@catch} ({caught}) "
        + $"{{ {handled} }} }} }}";

    private const string Read = "text = await File.ReadAllTextAsync(request.Model!);";

    /// <summary>A read whose failure a catch drops (the faulty handler).</summary>
    private const string Dropped =
        "try { text = File.ReadAllText(request.Model!); } " + Catch + " (IOException) { text = \"none\"; }";

    /// <summary>A timer, a token source and a log stream a route's code can reach.</summary>
    private const string Ticker =
        "internal static class Ticker { public static readonly System.Threading.Timer Timer = new(_ => { }); public "
        + "static readonly System.Threading.CancellationTokenSource Source = new(); public static readonly "
        + "MemoryStream Log = new(); }";

    /// <summary>A lookup in memory a route's code can read, and an upstream it can call.</summary>
    private const string Aliases =
        "internal static class Models { public static readonly Dictionary<string, string> Aliases = new() { "
        + "[\"gpt\"] = \"gpt-4o\" }; public static readonly HttpClient Upstream = new(); }";

    /// <summary>
    /// A lookup probe, the TryGetValue idiom with try/catch (<paramref name="try"/> is more of the try,
    /// <paramref name="caught"/> the caught type, <paramref name="handled"/> more of the handler).
    /// </summary>
    private static string Lookup(string @try = "", string caught = "KeyNotFoundException", string handled = "") =>
        Route(
            "text = Lookup.Alias(new DefaultHttpContext(), request.Model!);",
            $"internal static class Lookup {{ public static string Alias(HttpContext context, string model) "
            + $"{{ try {{ {@try} return Models.Aliases[model]; }} {Handled} ({caught}) {{ {handled} return model; "
            + $"}} }} }}\n{Aliases}");

    /// <summary>A logger a helper's catch can log through.</summary>
    private const string Logged =
        "Microsoft.Extensions.Logging.LoggerExtensions.LogInformation("
        + "Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, \"not found\");";

    /// <summary>
    /// A store's own exceptions, a test of one, and an HTTP context a handler can write an answer to.
    /// </summary>
    private const string StoreTypes = """
        internal sealed class IndexNotFoundException : Exception { }
        internal sealed class IndexOfflineException : Exception { }
        internal sealed class StoreException : Exception { public string? Code { get; set; } }
        internal static class Probe { public static bool IsTableNotFound(StoreException e) =>
            e.Code == "42P01"; public static bool IsTransient(StoreException e) =>
            e.Code == "08006"; public static bool IsTableNotFoundOrTransient(StoreException e) =>
            e.Code is "42P01" or "08006"; }
        internal static class Index { public static void Check(int state) {
            if (state == 1) { throw new IndexNotFoundException(); } if (state == 2) { throw new IndexOfflineException();
                } if (state == 3) { throw new StoreException { Code = "08006" }; } } }
        internal static class Http { public static readonly HttpContext Context = new DefaultHttpContext(); }
        """;

    /// <summary>
    /// A store read that may find nothing, awaited (<paramref name="try"/> is more of the try,
    /// <paramref name="caught"/> the catch's declaration and filter, <paramref name="handled"/> the handler,
    /// <paramref name="after"/> what follows the try).
    /// </summary>
    private static string Missing(string caught = "FileNotFoundException", string handled = "return null;",
        string @try = "", string after = "return text;") =>
        Route("text = await Store.ReadAsync(request.Model!) ?? \"\";", $$"""
            internal static class Store
            {
                public static async Task<string?> ReadAsync(string path)
                {
                    string? text = "";
                    try { {{@try}} text = await File.ReadAllTextAsync(path); }
                    {{Handled}} ({{caught}}) { {{handled}} }
                    {{after}}
                }
            }
            {{StoreTypes}}
            {{Aliases}}
            """);

    /// <summary>
    /// A store's list of records that may not exist, awaited: the handler (<paramref name="handled"/>) answers it.
    /// </summary>
    private static string Records(string handled) =>
        Route("text = string.Concat(await Store.ListAsync(request.Model!));", $$"""
            internal static class Store
            {
                public static async Task<IReadOnlyList<string>> ListAsync(string path)
                {
                    try { return await File.ReadAllLinesAsync(path); }
                    {{Handled}} (DirectoryNotFoundException) { {{Logged}} {{handled}} }
                }
            }
            """);

    /// <summary>
    /// The records of a store streamed by an async iterator; the handler (<paramref name="handled"/>) answers a missing
    /// directory.
    /// </summary>
    private static string Streamed(string handled) =>
        Route("await foreach (var line in Store.LinesAsync(request.Model!)) { text += line; }", $$"""
            internal static class Store
            {
                public static async IAsyncEnumerable<string> LinesAsync(string path)
                {
                    string[] lines;
                    try { lines = await File.ReadAllLinesAsync(path); }
                    {{Handled}} (DirectoryNotFoundException) { {{handled}} }
                    foreach (var line in lines) { yield return line; }
                }
            }
            """);

    /// <summary>
    /// A deletion of what may not be there, in a <c>try</c> with a <c>finally</c>; <c>@H</c> is what follows the catch.
    /// </summary>
    private static string Deleted(string after, bool async = true) =>
        Route("await Store.DeleteAsync(request.Model!);", async
            ? $$"""
                internal static class Store
                {
                    public static async Task DeleteAsync(string path)
                    {
                        try
                        {
                            try { await Task.Run(() => File.Delete(path)); }
                            {{Handled}} (DirectoryNotFoundException) { {{Logged}} }
                            {{after}}
                        }
                        finally { {{Logged}} }
                    }
                }
                """
            : $$"""
                internal static class Store
                {
                    public static Task DeleteAsync(string path)
                    {
                        try { File.Delete(path); return Task.CompletedTask; }
                        {{Handled}} (DirectoryNotFoundException) { {{Logged}} }
                        {{after}}
                    }
                }
                """);

    /// <summary>
    /// A record written to a folder that may not exist yet (after <paramref name="before"/>): the handler creates it,
    /// then <paramref name="handled"/>.
    /// </summary>
    private static string FirstUse(string handled, string before = "") =>
        Route("await Store.SaveAsync(request.Model!, \"record\");", $$"""
            internal static class Store
            {
                public static async Task SaveAsync(string folder, string text)
                {
                    try { {{Logged}} {{before}} await File.WriteAllTextAsync(Path.Combine(folder, "record.txt"), text);
                        }
                    {{Handled}} (DirectoryNotFoundException) { {{Logged}} Directory.CreateDirectory(folder);
                        {{handled}} }
                }
            }
            """);

    /// <summary>
    /// A journal line written for a route (<paramref name="try"/> is the try, <paramref name="handled"/> the handler of
    /// a logger disposed meanwhile): through <c>ILogger</c>, a <c>LoggerMessage.Define</c> delegate and a
    /// <c>[LoggerMessage]</c> method.
    /// </summary>
    private static string Journal(string @try, string handled = "") =>
        Route("text = Journal.Write(request.Model!, null);", $$"""
            internal static partial class Journal
            {
                private static readonly Microsoft.Extensions.Logging.ILogger Logger =
                    Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
                private static readonly Action<Microsoft.Extensions.Logging.ILogger, string, Exception?> _written =
                    Microsoft.Extensions.Logging.LoggerMessage.Define<string>(
                        Microsoft.Extensions.Logging.LogLevel.Information, new Microsoft.Extensions.Logging.EventId(2),
                        "Model {Model}");
                public static string State = "";

                public static string Write(string model, Exception? failure)
                {
                    try { {{@try}} }
                    {{Handled}} (ObjectDisposedException) { {{handled}} }
                    return model;
                }

                [Microsoft.Extensions.Logging.LoggerMessage(3, Microsoft.Extensions.Logging.LogLevel.Information,
                    "Model {Model}")]
                static partial void Seen(Microsoft.Extensions.Logging.ILogger logger, string model);
                static partial void Seen(Microsoft.Extensions.Logging.ILogger logger, string model) { }

                private static string Format(string state, Exception? e) => state;
                private static string Read(string state, Exception? e) => File.ReadAllText(state);
                public static IEnumerable<string> Lines = new[] { "queue" }.Select(p => File.ReadAllText(p));
                public static List<string> LineList = new();
            }
            """);

    /// <summary>
    /// A log line written through <c>ILogger.Log</c> itself: an interpolated message, a formatter given as a method
    /// group.
    /// </summary>
    private const string LogLine =
        "Logger.Log(Microsoft.Extensions.Logging.LogLevel.Information, default, $\"model: "
        + "{model}{Environment.NewLine + State}\", failure, Format);";

    /// <summary>
    /// A file written when it is not there yet, a failure kept by the handler (<paramref name="handled"/>) and, when
    /// the file is still missing after the write, perhaps thrown (<paramref name="after"/>).
    /// </summary>
    private static string Kept(string handled, string after) =>
        Route("await Store.CreateAsync(request.Model!);", $$"""
            internal static class Store
            {
                public static Exception? Last;

                public static async Task CreateAsync(string path)
                {
                    IOException? failure = null;
                    var failures = new List<Exception>();
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo? captured = null;
                    try { await File.WriteAllTextAsync(path, ""); }
                    {{Handled}} (IOException e) { {{handled}} }
                    {{Logged}}
                    if (!File.Exists(path)) { {{after}} }
                }
            }
            """);

    /// <summary>
    /// A store's records read into a list (<paramref name="before"/> declares it) and streamed after the try; the catch
    /// (<paramref name="caught"/>) only logs.
    /// </summary>
    private static string Listed(string before, string caught = "StoreException e) when (Probe.IsTableNotFound(e)") =>
        Route("await foreach (var line in Store.ListAsync(request.Model!)) { text += line; }", $$"""
            internal static class Store
            {
                public static async IAsyncEnumerable<string> ListAsync(string path)
                {
                    {{before}}
                    try
                    {
                        using var reader = File.OpenText(path);
                        while (await reader.ReadLineAsync() is { } line) { result.Add(line); }
                    }
                    {{Handled}} ({{caught}}) { {{Logged}} }
                    foreach (var line in result) { yield return line; }
                }
            }
            {{StoreTypes}}
            """);

    /// <summary>
    /// A WebSocket to the upstream opened at HTTP/2 exactly (extended CONNECT) inside an attempt, and in the catch
    /// (<paramref name="filter"/>, <paramref name="handled"/>) perhaps opened again: <see cref="Resend"/>.
    /// </summary>
    private static string Realtime(string handled, string filter = "") =>
        Route(
            "text = await call.ExecuteAsync(new LlmTarget(\"openai\", \"gpt-realtime\"), LlmRetryPolicy.None, "
            + "(attempt, ct) => Realtime.ConnectAsync(attempt, Models.Upstream));", $$"""
            internal static class Realtime
            {
                public static async Task<string> ConnectAsync(LlmAttempt attempt, HttpClient upstream)
                {
                    var text = "";
                    HttpResponseMessage? response = null;
                    try { response = await upstream.SendAsync(Connect(System.Net.HttpVersion.Version20)); }
                    {{Handled}} (HttpRequestException e){{filter}} { {{handled}} }
                    return text + response?.StatusCode;
                }

                private static HttpRequestMessage Connect(Version version) =>
                    new(HttpMethod.Get, "https://127.0.0.1/v1/realtime") { Version = version,
                        VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            }
            {{Aliases}}
            """);

    /// <summary>
    /// The same request sent again at HTTP/1.1, what SocketsHttpHandler leaves to its caller when it refused the exact
    /// version.
    /// </summary>
    private const string Resend = "response = await upstream.SendAsync(Connect(System.Net.HttpVersion.Version11));";

    /// <summary>
    /// An unprotect probe: a client's cookie decoded and decrypted in memory, a failure logged through a
    /// <c>LoggerMessage.Define</c> helper and turned into "no key" (<paramref name="try"/> is more of the try,
    /// <paramref name="handled"/> more of the handler, <paramref name="logged"/> more of the log helper).
    /// </summary>
    private static string Unprotect(string @try = "", string handled = "", string logged = "") =>
        Route(
            "text = Affinity.Read(new DefaultHttpContext(), Affinity.Protector, "
            + "Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Key ?? \"\";", $$"""
            internal static class Affinity
            {
                public static Microsoft.AspNetCore.DataProtection.IDataProtector Protector = null!;

                public static (string? Key, bool Ok) Read(HttpContext context,
                    Microsoft.AspNetCore.DataProtection.IDataProtector protector,
                    Microsoft.Extensions.Logging.ILogger logger)
                {
                    var cookie = context.Request.Cookies["affinity"];
                    if (string.IsNullOrEmpty(cookie)) { return (null, true); }
                    try
                    {
                        {{@try}}
                        var key = protector.Unprotect(Convert.FromBase64String(Pad(cookie)));
                        return (System.Text.Encoding.UTF8.GetString(key), true);
                    }
                    {{Handled}} (Exception e) { Log.Unreadable(logger, context, e); {{handled}} return (null, false); }
                }

                private static string Pad(string text) => text + new string('=', (4 - text.Length % 4) % 4);
            }

            internal static class Log
            {
                private static readonly Action<Microsoft.Extensions.Logging.ILogger, Exception?> _unreadable =
                    Microsoft.Extensions.Logging.LoggerMessage.Define(Microsoft.Extensions.Logging.LogLevel.Warning,
                        new Microsoft.Extensions.Logging.EventId(1), "The affinity cookie does not decrypt.");

                public static void Unreadable(Microsoft.Extensions.Logging.ILogger logger, HttpContext context,
                    Exception? e) { _unreadable(logger, e); {{logged}} }
            }
            {{Aliases}}
            """);

    /// <summary>
    /// An entity saved through a repository that validates its id (an <c>ArgumentOutOfRangeException</c> for an empty
    /// one) before it writes, awaited in a Try-method whose caller does not fail on <c>false</c>
    /// (<paramref name="caught"/>
    /// is the catch's declaration and filter, <paramref name="handled"/> the handler, <paramref name="try"/> more of
    /// the try).
    /// </summary>
    private static string Saved(string caught, string handled = "return false;", string @try = "") =>
        Route("text = await Entities.TrySaveAsync(request.Model!) ? \"saved\" : \"not saved\";", $$"""
            internal static class Entities
            {
                public static async Task<bool> TrySaveAsync(string id)
                {
                    try { {{@try}} await Repository.UpsertAsync(id); return true; }
                    {{Handled}} ({{caught}}) { {{handled}} }
                }
            }

            internal static class Repository
            {
                public static void Validate(string id)
                {
                    if (string.IsNullOrEmpty(id)) { throw new ArgumentOutOfRangeException(nameof(id),
                        "An entity id cannot be empty."); }
                }

                public static Task UpsertAsync(string id)
                {
                    Validate(id);
                    return File.WriteAllTextAsync(id + ".json", "{}");
                }
            }

            internal sealed class EntityIdException : InvalidOperationException {
                public static void Check(string id) { if (id.Length > 64) { throw new EntityIdException(); } } }
            {{StoreTypes}}
            {{Aliases}}
            """);

    /// <summary>
    /// An id validated in memory, the catch of its <c>ArgumentException</c> answering with <paramref name="handled"/>.
    /// </summary>
    private static string Checked(string handled) =>
        Route("text = Entities.Check(request.Model!)?.ToString() ?? \"valid\";", $$"""
            internal static class Entities
            {
                public static IResult? Check(string id)
                {
                    try { Repository.Validate(id); return null; }
                    {{Catch}} (ArgumentException e) { {{handled}} }
                }
            }

            internal static class Repository
            {
                public static void Validate(string id)
                {
                    if (string.IsNullOrEmpty(id)) { throw new ArgumentOutOfRangeException(nameof(id),
                        "An entity id cannot be empty."); }
                }
            }
            """);

    /// <summary>
    /// Search hits whose captions may be missing, joined in memory; the catch (<paramref name="caught"/>) skips a hit
    /// without them.
    /// </summary>
    private static string Captions(string caught) =>
        Route("text = string.Join(\",\", Search.Contents(new[] { new Hit(null), new Hit(new[] { \"caption\" }) }));",
            $$"""
            internal sealed record Hit(string[]? Captions);

            internal static class Search
            {
                public static List<string> Contents(IEnumerable<Hit> hits)
                {
                    var contents = new List<string>();
                    foreach (var hit in hits)
                    {
                        string? content;
                        try { content = string.Join(" . ", hit.Captions!.Select(caption => caption.Trim())); }
                        {{Handled}} ({{caught}}) { content = null; }
                        if (content is not null) { contents.Add(content); }
                    }

                    return contents;
                }
            }
            """);

    /// <summary>
    /// A client's headers copied onto a WebSocket's options; the handler (<paramref name="handled"/>) takes one it
    /// refuses.
    /// </summary>
    private static string Headers(string handled) =>
        Route("text = Relay.Options(new DefaultHttpContext()).ToString();", $$"""
            internal static class Relay
            {
                public static System.Net.WebSockets.ClientWebSocketOptions Options(HttpContext context)
                {
                    var client = new System.Net.WebSockets.ClientWebSocket();
                    foreach (var header in context.Request.Headers)
                    {
                        try { client.Options.SetRequestHeader(header.Key, header.Value); }
                        {{Catch}} (ArgumentException) { {{handled}} }
                    }

                    return client.Options;
                }
            }
            """);

    /// <summary>
    /// A store of documents whose writes answer with an HTTP status, as <c>DocumentException</c>'s <c>StatusCode</c>
    /// and
    /// <c>Status</c>: a create of an id that is taken answers 409, a delete of an id that is not there 404.
    /// </summary>
    private const string DocumentTypes = """
        internal sealed class DocumentException : Exception
        {
            public DocumentException(System.Net.HttpStatusCode status) { StatusCode = status; Status = (int)status; }
            public System.Net.HttpStatusCode StatusCode { get; }
            public int Status { get; }
        }

        internal sealed record Product(string Id);

        internal static class Documents
        {
            public static async Task<Product> CreateItemAsync(Product item) {
                await File.WriteAllTextAsync(item.Id + ".lock", "");
                if (File.Exists(item.Id)) { throw new DocumentException(System.Net.HttpStatusCode.Conflict);
                    } return item; }
            public static async Task<Product> UpsertItemAsync(Product item) { await File.WriteAllTextAsync(item.Id, "");
                if (item.Id.Length > 255) { throw new DocumentException(System.Net.HttpStatusCode.Conflict);
                    } return item; }
            public static async Task DeleteItemAsync(string id) { await File.WriteAllTextAsync(id + ".lock", "");
                if (!File.Exists(id)) { throw new DocumentException(System.Net.HttpStatusCode.NotFound);
                    } File.Delete(id); }
            public static async Task<Product> GetItemAsync(string id) {
                if (!File.Exists(id)) { throw new DocumentException(System.Net.HttpStatusCode.NotFound);
                    } return new Product(await File.ReadAllTextAsync(id)); }
            public static async Task<Product> ReplaceItemAsync(string id) {
                if (!File.Exists(id)) { throw new DocumentException(System.Net.HttpStatusCode.NotFound);
                    } await File.WriteAllTextAsync(id, id); return new Product(id); }
        }
        """;

    /// <summary>
    /// The status test of a create's catch: a 409 (<paramref name="status"/> Conflict) logged, every other status
    /// rethrown, the item given returned.
    /// </summary>
    private static string TakenAsAdded(string status = "Conflict") =>
        "if (ex.StatusCode == System.Net.HttpStatusCode."
        + status
        + ") { "
        + Logged
        + " } else { throw; } return product;";

    /// <summary>
    /// A product inserted into the store (<paramref name="write"/>), the catch (<paramref name="caught"/>,
    /// <paramref name="handled"/>) around it; <paramref name="members"/> declares more.
    /// </summary>
    private static string Inserted(string? handled = null, string caught = "DocumentException ex",
        string write = "Documents.CreateItemAsync(product)", string members = "") =>
        Route("text = (await Store.InsertAsync(new Product(request.Model!))).Id;", $$"""
            internal static class Store
            {
                public static async Task<Product> InsertAsync(Product product)
                {
                    try { return await {{write}}; }
                    {{Handled}} ({{caught}}) { {{handled ?? TakenAsAdded()}} }
                }
            }
            {{DocumentTypes}}
            {{members}}
            """);

    /// <summary>
    /// A product deleted from the store, the catch (<paramref name="handled"/>) around it, and <paramref name="after"/>
    /// after the try.
    /// </summary>
    private static string Removed(string handled, string after = "") =>
        Route("await Store.RemoveAsync(request.Model!);", $$"""
            internal static class Store
            {
                public static async Task RemoveAsync(string id)
                {
                    try { await Documents.DeleteItemAsync(id); }
                    {{Handled}} (DocumentException ex) { {{handled}} }
                    {{after}}
                }
            }
            {{DocumentTypes}}
            """);

    /// <summary>
    /// A product read from the store (<paramref name="read"/>), the catch (<paramref name="handled"/>) around it.
    /// </summary>
    private static string Fetched(string handled, string read = "Documents.GetItemAsync(id)", string members = "") =>
        Route("text = (await Store.FindAsync(request.Model!))?.Id;", $$"""
            internal static class Store
            {
                public static async Task<Product?> FindAsync(string id)
                {
                    try { return await {{read}}; }
                    {{Handled}} (DocumentException ex) { {{handled}} }
                }
            }
            {{DocumentTypes}}
            {{members}}
            """);

    /// <summary>
    /// A typed client of the program's own whose read, named <c>GetCompletionAsync</c>, posts to a model
    /// (<paramref name="send"/>
    /// is the send, marked where TLLM2006 reports it) and turns its 404 into the store's exception.
    /// </summary>
    private static string CompletionClient(string send) => $$"""
        internal static class Completions
        {
            private static readonly HttpClient Http = new();
            public static async Task<Product> GetCompletionAsync(string prompt)
            {
                var response = await {{send}};
                if (response.StatusCode == System.Net.HttpStatusCode.NotFound) {
                    throw new DocumentException(System.Net.HttpStatusCode.NotFound); }
                return new Product(await response.Content.ReadAsStringAsync());
            }
        }
        """;

    /// <summary>
    /// Semantic Kernel's chat service as its assemblies declare it (every AI service implements <c>IAIService</c>; the
    /// one-message read is an extension of the service), and Azure.AI.OpenAI 1.x's client: model calls TLLM2006 does
    /// not follow, each named as a read.
    /// </summary>
    private const string ModelSdks = """
        namespace Microsoft.SemanticKernel.Services { internal interface IAIService { } }
        namespace Microsoft.SemanticKernel.ChatCompletion
        {
            internal interface IChatCompletionService : Microsoft.SemanticKernel.Services.IAIService {
                System.Threading.Tasks.Task<string> GetChatMessageContentsAsync(string prompt); }
            internal static class ChatCompletionServiceExtensions {
                public static async System.Threading.Tasks.Task<Contoso.Product> GetChatMessageContentAsync(
                    this IChatCompletionService service, string prompt) =>
                new Contoso.Product(await service.GetChatMessageContentsAsync(prompt)); }
        }
        namespace Azure.AI.OpenAI { internal class OpenAIClient {
            public virtual System.Threading.Tasks.Task<Contoso.Product> GetChatCompletionsAsync(string deployment) =>
            throw new System.NotImplementedException(); } }
        """;

    private const string Models = """
        internal static class Models
        {
            public static Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService Chat = null!;
            public static Azure.AI.OpenAI.OpenAIClient OpenAi = new();
        }
        """;

    /// <summary>A model's moderation endpoint named as a create, through an SDK's result type (a model call).</summary>
    private const string Moderations =
        "internal interface IModerations { Task<System.ClientModel.ClientResult<Product>> "
        + "CreateModerationAsync(Product input); }\ninternal static class Moderation { public static IModerations "
        + "Client = null!; }";

    /// <summary>An exception type of the program's own.</summary>
    private const string QuotaType = "internal class QuotaException : Exception { }";

    /// <summary>The program's own exception type, with a constructor that takes a message.</summary>
    private const string QuotaWithMessage =
        "internal class QuotaException : Exception { public QuotaException() { } public QuotaException(string "
        + "message) : base(message) { } }";

    /// <summary>
    /// A read in the route's handler whose catch takes <paramref name="caught"/> (its declaration and filter) and
    /// answers;
    /// <paramref name="type"/> declares the exception, <paramref name="more"/> is more code (one that creates it).
    /// </summary>
    private static string OverQuota(string caught, string more = "@T", string type = QuotaType) =>
        Route($"try {{ {Read} }} {Catch} ({caught}) {{ text = \"over quota\"; }}", type + "\n" + more);

    /// <summary>The same catch in a helper the route calls.</summary>
    private static string OverQuotaThroughCalls(string caught, string more = "@T", string type = QuotaType) =>
        Route(
            "text = await Helper.ReadAsync(request.Model!);",
            $"internal static class Helper {{ public static async Task<string> ReadAsync(string path) "
            + $"{{ var text = \"\"; try {{ text = await File.ReadAllTextAsync(path); }} {Handled} ({caught}) "
            + $"{{ text = \"over quota\"; }} return text; }} }}\n{type}\n{more}");

    /// <summary>
    /// A token estimate awaited in a try whose catch only goes on (an image's tokens counted before a chat request):
    /// <c>CountAsync</c> sizes the image in its own try, which catches everything and returns the exception as a value
    /// (a JSON parse probe, not reported itself), and otherwise only tests and computes. <paramref name="more"/> is
    /// more of it after its try, <paramref name="modifier"/> its modifier, <paramref name="handled"/> its handler,
    /// <paramref name="nullable"/>
    /// the nullable context it is declared in and <paramref name="low"/> what it returns for a low detail.
    /// </summary>
    private static string Counted(string more = "", string modifier = "",
        string handled = "return new Tuple<int, Exception?>(0, e);", string nullable = "enable",
        string low = "new Tuple<int, Exception?>(20, null)", string derived = "") =>
        Route("text = (await new ImageMeter().MeasureAsync(\"1\")).ToString();", $$"""
            internal abstract class Meter
            {
                public async Task<int> MeasureAsync(string json)
                {
                    var tokens = 0;
                    try { var counted = await CountAsync(json, "auto"); tokens += counted.Item1; }
                    {{Handled}} (Exception) { tokens = -1; }
                    return tokens;
                }

            #nullable {{nullable}}
                {{DesignedFallbacks.CountVouched}}protected {{modifier}} async Task<Tuple<int,
                    Exception?>> CountAsync(string json, string detail)
                {
                    int width = 0;
                    if (string.IsNullOrEmpty(detail) || detail == "auto") detail = "high";
                    switch (detail)
                    {
                        case "low":
                            return {{low}};
                        case "high":
                            try { width = System.Text.Json.JsonSerializer.Deserialize<int>(json); }
                            catch (Exception e) { {{handled}} }
                            {{more}}
                            var tiles = (int)Math.Ceiling((double)Math.Max(width, 1) / 512);
                            return new Tuple<int, Exception?>(tiles * 100 + 50, null);
                        default:
                            return new Tuple<int, Exception?>(0, new Exception("Invalid detail option"));
                    }
                }
            #nullable restore
            }

            internal sealed class ImageMeter : Meter { {{derived}} }
            """);

    /// <summary>
    /// A controller reached from the route whose catch-all (<see cref="Catch"/>) is around an awaited call through an
    /// interface (<c>IDownloads</c>), whose one implementation (<see cref="Downloads"/>, a file of its own) catches
    /// everything itself;
    /// <paramref name="answer"/> is the action's answer in the try, <paramref name="more"/> more types.
    /// </summary>
    private static string Dispatched(string answer = "Ok(result)", string more = "") =>
        Route("text = (await new DownloadsController(new Downloads()).Pause(request.Model!)).ToString();", $$"""
            #nullable enable
            internal interface IDownloads { Task<Result> PauseAsync(string id); }

            internal sealed class Result
            {
                public bool Success { get; set; }
                public string Message { get; set; } = string.Empty;
                public static Result Failure(string message) => new Result { Success = false, Message = message };
            }

            internal sealed class DownloadsController : Microsoft.AspNetCore.Mvc.ControllerBase
            {
                private readonly IDownloads _downloads;

                public DownloadsController(IDownloads downloads) { _downloads = downloads; }

                public async Task<Microsoft.AspNetCore.Mvc.IActionResult> Pause(string id)
                {
                    try { var result = await _downloads.PauseAsync(id); return {{answer}}; }
                    {{Catch}} (Exception) { return StatusCode(500); }
                }
            }
            {{more}}
            #nullable restore
            """);

    /// <summary>
    /// <c>IDownloads</c>' implementation: its catch-all logs and answers a failure result made with the message
    /// (TLLM2007's: it goes on without the failure), so nothing the pause does leaves it.
    /// </summary>
    private static readonly string[] Downloads =
    {
        """
        using System;
        using System.IO;
        using System.Threading.Tasks;

        namespace Contoso;

        #nullable enable
        internal sealed class Downloads : IDownloads
        {
            private readonly Microsoft.Extensions.Logging.ILogger _logger =
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

            public async Task<Result> PauseAsync(string id)
            {
                try { await File.WriteAllTextAsync(id + ".paused", ""); return new Result { Success = true }; }
                {|TLLM2007:catch|} (Exception ex) { Microsoft.Extensions.Logging.LoggerExtensions.LogError(_logger, ex,
                    "pause failed for {Id}", id); return Result.Failure($"Pause failed: {ex.Message}"); }
            }
        }
        #nullable restore
        """,
    };

    /// <summary>
    /// A scaffolded update (EF Core's types in <see cref="EfCore"/>: the reading is by the type's full name) whose
    /// catch (<paramref name="handled"/>) reads the store again (<paramref name="members"/> more of the controller).
    /// </summary>
    internal static string Scaffolded(string handled, string caught = "DbUpdateConcurrencyException",
        string members = "") =>
        Route("text = (await Conversations.PutAsync(request.Model!)).ToString();", $$"""
            internal static class Conversations
            {
                public static readonly Microsoft.EntityFrameworkCore.DbContext Db = new();

                public static async Task<IResult> PutAsync(string id)
                {
                    try
                    {
                        await Db.SaveChangesAsync();
                    }
                    {{Catch}} (Microsoft.EntityFrameworkCore.{{caught}})
                    {
                        {{handled}}
                    }

                    return Results.NoContent();
                }

                private static bool Exists(string id) => File.Exists(id + ".json");
                {{members}}
            }
            """);

    /// <summary>EF Core's save failures and its context, declared by their names in their own namespace.</summary>
    internal static readonly string[] EfCore =
    {
        """
        using System;
        using System.IO;
        using System.Threading;
        using System.Threading.Tasks;

        namespace Microsoft.EntityFrameworkCore
        {
            public class DbUpdateException : Exception { }
            public class DbUpdateConcurrencyException : DbUpdateException { }
            public class DbContext { public virtual Task<int> SaveChangesAsync(CancellationToken cancellationToken =
                default) => Task.FromResult(File.ReadAllLines("rows").Length); }
        }
        """,
    };

    internal static readonly IReadOnlyDictionary<string, MatrixCell> Cells = DesignedFallbacks.Declare(ByName(
        DecodeProbes.Cells,
        Pair(
            "EF's scaffolded concurrency catch: 404 when a fresh read finds the row gone, else rethrown; "
            + "and 404 without the read", Scaffolded("if (@H) { return Results.NotFound(); } else { throw; }"), "@H",
            "true", "!Exists(id)") with { Sources = EfCore },
        Pair(
            "a failed insert answered 400 when a re-query finds the name taken (a local set from the read), "
            + "else rethrown; and answered 500", Scaffolded(
            "var taken = await Names.AnyAsync(id);\nif (taken) { return Results.@H(); }\nthrow;", "DbUpdateException",
            "internal static class Names { public static Task<bool> AnyAsync(string id) "
            + "=> Task.FromResult(File.Exists(id)); }"), "@H", "InternalServerError",
            "BadRequest") with { Sources = EfCore },
        Pair(
            "EF's concurrency catch rethrowing when the row is there and answering 404 (if (Exists) throw;), "
            + "and answering 404 without rethrowing", Scaffolded("if (Exists(id)) { @H } return Results.NotFound();"),
            "@H", "", "throw;") with { Sources = EfCore },
        Pair("a source exception no code creates caught in the handler, and one created in another method",
            OverQuota("QuotaException"), "@T",
            "internal static class Limits { public static void Check(int used) { if (used > 10) "
            + "{ throw new QuotaException(); } } }", ""),
        Pair(
            "a source exception no code creates taken by a when filter of type tests in a helper, "
            + "and a type derived from it created", OverQuotaThroughCalls(
            "Exception e) when (e is QuotaException or RateException",
            type: QuotaType + "\ninternal sealed class RateException : Exception { }"), "@T",
            "internal sealed class DailyQuotaException : QuotaException { }\ninternal static class Limits { public "
            + "static Exception Daily() => new DailyQuotaException(); }", ""),
        Pair(
            "a source exception no code creates caught in a helper, and one created through a factory method "
            + "(target-typed new)", OverQuotaThroughCalls("QuotaException"), "@T",
            "internal static class Errors { public static QuotaException Quota() => new(); "
            + "}\ninternal static class Limits { public static void Check(int used) { if (used > 10) "
            + "{ throw Errors.Quota(); } } }", ""),
        Pair(
            "a source exception no code creates caught in the handler, and one made by a generic new() "
            + "factory and by Activator", OverQuota("QuotaException"), "@T",
            "internal static class Errors { public static T Make<T>() where T : Exception, new() => new T(); "
            + "public static Exception Quota() => Make<QuotaException>(); public static Exception Again() "
            + "=> Activator.CreateInstance<QuotaException>(); }", ""),
        Pair("a BCL exception no source code creates (TimeoutException) caught in the handler, and a source one",
            OverQuota("@T", more: ""), "@T", "TimeoutException", "QuotaException"),
        Pair(
            "a referenced library's exception no source code creates (UpstreamException) caught in the handler, "
            + "and a source one", OverQuota("@T", more: ""), "@T", "UpstreamException", "QuotaException"),
        Pair(
            "a source exception no code creates caught in the handler, and one created with a dynamic argument (an "
            + "error body read as dynamic)", OverQuota("QuotaException", type: QuotaWithMessage), "@T",
            "internal static class Limits { public static void Check(dynamic error) { if (error.used > 10) "
            + "{ throw new QuotaException(error.message); } } }",
            "internal static class Limits { public static void Check(dynamic error) { if (error.used > 10) "
            + "{ throw new InvalidOperationException(error.message); } } }"),
        Pair(
            "a source exception no code creates caught in a helper, and one made by a generic factory called with a "
            + "dynamic argument", OverQuotaThroughCalls("QuotaException", type: QuotaWithMessage), "@T",
            "internal static class Errors { public static Exception Make<T>(string message) where T : "
            + "Exception => (T)Activator.CreateInstance(typeof(T), message)!; public static Exception Quota(dynamic "
            + "error) => Make<QuotaException>(error.message); }",
            "internal static class Errors { public static Exception Make<T>(string message) where T : "
            + "Exception => (T)Activator.CreateInstance(typeof(T), message)!; public static Exception Timeout(dynamic "
            + "error) => Make<TimeoutException>(error.message); }"),
        Pair(
            "a public source exception no code creates in a library (its consumers may), "
            + "and in an application (a static Main)", OverQuota("QuotaException",
            type: "public class QuotaException : Exception { }"), "@T", "",
            "internal static class Program { public static void Main() { } }"),
        Pair(
            "a source exception no code creates taken by a when filter that also tests its message, "
            + "and by type tests only", OverQuota("@T", more: ""), "@T",
            "Exception e) when (e is QuotaException || e.Message.Length > 0", "Exception e) when (e is QuotaException"),
        Pair(
            "Exception taken by a when filter only as ArgumentOutOfRangeException (argument validation) "
            + "around an awaited store write, and every Exception", Saved("@H"), "@H", "Exception",
            "Exception ex) when (ex is ArgumentOutOfRangeException"),
        Pair(
            "a when filter of an argument type or a not-found type around an awaited store write, "
            + "and of an argument type or HttpRequestException", Requests(Saved("@H")), "@H",
            "Exception ex) when (ex is ArgumentOutOfRangeException || ex is HttpRequestException",
            "Exception ex) when (ex is ArgumentOutOfRangeException || ex is KeyNotFoundException"),
        Pair(
            "a when filter testing for argument types (is T1 or T2) around an awaited store write, "
            + "and one testing the message too", Saved("@H"), "@H",
            "Exception ex) when (ex is ArgumentException && ex.Message.Contains(\"id\")",
            "Exception ex) when (ex is ArgumentNullException or ArgumentOutOfRangeException"),
        Pair(
            "ArgumentOutOfRangeException caught around an awaited store write, the handler writing a 500 by hand, "
            + "and returning false", Requests(Saved("ArgumentOutOfRangeException", "@H")), "@H",
            "Http.Context.Response.StatusCode = 500; return false;", "return false;"),
        Pair(
            "a type derived from InvalidOperationException caught around an awaited store write, and ArgumentException",
            Saved("@H", "return false;"), "@H", "EntityIdException", "ArgumentException"),
        Pair(
            "ArgumentException caught around an upstream call and a store write, and around the store write only, "
            + "the handler logging", Requests(Saved("ArgumentException", Logged + " return false;", "@H")), "@H",
            "{|TLLM2006:Models.Upstream.Send(new HttpRequestMessage(HttpMethod.Post, "
            + "\"http://127.0.0.1/v1/chat/completions\") { Content = new StringContent(\"{}\") })|};", ""),
        Pair("ArgumentException of an id validated in memory answered with a 400 by hand, and with null after a log",
            Checked("@H"), "@H", "return Results.BadRequest(e.Message);",
            "Microsoft.Extensions.Logging.LoggerExtensions.LogInformation("
            + "Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, e, \"invalid id\"); return null;"),
        Pair(
            "ArgumentNullException caught in memory (a null check written as a catch) setting a local to null, "
            + "and SystemException", Captions("@H"), "@H", "SystemException", "ArgumentNullException"),
        Pair(
            "ArgumentException of a header a WebSocket's options refuse, the handler writing a 400 by hand, "
            + "and doing nothing", Headers("@H"), "@H", "context.Response.StatusCode = 400; break;", ""),
        Pair(
            "HttpRequestException whose Data marks a refused HTTP version (a protocol fallback) resent at HTTP/1.1, "
            + "any other rethrown",
            Requests(
                Realtime(
                $"if (e.Data.Contains(\"SETTINGS_ENABLE_CONNECT_PROTOCOL\")) {{ text = \"no extended CONNECT\"; "
            + $"}} else if (e.Data.Contains(\"HTTP2_ENABLED\")) {{ text = \"no HTTP/2\"; }} else {{ @H }} {Resend}")),
            "@H", "", "throw;"),
        Pair("HttpRequestException resent at HTTP/1.1 when its Data marks a refused HTTP version, and when it is a 429",
            Requests(Realtime(Resend, " when (@H)")), "@H", "e.StatusCode == System.Net.HttpStatusCode.TooManyRequests",
            "e.Data.Contains(\"HTTP2_ENABLED\")"),
        Pair("HttpRequestException whose Data marks a refused HTTP version, answered without a resend",
            Requests(Realtime("if (e.Data[\"HTTP2_ENABLED\"] is false) { @H } else { throw; }")), "@H",
            "text = \"HTTP/2 refused\";", Resend),
        new("Exception caught around a client's cookie decrypted in memory (an unprotect probe), an await in the try",
            Unprotect(@try: "await Task.Yield();").Replace("public static (string? Key, bool Ok) Read",
                "public static async Task<(string? Key, bool Ok)> Read").Replace("text = Affinity.Read(",
                "text = (await Affinity.Read(").Replace(").Key ?? ", ")).Key ?? "), Unprotect()),
        new("Exception caught around a client's cookie decrypted in memory, an upstream call in the try",
            Requests(
                Unprotect(
                @try: "{|TLLM2006:Models.Upstream.Send(new HttpRequestMessage(HttpMethod.Post, "
            + "\"http://127.0.0.1/v1/chat/completions\") { Content = new StringContent(\"{}\") })|};")), Unprotect()),
        new("Exception caught around a client's cookie decrypted in memory, a file read in the try",
            Unprotect(@try: "File.ReadAllText(\"keys.xml\");"), Unprotect()),
        new("Exception caught around a client's cookie decrypted in memory, the handler writing an error response",
            Requests(Unprotect(handled: "context.Response.StatusCode = 400;")), Unprotect()),
        new("Exception caught around a client's cookie decrypted in memory, the log helper writing an error response",
            Requests(Unprotect(logged: "context.Response.StatusCode = 400;")), Unprotect()),
        new("KeyNotFoundException caught around an in-memory lookup (a lookup probe), an await in the try",
            Lookup(@try: "await Task.Yield();").Replace("public static string Alias",
                "public static async Task<string> Alias").Replace("text = Lookup.Alias", "text = await Lookup.Alias"),
            Lookup()),
        new("KeyNotFoundException caught around an in-memory lookup, an upstream call in the try",
            Requests(
                Lookup(
                @try: "{|TLLM2006:Models.Upstream.Send(new HttpRequestMessage(HttpMethod.Post, "
            + "\"http://127.0.0.1/v1/chat/completions\") { Content = new StringContent(\"{}\") })|};")), Lookup()),
        new("KeyNotFoundException caught around an in-memory lookup, the handler writing an error response",
            Requests(Lookup(handled: "context.Response.StatusCode = 404;")), Lookup()),
        new("Exception caught around an in-memory lookup", Lookup(caught: "Exception"), Lookup()),
        Pair(
            "a not-found failure of an awaited read (FileNotFoundException) answered with null, "
            + "and an IOException answered the same", Missing(caught: "@H"), "@H", "IOException",
            "FileNotFoundException"),
        Pair(
            "a library's own not-found exception (named ...NotFoundException) answered with null, "
            + "and one named for another condition", Missing(caught: "@H"), "@H", "IndexOfflineException",
            "IndexNotFoundException"),
        Pair("a loader's not-found (DllNotFoundException) answered with null, and a directory's", Missing(caught: "@H"),
            "@H", "DllNotFoundException", "DirectoryNotFoundException"),
        Pair(
            "a catch whose filter calls a test that says not-found answered with null, "
            + "and one whose test says transient", Missing(caught: "StoreException e) when (Probe.@H(e)"), "@H",
            "IsTransient", "IsTableNotFound"),
        Pair(
            "a catch whose filter calls a test that joins not-found with another condition "
            + "(IsTableNotFoundOrTransient) answered with null, and a not-found test",
            Missing(caught: "StoreException e) when (Probe.@H(e)"), "@H", "IsTableNotFoundOrTransient",
            "IsTableNotFound"),
        Pair("a not-found answered with a made-up value, and with default", Missing(handled: "return @H;"), "@H",
            "\"none\"", "default"),
        Pair("a not-found answered with a hand-written 404, and with null alone",
            Requests(Missing(handled: "@H return null;")), "@H", "Http.Context.Response.StatusCode = 404;", Logged),
        Pair("a not-found answered by a made-up value in the try's local, and by null there, the method going on",
            Missing(handled: "text = @H;", after: "return text?.Trim();"), "@H", "\"none\"", "null"),
        new("a not-found answered with null around an upstream call in the try",
            Requests(
                Missing(
                @try: "{|TLLM2006:Models.Upstream.Send(new HttpRequestMessage(HttpMethod.Post, "
            + "\"http://127.0.0.1/v1/chat/completions\") { Content = new StringContent(\"{}\") })|};")), Missing()),
        Pair("a missing list answered with a made-up list, and with an empty one", Records("return @H;"), "@H",
            "new List<string> { \"none\" }", "[]"),
        Pair("a missing list answered with a made-up array, and with Array.Empty", Records("return @H;"), "@H",
            "new[] { \"none\" }", "Array.Empty<string>()"),
        Pair("a missing directory in an async iterator answered with made-up records, and with yield break",
            Streamed("@H"), "@H", "lines = new[] { \"none\" };", "yield break;"),
        Pair("a not-found of a deletion logged, then more work, and then the end of the method (a finally around it)",
            Deleted("@H"), "@H", "await File.WriteAllTextAsync(path + \".deleted\", \"\");", ""),
        Pair(
            "a not-found of a write answered by creating the folder and not writing, "
            + "and by writing again (create on first use)", FirstUse("@H"), "@H", "",
            "await File.WriteAllTextAsync(Path.Combine(folder, \"record.txt\"), text);"),
        Pair(
            "a not-found of a write answered by creating the folder and writing elsewhere, "
            + "and by writing the same again",
            FirstUse("await File.WriteAllTextAsync(Path.Combine(folder, @H), text);"), "@H", "\"fallback.txt\"",
            "\"record.txt\""),
        Pair(
            "a not-found of two writes answered by creating the folder and repeating the last only, "
            + "and of one write repeated",
            FirstUse("await File.WriteAllTextAsync(Path.Combine(folder, \"record.txt\"), text);", "@H"), "@H",
            "await File.WriteAllTextAsync(Path.Combine(folder, \"index.txt\"), text);", ""),
        Pair("a not-found of a deletion logged in a Task method, then another task returned, and Task.CompletedTask",
            Deleted("return @H;", async: false), "@H", "File.WriteAllTextAsync(path + \".deleted\", \"\")",
            "Task.CompletedTask"),
        Pair(
            "a try that only writes a log line through ILogger.Log (an interpolated message, a formatter), "
            + "and a file write beside it", Journal(LogLine + " @H"), "@H", "File.AppendAllText(model, \"\");", ""),
        Pair(
            "a try that only writes log lines (LogWarning, a LoggerMessage.Define delegate, a [LoggerMessage] method), "
            + "and an argument computed by a call", Journal(
            "Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(Logger, \"model {Model}\", @H); _written(Logger, "
            + "model, failure); Seen(Logger, model);"), "@H", "File.ReadAllText(model)", "model"),
        Pair("a try that only writes a log line, the handler setting state, and logging", Journal(LogLine, "@H"), "@H",
            "State = \"lost\";",
            "Microsoft.Extensions.Logging.LoggerExtensions.LogDebug(Logger, \"a log line was lost\");"),
        Pair("a try that only writes a log line, the handler answering, and doing nothing", Journal(LogLine, "@H"),
            "@H", "return \"lost\";", ""),
        Pair("a try that only writes a log line whose formatter of source reads a file, and one that returns the state",
            Journal("Logger.Log(Microsoft.Extensions.Logging.LogLevel.Information, default, model, failure, @H);"),
            "@H", "Read", "Format"),
        Pair("a try that only writes a log line given a deferred query the logger enumerates, and a list",
            Journal("Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(Logger, \"lines {Lines}\", @H);"),
            "@H", "Lines", "LineList"),
        Pair("the caught exception kept in a local and thrown after a check, and kept and never thrown",
            Kept("failure = e;", "@H"), "@H", "", "throw failure!;"),
        new("the caught exception captured (ExceptionDispatchInfo) and thrown after a check, and kept and only logged",
            Kept("failure = e;",
                "Microsoft.Extensions.Logging.LoggerExtensions.LogWarning("
            + "Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, failure, \"not written\");"),
            Kept(
                "captured = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);",
                "captured?.Throw();")),
        new(
            "the caught exception added to a local list thrown as an AggregateException after a check, "
            + "and kept in a field", Kept("Last = e;", ""), Kept("failures.Add(e);",
            "throw new AggregateException(failures);")),
        Pair("the caught exception kept and thrown only after a return (dead code), and thrown",
            Kept("failure = e;", "@H"), "@H", "return;\nthrow failure!;", "throw failure!;"),
        Pair("the caught exception kept, the local set to null, then thrown when not null, and thrown when not null",
            Kept("failure = e;", "@H"), "@H", "failure = null;\nif (failure is not null) { throw failure; }",
            "if (failure is not null) { throw failure; }"),
        Pair("the caught exception kept and thrown only in a later catch of another try, and thrown",
            Kept("failure = e;", "@H"), "@H",
            "try { File.Delete(path); } catch (UnauthorizedAccessException) { throw failure!; }", "throw failure!;"),
        Pair("the caught exception kept and wrapped only when the local is null, and when it is not",
            Kept("failure = e;", "@H"), "@H",
            "if (failure is null) { throw new InvalidOperationException(\"none\", failure); }",
            "if (failure is not null) { throw new InvalidOperationException(\"kept\", failure); }"),
        Pair("the caught exception kept and thrown under a condition the rule does not read (a setting), and thrown",
            Kept("failure = e;", "@H"), "@H", "if (path.Length > 1000) { throw failure!; }", "throw failure!;",
            Held.MissedKnownLimit),
        Pair(
            "a not-found around a list filled in the try, left at the empty list given just before and streamed after, "
            + "and at a list given an element", Listed("var result = @H;"), "@H", "new List<string> { \"none\" }",
            "new List<string>()"),
        Pair("a list filled in the try left empty by a not-found, and by a transient failure",
            Listed("var result = new List<string>();", "StoreException e) when (Probe.@H(e)"), "@H", "IsTransient",
            "IsTableNotFound"),
        Pair(
            "a create answered 409 (Conflict) logged and the item given returned, every other status rethrown, "
            + "and a 404 on the create", Inserted(TakenAsAdded("@S")), "@S", "NotFound", "Conflict"),
        Pair("a read answered 404 (NotFound) with null, every other status rethrown, and with a made-up item",
            Fetched("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return @H; } throw;"), "@H",
            "new Product(\"none\")", "null"),
        Pair(
            "a read's 404 answered with null in a when filter, and a replace's (an update that found nothing to "
            + "update)", Fetched("return null;", "Documents.@W(id)").Replace("(DocumentException ex)",
            "(DocumentException ex) when (ex.Status == 404)"), "@W", "ReplaceItemAsync", "GetItemAsync"),
        new("a read's 404 answered with null through a typed client of source whose body posts to a model (a model "
            + "call: its 404 a missing model), and a store's read",
            Requests(Fetched("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return null; } throw;",
                "Completions.GetCompletionAsync(id)", CompletionClient(
                    "{|TLLM2006:Http.PostAsync(\"http://127.0.0.1:11434/api/generate\", "
                + "new StringContent(prompt))|}"))),
            Fetched("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return null; } throw;")),
        new("a read's 404 answered with null on a Semantic Kernel chat service's extension (a model call TLLM2006 does "
            + "not follow: its 404 a deployment not there), and a store's read",
            Requests(Fetched("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return null; } throw;",
                "Microsoft.SemanticKernel.ChatCompletion.ChatCompletionServiceExtensions"
                + ".GetChatMessageContentAsync(Models.Chat, id)", Models)),
            Fetched("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return null; } throw;",
                members: Models)) { Sources = new[] { ModelSdks } },
        new("a read's 404 answered with null on Azure.AI.OpenAI 1.x's client (a model call), and a store's read",
            Requests(Fetched("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return null; } throw;",
                "Models.OpenAi.GetChatCompletionsAsync(id)", Models)),
            Fetched("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return null; } throw;",
                members: Models)) { Sources = new[] { ModelSdks } },
        // A conditional rethrow that keeps a 500 as a success is a shape a team must hear: TLLM2004's wherever it is.
        new("a read answered null for a 404, and for a 500",
            Requests(Fetched(Logged + " if (ex.StatusCode != System.Net.HttpStatusCode.InternalServerError) { throw; }"
                + " return null;")),
            Fetched(Logged + " if (ex.StatusCode != System.Net.HttpStatusCode.NotFound) { throw; } return null;")),
        Pair("a delete answered 404 (NotFound) logged, every other status rethrown, and a 409 on the delete",
            Removed("if (ex.StatusCode == System.Net.HttpStatusCode.@S) { " + Logged + " } else throw;"), "@S",
            "Conflict", "NotFound"),
        Pair("a create's int status tested in a when filter, 409 logged, and 429",
            Inserted(Logged + " return product;", "DocumentException ex) when (ex.Status == @S"), "@S", "429", "409"),
        Pair(
            "a delete's 404 logged, other statuses rethrown by a pattern (is not NotFound), "
            + "and a test that is not exactly the status", Removed("if (@S) { throw; } " + Logged), "@S",
            "ex.StatusCode is not System.Net.HttpStatusCode.NotFound && ex.Message.Length > 0",
            "ex.StatusCode is not System.Net.HttpStatusCode.NotFound"),
        Pair("a 409 on a create answered with a made-up item, and with the item given",
            Inserted("if (ex.StatusCode != System.Net.HttpStatusCode.Conflict) { throw; } return @H;"), "@H",
            "new Product(\"none\")", "product"),
        Pair("a 404 on a delete logged, then more work after the catch, and the end of the method",
            Removed("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { " + Logged + " } else { throw; }",
                "@H"), "@H", "await File.WriteAllTextAsync(id + \".deleted\", \"\");", ""),
        Pair("a 404 on a delete logged and every other status logged too, and rethrown",
            Removed("if (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { " + Logged + " } else { @H }"), "@H",
            Logged, "throw;"),
        Pair("an upsert answered 409 logged (no create), and a create", Inserted(write: "Documents.@W(product)"), "@W",
            "UpsertItemAsync", "CreateItemAsync"),
        new("a 409 read on a model call named as a create (an SDK's result), and on a store's create",
            Requests(Inserted(write: "{|TLLM2006:Moderation.Client.CreateModerationAsync(product)|}",
                members: Moderations)), Inserted()) { Libraries = new[] {
                typeof(System.ClientModel.ClientResult).Assembly } },
        Pair(
            "a catch-all around an awaited call of a method that catches everything in its own try and otherwise only "
            + "tests and computes, and that method's handler rethrowing", Counted(handled: "@H"), "@H", "throw;",
            "return new Tuple<int, Exception?>(0, e);"),
        Pair(
            "a catch-all around a call of a method that catches everything, a statement outside its try calling "
            + "another method, and none", Counted("@H"), "@H", "detail = detail.Trim();", ""),
        new("a catch-all around a call of a method that catches everything, "
            + "the method virtual with an override that throws, and virtual with none (every implementation known)",
            Counted(modifier: "virtual", derived: "protected override Task<Tuple<int, "
                + "Exception?>> CountAsync(string json, string detail) "
                + "=> throw new InvalidOperationException(detail);"),
            Counted(modifier: "virtual")),
        Pair(
            "a catch-all around an awaited interface call whose one implementation catches everything itself, "
            + "a second implementation that throws, and none", Dispatched(more: "@H"), "@H",
            "internal sealed class Mirror : IDownloads { public async Task<Result> PauseAsync(string id) "
            + "{ await Task.Yield(); throw new NotSupportedException(id); } } "
            + "internal static class Registered { public static readonly IDownloads Other = new Mirror(); }", "")
            with { Sources = Downloads },
        Pair(
            "a catch-all around an awaited interface call whose one implementation catches everything itself, "
            + "the action answering Problem() (it reads services), and Ok(result)", Dispatched(answer: "@H"), "@H",
            "Problem()", "Ok(result)") with { Sources = Downloads },
        Pair(
            "a catch-all around an awaited interface call whose one implementation catches everything itself, "
            + "the action answering an anonymous object made with a call on a value it says may be null, and with a "
            + "constant", Dispatched(answer: "BadRequest(new { error = @H })"), "@H", "result.Message!.Trim()",
            "\"not paused\"") with { Sources = Downloads },
        Pair(
            "a catch-all around a call of a method that catches everything, Math.Abs of an int outside its try (throws "
            + "for MinValue), and Math.Max", Counted("@H"), "@H", "width = Math.Abs(width);",
            "width = Math.Max(width, 0);"),
        Pair(
            "a catch-all around a call of a method that catches everything, an integer division outside its try, "
            + "and a floating one", Counted("@H"), "@H", "width = 512 / width;", "width = (int)(512.0 / width);"),
        Pair(
            "a catch-all around a call of a method that catches everything, a multiplication in a checked context "
            + "outside its try, and unchecked", Counted("@H"), "@H", "width = checked(width * 2);",
            "width = unchecked(width * 2);"),
        Pair(
            "a catch-all around a call of a method that catches everything, a decimal product cast to int outside its "
            + "try (throws on overflow in any context), and a double one", Counted("@H"), "@H",
            "width = (int)(width * 1.5m);", "width = (int)(width * 1.5);"),
        new(
            "a catch-all around a call of a method that catches everything, declared nullable-oblivious and returning "
            + "null (its result's Item1 read), and declared with nullable annotations",
            Counted(nullable: "disable", low: "null"), Counted()),
        Pair(
            "a catch-all around arithmetic and tests of locals only (nothing can throw), "
            + "and around an integer division",
            Route(
                $"var tokens = 3; var rate = 2.5; try {{ @H }} {Catch} (Exception) {{ tokens = -1; "
            + $"}} text = tokens.ToString();"), "@H", "tokens = tokens / (tokens - 3);",
            "tokens = (int)(tokens * rate) + (tokens > 2 && rate < 3.0 ? 1 : 0);"),
        Answered("catch in the handler", Route($"try {{ {Read} }} {Catch} (IOException) {{ @H }}")),
        Answered("catch with a when filter", Route($"try {{ {Read} }} {Catch} (IOException e) when (e.HResult != 0) "
            + $"{{ @H }}")),
        Answered("try, catch and finally", Route($"try {{ {Read} }} {Catch} (IOException) "
            + $"{{ @H }} finally {{ text += \".\"; }}")),
        Answered("catch-all with a switch statement on the exception", Route($"try {{ {Read} }} {Catch} (Exception e) "
            + $"{{ switch (e) {{ case IOException: @H break; default: throw; }} }}")),
        Answered("catch that rethrows one pattern and not the rest", Route($"try {{ {Read} }} {Catch} (Exception e) "
            + $"{{ if (e is OperationCanceledException or {{ InnerException: OperationCanceledException }}) {{ throw; "
            + $"}} @H }}")),
        Answered("nested try in a catch", Route($"try {{ {Read} }} {Catch} (IOException) "
            + $"{{ try {{ @H }} finally {{ text += \".\"; }} }}")),
        Answered("catch of a cancellation inside a catch", Route($"try {{ {Read} }} {Catch} (IOException) "
            + $"{{ try {{ await File.WriteAllTextAsync(request.Model + \".failed\", \"\"); "
            + $"}} catch (OperationCanceledException) {{ }} @H }}")),
        Pair("catch of a second failure inside a catch (a fallback's, dropped)", Route($"try {{ {Read} }} catch "
            + $"(IOException) {{ try {{ text = await File.ReadAllTextAsync(request.Model + \".fallback\"); }} {Catch} "
            + $"(IOException) {{ @H }} throw; }}"), "@H", "", "throw;"),
        Pair(
            "ObjectDisposedException caught around a timer's and a token source's own calls, "
            + "and around a write beside them", Route($"try {{ @H }} {Catch} (ObjectDisposedException) {{ }}", Ticker),
            "@H",
            "Ticker.Timer.Change(TimeSpan.FromSeconds(1), System.Threading.Timeout.InfiniteTimeSpan); "
            + "Ticker.Log.Write(new byte[] { 1 });",
            "Ticker.Timer.Change(TimeSpan.FromSeconds(1), System.Threading.Timeout.InfiniteTimeSpan); "
            + "Ticker.Source.Cancel();"),
        Pair("ObjectDisposedException caught around a timer's call, the handler doing more than log", Route($"try {{ "
            + $"Ticker.Timer.Change(TimeSpan.FromSeconds(1), System.Threading.Timeout.InfiniteTimeSpan); }} {Catch} "
            + $"(ObjectDisposedException) {{ @H }}", Ticker), "@H", "text = \"none\";", ""),
        Pair("catch inside a finally", Route($"try {{ {Read} }} finally {{ try {{ await "
            + $"File.WriteAllTextAsync(request.Model + \".read\", \"\"); }} {Catch} (IOException) {{ @H }} }}"), "@H",
                "", "throw;"),
        Answered("catch of a cancellation in a helper called only from catch clauses", Route($"try {{ {Read} }} {Catch}"
            + $" (IOException) {{ await Helper.MarkAsync(request.Model!); @H }}",
                CleanUp("catch", caught: "OperationCanceledException"))),
        Pair("catch of a second failure in a helper called only from catch clauses", Route($"try {{ {Read} }} catch "
            + $"(IOException) {{ await Helper.MarkAsync(request.Model!); throw; }}", CleanUp(Handled, "@H")), "@H", "",
                "throw;"),
        Pair("catch in a helper called from a catch clause and from a try", Route($"try {{ await "
            + $"Helper.MarkAsync(request.Model!); {Read} }} catch (IOException) {{ await "
            + $"Helper.MarkAsync(request.Model!); throw; }}", CleanUp(Handled, "@H")), "@H", "", "throw;"),
        Answered("catch in a lambda", Route($"Func<Task<string>> read = async () => {{ try {{ return await "
            + $"File.ReadAllTextAsync(request.Model!); }} {Catch} (IOException) {{ @H return text; "
            + $"}} }};\ntext = await read();")),
        Answered("catch in a local function", Route($"async Task<string> ReadAsync() {{ try {{ return await "
            + $"File.ReadAllTextAsync(request.Model!); }} {Catch} (IOException) {{ @H return text; "
            + $"}} }}\ntext = await ReadAsync();")),
        Handed("catch in an async helper", Route("text = await Helper.ReadAsync(request.Model!);", $"internal static "
            + $"class Helper {{ public static async Task<string> ReadAsync(string path) {{ var text = \"\"; "
            + $"try {{ text = await File.ReadAllTextAsync(path); }} {Handled} (IOException) {{ @H }} return text; "
            + $"}} }}")),
        Handed("catch in a generic helper with a constraint",
            Route("text = await Helper.ReadAsync<StreamReader>(request.Model!);",
                $"internal static class Helper {{ public static async Task<string> ReadAsync<T>(string path) where T : "
            + $"TextReader {{ var text = \"\"; try {{ text = await File.ReadAllTextAsync(path); "
            + $"}} {Handled} (IOException) {{ @H }} return text; }} }}")),
        Handed("catch in a record's method", Route("text = await new Reader(request.Model!).ReadAsync();", $"internal "
            + $"sealed record Reader(string Path) {{ public async Task<string> ReadAsync() {{ var text = \"\"; "
            + $"try {{ text = await File.ReadAllTextAsync(Path); }} {Handled} (IOException) {{ @H }} return text; "
            + $"}} }}")),
        Handed("catch in an iterator", Route("text = string.Concat(Helper.Lines(request.Model!));", $"internal static "
            + $"class Helper {{ public static IEnumerable<string> Lines(string path) {{ var text = \"\"; "
            + $"try {{ text = File.ReadAllText(path); }} {Handled} (IOException) {{ @H }} yield return text; }} }}")),
        Handed("catch in an async iterator read with await foreach",
            Route("await foreach (var line in Helper.LinesAsync(request.Model!)) { text += line; }",
                $"internal static class Helper {{ public static async IAsyncEnumerable<string> LinesAsync(string path) "
            + $"{{ var text = \"\"; try {{ text = await File.ReadAllTextAsync(path); }} {Handled} (IOException) "
            + $"{{ @H }} yield return text; }} }}")),
        Handed("catch in a method group",
            Route("Func<string, Task<string>> read = Helper.ReadAsync;\ntext = await read(request.Model!);",
                $"internal static class Helper {{ public static async Task<string> ReadAsync(string path) "
            + $"{{ var text = \"\"; try {{ text = await File.ReadAllTextAsync(path); }} {Handled} (IOException) "
            + $"{{ @H }} return text; }} }}")),
        Handed("catch in a delegate stored in a field", Route("text = await Helper.Read(request.Model!);", $"internal "
            + $"static class Helper {{ public static readonly Func<string, "
            + $"Task<string>> Read = async path => {{ var text = \"\"; "
            + $"try {{ text = await File.ReadAllTextAsync(path); }} {Handled} (IOException) {{ @H }} return text; }}; "
            + $"}}")),
        // The handler answers the request by hand (a 500): TLLM2004's wherever it is; a fallback there would be
        // TLLM2007's.
        Pair("catch in an event handler", Route($"var bus = new Bus();\nbus.Seen += (_, _) => {{ try {{ text = "
            + $"File.ReadAllText(request.Model!); }} {Catch} (IOException) {{ @H }} }};\nbus.Raise();",
                "internal sealed class Bus { public event EventHandler? Seen; public void Raise() "
                + "=> Seen?.Invoke(this, EventArgs.Empty); }\ninternal static class Http { public static readonly "
                + "HttpContext Context = new DefaultHttpContext(); }"), "@H", "Http.Context.Response.StatusCode = 500;",
                "throw;"),
        Callbacks.Event("catch in a handler of a library's event, a lambda",
            Route(Callbacks.Lambda(Dropped), Callbacks.Types)),
        Callbacks.Event("catch in a handler of a library's event, a method group",
            Callbacks.MethodGroup(Route, "var text = \"\"; try { text = File.ReadAllText(\"queue\"); } " + Handled
                + " (IOException) { text = \"none\"; } GC.KeepAlive(text);")),
        Callbacks.Timer("catch in a System.Threading.Timer callback",
            Route(Callbacks.Callback(Dropped), Callbacks.Types)),
        Answered("catch around a using declaration and await using", Route($"try {{ using var reader = new "
            + $"StreamReader(request.Model!); await using var stream = File.OpenRead(request.Model!); "
            + $"text = await reader.ReadToEndAsync(); }} {Catch} (IOException) {{ @H }}")),
        Answered("catch around Task.WhenAll", Route($"try {{ var texts = await "
            + $"Task.WhenAll(File.ReadAllTextAsync(request.Model!), File.ReadAllTextAsync(request.Model + \".2\")); "
            + $"text = texts[0]; }} {Catch} (IOException) {{ @H }}")),
        Answered("catch inside Parallel.ForEachAsync", Route($"await Parallel.ForEachAsync(new[] {{ \"a\", \"b\" }}, "
            + $"async (path, ct) => {{ try {{ text = await File.ReadAllTextAsync(path, ct); }} {Catch} (IOException) "
            + $"{{ @H }} }});")),
        Answered("catch in a Channel consumer", Route(
            $"var channel = Channel.CreateUnbounded<string>();\nchannel.Writer.TryWrite(request.Model!);\n"
            + $"channel.Writer.Complete();\nawait foreach (var path in channel.Reader.ReadAllAsync()) {{ "
            + $"try {{ text = await File.ReadAllTextAsync(path); }} {Catch} (IOException) {{ @H }} }}")),
        Answered("catch in a LINQ selector", Route($"text = string.Concat(new[] {{ request.Model! }}.Select(path => {{ "
            + $"try {{ return File.ReadAllText(path); }} {Catch} (IOException) {{ @H return \"\"; }} }}));")),
        Pair("failure kept in a local the next line throws on", Route($"Exception? failure = null;\ntry {{ {Read} }} "
            + $"{Catch} (IOException e) {{ failure = e; }}\n@H"), "@H", "",
                "if (failure is not null) { throw new UpstreamException(502, \"the upstream did not answer\"); }"),
        Pair("a 502 answer the next line fails the attempt with", Route($$"""
            text = await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None,
                async (attempt, ct) =>
            {
                IResult answer;
                try { answer = Results.Text(await File.ReadAllTextAsync(request.Model!, ct)); }
                {{Catch}} (IOException) { answer = Results.StatusCode(502); }
                @H
                return answer.ToString()!;
            });
            """), "@H", "", "if (answer is IStatusCodeHttpResult { StatusCode: 502 }) "
                + "{ throw new UpstreamException(502, \"the upstream did not answer\"); }"),
        Pair("a tuple result every caller fails on",
            Route("var (ok, read) = await Helper.TryReadAsync(request.Model!);\n@H\ntext = read;",
                $"internal static class Helper {{ public static async Task<(bool Ok, "
            + $"string Text)> TryReadAsync(string path) {{ try {{ return (true, await File.ReadAllTextAsync(path)); "
            + $"}} {Handled} (IOException) {{ return (false, \"\"); }} }} }}"), "@H", "",
            "if (!ok) { throw new UpstreamException(502, \"unreadable\"); }"),
        Pair("a generic helper returning default(T) from a catch, its callers failing on it",
            Route(
                "var read = await Helper.OrDefaultAsync(() => File.ReadAllTextAsync(request.Model!));\n@H\ntext = "
            + "read!;",
            $"internal static class Helper {{ public static async Task<T?> OrDefaultAsync<T>(Func<Task<T>> read) "
            + $"where T : class {{ try {{ return await read(); }} {Handled} (IOException) {{ return default; }} }} }}"),
            "@H", "", "if (read is null) { throw new UpstreamException(502, \"unreadable\"); }"),
        Pair("a null test joined by && with an else that fails, and one with no else", OrDefault, "@H",
            "if (read != null && read.Length > 0) { text = read; }",
            $"if (read != null && read.Length > 0) {{ text = read; }} else {{ {Unreadable} }}"),
        Pair("a null test joined by || that fails, and one joined by && (a null result may go on)", OrDefault, "@H",
            $"if (read == null && text.Length > 0) {{ {Unreadable} }}",
            $"if (read == null || read.Length == 0) {{ {Unreadable} }}"),
        Pair("a null-conditional access compared with a constant, whose else fails, and one whose null goes on",
            OrDefault, "@H", $"if (read?.Length == 0) {{ {Unreadable} }}",
            $"if (read?.Length > 0) {{ text = read; }} else {{ {Unreadable} }}"),
        Pair(
            "string.IsNullOrEmpty and a negated property pattern that fail, and a property pattern that only a value "
            + "matches", OrDefault, "@H", $"if (read is {{ Length: > 0 }}) {{ {Unreadable} }}",
            $"if (string.IsNullOrEmpty(read) || read is not {{ Length: > 1 }}) {{ {Unreadable} }}"),
        Pair(
            "a Try-method implementing an interface explicitly, every call through the interface failing on its null, "
            + "and one going on",
            ThroughInterface(
                $"internal sealed class FileReader : IReader {{ async Task<string?> IReader.ReadAsync(string path) "
            + $"{{ try {{ return await File.ReadAllTextAsync(path); }} {Handled} (IOException) {{ return null; "
            + $"}} }} }}"), "@H", "", $"if (read is null) {{ {Unreadable} }}"),
        Pair(
            "a Try-method a base class gives a derived class's interface, every call through the interface failing on "
            + "its null, and one going on", ThroughInterface(
            $"internal class BaseReader {{ public async Task<string?> ReadAsync(string path) "
            + $"{{ try {{ return await File.ReadAllTextAsync(path); }} {Handled} (IOException) {{ return null; "
            + $"}} }} }}\ninternal sealed class FileReader : BaseReader, IReader {{ }}"), "@H", "",
            $"if (read is null) {{ {Unreadable} }}"),
        new MatrixCell("catch in the Dispose a using runs (disposal must not throw), "
            + "against the same catch in a Close the route calls",
            Route("using (var batch = new Batch(request.Model!)) { batch.Close(); }", $"internal sealed class "
                + $"Batch(string path) : IDisposable {{ public void Close() {{ try {{ File.Delete(path); "
                + $"}} {Handled} (IOException) {{ }} }} public void Dispose() {{ }} }}"),
            Route("using (new Batch(request.Model!)) { }", "internal sealed class Batch(string path) : "
                + "IDisposable { public void Dispose() { try { File.Delete(path); } catch (IOException) { } } }")),
        new MatrixCell("catch in DisposeAsync and Dispose(bool), against the same catch in a FlushAsync the route "
            + "awaits",
            Route("await using (var batch = new Batch(request.Model!)) { await batch.FlushAsync(); }", $"internal "
                + $"class Batch(string path) : IAsyncDisposable {{ public async Task FlushAsync() "
                + $"{{ try {{ await File.WriteAllTextAsync(path, \"\"); }} {Handled} (IOException) "
                + $"{{ }} }} public ValueTask DisposeAsync() => ValueTask.CompletedTask; }}"),
            Route("await using (new Batch(request.Model!)) { }\nusing (new Sink(request.Model!)) { }", "internal class "
                + "Batch(string path) : IAsyncDisposable { public async ValueTask DisposeAsync() "
                + "{ try { await File.WriteAllTextAsync(path, \"\"); } catch (IOException) "
                + "{ } } }\ninternal class Sink(string path) : IDisposable { public void Dispose() { Dispose(true); "
                + "} protected virtual void Dispose(bool disposing) { try { File.Delete(path); } catch (IOException) "
                + "{ } } }"))));

    /// <summary>
    /// A route that reads through <c>IReader</c> (implemented by <paramref name="reader"/>) and tests the result at
    /// <c>@H</c>.
    /// </summary>
    private static string ThroughInterface(string reader) =>
        Route(
            "IReader reader = new FileReader();\nvar read = await reader.ReadAsync(request.Model!);\n@H\ntext = read!;",
            "#nullable enable\ninternal interface IReader { Task<string?> ReadAsync(string path); }\n"
                + reader
                + "\n#nullable restore");

    private const string Unreadable = "throw new UpstreamException(502, \"unreadable\");";

    /// <summary>
    /// A generic helper that returns <c>default(T)</c> from its catch, and a caller that tests its result at <c>@H</c>.
    /// </summary>
    private static string OrDefault =>
        Route(
            "var read = await Helper.OrDefaultAsync(() => File.ReadAllTextAsync(request.Model!));\n@H\ntext = read!;",
            $"internal static class Helper {{ public static async Task<T?> OrDefaultAsync<T>(Func<Task<T>> read) "
            + $"where T : class {{ try {{ return await read(); }} {Handled} (IOException) {{ return default; }} }} }}");
}
