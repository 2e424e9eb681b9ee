// The mock upstream for the gateway-overhead benchmark: answers OpenAI chat completions and
// Anthropic messages at once, streaming and not, with fixed bodies, and accepts OTLP/HTTP trace
// exports (their spans counted, nothing else decoded) so that the traced gateway has a local
// receiver on the same core and the benchmark can tell whether every span arrived. An export's body
// is read into a buffer from the shared pool, not a new one: a 200 KB body in a growing MemoryStream
// allocated on the large object heap every batch, and the collections that brought took the mock's
// core from the upstream answers of the requests being measured. The time the receiver spends is
// reported (export_us in /stats), so its share of the shared core is known.
using System.Text;
using System.Text.Json;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var stats = new Stats();
var chat = """{"id":"chatcmpl-mock","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18}}"""u8.ToArray();
var chatStream = Encoding.UTF8.GetBytes(string.Concat(
    Chunk("""{"role":"assistant","content":"Hello"}""", "null", null),
    Chunk("""{"content":" from the"}""", "null", null),
    Chunk("""{"content":" mock upstream."}""", "\"stop\"", null),
    Chunk("{}", "null", """{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18}""", emptyChoices: true),
    "data: [DONE]\n\n"));
var message = """{"id":"msg_mock","type":"message","role":"assistant","model":"claude-sonnet-4","content":[{"type":"text","text":"Hello from the mock upstream."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":6}}"""u8.ToArray();
var messageStream = Encoding.UTF8.GetBytes(string.Concat(
    Event("message_start", """{"type":"message_start","message":{"id":"msg_mock","type":"message","role":"assistant","model":"claude-sonnet-4","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"""),
    Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
    Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello from"}}"""),
    Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the mock upstream."}}"""),
    Event("content_block_stop", """{"type":"content_block_stop","index":0}"""),
    Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}}"""),
    Event("message_stop", """{"type":"message_stop"}""")));

app.MapPost("/v1/chat/completions", (HttpContext context) => Answer(context, chat, chatStream, stats.CountChat));
app.MapPost("/v1/messages", (HttpContext context) => Answer(context, message, messageStream, stats.CountMessages));
app.MapPost("/v1/traces", async (HttpContext context) =>
{
    var started = System.Diagnostics.Stopwatch.GetTimestamp();
    var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)(context.Request.ContentLength ?? 64 * 1024));
    var length = 0;
    try
    {
        while (true)
        {
            if (length == buffer.Length)
            {
                var grown = System.Buffers.ArrayPool<byte>.Shared.Rent(2 * buffer.Length);
                buffer.AsSpan(0, length).CopyTo(grown);
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                buffer = grown;
            }

            var read = await context.Request.Body.ReadAsync(buffer.AsMemory(length));
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        stats.CountExport(length, OtlpWire.ForEachSpan(buffer.AsSpan(0, length)), System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }
    finally
    {
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    }

    context.Response.ContentType = "application/x-protobuf";
});
app.MapGet("/stats", () => $"chat {stats.Chat}\nmessages {stats.Messages}\nexports {stats.Exports}\nexport_bytes {stats.ExportBytes}\nspans {stats.Spans}\nexport_us {stats.ExportMicroseconds}\n");
app.Run();

static async Task Answer(HttpContext context, byte[] json, byte[] stream, Action count)
{
    count();
    var streaming = await IsStreaming(context.Request);
    context.Response.ContentType = streaming ? "text/event-stream" : "application/json";
    await context.Response.Body.WriteAsync(streaming ? stream : json);
}

// True when the request body has a top-level "stream": true.
static async Task<bool> IsStreaming(HttpRequest request)
{
    using var document = await JsonDocument.ParseAsync(request.Body);
    return document.RootElement.ValueKind == JsonValueKind.Object
        && document.RootElement.TryGetProperty("stream", out var stream)
        && stream.ValueKind == JsonValueKind.True;
}

static string Chunk(string delta, string finish, string? usage, bool emptyChoices = false) =>
    "data: {\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":"
    + (emptyChoices ? "[]" : $"[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]")
    + (usage is null ? string.Empty : $",\"usage\":{usage}") + "}\n\n";

static string Event(string name, string data) => $"event: {name}\ndata: {data}\n\n";

internal sealed class Stats
{
    private long _chat, _messages, _exports, _exportBytes, _spans, _exportTicks;

    public long Chat => Interlocked.Read(ref _chat);
    public long Messages => Interlocked.Read(ref _messages);
    public long Exports => Interlocked.Read(ref _exports);
    public long ExportBytes => Interlocked.Read(ref _exportBytes);
    public long Spans => Interlocked.Read(ref _spans);

    public void CountChat() => Interlocked.Increment(ref _chat);
    public void CountMessages() => Interlocked.Increment(ref _messages);
    public long ExportMicroseconds => (long)TimeSpan.FromTicks(Interlocked.Read(ref _exportTicks)).TotalMicroseconds;

    public void CountExport(long bytes, int spans, TimeSpan taken)
    {
        Interlocked.Add(ref _exportTicks, taken.Ticks);
        Interlocked.Increment(ref _exports);
        Interlocked.Add(ref _exportBytes, bytes);
        Interlocked.Add(ref _spans, spans);
    }
}
