using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TracedLlm;
using TracedLlm.Samples.Gateway;
using TracedLlm.Samples.Gateway.Policies;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;

var builder = WebApplication.CreateSlimBuilder(args);
var configuration = builder.Configuration;

// Provider wire formats are snake_case; the source-generated context keeps JSON free of reflection.
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
    options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    options.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
});

// TracedLlm: the run time of the generated routes, and the policies it runs.
builder.Services.AddTracedLlm();
builder.Services.AddOpenApi();
builder.Services.AddSingleton<ILlmAuthenticator>(new ApiKeyAuthenticator(GatewayKeys.All(configuration)));
builder.Services.AddSingleton<ILlmGuardrail>(new BannedWordGuardrail(configuration["Gateway:BannedWord"] ?? "forbidden"));
builder.Services.AddSingleton<ILlmGuardrail>(new ResponseLengthGuardrail(configuration.GetValue("Gateway:MaxResponseCharacters", 8000)));
builder.Services.AddSingleton<ILlmFailureLogger, LoggingFailureLogger>();

// The providers: the embedded one by default; with Upstream:BaseUrl, an OpenAI-compatible upstream
// first, retried on transient failures, falling back to the embedded provider.
var delays = new EmbeddedProviderDelays(
    TimeSpan.FromMilliseconds(configuration.GetValue("EmbeddedProvider:DelayMs", 0)),
    TimeSpan.FromMilliseconds(configuration.GetValue("EmbeddedProvider:FirstTokenDelayMs", 0)),
    TimeSpan.FromMilliseconds(configuration.GetValue("EmbeddedProvider:TokenDelayMs", 0)));
builder.Services.AddSingleton(new ChatClientProvider(EmbeddedChatClient.ProviderName, new EmbeddedChatClient(delays)));
var upstream = configuration["Upstream:BaseUrl"];

// With an upstream, requests are relayed to it by default (TracedLlm.ReverseProxy: YARP's forwarder,
// the upstream's bytes passed back as they come and read on the way); Upstream:Relay=false parses
// and re-serialises them through the typed providers instead. The sample's post-call guardrail
// checks a relayed stream as it grows, and its answers carry LiteLLM's attempt headers, as the
// typed routes' do (both settings also bind from TracedLlm:Relay).
var relays = !string.IsNullOrWhiteSpace(upstream) && configuration.GetValue("Upstream:Relay", true);
builder.Services.AddTracedLlmRelay(options =>
{
    options.PostCallGuardrails = configuration.GetValue("TracedLlm:Relay:PostCallGuardrails", RelayPostCallGuardrails.Incremental);
    options.AttemptResponseHeaders = configuration.GetValue("TracedLlm:Relay:AttemptResponseHeaders", true);
});
if (!string.IsNullOrWhiteSpace(upstream) && !relays)
{
    // Each upstream attempt is a span with its outcome, so the factory's per-request log lines
    // (and the log scope they open on every call) would only repeat it. The attempt also writes
    // the upstream request's traceparent itself (LlmAttempt.ApplyTraceContext): with no header
    // propagator, HttpClient leaves out its diagnostics handler, which would otherwise start an
    // Activity of its own for every call (unexported, only to propagate), a quarter of what
    // recording the spans costs the gateway (bench/results/2026-11-22-gateway.md).
    // The policy's attempt timeout and deadline own the upstream's time (Upstream:TimeoutMs,
    // Upstream:TotalTimeoutMs): HttpClient's own 100 s timeout would be a second, hidden one.
    // Like YARP's forwarder, the client keeps no cookies (an upstream's Set-Cookie must not reach
    // the next client's request) and follows no redirect (a 3xx is the upstream's answer, an
    // UpstreamException like any other non-success); each was a layer of work on every request.
    builder.Services.AddHttpClient(nameof(OpenAiCompatibleProvider), static client => client.Timeout = System.Threading.Timeout.InfiniteTimeSpan)
        .RemoveAllLoggers()
        .ConfigurePrimaryHttpMessageHandler(static () => new System.Net.Http.SocketsHttpHandler
        {
            ActivityHeadersPropagator = null,
            UseCookies = false,
            AllowAutoRedirect = false,
        });
    builder.Services.AddSingleton(services => new OpenAiCompatibleProvider(
        services.GetRequiredService<System.Net.Http.IHttpClientFactory>().CreateClient(nameof(OpenAiCompatibleProvider)),
        new Uri(upstream),
        configuration["Upstream:ApiKey"]));
}

