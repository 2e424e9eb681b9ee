using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The peers every end-to-end test shares: the loopback OTLP receiver (Node, third-party decoder)
/// and the sample gateway as its own process, exporting to the receiver both the Langfuse way and
/// the generic OTLP way. The npm packages come from the project's lockfile (<c>npm ci</c> when missing).
/// </summary>
public sealed class EndToEndEnvironment : SampleGatewayEnvironment
{
    public const string ApiKey = SampleGatewayEnvironment.GatewayApiKey;
    public const string LangfusePublicKey = SampleGatewayEnvironment.PublicKey;
    public const string LangfuseSecretKey = SampleGatewayEnvironment.SecretKey;
}

/// <summary>
/// A sample gateway process exporting to a loopback OTLP receiver. Subclasses add peers (started
/// before the gateway) and gateway settings; one instance per test class or collection.
/// </summary>
public abstract partial class SampleGatewayEnvironment : IAsyncLifetime
{
    protected const string GatewayApiKey = "sk-e2e-gateway-key-5d1f";
    protected const string PublicKey = "pk-lf-e2e-public";
    protected const string SecretKey = "sk-lf-e2e-secret-93ab";

    private ChildProcess? _receiver;
    private ChildProcess? _gateway;

    public static string NodeDirectory => Metadata("NodeDirectory");

    /// <summary>
    /// The npm packages from the lockfile, installed once per test process. Test classes run in
    /// parallel: every one that starts node awaits this same task, so none starts a script while
    /// <c>npm ci</c> is replacing node_modules under it.
    /// </summary>
    public static Task NodePackagesAsync() => NodePackages.Value;

    private static readonly Lazy<Task> NodePackages = new(async () =>
    {
        // Every package of package.json present, or the lockfile installed again (a package added since the last npm
        // ci).
        using var manifest = JsonDocument.Parse(
            await File.ReadAllTextAsync(Path.Combine(NodeDirectory, "package.json")));
        var missing = manifest.RootElement
            .GetProperty("dependencies")
            .EnumerateObject()
            .Any(package => !File.Exists(Path.Combine(NodeDirectory, "node_modules", package.Name, "package.json")));
        if (missing)
        {
            await ChildProcess.RunAsync(
                "npm",
                new[] { "ci", "--no-audit", "--no-fund" },
                NodeDirectory,
                TimeSpan.FromMinutes(5));
        }
    });

    public string GatewayUrl { get; private set; } = string.Empty;

    public string GatewayOutput => _gateway?.Output ?? string.Empty;

    public async Task InitializeAsync()
    {
        await NodePackagesAsync();
        _receiver = ChildProcess.Start("node", new[] { "receiver.cjs" }, NodeDirectory);
        var port = await ListeningPortAsync(_receiver);
        await StartPeersAsync();

        var settings = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Gateway__ApiKeys"] = GatewayApiKey,
            ["LANGFUSE_PUBLIC_KEY"] = PublicKey,
            ["LANGFUSE_SECRET_KEY"] = SecretKey,
            ["LANGFUSE_OTEL_HOST"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        };
        foreach (var (key, value) in GatewaySettings())
        {
            settings[key] = value;
        }

        var gatewayDll = Metadata("SampleGatewayDll");
        _gateway = ChildProcess.Start(
            "dotnet",
            new[] { gatewayDll, "--urls", "http://127.0.0.1:0" },
            Path.GetDirectoryName(gatewayDll)!,
            settings);
        GatewayUrl = await _gateway.WaitForLineAsync(
            line => ListeningOn().Match(line) is { Success: true } match ? match.Groups[1].Value : null,
            TimeSpan.FromSeconds(60));
    }

    public virtual Task DisposeAsync()
    {
        _gateway?.Dispose();
        _receiver?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Every line the OTLP receiver printed so far (traces and metrics alike).</summary>
    public IReadOnlyList<string> ReceiverLines() => _receiver?.Lines ?? Array.Empty<string>();

    /// <summary>Export requests received so far.</summary>
    public IReadOnlyList<ExportRequest> Exports() =>
        (_receiver?.Lines ?? Array.Empty<string>()).Select(ExportRequest.TryParse).OfType<ExportRequest>().ToList();

    /// <summary>
    /// Waits until the gateway's spans of one trace, sent the Langfuse way, number at least
    /// <paramref name="expectedSpans"/> and include a server span (it ends after its children, so
    /// it may come in a later export than they do), and returns them.
    /// </summary>
    public async Task<IReadOnlyList<ExportedSpan>> GatewayTraceAsync(string traceId, int expectedSpans)
    {
        List<ExportedSpan> spans = new();
        bool Arrived()
        {
            spans = LangfuseExports()
                .SelectMany(e => e.Spans)
                .Where(s => s.TraceId == traceId && s.Service == "tracedllm-sample-gateway")
                .ToList();
            return spans.Count >= expectedSpans && spans.Any(s => s.Kind == "SERVER");
        }

        return await Eventually.TryAsync(Arrived, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50))
            ? spans
            : throw new TimeoutException(
                $"Got {spans.Count} of {expectedSpans} spans of trace {traceId}. Gateway output:\n{GatewayOutput}");
    }

    public IEnumerable<ExportRequest> LangfuseExports() => Exports().Where(e => e.Path == "/api/public/otel/v1/traces");

    /// <summary>Runs a Node client script and returns its JSON report (its last output line).</summary>
    public Task<JsonElement> RunNodeClientAsync(string script, string baseUrl) =>
        RunNodeClientAsync(script, baseUrl, Array.Empty<string>());

    /// <summary>
    /// Runs a Node client script with the base URL, the gateway's key and more arguments; returns its JSON report (its
    /// last output line).
    /// </summary>
    public async Task<JsonElement> RunNodeClientAsync(string script, string baseUrl, params string[] arguments)
    {
        var output = await ChildProcess.RunAsync(
            "node",
            new[] { script, baseUrl, GatewayApiKey }.Concat(arguments),
            NodeDirectory,
            TimeSpan.FromMinutes(1));
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(line => line.StartsWith('{'));
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    /// <summary>
    /// POSTs JSON to the gateway with its key as a bearer token, and a <c>traceparent</c> when given; returns the
    /// status.
    /// </summary>
    public async Task<HttpStatusCode> PostAsync(string path, string json, string? traceparent)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, GatewayUrl + path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json")
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayApiKey);
        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }

        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Peers the gateway needs, started after the receiver and before the gateway.</summary>
    protected virtual Task StartPeersAsync() => Task.CompletedTask;

    /// <summary>Settings (environment variables) added to, or replacing, the gateway's defaults.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> GatewaySettings() =>
        Array.Empty<KeyValuePair<string, string?>>();

    /// <summary>The port a Node peer printed as <c>{"listening": port}</c>.</summary>
    private protected static Task<string> ListeningPortAsync(ChildProcess peer) =>
        peer.WaitForLineAsync(
            line =>
                line.StartsWith("{\"listening\"", StringComparison.Ordinal)
                    ? JsonDocument
                        .Parse(line)
                        .RootElement.GetProperty("listening")
                        .GetInt32()
                        .ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : null,
            TimeSpan.FromSeconds(30));

    internal static string Metadata(string key) =>
        typeof(SampleGatewayEnvironment)
            .Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == key)
            .Value!;

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndEnvironment>
{
    public const string Name = "end-to-end";
}
