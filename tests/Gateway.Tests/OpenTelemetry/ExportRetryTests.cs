using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Retry as the OTLP specification says, through <see cref="BoundedExportProcessor"/>'s OTLP
/// delivery against a real endpoint: 429, 502, 503 and 504, a timeout, a reset and a refused
/// connection are sent again, with growing waits or the server's own (<c>Retry-After</c>, gRPC's
/// <c>RetryInfo</c>); other failures are not; several batches are in flight while the endpoint
/// answers and one while it fails; new spans keep queueing meanwhile, within the byte-sized buffer.
/// A success that rejects some spans (a partial success) drops them, counted, and sends none again.
/// </summary>
public sealed class ExportRetryTests : IDisposable
{
    private static readonly ActivitySource Source = new("TracedLlm.Tests.ExportRetry");
    private readonly DropCounter _drops = new();

    public void Dispose() => _drops.Dispose();

    [Theory]
    [InlineData(429)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task TransientAnswersAreRetriedWithTheSameBatchUntilDelivered(int status)
    {
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(
            ScriptedOtlpEndpoint.Status(status),
            ScriptedOtlpEndpoint.Status(status));
        var processor = Processor(endpoint.Url);
        using var provider = Provider(processor);

        Emit("span", 10);
        Assert.True(provider.ForceFlush(20_000));

        var tries = endpoint.Requests;
        Assert.Equal(3, tries.Count);
        Assert.All(tries, t => Assert.Equal(tries[0].Body, t.Body));
        Assert.Equal(10, tries[0].Spans.Count);
        Assert.Equal(10, endpoint.Delivered.Count);
        Assert.Equal(10, processor.ExportedSpans);
        Assert.Equal(0, processor.DroppedSpans);

        // Exponential backoff with jitter: the n-th wait is between half and one and a half times 100 ms × 2^(n-1).
        var first = tries[1].At - tries[0].At;
        var second = tries[2].At - tries[1].At;
        Assert.InRange(first.TotalMilliseconds, 45, 2_000);
        Assert.InRange(second.TotalMilliseconds, 95, 2_000);
    }

    [Theory]
    [InlineData(429, "1")]
    [InlineData(503, "date")]
    public async Task TheServersRetryAfterIsWaitedFor(int status, string retryAfter)
    {
        var header = retryAfter == "date" ? DateTimeOffset.UtcNow.AddSeconds(3).ToString("R") : retryAfter;
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(
            ScriptedOtlpEndpoint.Status(status, header));
        using var provider = Provider(Processor(endpoint.Url));

        Emit("span", 3);
        Assert.True(provider.ForceFlush(20_000));

        var tries = endpoint.Requests;
        Assert.Equal(2, tries.Count);

        // The backoff alone would have tried again within 150 ms; an HTTP date has whole seconds.
        Assert.InRange((tries[1].At - tries[0].At).TotalMilliseconds, 900, 5_000);
        Assert.Equal(3, endpoint.Delivered.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(413)]
    [InlineData(500)]
    public async Task OtherFailuresAreNotRetriedAndTheSpansAreCounted(int status)
    {
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(ScriptedOtlpEndpoint.Status(status));
        var processor = Processor(endpoint.Url);
        using var provider = Provider(processor);

        Emit("span", 4);
        Assert.True(provider.ForceFlush(20_000));

        Assert.Single(endpoint.Requests);
        Assert.Equal(4, processor.DroppedSpans);
        Assert.Equal(4, _drops.Count("export_failed"));

        // The next batch goes out as usual.
        Emit("next", 2);
        Assert.True(provider.ForceFlush(20_000));
        Assert.Equal(new[] { "next", "next" }, endpoint.Delivered);
    }

    [Fact]
    public async Task AnEndpointThatRefusesEveryBatchIsWarnedOfOnceAnInterval()
    {
        // A wrong key: every batch is refused for good. Each is counted; the log gets one line an interval, with the
        // status.
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(
            ScriptedOtlpEndpoint.Status(401),
            ScriptedOtlpEndpoint.Status(401),
            ScriptedOtlpEndpoint.Status(401));
        var warnings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var processor = Processor(endpoint.Url, options: o => o.Warn = warnings.Enqueue);
        using var provider = Provider(processor);

        for (var batch = 0; batch < 3; batch++)
        {
            Emit("span", 2);
            Assert.True(provider.ForceFlush(20_000));
        }

        Assert.Equal(3, endpoint.Requests.Count);
        Assert.Equal(6, processor.DroppedSpans);
        Assert.Equal(6, _drops.Count("export_failed"));
        Assert.Equal(
            "TracedLlm export: the exporter could not deliver a batch (\"refused for good: HTTP 401\"); 2 span(s) "
            + "dropped so far. Requests are not affected.",
            Assert.Single(warnings));
    }

    [Fact]
    public async Task AResetConnectionAndATimeoutAreRetried()
    {
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(
            ScriptedOtlpEndpoint.Reset(),
            ScriptedOtlpEndpoint.Hang());
        var processor = Processor(endpoint.Url, timeoutMs: 500);
        using var provider = Provider(processor);

        Emit("span", 5);
        Assert.True(provider.ForceFlush(20_000));

        Assert.Equal(3, endpoint.Requests.Count);
        Assert.Equal(5, endpoint.Delivered.Count);
        Assert.Equal(0, processor.DroppedSpans);
    }

    [Fact]
    public async Task ARefusedConnectionIsRetriedUntilTheEndpointStarts()
    {
        var port = LoopbackApp.FreePort();
        var processor = Processor($"http://127.0.0.1:{port}/v1/traces");
        using var provider = Provider(processor);

        Emit("span", 6);
        Assert.False(provider.ForceFlush(700));
        Assert.True(processor.BufferedExportBytes > 0);

        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(port);
        Assert.True(provider.ForceFlush(20_000));
        Assert.Equal(6, endpoint.Delivered.Count);
        Assert.Equal(0, processor.DroppedSpans);
        Assert.Equal(0, processor.BufferedExportBytes);
    }

    [Fact]
    public async Task SeveralBatchesAreInFlightWhileTheEndpointAnswersAndOneWhileItFails()
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        endpoint.Otherwise = ScriptedOtlpEndpoint.Slow(TimeSpan.FromMilliseconds(300));
        var processor = Processor(endpoint.Url, options: o =>
        {
            o.MaxBatchSize = 10;
            o.MaxConcurrentExports = 3;
        });
        using var provider = Provider(processor);

        Emit("answered", 60);
        Assert.True(provider.ForceFlush(20_000));
        Assert.Equal(60, endpoint.Delivered.Count);
        Assert.Equal(3, endpoint.MaxConcurrent);

        // While it fails, one batch at a time (the first success opens the way again).
        await using var failing = await ScriptedOtlpEndpoint.StartAsync();
        failing.Otherwise = async context =>
        {
            await Task.Delay(50);
            context.Response.StatusCode = 503;
        };
        var second = Processor(failing.Url, options: o =>
        {
            o.MaxBatchSize = 10;
            o.MaxConcurrentExports = 3;
        });
        using var secondProvider = Provider(second);
        Emit("failing", 10);
        // The processor has seen the failure (not only sent the request): from here on, one batch at a time.
        await Eventually.HoldsAsync(() => second.ExportFailures > 0, "a failed export", TimeSpan.FromSeconds(20));
        failing.ResetMaxConcurrent();
        Emit("failing", 50);
        Assert.False(secondProvider.ForceFlush(1_500));
        Assert.True(failing.Requests.Count >= 3, $"{failing.Requests.Count} tries");
        Assert.Equal(1, failing.MaxConcurrent);
        failing.Otherwise = ScriptedOtlpEndpoint.Slow(TimeSpan.FromMilliseconds(300));
        Assert.True(secondProvider.ForceFlush(20_000));
        Assert.Equal(60, failing.Delivered.Count);
        Assert.Equal(3, failing.MaxConcurrent);
    }

    [Fact]
    public async Task NewSpansKeepQueueingDuringAnOutageAndOnlyTheBufferBoundDropsAny()
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        endpoint.Otherwise = ScriptedOtlpEndpoint.Status(503);

        // A batch of ten spans is under 1 KB serialized, in a pooled buffer of 1 KB: the buffer holds four.
        var processor = Processor(endpoint.Url, options: o =>
        {
            o.MaxBatchSize = 10;
            o.MaxBufferedExportBytes = 5_000;
        });
        using var provider = Provider(processor);

        var emitting = Stopwatch.StartNew();
        for (var batch = 0; batch < 10; batch++)
        {
            Emit($"batch-{batch}", 10);
        }

        // Ending spans never waited for the endpoint.
        Assert.True(emitting.Elapsed < TimeSpan.FromSeconds(2), $"emitting took {emitting.Elapsed}");
        Assert.False(provider.ForceFlush(500));
        var buffered = processor.BufferedExportBytes;
        Assert.InRange(buffered, 1, 5_000);
        var dropped = processor.DroppedSpans;
        Assert.InRange(dropped, 10, 90);
        Assert.Equal(dropped, _drops.Count("buffer_full"));

        // The endpoint recovers: every buffered span arrives, and nothing else was lost.
        endpoint.Otherwise = ScriptedOtlpEndpoint.Status(200);
        Assert.True(provider.ForceFlush(20_000));
        Assert.Equal(100 - dropped, endpoint.Delivered.Count);
        Assert.Equal(100 - dropped, processor.ExportedSpans);
        Assert.Equal(0, processor.BufferedExportBytes);

        // The batches kept are the first ones: a full buffer refuses the newcomer, never a batch it holds.
        var kept = endpoint.Delivered.Distinct().ToHashSet();
        Assert.True(kept.SetEquals(Enumerable.Range(0, kept.Count).Select(i => $"batch-{i}")), string.Join(", ", kept));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task TheCallersOtlpOptionsAreLeftAsGivenAndTheExportGoesWhereTheySaid(bool grpc, bool gzip)
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(grpc: grpc);
        endpoint.Otherwise = grpc ? ScriptedOtlpEndpoint.Grpc(0) : ScriptedOtlpEndpoint.Status(200);
        var clients = 0;
        var factory = new Func<System.Net.Http.HttpClient>(() =>
        {
            Interlocked.Increment(ref clients);
            return new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        });
        var otlp = new OtlpExporterOptions
        {
            Endpoint = new Uri(endpoint.Url),
            Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf,
            Compression = gzip ? OtlpExportCompression.GZip : OtlpExportCompression.None,
            Headers = "x-tenant=blue",
            TimeoutMilliseconds = 5_000,
            HttpClientFactory = factory,
        };

        var processor = new BoundedExportProcessor(otlp, Options(null));
        using var provider = Provider(processor);

        // As the caller set them, the factory included (called once, for the client the sends use).
        Assert.Equal(new Uri(endpoint.Url), otlp.Endpoint);
        Assert.Equal(grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf, otlp.Protocol);
        Assert.Equal(gzip ? OtlpExportCompression.GZip : OtlpExportCompression.None, otlp.Compression);
        Assert.Equal("x-tenant=blue", otlp.Headers);
        Assert.Equal(5_000, otlp.TimeoutMilliseconds);
        Assert.Same(factory, otlp.HttpClientFactory);
        Assert.Equal(1, clients);

        Emit("span", 2);
        Assert.True(provider.ForceFlush(20_000));
        var sent = Assert.Single(endpoint.Requests);
        Assert.Equal(grpc ? "/" + OtlpSetup.GrpcMethod : "/v1/traces", sent.Path);
        Assert.Equal(grpc ? "application/grpc" : "application/x-protobuf", sent.ContentType);
        Assert.Equal("blue", sent.Headers["x-tenant"]);

        // Compressed as asked, and the spans read back from the inflated body.
        Assert.Equal(gzip, sent.Gzipped);
        Assert.Equal(new[] { "span", "span" }, endpoint.Delivered);
        Assert.Equal(2, processor.ExportedSpans);
    }

