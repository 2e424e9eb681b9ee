using System;
using System.Globalization;

namespace TracedLlm;

/// <summary>
/// Bounds on what one request can write into its spans. Clients choose most of what a gateway
/// records (model names, metadata keys and values, span names), so every such value is cut to a
/// length, every span to a number of attributes and events, and each request to a byte budget:
/// a client that sends huge values pays for its own size, in its own spans, and nobody else's.
/// Defaults follow the OpenTelemetry SDK variables where they exist. Whatever is cut or left out
/// is counted by the <c>tracedllm.telemetry.dropped</c> counter and marked on the span
/// (<c>tracedllm.telemetry.dropped</c>); a truncated value ends with <see cref="TruncationMarker"/>.
/// </summary>
public sealed class TelemetryLimits
{
    /// <summary>What a truncated value ends with.</summary>
    public const string TruncationMarker = "…[truncated]";

    /// <summary>A span name (metadata <c>generation_name</c>) is never longer than this many characters.</summary>
    public const int MaxSpanNameLength = 256;

    /// <summary>
    /// The longest client-derived string value recorded, in characters; longer values are cut and end
    /// with <see cref="TruncationMarker"/>. Default: <c>OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT</c>,
    /// else <c>OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT</c>, else 4,096.
    /// </summary>
    public int MaxAttributeValueLength { get; set; }

    /// <summary>
    /// The most attributes TracedLlm writes on one span; the contract's own attributes come first,
    /// client metadata last, so it is metadata that is left out. Default:
    /// <c>OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT</c>, else <c>OTEL_ATTRIBUTE_COUNT_LIMIT</c>, else 128.
    /// </summary>
    public int MaxAttributesPerSpan { get; set; }

    /// <summary>
    /// The most events TracedLlm adds to one span (exceptions, handled failures). Default:
    /// <c>OTEL_SPAN_EVENT_COUNT_LIMIT</c>, else 128.
    /// </summary>
    public int MaxEventsPerSpan { get; set; }

    /// <summary>
    /// How many entries of each client-chosen metadata collection are read: unrecognized slot keys,
    /// <c>trace_metadata</c> keys, <c>tags</c>. Recognized keys are always read. Default 64.
    /// </summary>
    public int MaxMetadataKeys { get; set; } = 64;

    /// <summary>
    /// The UTF-8 bytes of client-derived text (keys and values, captured content included) one
    /// request may record across all its spans; past it, values are left out. Default 128 KiB.
    /// </summary>
    public int MaxTelemetryBytesPerRequest { get; set; } = 128 * 1024;

    /// <summary>
    /// Creates the limits with their defaults, reading the OpenTelemetry variables from the environment.
    /// </summary>
    public TelemetryLimits()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    private TelemetryLimits(Func<string, string?> variable)
    {
        MaxAttributeValueLength = 4096;
        MaxAttributesPerSpan = 128;
        MaxEventsPerSpan = 128;
        ReadVariables(variable);
    }

    /// <summary>
    /// Takes the OpenTelemetry limit variables that are set (a configuration's, or the environment's).
    /// </summary>
    internal void ReadVariables(Func<string, string?> variable)
    {
        MaxAttributeValueLength = Read(
            variable,
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            MaxAttributeValueLength);
        MaxAttributesPerSpan = Read(
            variable,
            "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
            "OTEL_ATTRIBUTE_COUNT_LIMIT",
            MaxAttributesPerSpan);
        MaxEventsPerSpan = Read(variable, "OTEL_SPAN_EVENT_COUNT_LIMIT", null, MaxEventsPerSpan);
    }

    /// <summary>
    /// Creates the limits with their defaults read from any variable source (the environment, or a test's dictionary).
    /// </summary>
    public static TelemetryLimits FromVariables(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return new TelemetryLimits(variable);
    }

    /// <summary>
    /// A span-specific variable, else the general one, else the default; a value that is not a non-negative integer is
    /// ignored.
    /// </summary>
    private static int Read(Func<string, string?> variable, string specific, string? general, int fallback)
    {
        foreach (var name in new[] { specific, general })
        {
            if (name is not null
                && int.TryParse(variable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return fallback;
    }
}
