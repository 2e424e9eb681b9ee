using System.Collections.Generic;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2004's cells of a decode probe: a value decoded in memory (a URL, a protected message, a JWT, a GUID and a date,
/// a list in a cookie) whose failure a probe's handler answers with "none". The sound form of each was reported before
/// the reading; its faulty look-alike (a file read, an upstream call, <c>ValidateToken</c>, an await, a hand-written
/// 400, a handler that does more, <c>Console</c>, an interface call) is reported before and after.
/// </summary>
internal static class DecodeProbes
{
    private const string Catch = "{|TLLM2004:catch|}";

    /// <summary>
    /// A catch in code the route reaches through calls that does not answer the request: TLLM2007's (off by default, on
    /// in these tests).
    /// </summary>
    private const string Handled = "{|TLLM2007:catch|}";

    /// <summary>
    /// A helper's catch that gives up on an upstream call (a response's body read in its try): TLLM2004's wherever it
    /// is.
    /// </summary>
    private static string Requests(string source) => source.Replace(Handled, Catch);

    /// <summary>The JWT libraries and Newtonsoft.Json, which the cells' code compiles against.</summary>
    internal static readonly System.Reflection.Assembly[] Jwt =
    {
        typeof(System.IdentityModel.Tokens.Jwt.JwtSecurityToken).Assembly,
        typeof(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken).Assembly,
        typeof(Microsoft.IdentityModel.Tokens.SecurityToken).Assembly,
        typeof(Microsoft.IdentityModel.Logging.IdentityModelEventSource).Assembly,
        typeof(Microsoft.IdentityModel.Abstractions.IIdentityLogger).Assembly,
        typeof(Newtonsoft.Json.JsonConvert).Assembly,
    };