    [Fact]
    public async Task OverGrpcTheStatusDecidesAndRetryInfoIsWaitedFor()
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(grpc: true);

        // UNAVAILABLE: retried after the backoff; RESOURCE_EXHAUSTED with RetryInfo of 1.2 s: retried
        // after it; INVALID_ARGUMENT: dropped.
        endpoint.Then(
            ScriptedOtlpEndpoint.Grpc(14),
            ScriptedOtlpEndpoint.Grpc(8, RetryInfo(seconds: 1, nanos: 200_000_000)),
            ScriptedOtlpEndpoint.Grpc(0),
            ScriptedOtlpEndpoint.Grpc(3));
        endpoint.Otherwise = ScriptedOtlpEndpoint.Grpc(0);
        var processor = new BoundedExportProcessor(
            new OtlpExporterOptions
            {
                Endpoint = new Uri(endpoint.Url),
                Protocol = OtlpExportProtocol.Grpc,
                TimeoutMilliseconds = 5_000
            },
            Options(o => o.MaxConcurrentExports = 1));
        using var provider = Provider(processor);

        Emit("first", 3);
        Assert.True(provider.ForceFlush(20_000));
        Emit("second", 2);
        Assert.True(provider.ForceFlush(20_000));
        Emit("third", 1);
        Assert.True(provider.ForceFlush(20_000));

