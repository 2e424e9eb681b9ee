using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// The export queue's limits (in spans and in bytes), its flush and shut-down bounds and its warning channel.
/// They bind from the <c>TracedLlm:Export</c> configuration section over OpenTelemetry's
/// batch-processor variables (<c>OTEL_BSP_*</c>); every TracedLlm exporter has its own queue of these sizes.
/// </summary>
public sealed class ExportQueueOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm:Export";

    /// <summary>
    /// Ended spans held at most while they wait to be serialized; more are dropped and counted.
    /// Default: <c>OTEL_BSP_MAX_QUEUE_SIZE</c>, else 16,384 (OpenTelemetry's 2,048 hold 30 ms of a busy
    /// gateway's spans; the queue's real bound is <see cref="MaxQueueBytes"/>).
    /// </summary>
    public int MaxQueueSize { get; set; } = FromEnvironment("OTEL_BSP_MAX_QUEUE_SIZE", 16384);

    /// <summary>The most spans an export call may take (<see cref="MaxBatchSize"/>).</summary>
    internal const int MaxBatchSizeLimit = 65536;

    /// <summary>Spans per export call, 1 to 65,536. Default: <c>OTEL_BSP_MAX_EXPORT_BATCH_SIZE</c>, else 512.</summary>
    public int MaxBatchSize { get; set; } = FromEnvironment("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512);

    /// <summary>
    /// How long a partial batch waits for more spans. Default: <c>OTEL_BSP_SCHEDULE_DELAY</c> (ms), else 1 s.
    /// </summary>
    public TimeSpan ScheduledDelay { get; set; } =
        TimeSpan.FromMilliseconds(FromEnvironment("OTEL_BSP_SCHEDULE_DELAY", 1000));

    /// <summary>
    /// The estimated bytes of all queued spans together (their names, attributes, events and links);
    /// a span that would pass it is dropped. Default 32 MiB.
    /// </summary>
    public long MaxQueueBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// The estimated bytes one request's spans may hold in the queue at once; more of them are dropped. Default 1 MiB.
    /// </summary>
    /// <remarks>
    /// A request's spans are those of one trace: every request starts a trace or joins its caller's. So one huge
    /// request pays for its own size and never crowds out the others.
    /// </remarks>
    public long MaxQueueBytesPerRequest { get; set; } = 1024L * 1024;

    /// <summary>
    /// The longest a shut-down (host stop, SIGTERM, or the provider's disposal) waits for queued spans
    /// to be delivered; what is still queued then is dropped and counted. Default 5 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest a flush asked with no timeout waits for the spans queued before it to be delivered; default 30 s.
    /// </summary>
    /// <remarks>
    /// Such a flush is <c>TracerProvider.ForceFlush()</c>, which passes
    /// <see cref="System.Threading.Timeout.Infinite"/>; it then returns false and the spans keep being tried. A flush
    /// given a timeout keeps it. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits for ever, as before. 30
    /// s because a batch's first try against a hanging endpoint waits the OTLP timeout (10 s by default), and two more
    /// tries with their backoff (at most 5 s each) fit in the rest.
    /// </remarks>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On Linux, the export thread runs under <c>SCHED_IDLE</c> while less than two batches are queued; default false.
    /// </summary>
    /// <remarks>
    /// So serializing a batch never holds up a request on the same core; it runs as the requests' equal once spans pile
    /// up, for a second after they last did (so a busy gateway never starves it into dropping spans). Only where the
    /// thread is allowed to come back (root, <c>CAP_SYS_NICE</c>, or <c>RLIMIT_NICE</c> of 20 or more); elsewhere, and
    /// when false, it always runs as an equal. Off by default: on the benchmark VM it did not lower the tail latency it
    /// is for (docs/reliability.md).
    /// </remarks>
    public bool YieldToRequests { get; set; }

    /// <summary>
    /// The bytes of serialized batches held in memory while they wait to be delivered; a batch that would pass it is
    /// dropped. Default 64 MiB.
    /// </summary>
    /// <remarks>
    /// Batches wait to be sent, or sent again after a failure the OTLP specification calls transient (429, 502, 503,
    /// 504, a timeout, a refused or reset connection). A dropped batch is counted (<c>buffer_full</c>). Each batch
    /// counts the pooled buffer that holds it (a power of two: 256 KiB for a batch of 512 spans at about 400 bytes a
    /// serialized span). 64 MiB is about 19 s of a gateway at 1,000 requests/s and seven spans a request
    /// (docs/configuration.md). Exporters other than OTLP (a <see cref="BoundedExportProcessor"/> built around another
    /// exporter) export directly and do not retry.
    /// </remarks>
    public long MaxBufferedExportBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Batches sent at once, so that one slow answer does not hold the others back. Default 4.</summary>
    public int MaxConcurrentExports { get; set; } = 4;

    /// <summary>
    /// The wait after a first transient failure; it doubles with each failure in a row, up to
    /// <see cref="RetryMaxBackoff"/>. Default 1 s.
    /// </summary>
    /// <remarks>
    /// Each wait is drawn at random between half and one and a half times it (jitter). A <c>Retry-After</c> answer (or
    /// gRPC's <c>RetryInfo</c>) is waited for instead. While a failure lasts one batch is tried at a time; new spans
    /// keep queueing.
    /// </remarks>
    public TimeSpan RetryInitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two tries of a failing endpoint. Default 5 s.</summary>
    public TimeSpan RetryMaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A directory for the disk buffer, or null (the default) for none. With it, every serialized batch
    /// is written there before it is first sent and deleted once delivered (or refused for good), so a
    /// batch survives an outage longer than memory can hold and a crash of the process (SIGKILL): the
    /// next process with the same directory delivers what it finds there first. Each exporter keeps
    /// its own subdirectory; one process uses a directory at a time (a second one runs without it and
    /// says so). Files are readable by the process's user only.
    /// </summary>
    public string? DiskBufferDirectory { get; set; }

    /// <summary>
    /// The bytes the disk buffer holds at most; past it, batches stay in memory (<see cref="MaxBufferedExportBytes"/>).
    /// Default 1 GiB.
    /// </summary>
    public long MaxDiskBufferBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// Request-scoped tail sampling (off by default): <c>TracedLlm:Export:TailSampling</c>. The
    /// exporters of <c>AddTracedLlmLangfuseExporter</c> and <c>AddTracedLlmOtlpExporter</c> put a
    /// <see cref="TailSamplingProcessor"/> in front of their queue when it is enabled.
    /// </summary>
    public TailSamplingOptions TailSampling { get; set; } = new();

    /// <summary>
    /// What the queue sends: <see cref="ExportScope.All"/> (default), or <see cref="ExportScope.GenerationsOnly"/>,
    /// each request's LLM span alone (<c>TracedLlm:Export:Scope</c>). Applied after tail sampling, which
    /// decides on the whole request.
    /// </summary>
    public ExportScope Scope { get; set; }

    /// <summary>The shortest time between two dropped-span warnings. Default 30 s.</summary>
    public TimeSpan WarningInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where warnings go. Default: the host's logger (category <c>TracedLlm.Export</c>), else standard error. Not bound
    /// from configuration.
    /// </summary>
    public Action<string>? Warn { get; set; }

    /// <summary>
    /// OpenTelemetry's batch-processor variables, as a configuration (or the environment) holds them
    /// (<see cref="ConfigurationReader"/>).
    /// </summary>
    internal void ReadVariables(Func<string, string?> variable)
    {
        MaxQueueSize = Positive(variable("OTEL_BSP_MAX_QUEUE_SIZE")) ?? MaxQueueSize;
        MaxBatchSize = Positive(variable("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) ?? MaxBatchSize;
        if (Positive(variable("OTEL_BSP_SCHEDULE_DELAY")) is { } delay)
        {
            ScheduledDelay = TimeSpan.FromMilliseconds(delay);
        }
    }

    /// <summary>Every wrong value, each named by its configuration key.</summary>
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MaxQueueSize < 1)
        {
            problems.Add(
                $"{SectionName}:MaxQueueSize (OTEL_BSP_MAX_QUEUE_SIZE) must be at least 1 (it is {MaxQueueSize}).");
        }

        if (MaxBatchSize is < 1 or > MaxBatchSizeLimit)
        {
            // The export thread holds a batch's slots from the start: an unbounded size is memory taken, or a
            // thread that cannot start, for a request no receiver takes (gRPC's default is 4 MiB a message).
            problems.Add(
                $"{SectionName}:MaxBatchSize (OTEL_BSP_MAX_EXPORT_BATCH_SIZE) must be between 1 and 65,536 (it is "
                + $"{MaxBatchSize}).");
        }

        if (ScheduledDelay <= TimeSpan.Zero)
        {
            problems.Add(
                $"{SectionName}:ScheduledDelay (OTEL_BSP_SCHEDULE_DELAY) must be positive (it is {ScheduledDelay}).");
        }

        if (MaxQueueBytes < 1)
        {
            problems.Add($"{SectionName}:MaxQueueBytes must be at least 1 (it is {MaxQueueBytes}).");
        }

        if (MaxQueueBytesPerRequest < 1 || MaxQueueBytesPerRequest > MaxQueueBytes)
        {
            problems.Add(
                $"{SectionName}:MaxQueueBytesPerRequest must be between 1 and MaxQueueBytes ({MaxQueueBytes}) (it "
                + $"is {MaxQueueBytesPerRequest}).");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:ShutdownTimeout must not be negative (it is {ShutdownTimeout}).");
        }

        if (FlushTimeout <= TimeSpan.Zero && FlushTimeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            problems.Add(
                $"{SectionName}:FlushTimeout must be positive, or infinite (-00:00:00.001) (it is {FlushTimeout}).");
        }

        if (WarningInterval < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:WarningInterval must not be negative (it is {WarningInterval}).");
        }

        if (MaxBufferedExportBytes < 1)
        {
            problems.Add($"{SectionName}:MaxBufferedExportBytes must be at least 1 (it is {MaxBufferedExportBytes}).");
        }

        if (MaxConcurrentExports is < 1 or > 64)
        {
            problems.Add(
                $"{SectionName}:MaxConcurrentExports must be between 1 and 64 (it is {MaxConcurrentExports}).");
        }

        if (RetryInitialBackoff <= TimeSpan.Zero || RetryMaxBackoff < RetryInitialBackoff)
        {
            problems.Add(
                $"{SectionName}:RetryInitialBackoff must be positive and RetryMaxBackoff at least as long (they "
                + $"are {RetryInitialBackoff} and {RetryMaxBackoff}).");
        }

        if (MaxDiskBufferBytes < 1)
        {
            problems.Add($"{SectionName}:MaxDiskBufferBytes must be at least 1 (it is {MaxDiskBufferBytes}).");
        }

        if (DiskBufferDirectory is { } directory && string.IsNullOrWhiteSpace(directory))
        {
            problems.Add($"{SectionName}:DiskBufferDirectory must name a directory when set (it is empty).");
        }

        problems.AddRange(
            TailSampling?.Problems() ?? new List<string> { $"{SectionName}:TailSampling must not be null." });

        return problems;
    }

    // The OpenTelemetry batch span processor's variables; a value that is not a positive integer is ignored.
    private static int FromEnvironment(string variable, int fallback) =>
        Positive(Environment.GetEnvironmentVariable(variable)) ?? fallback;

    private static int? Positive(string? value) =>
        int.TryParse(
            value,
            System.Globalization.NumberStyles.Integer,
            System.Globalization.CultureInfo.InvariantCulture,
            out var number)
        && number > 0
            ? number
            : null;
}

/// <summary>Checks <see cref="ExportQueueOptions"/> when the host starts.</summary>
internal sealed class ExportQueueOptionsValidator : IValidateOptions<ExportQueueOptions>
{
    public ValidateOptionsResult Validate(string? name, ExportQueueOptions options) =>
        options.Problems() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems)
            : ValidateOptionsResult.Success;
}
