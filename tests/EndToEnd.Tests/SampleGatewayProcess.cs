using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The sample gateway started as its own process with a test's settings (none of the parent's
/// Langfuse or OTLP variables leak in), signalled the way an orchestrator stops it.
/// </summary>
internal static partial class SampleGatewayProcess
{
    // Variables of the test runner's own environment that would change what the sample exports.
    private static readonly string[] Inherited =
    {
        "LANGFUSE_PUBLIC_KEY",
        "LANGFUSE_SECRET_KEY",
        "LANGFUSE_HOST",
        "LANGFUSE_OTEL_HOST",
        "LANGFUSE_BASE_URL",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_BSP_MAX_QUEUE_SIZE",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        "OTEL_BSP_SCHEDULE_DELAY",
    };

    /// <summary>Starts the sample with <paramref name="settings"/>; it is not waited for.</summary>
    public static ChildProcess Start(IReadOnlyDictionary<string, string?> settings)
    {
        var environment = new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Production" };
        foreach (var name in Inherited)
        {
            environment[name] = null;
        }

        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var dll = EndToEndEnvironment.Metadata("SampleGatewayDll");
        return ChildProcess.Start(
            "dotnet",
            new[] { dll, "--urls", "http://127.0.0.1:0" },
            Path.GetDirectoryName(dll)!,
            environment);
    }

    /// <summary>Waits for the sample to listen; its base URL.</summary>
    public static Task<string> UrlAsync(ChildProcess gateway) =>
        gateway.WaitForLineAsync(
            line => ListeningOn().Match(line) is { Success: true } match ? match.Groups[1].Value : null,
            TimeSpan.FromSeconds(60));

    /// <summary>Sends SIGKILL: the process ends at once, as in a crash or an out-of-memory kill.</summary>
    public static Task KillAsync(ChildProcess process) =>
        ChildProcess.RunAsync(
            "kill",
            new[] { "-KILL", process.Id.ToString(CultureInfo.InvariantCulture) },
            Path.GetTempPath(),
            TimeSpan.FromSeconds(30));

    /// <summary>Sends SIGTERM, as Kubernetes, systemd and <c>docker stop</c> do.</summary>
    public static Task TerminateAsync(ChildProcess process) =>
        ChildProcess.RunAsync(
            "kill",
            new[] { "-TERM", process.Id.ToString(CultureInfo.InvariantCulture) },
            Path.GetTempPath(),
            TimeSpan.FromSeconds(30));

    /// <summary>
    /// Starts the loopback OTLP receiver (third-party decoder), on <paramref name="port"/> or a free one; the receiver
    /// and its port.
    /// </summary>
    public static async Task<(ChildProcess Receiver, int Port)> StartReceiverAsync(int port = 0)
    {
        await EndToEndEnvironment.NodePackagesAsync();
        var receiver = ChildProcess.Start(
            "node",
            new[] { "receiver.cjs", port.ToString(CultureInfo.InvariantCulture) },
            EndToEndEnvironment.NodeDirectory);
        var listening = await receiver.WaitForLineAsync(
            line =>
                line.StartsWith("{\"listening\"", StringComparison.Ordinal)
                    ? JsonDocument
                        .Parse(line)
                        .RootElement.GetProperty("listening")
                        .GetInt32()
                        .ToString(CultureInfo.InvariantCulture)
                    : null,
            TimeSpan.FromSeconds(30));
        return (receiver, int.Parse(listening, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
