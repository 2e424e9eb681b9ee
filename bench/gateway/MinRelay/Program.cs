// The reference relay of issue 39 (bench/results/2026-11-25-minrelay-reference.md): what the sample gateway's relay promises a request with tracing off, built the plain way
// from ASP.NET Core, System.Text.Json, Polly and YARP's IHttpForwarder, with no TracedLlm code. Per
// request: the API key compared in fixed time; the body read whole once (bounded) and read once with
// Utf8JsonReader for model, stream, messages and the route's metadata slot, which is cut from what
// goes upstream; the sample's banned-word pre-call guardrail over the prompt's text; the upstream call
// through a Polly pipeline built once (deadline, retries, circuit breaker per model) around YARP's
// forwarder; the answer read for model, usage and finish reason as it passes, a JSON answer held for
// the sample's response-length post-call guardrail and sent with its length, a stream's text checked
// before each piece of whole lines goes on (its terminal event last); errors in the route's wire
// format, an upstream's error answer relayed as it came. No metrics, no logging, and no spans unless
// --Otlp=URL or --Record=true asks for the sample's seven a request, recorded (and exported) with
// OpenTelemetry .NET alone (Tracing.cs: OpenTelemetry's floor); --Typed=true also reads each body into the
// sample handler's typed request (Typed.cs: what a typed handler adds). Hosted like bench/gateway/Yarp (slim builder,
// the same SocketsHttpHandler, no activity propagation). bench/gateway/MinRelay/check.sh compares its
// answers with the sample's.
using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Yarp.ReverseProxy.Forwarder;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddHttpForwarder();
var app = builder.Build();
var configuration = app.Configuration;
var settings = new RelaySettings(
    Upstream: configuration["Upstream"] ?? throw new InvalidOperationException("Set --Upstream=http://host:port"),
    ApiKey: configuration["ApiKey"] ?? "sk-bench-overhead",
    UpstreamAuthorization: configuration["UpstreamKey"] is { Length: > 0 } upstreamKey ? "Bearer " + upstreamKey : null,
    BannedWord: configuration["BannedWord"] ?? "forbidden",
    MaxAnswerCharacters: configuration.GetValue("MaxResponseCharacters", 8000),
    // The sample's retries in the benches: 0 (Upstream__FallbackToEmbedded=false leaves it one provider).
    Retries: configuration.GetValue("Retries", 0),
    AttemptTimeout: TimeSpan.FromMilliseconds(configuration.GetValue("TimeoutMs", 100_000)),
    TotalTimeout: TimeSpan.FromMilliseconds(configuration.GetValue("TotalTimeoutMs", 600_000)));

// --Otlp=URL: the seven-span tree recorded and exported with OpenTelemetry alone (Tracing.cs); --Record=true: recorded, not exported.
var otlp = configuration["Otlp"] is { Length: > 0 } endpoint ? endpoint : null;
using var tracing = otlp is not null || configuration.GetValue("Record", false) ? new Tracing(otlp) : null;
// --Typed=true: the body also read into the sample's typed request (Typed.cs).
var relay = new Relay(settings, tracing is not null, configuration.GetValue("Typed", false), app.Services.GetRequiredService<IHttpForwarder>(), new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = System.Net.DecompressionMethods.None,
    UseCookies = false,
    // The upstream's traceparent is the attempt span's, written by the transformer when tracing.
    ActivityHeadersPropagator = null,
    ConnectTimeout = TimeSpan.FromSeconds(15),
}));
app.MapPost(Route.Chat.Path, context => relay.HandleAsync(context, Route.Chat));
app.MapPost(Route.Messages.Path, context => relay.HandleAsync(context, Route.Messages));
app.Run();

internal sealed record RelaySettings(
    string Upstream, string ApiKey, string? UpstreamAuthorization, string BannedWord, int MaxAnswerCharacters,
    int Retries, TimeSpan AttemptTimeout, TimeSpan TotalTimeout)
{
    /// <summary>The largest request body read (the sample's MaxRequestBodyBytes).</summary>
    public const int MaxRequestBytes = 8 * 1024 * 1024;

    /// <summary>The largest JSON answer held for the post-call guardrail (the relay's MaxBufferedResponseBytes).</summary>
    public const int MaxHeldBytes = 4 * 1024 * 1024;

    /// <summary>The largest upstream error answer relayed (MaxUpstreamErrorBytes).</summary>
    public const int MaxErrorBytes = 64 * 1024;

    /// <summary>The most an answer may be (LlmRetryPolicy.MaxResponseBytes).</summary>
    public const long MaxResponseBytes = 32L * 1024 * 1024;
}

/// <summary>A route: its wire format and the top-level property that carries gateway metadata.</summary>
internal sealed record Route(bool Anthropic, string Path, string SlotName)
{
    public static readonly Route Chat = new(false, "/v1/chat/completions", "metadata");
    public static readonly Route Messages = new(true, "/v1/messages", "litellm_metadata");

    public byte[] Slot { get; } = Encoding.UTF8.GetBytes(SlotName);
}

/// <summary>The gateway's own errors, in the route's wire format (OpenAI or Anthropic error JSON), with their length.</summary>
internal static class Errors
{
    public static Task WriteAsync(HttpContext context, Route route, int status, string type, string message, string? code = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (route.Anthropic)
            {
                writer.WriteString("type", "error");
                writer.WriteStartObject("error");
                writer.WriteString("type", status == 413 ? "request_too_large" : type);
                writer.WriteString("message", message);
            }
            else
            {
                writer.WriteStartObject("error");
                writer.WriteString("message", message);
                writer.WriteString("type", type);
                writer.WriteNull("param");
                if (code is null)
                {
                    writer.WriteNull("code");
                }
                else
                {
                    writer.WriteString("code", code);
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        if (status == 401)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        return response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>A failure after the stream's first byte: an error event in the route's stream format.</summary>
    public static byte[] Event(Route route, string type, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(route.Anthropic ? "event: error\ndata: "u8 : "data: "u8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (route.Anthropic)
            {
                writer.WriteString("type", "error");
            }

            writer.WriteStartObject("error");
            writer.WriteString("type", type);
            writer.WriteString("message", message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The sample's API-key check: the key from <c>Authorization: Bearer</c> or <c>x-api-key</c>, its SHA-256 compared in fixed time.</summary>
internal sealed class ApiKeyCheck(string key)
{
    private readonly byte[] _digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Null when the key is known, else the refusal's message; with <paramref name="hash"/>, the key's SHA-256 in hex for the auth span.</summary>
    public string? Refusal(HttpRequest request, bool hash, out string? keyHash)
    {
        keyHash = null;
        ReadOnlySpan<char> key = default;
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0 && authorization.ToString() is { } bearer && bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = bearer.AsSpan("Bearer ".Length).Trim();
        }
        else if (request.Headers.TryGetValue("x-api-key", out var apiKey))
        {
            key = apiKey.ToString().AsSpan().Trim();
        }

        if (key.IsEmpty)
        {
            return "No API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'.";
        }

        if (Encoding.UTF8.GetMaxByteCount(key.Length) > 1024)
        {
            return "The API key is not valid.";
        }

        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], digest);
        if (!CryptographicOperations.FixedTimeEquals(digest, _digest))
        {
            return "The API key is not valid.";
        }

        keyHash = hash ? Convert.ToHexStringLower(digest) : null;
        return null;
    }
}
