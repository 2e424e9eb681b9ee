using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TracedLlm.Gateway.Fixture;
using Yarp.ReverseProxy.Configuration;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Coverage you can see: the application's endpoints that look like LLM API paths but are not
/// traced, a YARP gateway's routes included, in the served manifest and in one warning at start.
/// </summary>
public sealed class CoverageTests
{
    private static readonly BackendConfig[] Backends =
    {
        new() { Id = "BACKEND_1", Url = "http://127.0.0.1:9", ApiKey = "backend-key", Models = new[] { "gpt-4o" } },
    };

    [Fact]
    public async Task UntracedLlmEndpointsAndYarpRoutesAreListedInTheManifestAndLoggedAtStart()
    {
        var logs = new LogCapture();
        var (app, address) = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddFixtureGateway(Backends);
                services.AddSingleton<ILoggerProvider>(logs);
                AddYarpRoute(services, "catch-all", new RouteMatch { Path = "{**catch-all}" });
            },
            app =>
            {
                app.MapFixtureGateway();
                app.MapTracedLlmManifest();
                app.MapPost("/v1/embeddings", () => Results.Ok()).WithDisplayName("Embeddings");
                app.MapPost("/tenants/{tenant}/chat/completions", () => Results.Ok()).WithDisplayName("Tenant chat");
                app.MapGet("/v1/models", () => Results.Ok());
                app.MapPost("/orders", () => Results.Ok());
                app.MapReverseProxy();
            });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var manifest = JsonNode.Parse(await client.GetStringAsync("/tracedllm/manifest"))!;
            var untraced = manifest["untracedEndpoints"]!.AsArray().ToDictionary(e => (string)e!["endpoint"]!);

            Assert.Equal(
                new[] { "Embeddings", "Tenant chat", "catch-all" },
                untraced.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("POST", (string)untraced["Embeddings"]!["method"]!);
            Assert.Equal("/v1/embeddings", (string)untraced["Embeddings"]!["path"]!);
            Assert.Equal(new[] { "/v1/embeddings" }, Paths(untraced["Embeddings"]!));
            Assert.Equal(new[] { "/tenants/{tenant}/chat/completions" }, Paths(untraced["Tenant chat"]!));

            // YARP's catch-all takes every LLM path no traced route serves: embeddings, responses, legacy
            // completions... but not the chat paths the fixture traces.
            var yarp = untraced["catch-all"]!;
            Assert.Equal("yarp", (string)yarp["source"]!);
            Assert.Equal("*", (string)yarp["method"]!);
            var yarpPaths = Paths(yarp);
            Assert.Contains("/v1/embeddings", yarpPaths);
            Assert.Contains("/v1/responses", yarpPaths);
            Assert.Contains("/v1/completions", yarpPaths);
            Assert.Contains("/openai/deployments/probe-deployment/embeddings", yarpPaths);
            Assert.Contains("/v1/messages", yarpPaths);
            Assert.DoesNotContain("/v1/chat/completions", yarpPaths);
            Assert.DoesNotContain("/openai/deployments/probe-deployment/chat/completions", yarpPaths);

            // The traced routes are in the manifest's routes, as the build wrote them.
            Assert.Contains(
                manifest["routes"]!.AsArray(),
                r => (string)r!["path"]! == "/openai/deployments/{deploymentName}/chat/completions");

            // The coverage warning (the one that YARP's forwarder errors go unread depends on what else the process
            // registered: the reader is process-wide).
            var warning = Assert.Single(
                logs.Entries,
                e => e.Category == TracedLlmStartupReport.LoggerCategory
                    && e.Level == LogLevel.Warning
                    && e.Message.Contains("look like LLM API paths", StringComparison.Ordinal));
            Assert.StartsWith(
                "3 endpoint(s) look like LLM API paths but are not traced",
                warning.Message,
                StringComparison.Ordinal);
            Assert.Contains(
                "'Embeddings' (POST /v1/embeddings) takes /v1/embeddings",
                warning.Message,
                StringComparison.Ordinal);
            Assert.Contains(
                "YARP route 'catch-all' (* {**catch-all}) takes /v1/completions, /v1/embeddings, /v1/responses, "
                + "/v1/images/generations and ",
                warning.Message,
                StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task ControllerActionsAndAPathScopedYarpRouteAreListedByTheLlmPathsTheyTake()
    {
        var (app, address) = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddFixtureGateway(Backends);
                services.AddControllers().AddApplicationPart(typeof(LegacyProxyController).Assembly);
                AddYarpRoute(
                    services,
                    "azure-openai",
                    new RouteMatch { Path = "/openai/{**rest}", Methods = new[] { "POST" } });
            },
            app =>
            {
                app.MapFixtureGateway();
                app.MapTracedLlmManifest();
                app.MapControllers();
                app.MapReverseProxy();
            });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var manifest = JsonNode.Parse(await client.GetStringAsync("/tracedllm/manifest"))!;
            var untraced = manifest["untracedEndpoints"]!.AsArray().ToDictionary(e => (string)e!["path"]!);

            // The controller's completion actions, by their templates; its model list (a GET) is no LLM call.
            Assert.Equal(
                new[] { "/openai/{**rest}", "api/llm/v1/completions", "api/llm/v1/embeddings" },
                untraced.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(
                ("POST", "endpoint"),
                ((string)untraced["api/llm/v1/embeddings"]!["method"]!,
                    (string)untraced["api/llm/v1/embeddings"]!["source"]!));
            Assert.Equal(new[] { "api/llm/v1/completions" }, Paths(untraced["api/llm/v1/completions"]!));

            // YARP's Azure route takes the deployment paths the fixture does not trace, and not the chat one it does.
            var yarp = untraced["/openai/{**rest}"]!;
            Assert.Equal(
                ("yarp", "POST", "azure-openai"),
                ((string)yarp["source"]!, (string)yarp["method"]!, (string)yarp["endpoint"]!));
            var yarpPaths = Paths(yarp);
            Assert.Contains("/openai/deployments/probe-deployment/embeddings", yarpPaths);
            Assert.Contains("/openai/v1/responses", yarpPaths);
            Assert.DoesNotContain("/openai/deployments/probe-deployment/chat/completions", yarpPaths);
            Assert.All(yarpPaths, path => Assert.StartsWith("/openai/", path, StringComparison.Ordinal));
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task AnApplicationWhoseLlmPathsAreAllTracedHasAnEmptyListAndLogsNothing()
    {
        var logs = new LogCapture();
        var (app, address) = await LoopbackApp.StartAsync(
            services => services.AddFixtureGateway(Backends).AddSingleton<ILoggerProvider>(logs),
            app =>
            {
                app.MapFixtureGateway();
                app.MapTracedLlmManifest();
                app.MapGet("/health", () => "ok");
                app.MapPost("/admin/backends/{id}/reset", () => Results.Ok());
            });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var manifest = JsonNode.Parse(await client.GetStringAsync("/tracedllm/manifest"))!;
            Assert.Empty(manifest["untracedEndpoints"]!.AsArray());
            Assert.DoesNotContain(
                logs.Entries,
                e => e.Category == TracedLlmStartupReport.LoggerCategory && e.Level == LogLevel.Warning);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task TheStartUpWarningIsOptional()
    {
        var logs = new LogCapture();
        var (app, _) = await LoopbackApp.StartAsync(
            services =>
                services
                    .AddFixtureGateway(Backends)
                    .AddSingleton<ILoggerProvider>(logs)
                    .Configure<TracedLlmOptions>(o => o.LogStartupReport = false),
            app =>
            {
                app.MapFixtureGateway();
                app.MapPost("/v1/embeddings", () => Results.Ok());
            });
        await LoopbackApp.StopAsync(app);

        Assert.DoesNotContain(logs.Entries, e => e.Category == TracedLlmStartupReport.LoggerCategory);
    }

    /// <summary>YARP with one route to the backends' cluster.</summary>
    private static void AddYarpRoute(IServiceCollection services, string routeId, RouteMatch match) =>
        services
            .AddReverseProxy()
            .LoadFromMemory(
                new[]
                {
                    new RouteConfig
                    {
                        RouteId = routeId,
                        ClusterId = "backends",
                        Match = match
                    }
                },
                new[]
                {
                    new ClusterConfig
                    {
                        ClusterId = "backends",
                        Destinations = new Dictionary<string, DestinationConfig>
                        {
                            ["BACKEND_1"] = new() { Address = "http://127.0.0.1:9" }
                        }
                    }
                });

    private static string[] Paths(JsonNode endpoint) =>
        endpoint["llmPaths"]!.AsArray().Select(p => (string)p!).ToArray();

    /// <summary>Keeps every log entry with its category and level.</summary>
    internal sealed class LogCapture : ILoggerProvider
    {
        private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

        public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => _entries.ToList();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(
                LogLevel logLevel,
                EventId eventId,
                TState state,
                Exception? exception,
                Func<TState, Exception?, string> formatter
            ) => entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}

/// <summary>An MVC proxy's controller, as the controller-based proxies write theirs (untraced).</summary>
[ApiController]
[Route("api/llm/v1")]
public sealed class LegacyProxyController : ControllerBase
{
    [HttpPost("completions")]
    public IActionResult Completions() => Ok();

    [HttpPost("embeddings")]
    public IActionResult Embeddings() => Ok();

    [HttpGet("models")]
    public IActionResult Models() => Ok();
}
