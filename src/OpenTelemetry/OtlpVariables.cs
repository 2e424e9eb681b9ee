using System;
using System.Globalization;
using OpenTelemetry.Exporter;

namespace TracedLlm;

/// <summary>
/// OpenTelemetry's OTLP exporter variables for traces, read as the specification says
/// (specification/protocol/exporter.md, "Configuration Options"; configuration/sdk-environment-variables.md).
/// <see cref="OtlpExporterOptions"/>' public constructor reads only the variables shared by all signals
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>_HEADERS</c>, <c>_TIMEOUT</c>, <c>_PROTOCOL</c>,
/// <c>_COMPRESSION</c>); the traces-specific ones (<c>OTEL_EXPORTER_OTLP_TRACES_*</c>), which override
/// them, are read here, with the protocol (HTTP/protobuf unless one is given, case-insensitive) and
/// the timeout (0 is no limit) as the specification reads them. A value that cannot be used is
/// ignored with a warning (the endpoint's value is not quoted: it may hold credentials).
/// </summary>
internal static class OtlpVariables
{
    internal const string Endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    internal const string TracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    internal const string Headers = "OTEL_EXPORTER_OTLP_HEADERS";
    internal const string TracesHeaders = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
    internal const string Protocol = "OTEL_EXPORTER_OTLP_PROTOCOL";
    internal const string TracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
    internal const string Timeout = "OTEL_EXPORTER_OTLP_TIMEOUT";
    internal const string TracesTimeout = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
    internal const string Compression = "OTEL_EXPORTER_OTLP_COMPRESSION";
    internal const string TracesCompression = "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION";

    private const int DefaultTimeoutMilliseconds = 10_000;

    /// <summary>Whether an OTLP trace endpoint is configured (either endpoint variable set and not empty).</summary>
    public static bool EndpointIsSet(Func<string, string?> variable) =>
        Value(variable, TracesEndpoint) is not null || Value(variable, Endpoint) is not null;

    /// <summary>
    /// Applies the traces-specific variables over <paramref name="otlp"/> (made by the public constructor,
    /// which read the shared ones), and the protocol and timeout as the specification reads them. Returns
    /// true when the endpoint came from <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> (used as is, no
    /// <c>/v1/traces</c> added).
    /// </summary>
    public static bool Apply(OtlpExporterOptions otlp, Func<string, string?> variable, Action<string> warn)
    {
        otlp.Protocol = ReadProtocol(variable, warn);
        otlp.TimeoutMilliseconds = ReadTimeout(variable, warn, TracesTimeout);
        if (ReadCompression(variable, warn) is { } compression)
        {
            otlp.Compression = compression;
        }

        if (Value(variable, TracesHeaders) is { } headers)
        {
            otlp.Headers = headers;
        }

        if (Value(variable, TracesEndpoint) is { } endpoint)
        {
            if (Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                otlp.Endpoint = uri;
                return true;
            }

            warn(
                $"TracedLlm export: {TracesEndpoint} is not an http(s) URL; it is ignored ({Endpoint}, or the "
                + "default, is used).");
        }

        return false;
    }

    /// <summary>
    /// The export timeout in milliseconds from <paramref name="specific"/>, else <c>OTEL_EXPORTER_OTLP_TIMEOUT</c>,
    /// else 10 s.
    /// </summary>
    /// <remarks>
    /// Read as the specification's "Timeout" type: 0 is no limit (<see cref="System.Threading.Timeout.Infinite"/>), a
    /// negative or unreadable value is ignored with a warning (as if unset). OpenTelemetry .NET would pass 0 to
    /// <c>HttpClient.Timeout</c>, which refuses it, and the provider would not build.
    /// </remarks>
    public static int ReadTimeout(Func<string, string?> variable, Action<string> warn, string specific = Timeout) =>
        Read<int>(
            variable,
            warn,
            specific,
            Timeout,
            "a number of milliseconds (0 or more)",
            static value =>
                int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds)
                && milliseconds >= 0
                    ? milliseconds == 0
                        ? System.Threading.Timeout.Infinite
                        : milliseconds
                    : (int?)null
        ) ?? DefaultTimeoutMilliseconds;

    // The traces protocol, else the shared one, else HTTP/protobuf (the specification's default, and
    // TracedLlm's; OpenTelemetry .NET's own default is gRPC). Values are case-insensitive; http/json is a
    // protocol of the specification this exporter does not write: HTTP/protobuf goes to the same path.
    private static OtlpExportProtocol ReadProtocol(Func<string, string?> variable, Action<string> warn)
    {
        foreach (var name in new[] { TracesProtocol, Protocol })
        {
            if (Read(
                    variable,
                    warn,
                    name,
                    name,
                    "one of grpc, http/protobuf, http/json",
                    static value =>
                        value.ToLowerInvariant() switch
                        {
                            "grpc" => OtlpExportProtocol.Grpc,
                            "http/protobuf" or "http/json" => OtlpExportProtocol.HttpProtobuf,
                            _ => (OtlpExportProtocol?)null,
                        }
                ) is
                { } protocol)
            {
                if (Value(variable, name)!.Equals("http/json", StringComparison.OrdinalIgnoreCase))
                {
                    warn(
                        $"TracedLlm export: {name}=http/json is not supported; spans are sent as http/protobuf (an "
                        + "OTLP/HTTP receiver takes both on the same path).");
                }

                return protocol;
            }
        }

        return OtlpExportProtocol.HttpProtobuf;
    }

    private static OtlpExportCompression? ReadCompression(Func<string, string?> variable, Action<string> warn) =>
        Read(
            variable,
            warn,
            TracesCompression,
            Compression,
            "gzip or none",
            static value =>
                value.ToLowerInvariant() switch
                {
                    "gzip" => OtlpExportCompression.GZip,
                    "none" => OtlpExportCompression.None,
                    _ => (OtlpExportCompression?)null,
                });

    // The traces variable's value, else the shared one's: one that is empty is as unset, and one that
    // cannot be read is ignored, with a warning, as the specification asks.
    private static T? Read<T>(
        Func<string, string?> variable,
        Action<string> warn,
        string specific,
        string shared,
        string expected,
        Func<string, T?> parse)
        where T : struct
    {
        foreach (var name in specific == shared ? new[] { specific } : new[] { specific, shared })
        {
            if (Value(variable, name) is not { } value)
            {
                continue;
            }

            if (parse(value) is { } parsed)
            {
                return parsed;
            }

            warn($"TracedLlm export: {name}=\"{OtlpResponses.OneLine(value, 40)}\" is not {expected}; it is ignored.");
        }

        return null;
    }

    private static string? Value(Func<string, string?> variable, string name) =>
        variable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
