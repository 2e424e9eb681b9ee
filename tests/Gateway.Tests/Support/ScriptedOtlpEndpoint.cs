using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// An OTLP/HTTP (or, with <c>grpc</c>, OTLP/gRPC over cleartext HTTP/2) trace endpoint on loopback
/// that answers each request as its script says, in turn (then 200, or <see cref="Otherwise"/>), and
/// records every request: when it came, its headers, its body and the span names the body holds.
/// </summary>
internal sealed class ScriptedOtlpEndpoint : IAsyncDisposable
{
    private const string NotAccepted = "not-accepted";
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private WebApplication _app = null!;
    private int _active;
    private int _maxActive;

    private ScriptedOtlpEndpoint()
    {
    }

    /// <summary>The answer once the script is used up (200 unless set).</summary>
    public Func<HttpContext, Task> Otherwise { get; set; } = Status(200);

    public string Url { get; private set; } = string.Empty;

    public int Port { get; private set; }

    public IReadOnlyList<Received> Requests => _received.ToList();

    /// <summary>The most requests it was answering at once (since <see cref="ResetMaxConcurrent"/>).</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxActive);

    public void ResetMaxConcurrent() => Volatile.Write(ref _maxActive, Volatile.Read(ref _active));

    /// <summary>The names of the spans of the requests it answered 2xx (gRPC: grpc-status 0), in order.</summary>
    public IReadOnlyList<string> Delivered => _received.Where(r => r.Accepted).SelectMany(r => r.Spans).ToList();

    public static async Task<ScriptedOtlpEndpoint> StartAsync(int port = 0, bool grpc = false)
    {
        var endpoint = new ScriptedOtlpEndpoint();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(
                IPAddress.Loopback,
                port,
                listen => listen.Protocols = grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
        endpoint._app = builder.Build();
        endpoint._app.Run(endpoint.AnswerAsync);
        await endpoint._app.StartAsync();
        var address = endpoint._app
            .Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        endpoint.Port = new Uri(address).Port;
        endpoint.Url = address + (grpc ? string.Empty : "/v1/traces");
        return endpoint;
    }

    /// <summary>Answers the next requests, one each, in this order.</summary>
    public ScriptedOtlpEndpoint Then(params Func<HttpContext, Task>[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }

        return this;
    }

    public static Func<HttpContext, Task> Status(int status, string? retryAfter = null) => context =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return Task.CompletedTask;
    };

    /// <summary>Waits <paramref name="delay"/>, then answers 200.</summary>
    public static Func<HttpContext, Task> Slow(TimeSpan delay) => async context => await Task.Delay(delay);

    /// <summary>Never answers (until the client gives up).</summary>
    public static Func<HttpContext, Task> Hang() => async context =>
        await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>Resets the connection without an answer.</summary>
    public static Func<HttpContext, Task> Reset() => context =>
    {
        context.Items[NotAccepted] = true;
        context.Features.Get<IConnectionLifetimeFeature>()!.Abort();
        return Task.CompletedTask;
    };

    /// <summary>
    /// A gRPC answer with this status (trailers-only when not OK), and an optional <c>grpc-status-details-bin</c>.
    /// </summary>
    public static Func<HttpContext, Task> Grpc(int status, string? details = null) => async context =>
    {
        context.Response.ContentType = "application/grpc";
        if (status != 0)
        {
            context.Response.Headers["grpc-status"] = status.ToString(
                System.Globalization.CultureInfo.InvariantCulture);
            if (details is not null)
            {
                context.Response.Headers["grpc-status-details-bin"] = details;
            }

            return;
        }

        // An empty ExportTraceServiceResponse, framed, then the status in the trailers.
        await context.Response.Body.WriteAsync(new byte[5]);
        context.Response.AppendTrailer("grpc-status", "0");
    };