        var tries = endpoint.Requests;
        Assert.Equal(5, tries.Count);
        Assert.All(tries, t => Assert.Equal("application/grpc", t.ContentType));
        Assert.All(
            tries,
            t =>
                Assert.Equal(
                    t.Body.Length - 5,
                    System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(t.Body.AsSpan(1))));
        Assert.All(tries, t => Assert.Equal("/opentelemetry.proto.collector.trace.v1.TraceService/Export", t.Path));
        Assert.InRange((tries[2].At - tries[1].At).TotalMilliseconds, 1_100, 5_000);
        Assert.Equal(new[] { "first", "first", "first", "third" }, endpoint.Delivered);
        Assert.Equal(2, processor.DroppedSpans);
    }

    [Theory]
    [InlineData("protobuf", 3)]
    [InlineData("json", 3)]
    [InlineData("json-number", 3)]
    [InlineData("grpc", 3)]
    [InlineData("grpc-gzip", 3)]
    [InlineData("protobuf", 1_000)]
    public async Task SpansAPartialSuccessRejectsAreCountedAsDroppedAndNotSentAgain(string format, long rejected)
    {
        var grpc = format.StartsWith("grpc", StringComparison.Ordinal);
        var message = "some spans had no name;\nsee the collector's log " + new string('x', 1_000);
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync(grpc: grpc)).Then(
            ScriptedOtlpEndpoint.PartialSuccess(format, rejected, message));
        endpoint.Otherwise = grpc ? ScriptedOtlpEndpoint.Grpc(0) : ScriptedOtlpEndpoint.Status(200);
        var warnings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var processor = new BoundedExportProcessor(
            new OtlpExporterOptions
            {
                Endpoint = new Uri(endpoint.Url),
                Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf,
                TimeoutMilliseconds = 5_000
            },
            Options(o => o.Warn = warnings.Enqueue));
        using var provider = Provider(processor);

        Emit("span", 10);
        Assert.True(provider.ForceFlush(20_000));

        // The endpoint took the batch and kept the rest: the spans it rejected (at most the batch) are
        // dropped, not tried again, and its message is quoted on one line, 200 characters at most.
        var dropped = Math.Min(rejected, 10);
        Assert.Single(endpoint.Requests);
        Assert.Equal(10 - dropped, processor.ExportedSpans);
        Assert.Equal(dropped, processor.DroppedSpans);
        Assert.Equal(dropped, _drops.Count("rejected"));
        Assert.Equal(0, _drops.Count("export_failed"));
        var quoted = message.Replace('\n', ' ')[..OtlpResponses.LongestMessage] + "…";
        Assert.Equal(
            $"TracedLlm export: the endpoint took a batch but rejected some of its spans (\"{quoted}\"); {dropped} "
            + "span(s) dropped so far. Requests are not affected.",
            Assert.Single(warnings));

        // A success is a success: the next batch goes out at once, all of it delivered.
        Emit("next", 2);
        Assert.True(provider.ForceFlush(20_000));
        Assert.Equal(2, endpoint.Requests.Count);
        Assert.Equal(12 - dropped, processor.ExportedSpans);
        Assert.Equal(dropped, processor.DroppedSpans);
    }

    [Theory]
    [InlineData("application/x-protobuf", "", 5)]
    [InlineData("application/x-protobuf", "0A 02 12 00", 5)]
    [InlineData("application/x-protobuf", "0A 06 12 04 6E 6F 74 65", 5)]
    [InlineData("application/json", "{}", 5)]
    [InlineData("application/json", "{\"id\":\"5f1c\",\"name\":\"otel-ingestion-job\",\"data\":{\"payload\":{}}}", 5)]
    [InlineData("application/json", "{\"partialSuccess\":{\"errorMessage\":\"a warning only\"}}", 5)]
    [InlineData("text/plain", "OK", 5)]
    [InlineData("application/x-protobuf", "0A 05 08", 5)]
    [InlineData("application/x-protobuf", "past 4 MiB", 0)]
    public async Task ASuccessThatRejectsNoSpanDeliversTheBatch(string contentType, string body, int exported)
    {
        // An empty answer, an empty partial_success, one with a message only, Langfuse's answer (JSON,
        // whatever the request's format), one not in OTLP's formats, and a truncated one: delivered.
        // An answer longer than 4 MiB is a failure not to retry, as the specification says.
        var bytes =
            body == "past 4 MiB" ? new byte[OtlpResponses.LongestAnswer + 1]
            : contentType == "application/x-protobuf"
                ? Convert.FromHexString(body.Replace(" ", string.Empty, StringComparison.Ordinal))
            : System.Text.Encoding.UTF8.GetBytes(body);
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(
            ScriptedOtlpEndpoint.Body(contentType, bytes));
        var processor = Processor(endpoint.Url);
        using var provider = Provider(processor);

        Emit("span", 5);
        Assert.True(provider.ForceFlush(20_000));

        Assert.Single(endpoint.Requests);
        Assert.Equal(exported, processor.ExportedSpans);
        Assert.Equal(5 - exported, processor.DroppedSpans);
        Assert.Equal(5 - exported, _drops.Count("export_failed"));
    }

    [Fact]
    public void PartialSuccessIsReadFromProtobufAndJson()
    {
        // partial_success { rejected_spans = 300, error_message = "no" }: a two-byte varint.
        Assert.Equal(
            (300L, "no"),
            OtlpResponses.PartialSuccess(Convert.FromHexString("0A0708AC0212026E6F"), json: false));
        Assert.Equal(
            (5L, (string?)null),
            OtlpResponses.PartialSuccess("{\"partialSuccess\":{\"rejectedSpans\":\"5\"}}"u8.ToArray(), json: true));
        Assert.Equal(
            (0L, (string?)null),
            OtlpResponses.PartialSuccess("{\"partialSuccess\":{\"rejectedSpans\":\"-5\"}}"u8.ToArray(), json: true));
        Assert.Equal((0L, (string?)null), OtlpResponses.PartialSuccess("{\"partialSuccess\":"u8.ToArray(), json: true));
        Assert.Equal((0L, (string?)null), OtlpResponses.PartialSuccess(Convert.FromHexString("0A0708AC"), json: false));
        Assert.Equal((0L, (string?)null), OtlpResponses.PartialSuccess("OK"u8.ToArray(), json: false));
    }

    [Fact]
    public void RetryInfoIsReadFromGrpcStatusDetails()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(1_200), OtlpResponses.RetryDelay(RetryInfo(1, 200_000_000)));
        Assert.Equal(TimeSpan.FromSeconds(30), OtlpResponses.RetryDelay(RetryInfo(30, 0).TrimEnd('=')));
        Assert.Null(OtlpResponses.RetryDelay("not base64!"));
        Assert.Null(OtlpResponses.RetryDelay(Convert.ToBase64String(new byte[] { 0x1A, 0x05, 0x0A, 0x01 })));
    }

    // google.rpc.Status { code = 8, details = [Any { type_url = RetryInfo, value = RetryInfo { retry_delay = Duration }
    // }] }, base64.
    private static string RetryInfo(long seconds, int nanos)
    {
        static byte[] Field(int number, byte[] content) =>
            new[] { (byte)((number << 3) | 2), (byte)content.Length }.Concat(content).ToArray();
        static byte[] Varint(int number, long value)
        {
            var bytes = new System.Collections.Generic.List<byte> { (byte)(number << 3) };
            var v = (ulong)value;
            do
            {
                var b = (byte)(v & 0x7F);
                v >>= 7;
                bytes.Add(v == 0 ? b : (byte)(b | 0x80));
            }
            while (v != 0);
            return bytes.ToArray();
        }

        var duration = Varint(1, seconds).Concat(nanos == 0 ? Array.Empty<byte>() : Varint(2, nanos)).ToArray();
        var retryInfo = Field(1, duration);
        var any = Field(1, System.Text.Encoding.UTF8.GetBytes("type.googleapis.com/google.rpc.RetryInfo"))
            .Concat(Field(2, retryInfo))
            .ToArray();
        var status = Varint(1, 8).Concat(Field(3, any)).ToArray();
        return Convert.ToBase64String(status);
    }

    internal static BoundedExportProcessor Processor(
        string url,
        int timeoutMs = 5_000,
        Action<ExportQueueOptions>? options = null) =>
        new(
            new OtlpExporterOptions
            {
                Endpoint = new Uri(url),
                Protocol = OtlpExportProtocol.HttpProtobuf,
                TimeoutMilliseconds = timeoutMs
            },
            Options(options));

    private static ExportQueueOptions Options(Action<ExportQueueOptions>? configure)
    {
        var options = new ExportQueueOptions
        {
            ScheduledDelay = TimeSpan.FromMilliseconds(20),
            RetryInitialBackoff = TimeSpan.FromMilliseconds(100),
            RetryMaxBackoff = TimeSpan.FromMilliseconds(400),
            WarningInterval = TimeSpan.FromHours(1),
            Warn = static _ => { },
        };
        configure?.Invoke(options);
        return options;
    }

    internal static TracerProvider Provider(BoundedExportProcessor processor) =>
        Sdk.CreateTracerProviderBuilder().AddSource(Source.Name).AddProcessor(processor).Build()!;

    internal static void Emit(string name, int spans)
    {
        for (var i = 0; i < spans; i++)
        {
            using var activity = Source.StartActivity(name);
        }
    }
}
