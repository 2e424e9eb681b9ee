using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The disk buffer (<see cref="ExportQueueOptions.DiskBufferDirectory"/>): batches an endpoint does
/// not take are kept in files that outlive the processor and are delivered by the next one with the
/// same directory; the buffer has a byte cap past which batches stay in memory, then are dropped;
/// one processor uses a directory at a time. (A crash of a real process, SIGKILL, is
/// <c>tests/EndToEnd.Tests/ShutdownDeliveryTests</c>.)
/// </summary>
public sealed class DiskBufferTests : IDisposable
{
    private static readonly ActivitySource Source = new("TracedLlm.Tests.DiskBuffer");
    private readonly string _directory = Path.Combine(
        Path.GetTempPath(),
        "tracedllm-disk-" + Guid.NewGuid().ToString("N"));
    private readonly DropCounter _drops = new();

    public void Dispose()
    {
        _drops.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task BatchesTheEndpointDidNotTakeAreDeliveredByTheNextProcessorWithTheSameDirectory()
    {
        var port = LoopbackApp.FreePort();
        var first = Processor(port, out _);
        var provider = Provider(first);
        Emit("before-restart", 30);
        Assert.False(provider.ForceFlush(500));

        // Three batches of ten in files named with their span counts, readable by this user only.
        Assert.Equal(30, SpansOnDisk());
        Assert.Equal(0, first.BufferedExportBytes);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(_directory));
            foreach (var file in Directory.EnumerateFiles(_directory, "*.otlp", SearchOption.AllDirectories))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }

        // The bodies only: no header, and so none of the endpoint's credentials, reaches the disk.
        var written = string.Concat(
            Directory
                .EnumerateFiles(_directory, "*.otlp", SearchOption.AllDirectories)
                .Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.DoesNotContain("sk-lf-disk-secret", written, StringComparison.Ordinal);
        Assert.DoesNotContain("Authorization", written, StringComparison.OrdinalIgnoreCase);

        // The processor goes away (its shut-down cannot deliver): the files stay and nothing is dropped.
        provider.Dispose();
        Assert.Equal(0, first.DroppedSpans);
        Assert.Equal(30, SpansOnDisk());

        // The next one, with the endpoint up, delivers them before any span of its own, then its own, and empties the
        // directory.
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(port);
        // Its credentials were rotated meanwhile: the recovered batches go out with the new ones (read
        // from its exporter's options, never from the disk).
        var second = Processor(port, out var secondWarnings, authorization: "Basic sk-lf-rotated");
        using var secondProvider = Provider(second);
        Assert.True(secondProvider.ForceFlush(20_000));
        Assert.Equal(Enumerable.Repeat("before-restart", 30), endpoint.Delivered);
        Assert.All(endpoint.Requests, r => Assert.Equal("Basic sk-lf-rotated", r.Headers["Authorization"]));
        Emit("after-restart", 5);
        Assert.True(secondProvider.ForceFlush(20_000));
        Assert.Equal(
            Enumerable.Repeat("after-restart", 5).Concat(Enumerable.Repeat("before-restart", 30)),
            endpoint.Delivered.Order(StringComparer.Ordinal));
        Assert.Equal(35, second.ExportedSpans);
        Assert.Equal(0, SpansOnDisk());
        Assert.Empty(secondWarnings);
    }

