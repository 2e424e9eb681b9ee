using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The peers every end-to-end test shares: the loopback OTLP receiver (Node, third-party decoder)
/// and the sample gateway as its own process, exporting to the receiver both the Langfuse way and
/// the generic OTLP way. The npm packages come from the project's lockfile (<c>npm ci</c> when missing).
/// </summary>
public sealed partial class EndToEndEnvironment : IAsyncLifetime
{
    public const string ApiKey = "sk-e2e-gateway-key-5d1f";
    public const string LangfusePublicKey = "pk-lf-e2e-public";
    public const string LangfuseSecretKey = "sk-lf-e2e-secret-93ab";

    private ChildProcess? _receiver;
    private ChildProcess? _gateway;

    public static string NodeDirectory => Metadata("NodeDirectory");

    public string GatewayUrl { get; private set; } = string.Empty;

    public string GatewayOutput => _gateway?.Output ?? string.Empty;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(NodeDirectory, "node_modules", "@opentelemetry", "otlp-transformer", "package.json")))
        {
            await ChildProcess.RunAsync("npm", new[] { "ci", "--no-audit", "--no-fund" }, NodeDirectory, TimeSpan.FromMinutes(5));
        }

        _receiver = ChildProcess.Start("node", new[] { "receiver.cjs" }, NodeDirectory);
        var port = await _receiver.WaitForLineAsync(line => line.StartsWith("{\"listening\"", StringComparison.Ordinal)
            ? JsonDocument.Parse(line).RootElement.GetProperty("listening").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture)
            : null, TimeSpan.FromSeconds(30));

        var gatewayDll = Metadata("SampleGatewayDll");
        _gateway = ChildProcess.Start("dotnet", new[] { gatewayDll, "--urls", "http://127.0.0.1:0" }, Path.GetDirectoryName(gatewayDll)!, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Gateway__ApiKeys"] = ApiKey,
            ["LANGFUSE_PUBLIC_KEY"] = LangfusePublicKey,
            ["LANGFUSE_SECRET_KEY"] = LangfuseSecretKey,
            ["LANGFUSE_OTEL_HOST"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        GatewayUrl = await _gateway.WaitForLineAsync(line => ListeningOn().Match(line) is { Success: true } match ? match.Groups[1].Value : null, TimeSpan.FromSeconds(60));
    }

    public Task DisposeAsync()
    {
        _gateway?.Dispose();
        _receiver?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Export requests received so far.</summary>
    public IReadOnlyList<ExportRequest> Exports() =>
        (_receiver?.Lines ?? Array.Empty<string>()).Select(ExportRequest.TryParse).OfType<ExportRequest>().ToList();

    /// <summary>Waits until the gateway's spans of one trace, sent the Langfuse way, include a server span, and returns them.</summary>
    public async Task<IReadOnlyList<ExportedSpan>> GatewayTraceAsync(string traceId, int expectedSpans)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var spans = LangfuseExports().SelectMany(e => e.Spans).Where(s => s.TraceId == traceId && s.Service == "tracedllm-sample-gateway").ToList();
            if (spans.Count >= expectedSpans)
            {
                return spans;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Got {spans.Count} of {expectedSpans} spans of trace {traceId}. Gateway output:\n{GatewayOutput}");
            }

            await Task.Delay(50);
        }
    }

    public IEnumerable<ExportRequest> LangfuseExports() => Exports().Where(e => e.Path == "/api/public/otel/v1/traces");

    /// <summary>Runs a Node client script and returns its JSON report (its last output line).</summary>
    public async Task<JsonElement> RunNodeClientAsync(string script, string baseUrl)
    {
        var output = await ChildProcess.RunAsync("node", new[] { script, baseUrl, ApiKey }, NodeDirectory, TimeSpan.FromMinutes(1));
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(line => line.StartsWith('{'));
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    internal static string Metadata(string key) =>
        typeof(EndToEndEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndEnvironment>
{
    public const string Name = "end-to-end";
}