    private static string Route(string read, string members) => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
            {
                var text = {{read}} ?? "";
                return new Reply { Text = text };
            }
        }

        internal static class Log { public static readonly Microsoft.Extensions.Logging.ILogger Logger =
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance; }
        internal static class Models { public static readonly HttpClient Upstream = new(); }
        internal static class Keys {
            public static readonly Microsoft.IdentityModel.Tokens.TokenValidationParameters Parameters = new(); }
        internal sealed class Message { public string? Text { get; set; } }
        internal sealed class WaitArgs { public int Seconds { get; set; } }
        {{members}}
        """;

    private static MatrixCell Cell(string construct, string source, string faulty, string sound = "") =>
        Pair(construct, source, "@T", faulty, sound) with { Libraries = Jwt };

    private const string LogError =
        "Microsoft.Extensions.Logging.LoggerExtensions.LogError(Log.Logger, e, \"the value does not decode\");";

    internal static readonly IEnumerable<MatrixCell> Cells = new[]
    {
        Cell("Exception caught around new Uri(url) answered with null (a decode probe), and a file read beside it",
            Route("Origins.Of(request.Model!)", $$"""
            internal static class Origins
            {
                public static string? Of(string url)
                {
                    Uri uri;
                    try { @T uri = new Uri(url); }
                    {{Handled}} (Exception) { return null; }
                    return uri.Scheme is "http" or "https" ? $"{uri.Scheme}://{uri.Authority}" : null;
                }
            }
            """), "File.ReadAllText(url + \".origin\");"),
        Cell(
            "Exception caught around base64url, Unprotect and JSON through a helper, logged, "
            + "and an upstream call beside them", Requests(Route("Messages.Read(request.Model!)?.Text", $$"""
            internal static class Serializer
            {
                private static readonly JsonSerializerOptions Options = new();

                public static T? FromString<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);
            }

            internal static class Messages
            {
                public static Microsoft.AspNetCore.DataProtection.IDataProtector Protector = null!;

                public static Message? Read(string value)
                {
                    Message? result = null;
                    try
                    {
                        @T
                        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(value);
                        bytes = Protector.Unprotect(bytes);
                        var json = System.Text.Encoding.UTF8.GetString(bytes);
                        result = Serializer.FromString<Message>(json);
                    }
                    {{Handled}} (Exception e) { {{LogError}} }
                    return result;
                }
            }
            """)), "{|TLLM2006:Models.Upstream.Send(new HttpRequestMessage(HttpMethod.Post, "
                + "\"http://127.0.0.1/v1/chat/completions\") { Content = new StringContent(\"{}\") })|};"),
        Cell("Exception caught around new JwtSecurityToken(token) answered with null, and ValidateToken beside it",
            Route("Assertions.ClientId(request.Model!)", $$"""
            internal static class Assertions
            {
                public static string? ClientId(string token)
                {
                    try
                    {
                        var jwt = new System.IdentityModel.Tokens.Jwt.JwtSecurityToken(token);
                        @T
                        return jwt.Subject;
                    }
                    {{Handled}} (Exception e) { {{LogError}} return null; }
                }
            }
            """), "new System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler().ValidateToken(token, Keys.Parameters, "
                + "out _);"),
        Cell(
            "Exception caught around ReadJsonWebToken and its audiences (LINQ) in an async method, "
            + "and an awaited ValidateTokenAsync", Route("(await Audiences.ClientIdAsync(request.Model!))", $$"""
            internal static class Audiences
            {
                public static async Task<string?> ClientIdAsync(string token)
                {
                    await Task.Yield();
                    try
                    {
                        @T
                        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ReadJsonWebToken(
                            token);
                        return jwt.Audiences.FirstOrDefault();
                    }
                    {{Handled}} (Exception e) { {{LogError}} return null; }
                }
            }
            """), "if (!(await new "
                + "Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(token, "
                + "Keys.Parameters)).IsValid) { return null; }"),
        Cell(
            "Exception caught around Guid.Parse and DateTimeOffset.Parse answered with null, "
            + "and the handler writing a 400 by hand", Route(
            "Ids.Read(new DefaultHttpContext(), request.Model!, \"2026-11-26\")", $$"""
            internal static class Ids
            {
                public static string? Read(HttpContext context, string id, string since)
                {
                    try
                    {
                        var parsed = Guid.Parse(id);
                        var from = DateTimeOffset.Parse(since, System.Globalization.CultureInfo.InvariantCulture);
                        return parsed.ToString("N") + "@" + from.ToUnixTimeSeconds();
                    }
                    {{Catch}} (Exception) { @T return null; }
                }
            }
            """), "context.Response.StatusCode = 400;"),
        Cell(
            "Exception caught around a list decoded from a cookie by an extension method of source, "
            + "and the handler clearing the cookie", Route("Clients.Of(new DefaultHttpContext(), request.Model)?[0]",
            $$"""
            internal static class Clients
            {
                public static string[]? Of(HttpContext context, string? value)
                {
                    try { return value.DecodeList(); }
                    {{Catch}} (Exception) { @T return null; }
                }

                private static string[]? DecodeList(this string? value)
                {
                    if (string.IsNullOrEmpty(value)) { return null; }
                    var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(value);
                    return JsonSerializer.Deserialize<string[]>(System.Text.Encoding.UTF8.GetString(bytes));
                }
            }
            """), "context.Response.Cookies.Delete(\"clients\");"),
        Cell("CryptographicException caught around Unprotect then a JSON parse of the result, and Console beside them",
            Route("Tickets.Read(request.Model!)?.Text", $$"""
            internal static class Tickets
            {
                public static Microsoft.AspNetCore.DataProtection.IDataProtector Protector = null!;

                public static Message? Read(string cookie)
                {
                    try
                    {
                        @T
                        return JsonSerializer.Deserialize<Message>(
                            Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.Unprotect(Protector,
                                cookie));
                    }
                    {{Handled}} (System.Security.Cryptography.CryptographicException) { return null; }
                }
            }
            """), "Console.WriteLine(cookie);"),
        Cell("Exception caught around a JWT read through an interface of source, and through a sealed class's method",
            Route("Subjects.Of(request.Model!)", $$"""
            internal interface ITokenReader { string? Subject(string token); }

            internal sealed class JwtReader : ITokenReader
            {
                public string? Subject(string token) => new System.IdentityModel.Tokens.Jwt.JwtSecurityToken(
                    token).Subject;
            }

            internal static class Subjects
            {
                public static readonly ITokenReader Reader = new JwtReader();
                public static readonly JwtReader Jwt = new();

                public static string? Of(string token)
                {
                    try { return @T.Subject(token); }
                    {{Handled}} (Exception) { return null; }
                }
            }
            """), "Reader", "Jwt"),
        Pair(
            "Exception caught around a JSON parse answered with null (the parse probe's any-exception form), "
            + "and a file read beside it (held: the older parse probe reads only the try's own calls)",
            Route("Settings.Read(request.Model!)?.Text", $$"""
            internal static class Settings
            {
                public static Message? Read(string json)
                {
                    try { @T return System.Text.Json.JsonSerializer.Deserialize<Message>(json); }
                    {{Handled}} (Exception) { return null; }
                }
            }
            """), "@T", "json = File.ReadAllText(json);", "") with { Libraries = Jwt },
        Cell(
            "Bare catch around Newtonsoft's JObject.Parse, its properties each tried as JSON and the result "
            + "serialized, answered with the text given, and a response's body read in the try",
            Requests(Route("(await Pretty.FormatAsync(new HttpResponseMessage(), request.Model!))", $$"""
            internal static class Pretty
            {
                public static async Task<string> FormatAsync(HttpResponseMessage reply, string json)
                {
                    await Task.Yield();
                    try
                    {
                        @T
                        var parsed = Newtonsoft.Json.Linq.JObject.Parse(json);
                        foreach (var item in parsed)
                        {
                            try { parsed[item.Key] = Newtonsoft.Json.Linq.JObject.Parse(parsed[item.Key]!.ToString()); }
                            catch { continue; }
                        }

                        return Newtonsoft.Json.JsonConvert.SerializeObject(parsed,
                            new Newtonsoft.Json.JsonSerializerSettings { Formatting =
                                Newtonsoft.Json.Formatting.Indented });
                    }
                    {{Handled}} { return json; }
                }
            }
            """)), "json = await reply.Content.ReadAsStringAsync();"),
        Cell(
            "Bare catch around a state tried as JSON into a dictionary, the handler keeping it as a JSON string in the "
            + "same dictionary, and the handler writing a 400",
            Route("States.Build(new DefaultHttpContext(), new StateLog(), request.Model!)", $$"""
            internal sealed class StateLog { public Dictionary<string, JsonDocument> States { get; } = new(); }

            internal static class States
            {
                public static string Build(HttpContext context, StateLog log, string value)
                {
                    var documents = new Dictionary<string, JsonDocument>();
                    foreach (var key in new[] { "a", "b" })
                    {
                        try
                        {
                            documents[key] = JsonDocument.Parse(
                                JsonSerializer.Serialize(new { Data = JsonDocument.Parse(value) }));
                            log.States[key] = documents[key];
                        }
                        {{Catch}}
                        {
                            @T
                            var text = JsonSerializer.Serialize(new { Data = value });
                            documents[key] = JsonDocument.Parse(text);
                            log.States[key] = JsonDocument.Parse(text);
                        }
                    }

                    return documents["a"].RootElement.ToString();
                }
            }
            """), "context.Response.StatusCode = 400;"),
        Cell(
            "Bare catch around Convert.ToInt32 of URL segments, a nullable year clamped by Math and DateTime.Now and "
            + "appended to a StringBuilder, and a file written beside them",
            Route("Archives.Query(request.Model!.Split('/'))", $$"""
            internal static class Archives
            {
                public static string Query(string[] segments)
                {
                    var query = new System.Text.StringBuilder();
                    int? year = null;
                    for (var n = 0; n < segments.Length; n++)
                    {
                        try
                        {
                            @T
                            year = Convert.ToInt32(segments[n]);
                            if (year.Value > DateTime.Now.Year) { year = DateTime.Now.Year; }
                            query.Append("&year=");
                            query.Append(year);
                            query.Append("&month=").Append(Math.Max(Math.Min(Convert.ToInt32(segments[n]), 12), 1));
                        }
                        {{Handled}}
                        {
                            // a segment that is not a number is dropped
                        }
                    }

                    return query.ToString();
                }
            }
            """), "File.AppendAllText(\"archives.log\", segments[n]);"),
        Cell(
            "Exception caught around two stored dates parsed and subtracted (DateTime's operator) and a decimal cast, "
            + "kept in an object of source, and Console beside them",
            Route(
                "Ownership.Days(new History { PurchaseDate = request.Model, SoldDate = request.Model, "
            + "Cost = \"1.5\" })", $$"""
            internal sealed class History
            {
                public string? PurchaseDate { get; set; }
                public string? SoldDate { get; set; }
                public string? Cost { get; set; }
                public string? DaysOwned { get; set; }
                public int Whole { get; set; }
            }

            internal static class Ownership
            {
                public static string? Days(History history)
                {
                    try
                    {
                        @T
                        var days = (DateTime.Parse(history.SoldDate!) - DateTime.Parse(history.PurchaseDate!)).Days;
                        history.DaysOwned = days.ToString("N0");
                        history.Whole = (int)decimal.Parse(history.Cost!) * 2;
                    }
                    {{Handled}} (Exception e)
                    {
                        Microsoft.Extensions.Logging.LoggerExtensions.LogError(Log.Logger, e.Message);
                        history.DaysOwned = string.Empty;
                    }

                    return history.DaysOwned;
                }
            }
            """), "Console.WriteLine(history.SoldDate);"),
        Pair(
            "Exception caught around ids parsed by int.Parse in LINQ lambdas over a split string and over a list, "
            + "answered with none, and a lambda that reads a file instead",
            Route("string.Join(\",\", Exclusions.Of(request.Model, new List<string> { \"7\" }))", $$"""
            internal static class Exclusions
            {
                public static List<int> Of(string? text, List<string> extra)
                {
                    try
                    {
                        var ids = string.IsNullOrWhiteSpace(text) ? new List<int>()
                            : text.Split(',').Select(x => int.Parse(x)).ToList();
                        var more = extra.Select(x => @T).ToList();
                        ids.Add(more.Sum());
                        return ids;
                    }
                    {{Handled}} (Exception e)
                    {
                        {{LogError}}
                        return new List<int>();
                    }
                }
            }
            """), "@T", "File.ReadAllText(x).Length", "int.Parse(x)") with { Libraries = Jwt },
        Pair(
            "Bare catch around a strict UTF-8 decode answered with a record of source (an object that only holds "
            + "values), and a class whose property initializer reads a file instead",
            Route("Files.Read(request.Model!, System.Text.Encoding.UTF8.GetBytes(request.Model!)).Text", $$"""
            internal sealed record TextFile(string Path, bool IsText, string? Text);

            internal sealed class Preview
            {
                public string? Name { get; set; }
                public List<string> Lines { get; set; } = new();
                public int Shown { get; set; } = 0;
                @T
            }

            internal static class Files
            {
                public static TextFile Read(string path, byte[] bytes)
                {
                    try
                    {
                        var strict = new System.Text.UTF8Encoding(false, true);
                        var preview = new Preview { Name = path };
                        preview.Lines.Add(strict.GetString(bytes));
                        return new TextFile(path, true, preview.Lines[0]);
                    }
                    {{Handled}}
                    {
                        return new TextFile(path, false, null);
                    }
                }
            }
            """), "@T", "public string Disk { get; } = File.ReadAllText(\"preview.txt\");",
                "") with { Libraries = Jwt },
        Cell(
            "Bare catch around a strict UTF-8 decode in a method answering ActionResult<T> (the value wrapped by its "
            + "conversion), answered with the record, and Console beside it",
            Route("Texts.Read(request.Model!, new byte[] { 104, 105 }).Value?.Text", $$"""
            internal sealed record TextFile(string Path, bool IsText, string? Text);

            internal static class Texts
            {
                public static Microsoft.AspNetCore.Mvc.ActionResult<TextFile> Read(string path, byte[] bytes)
                {
                    try
                    {
                        @T
                        var strict = new System.Text.UTF8Encoding(false, true);
                        return new TextFile(path, true, strict.GetString(bytes));
                    }
                    {{Catch}}
                    {
                        return new TextFile(path, false, null);
                    }
                }
            }
            """), "Console.WriteLine(path);"),
        Pair(
            "JsonException caught around JsonDocument.Parse of a text in memory and its RootElement, the item skipped, "
            + "and a parse of a file's stream instead (a known limit: a JSON tree read after the parse is other work, "
            + "as it is for an upstream's answer read into a string)",
            Route("Calls.Count(new List<string> { request.Model! }).ToString()", $$"""
            internal static class Calls
            {
                public static int Count(List<string> chunks)
                {
                    var count = 0;
                    foreach (var chunk in chunks)
                    {
                        JsonElement call;
                        try { call = JsonDocument.Parse(@T).RootElement; }
                        {{Handled}} (JsonException e)
                        {
                            {{LogError}}
                            continue;
                        }

                        if (call.TryGetProperty("name", out var name) && name.GetString() is not null) { count++; }
                    }

                    return count;
                }
            }
            """), "@T", "File.OpenRead(chunk)", "chunk", Held.FalseAlarmKnownLimit) with { Libraries = Jwt },
        Pair(
            "JsonException caught around a JSON decode of a model's arguments and an awaited Task.Delay, "
            + "the handler answering the model in the message, and Exception caught there instead",
            Route("(await Waits.RunAsync(new Message { Text = request.Model }))", $$"""
            internal static class Waits
            {
                public static async Task<string?> RunAsync(Message message)
                {
                    try
                    {
                        var args = JsonSerializer.Deserialize<WaitArgs>(message.Text!);
                        if (args != null && args.Seconds > 0)
                        {
                            await Task.Delay(args.Seconds * 1000);
                        }

                        message.Text = "waited";
                    }
                    {{Handled}} (@T e)
                    {
                        message.Text = "Invalid function arguments format.";
                        {{LogError}}
                    }

                    return message.Text;
                }
            }
            """), "@T", "Exception", "JsonException") with { Libraries = Jwt },
        Pair(
            "JsonException caught around a JSON decode of text in memory and an awaited Task.Delay, "
            + "the handler answering in the message, and a response's body decoded from its stream instead",
            Requests(
                Route(
                "(await Delays.RunAsync(new HttpResponseMessage(), System.Text.Encoding.UTF8.GetBytes(request.Model!), "
            + "new Message()))", $$"""
            internal static class Delays
            {
                public static async Task<string?> RunAsync(HttpResponseMessage reply, byte[] body, Message message)
                {
                    try
                    {
                        var args = @T;
                        await Task.Delay(args!.Seconds);
                        message.Text = "waited";
                    }
                    {{Handled}} (JsonException)
                    {
                        message.Text = "the arguments are not JSON";
                    }

                    return message.Text;
                }
            }
            """)), "@T", "await JsonSerializer.DeserializeAsync<WaitArgs>(await reply.Content.ReadAsStreamAsync())",
                "JsonSerializer.Deserialize<WaitArgs>(System.Text.Encoding.UTF8.GetString(body))") with {
                Libraries = Jwt },
    };
}