    /// <summary>
    /// A success whose <c>ExportTraceServiceResponse</c> has a <c>partial_success</c>, as
    /// <paramref name="format"/> says: <c>protobuf</c> (OTLP/HTTP), <c>json</c> (<c>rejectedSpans</c> a
    /// string, as int64s are) or <c>json-number</c>, <c>grpc</c> or <c>grpc-gzip</c> (a compressed frame).
    /// </summary>
    public static Func<HttpContext, Task> PartialSuccess(string format, long rejected, string message) =>
        async context =>
    {
        if (format.StartsWith("json", StringComparison.Ordinal))
        {
            var spans = format == "json-number" ? rejected.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : $"\"{rejected}\"";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($"{{\"partialSuccess\":{{\"rejectedSpans\":{spans}"
                + $",\"errorMessage\":{System.Text.Json.JsonSerializer.Serialize(message)}}}}}");
            return;
        }

        var said = System.Text.Encoding.UTF8.GetBytes(message);
        byte[] partial = [0x08, .. Varint((ulong)rejected), 0x12, .. Varint((ulong)said.Length), .. said];
        byte[] response = [0x0A, .. Varint((ulong)partial.Length), .. partial];
        if (format == "protobuf")
        {
            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.WriteAsync(response);
            return;
        }

        context.Response.ContentType = "application/grpc";
        var gzip = format == "grpc-gzip";
        if (gzip)
        {
            context.Response.Headers["grpc-encoding"] = "gzip";
            using var compressed = new MemoryStream();
            using (var zip = new System.IO.Compression.GZipStream(compressed,
                System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(response);
            }

            response = compressed.ToArray();
        }

        var frame = new byte[5];
        frame[0] = gzip ? (byte)1 : (byte)0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)response.Length);
        await context.Response.Body.WriteAsync(frame);
        await context.Response.Body.WriteAsync(response);
        context.Response.AppendTrailer("grpc-status", "0");
    };

    /// <summary>A success with this body, as <paramref name="contentType"/>.</summary>
    public static Func<HttpContext, Task> Body(string contentType, byte[] body) => async context =>
    {
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(body);
    };

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);

    private static List<byte> Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return bytes;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var active = Interlocked.Increment(ref _active);
        var seen = Volatile.Read(ref _maxActive);
        while (active > seen && Interlocked.CompareExchange(ref _maxActive, active, seen) != seen)
        {
            seen = Volatile.Read(ref _maxActive);
        }

        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var bytes = body.ToArray();
            var answer = _script.TryDequeue(out var next) ? next : Otherwise;
            var received = new Received(
                DateTime.UtcNow,
                context.Request.Path,
                context.Request.ContentType,
                context.Request.Headers.ToDictionary(
                    h => h.Key,
                    h => h.Value.ToString(),
                    StringComparer.OrdinalIgnoreCase),
                bytes);
            _received.Enqueue(received);
            await answer(context);
            received.Accepted =
                context.Response.StatusCode is >= 200 and < 300
                && !context.RequestAborted.IsCancellationRequested
                && !context.Items.ContainsKey(NotAccepted)
                && (context.Response.ContentType != "application/grpc"
                    || !context.Response.Headers.ContainsKey("grpc-status"));
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>One request as it arrived.</summary>
    public sealed class Received(
        DateTime at,
        string path,
        string? contentType,
        IReadOnlyDictionary<string, string> headers,
        byte[] body)
    {
        public DateTime At { get; } = at;

        public string Path { get; } = path;

        public string? ContentType { get; } = contentType;

        public IReadOnlyDictionary<string, string> Headers { get; } = headers;

        public byte[] Body { get; } = body;

        /// <summary>
        /// The span names the body holds, read by <see cref="OtlpWire"/> from the export request as
        /// sent: an OTLP/gRPC body's five-byte frame skipped, and a gzip body (HTTP's
        /// <c>Content-Encoding: gzip</c>, gRPC's compressed-flag frame with <c>grpc-encoding: gzip</c>) inflated.
        /// </summary>
        public IReadOnlyList<string> Spans { get; } = SpanNames(Message(contentType, headers, body));

        /// <summary>
        /// Whether the export request came gzip-compressed, as its headers and (gRPC) its frame said.
        /// </summary>
        public bool Gzipped { get; } = IsGzip(contentType, headers, body);

        public bool Accepted { get; set; }

        private static bool IsGzip(string? contentType, IReadOnlyDictionary<string, string> headers, byte[] body) =>
            contentType == "application/grpc"
                ? body.Length >= 5
                    && body[0] == 1
                    && headers.TryGetValue("grpc-encoding", out var grpc)
                    && grpc == "gzip"
                : headers.TryGetValue("Content-Encoding", out var coding) && coding == "gzip";

        private static byte[] Message(string? contentType, IReadOnlyDictionary<string, string> headers, byte[] body)
        {
            var message = contentType == "application/grpc" ? body.AsSpan(5).ToArray() : body;
            if (!IsGzip(contentType, headers, body))
            {
                return message;
            }

            using var inflated = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(
                    new MemoryStream(message),
                    System.IO.Compression.CompressionMode.Decompress))
            {
                gzip.CopyTo(inflated);
            }

            return inflated.ToArray();
        }

        // Span.name is field 5.
        private static List<string> SpanNames(ReadOnlySpan<byte> request)
        {
            var names = new List<string>();
            OtlpWire.ForEachSpan(
                request,
                span => names.Add(System.Text.Encoding.UTF8.GetString(OtlpWire.Field(span, 5))));
            return names;
        }
    }
}