builder.Services.AddSingleton(services =>
{
    var providers = new List<IChatProvider>();
    if (services.GetService<OpenAiCompatibleProvider>() is { } openAi)
    {
        providers.Add(openAi);
    }

    if (providers.Count == 0 || configuration.GetValue("Upstream:FallbackToEmbedded", true))
    {
        providers.Add(services.GetRequiredService<ChatClientProvider>());
    }

    var fallback = configuration.GetValue("Upstream:FallbackToEmbedded", true);
    var policy = UpstreamSettings.Policy(configuration, defaultRetries: providers.Count > 1 || (relays && fallback) ? 2 : 0);
    var allowedModels = (configuration["Gateway:AllowedModels"] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    return new ProviderRouter(providers, policy, configuration["Upstream:Model"], allowedModels)
    {
        Relay = !relays ? null : new UpstreamRelay(
            services.GetRequiredService<LlmRelay>(),
            new Uri(upstream!),
            configuration["Upstream:ApiKey"],
            policy,
            fallback ? new EmbeddedUpstream(services.GetRequiredService<ChatClientProvider>()) : null),
    };
});

// Tracing and metrics, owned by the host (OpenTelemetry.Extensions.Hosting): stopping it (SIGTERM,
// Ctrl+C) delivers the export queues within TracedLlm:Export:ShutdownTimeout. Every finished trace
// is printed as a tree; exported to Langfuse when its keys are set, over OTLP when
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set (Tracing:Enabled=false leaves tracing to the host, as the tests do).
var exportTargets = new List<Func<string>>();
if (configuration.GetValue("Tracing:Enabled", true))
{
    var langfuse = LangfuseExporterOptions.FromConfiguration(configuration);
    var otlpEndpoint = new[] { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT" }
        .Select(Environment.GetEnvironmentVariable).FirstOrDefault(value => !string.IsNullOrWhiteSpace(value));
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(resource => resource.AddService("tracedllm-sample-gateway"))
        .WithTracing(tracing =>
        {
            tracing.AddTracedLlm();
            if (configuration.GetValue("Tracing:Console", true))
            {
                tracing.AddTracedLlmConsoleTree();
            }

            if (langfuse.IsConfigured)
            {
                // A key given but empty, or a malformed host, stops the start with one line (below).
                tracing.AddTracedLlmLangfuseExporter();
                // The endpoint as the exporter uses it, so a host given without a scheme shows the https:// it gets.
                exportTargets.Add(() => $"Langfuse at {Address(langfuse.Endpoint.ToString())}");
            }

            if (!string.IsNullOrEmpty(otlpEndpoint))
            {
                tracing.AddTracedLlmOtlpExporter();
                exportTargets.Add(() => $"OTLP at {Address(otlpEndpoint)}");
            }

            // Team- and key-based destinations (TracedLlm:Routing): each team's traces to its own
            // backend, chosen by the key it authenticated with (Gateway:Teams), nowhere else.
            var destinations = configuration.GetSection(TraceRoutingOptions.SectionName + ":Destinations").GetChildren().ToList();
            if (destinations.Count > 0)
            {
                tracing.AddTracedLlmDestinations();
                exportTargets.Add(() => "destinations by team: " + string.Join(", ", destinations.Select(d => $"{d.Key} ({d["Kind"] ?? "Otlp"})")));
            }
        })
        .WithMetrics(metrics =>
        {
            metrics.AddTracedLlm();
            if (string.Equals(configuration["OTEL_METRICS_EXPORTER"], "otlp", StringComparison.OrdinalIgnoreCase))
            {
                metrics.AddOtlpExporter(otlp => otlp.Protocol = string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_PROTOCOL"]) ? OtlpExportProtocol.HttpProtobuf : otlp.Protocol);
            }
        });
}

var app = builder.Build();
try
{
    // The options' start-up checks, run before the host starts: a configuration mistake (a Langfuse
    // key given but empty, a malformed host, a queue size of 0) is one line naming the setting and
    // exit code 1, not the host's "Hosting failed to start" with a stack trace.
    app.Services.GetService<IStartupValidator>()?.Validate();
}
catch (Exception invalid) when (ValidationMessages(invalid) is { } messages)
{
    Console.Error.WriteLine($"tracedllm-sample-gateway: cannot start: {messages}");
    return 1;
}

app.MapTracedLlmRoutes();
app.MapGet("/health", () => "ok");
// Reliability runs (bench/load): how many TracedLlm spans started and stopped, and the working set.
if (configuration.GetValue("Diagnostics:CountActivities", false))
{
    var counts = new ActivityCounts();
    app.MapGet("/tracedllm/diagnostics", () => Results.Json(counts.Snapshot(), GatewayJsonContext.Default.ActivityCountsSnapshot));
}

// The build-time telemetry manifest of the traced routes, and their OpenAPI document at /openapi/v1.json.
app.MapTracedLlmManifest();
app.MapOpenApi();

foreach (var target in exportTargets)
{
    app.Logger.LogInformation("Exporting traces to {Target}", target());
}

if (GatewayKeys.UsesDevelopmentKey(configuration))
{
    app.Logger.LogWarning("No Gateway:ApiKeys configured: accepting the development key from the README. Set Gateway__ApiKeys for real use.");
}

app.Run();
return 0;

/// <summary>The entry point; public for the in-process tests.</summary>
public partial class Program
{
    // The messages of failed options checks on one line (several option types failing come as one
    // AggregateException); null for any other exception.
    // An export endpoint as the log names it: its scheme, host, port and path, never its user info or
    // query, which may hold a credential (https://user:token@collector/, ?api-key=...).
    private static string Address(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "an address that is not a URL";

    private static string? ValidationMessages(Exception exception) => exception switch
    {
        OptionsValidationException invalid => invalid.Message,
        AggregateException { InnerExceptions: var all } when all.All(e => e is OptionsValidationException) => string.Join(" ", all.Select(e => e.Message)),
        _ => null,
    };
}

/// <summary>
/// The gateway's API keys: <c>Gateway:ApiKeys</c> (comma-separated, no team), and each team's
/// <c>Gateway:Teams:{team}:ApiKeys</c> (its display name <c>Gateway:Teams:{team}:Alias</c>); the
/// development key when none is configured.
/// </summary>
internal static class GatewayKeys
{
    /// <summary>The documented development key, accepted only when no key is configured.</summary>
    public const string DevelopmentKey = "sk-tracedllm-dev";

    public static string[] From(IConfiguration configuration) => All(configuration).Select(key => key.Key).ToArray();

    /// <summary>Every key, a team's with its caller: the team, its alias, and the key's own alias (<c>{team}-key-{n}</c>).</summary>
    public static List<GatewayKey> All(IConfiguration configuration)
    {
        var keys = Split(configuration["Gateway:ApiKeys"]).Select(key => new GatewayKey(key, null)).ToList();
        foreach (var team in configuration.GetSection("Gateway:Teams").GetChildren())
        {
            var n = 0;
            foreach (var key in Split(team["ApiKeys"]))
            {
                keys.Add(new GatewayKey(key, new LlmCaller { TeamId = team.Key, TeamAlias = team["Alias"], KeyAlias = $"{team.Key}-key-{++n}" }));
            }
        }

        return keys.Count > 0 ? keys : new List<GatewayKey> { new(DevelopmentKey, null) };
    }

    public static bool UsesDevelopmentKey(IConfiguration configuration) =>
        From(configuration).SequenceEqual(new[] { DevelopmentKey });

    private static string[] Split(string? keys) => (keys ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Counts TracedLlm spans started and stopped, for reliability runs: a leak is a difference that stays.</summary>
internal sealed class ActivityCounts
{
    private readonly System.Diagnostics.ActivityListener _listener;
    private long _started;
    private long _stopped;

    public ActivityCounts()
    {
        _listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = _ => System.Threading.Interlocked.Increment(ref _started),
            ActivityStopped = _ => System.Threading.Interlocked.Increment(ref _stopped),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(_listener);
    }

    public ActivityCountsSnapshot Snapshot()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return new ActivityCountsSnapshot(System.Threading.Interlocked.Read(ref _started), System.Threading.Interlocked.Read(ref _stopped), process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
    }
}

/// <summary>What /tracedllm/diagnostics reports.</summary>
internal sealed record ActivityCountsSnapshot(long Started, long Stopped, long WorkingSetBytes, long ManagedHeapBytes);