    [Fact]
    public async Task AFileCutShortOrLeftHalfWrittenIsNeverSentAndItsSpansAreCounted()
    {
        var port = LoopbackApp.FreePort();
        var first = Processor(port, out _);
        using (var provider = Provider(first))
        {
            Emit("kept", 20);
            Assert.False(provider.ForceFlush(500));
            Emit("cut-short", 10);
            Assert.False(provider.ForceFlush(500));
        }

        // The last batch's file loses its tail, as after a power loss before the kernel wrote it out,
        // and a write the process never finished is left as a .tmp.
        var files = Directory
            .EnumerateFiles(_directory, "*.otlp", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(files.Count >= 2);
        var cutSpans = long.Parse(
            Path.GetFileNameWithoutExtension(files[^1]).Split('-')[^1],
            System.Globalization.CultureInfo.InvariantCulture);
        using (var cut = new FileStream(files[^1], FileMode.Open))
        {
            cut.SetLength(cut.Length / 2);
        }

        var partial = Path.Combine(Path.GetDirectoryName(files[0])!, "0000000000000000001-0000000009-100-10.tmp");
        File.WriteAllBytes(partial, new byte[50]);

        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(port);
        var second = Processor(port, out var warnings);
        using var secondProvider = Provider(second);
        Assert.True(secondProvider.ForceFlush(20_000));
        Assert.Equal(20, endpoint.Delivered.Count(name => name == "kept"));
        Assert.Equal(30 - cutSpans, endpoint.Delivered.Count);
        Assert.Equal(cutSpans, second.DroppedSpans);
        Assert.True(_drops.Count("export_failed") >= cutSpans);
        Assert.Contains(
            warnings,
            w =>
                w.Contains("cut short", StringComparison.Ordinal)
                && w.Contains($"{cutSpans} span(s)", StringComparison.Ordinal));
        Assert.Equal(
            new[] { "lock" },
            Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public async Task PastTheDiskCapBatchesWaitInMemoryAndPastThatTheyAreDropped()
    {
        var port = LoopbackApp.FreePort();

        // About 700 bytes a batch of ten: two fit on disk, one more in memory (in a pooled buffer of 1 KB).
        var processor = Processor(port, out _, o =>
        {
            o.MaxDiskBufferBytes = 1_600;
            o.MaxBufferedExportBytes = 1_600;
        });
        using var provider = Provider(processor);
        for (var batch = 0; batch < 8; batch++)
        {
            Emit($"batch-{batch}", 10);
        }

        Assert.False(provider.ForceFlush(500));
        var onDisk = SpansOnDisk();
        Assert.InRange(onDisk, 10, 20);
        Assert.InRange(processor.BufferedExportBytes, 1, 1_600);
        Assert.InRange(processor.DroppedSpans, 10, 60);
        Assert.Equal(processor.DroppedSpans, _drops.Count("buffer_full"));

        // Once the endpoint answers, all that was kept arrives: the first batches.
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(port);
        Assert.True(provider.ForceFlush(20_000));
        var kept = 80 - processor.DroppedSpans;
        Assert.InRange(kept - onDisk, 10, 20);
        Assert.Equal(
            Enumerable.Range(0, (int)kept / 10).SelectMany(i => Enumerable.Repeat($"batch-{i}", 10)),
            endpoint.Delivered.Order(StringComparer.Ordinal));
        Assert.Equal(0, SpansOnDisk());
    }

    [Fact]
    public void OneProcessorUsesADirectoryAtATime()
    {
        var port = LoopbackApp.FreePort();
        var first = Processor(port, out var firstWarnings);
        using var firstProvider = Provider(first);
        var second = Processor(port, out var secondWarnings);
        using var secondProvider = Provider(second);

        Assert.Empty(firstWarnings);
        var warning = Assert.Single(secondWarnings);
        Assert.Contains(
            "is in use by another process; this one buffers in memory only",
            warning,
            StringComparison.Ordinal);

        // The second buffers in memory: nothing of it reaches the directory.
        Emit("span", 10);
        secondProvider.ForceFlush(300);
        Assert.True(second.BufferedExportBytes > 0);
    }

    // The spans in the directory's batches, by their file names ({ticks}-{sequence}-{bytes}-{spans}.otlp).
    private long SpansOnDisk() =>
        Directory
            .EnumerateFiles(_directory, "*.otlp", SearchOption.AllDirectories)
            .Sum(file =>
                long.Parse(
                    Path.GetFileNameWithoutExtension(file).Split('-')[^1],
                    System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task DiskWriteFailuresAreWarnedOncePerIntervalWithACountOfTheOthers()
    {
        var port = LoopbackApp.FreePort();
        var processor = Processor(port, out var warnings, o => o.WarningInterval = TimeSpan.FromSeconds(2));
        using var provider = Provider(processor);

        // The directory goes: every batch's write fails from now on, and the batches wait in memory.
        Directory.Delete(_directory, recursive: true);
        Emit("first", 30);
        Assert.False(provider.ForceFlush(500));
        var disk = warnings
            .Where(w => w.Contains("could not be written to the disk buffer", StringComparison.Ordinal))
            .ToList();
        var first = Assert.Single(disk);
        Assert.StartsWith(
            "TracedLlm export: a batch could not be written to the disk buffer (",
            first,
            StringComparison.Ordinal);
        Assert.EndsWith("; batches wait in memory.", first, StringComparison.Ordinal);

        // After the interval, one more line, with the two batches not said before.
        await Task.Delay(2_200);
        Emit("second", 20);
        Assert.False(provider.ForceFlush(500));
        disk = warnings
            .Where(w => w.Contains("could not be written to the disk buffer", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, disk.Count);
        // Twenty spans in batches of at most ten: two batches, or more if the export thread sealed one early on a busy
        // machine.
        var since = System.Text.RegularExpressions.Regex.Match(
            disk[1],
            @"; batches wait in memory\. (\d+) more batch\(es\) could not be written since the last warning\.$");
        Assert.True(since.Success, disk[1]);
        Assert.InRange(int.Parse(since.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 2, 20);
        Assert.True(processor.BufferedExportBytes > 0, "the batches wait in memory");
        Assert.Equal(0, processor.DroppedSpans);
    }

    private BoundedExportProcessor Processor(
        int port,
        out ConcurrentQueue<string> warnings,
        Action<ExportQueueOptions>? configure = null,
        string authorization = "Basic sk-lf-disk-secret")
    {
        var collected = new ConcurrentQueue<string>();
        warnings = collected;
        var options = new ExportQueueOptions
        {
            MaxBatchSize = 10,
            ScheduledDelay = TimeSpan.FromMilliseconds(20),
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            RetryInitialBackoff = TimeSpan.FromMilliseconds(100),
            RetryMaxBackoff = TimeSpan.FromMilliseconds(200),
            DiskBufferDirectory = _directory,
            WarningInterval = TimeSpan.FromHours(1),
            Warn = message =>
            {
                // The refused connection's retry notice is expected here; the rest are what the test reads.
                if (!message.Contains("did not take a batch", StringComparison.Ordinal))
                {
                    collected.Enqueue(message);
                }
            },
        };
        configure?.Invoke(options);
        // With an Authorization header as the Langfuse exporter sends it: it must stay in memory.
        return new BoundedExportProcessor(
            new OtlpExporterOptions
            {
                Endpoint = new Uri($"http://127.0.0.1:{port}/v1/traces"),
                Protocol = OtlpExportProtocol.HttpProtobuf,
                TimeoutMilliseconds = 2_000,
                Headers = "Authorization=" + authorization
            },
            options);
    }

    private static TracerProvider Provider(BoundedExportProcessor processor) =>
        Sdk.CreateTracerProviderBuilder().AddSource(Source.Name).AddProcessor(processor).Build()!;

    private static void Emit(string name, int spans)
    {
        for (var i = 0; i < spans; i++)
        {
            using var activity = Source.StartActivity(name);
        }
    }
}
