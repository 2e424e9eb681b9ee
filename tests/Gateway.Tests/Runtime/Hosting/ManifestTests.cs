using System;
using System.IO;
using System.Net;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The build-time telemetry manifest: served at /tracedllm/manifest (MapTracedLlmManifest), written to the build
/// output, and compared with a checked-in snapshot so a change in trace shape is a reviewable diff.
/// Set TRACEDLLM_UPDATE_SNAPSHOTS=1 to accept a change.
/// </summary>
public sealed class ManifestTests
{
    [Fact]
    public async Task TheServedManifestMatchesTheSnapshot()
    {
        using var host = new GatewayHost();
        var served = await host.CreateClient().GetStringAsync("/tracedllm/manifest");

        var snapshot = Path.Combine(ProjectDirectory(), "Snapshots", "tracedllm-manifest.json");
        var actual = JsonNode.Parse(served)!;
        if (Environment.GetEnvironmentVariable("TRACEDLLM_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(snapshot, actual.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }

        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(snapshot)), actual),
            $"The manifest differs from {snapshot}; run with TRACEDLLM_UPDATE_SNAPSHOTS=1 to accept it.");
    }

    [Fact]
    public async Task MapTracedLlmManifestServesTheBuildTimeManifestOnceTheRoutesAreMapped()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddTracedLlm().AddSingleton(TestProviders.Embedded());
        await using var app = builder.Build();

        // Mapped before the routes, on a path of its own: the manifest is looked up per request.
        app.MapTracedLlmManifest("/ops/trace-manifest");
        await app.StartAsync();
        using var client = app.GetTestClient();
        using (var before = await client.GetAsync("/ops/trace-manifest"))
        {
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        }

        app.MapTracedLlmRoutes();
        using var after = await client.GetAsync("/ops/trace-manifest");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("application/json", after.Content.Headers.ContentType?.MediaType);

        // The build-time document, and the running application's coverage: nothing else looks like an LLM API,
        // and no model request went around an attempt.
        var served = JsonNode.Parse(await after.Content.ReadAsStringAsync())!.AsObject();
        Assert.Empty(served["untracedEndpoints"]!.AsArray());
        served.Remove("untracedEndpoints");
        Assert.Empty(served["unattemptedModelRequests"]!.AsArray());
        served.Remove("unattemptedModelRequests");

        // The convention mode in force is the running application's too: the default here.
        Assert.Equal(
            ("default", "1.37.0", "https://opentelemetry.io/schemas/1.37.0"),
            ((string?)served["conventionMode"], (string?)served["conventionVersion"], (string?)served["schemaUrl"]));
        served.Remove("conventionMode");
        served.Remove("conventionVersion");
        served.Remove("schemaUrl");

        // And what each route answers that the app did not, read from the endpoints the app started with
        // (routes mapped after start are not among them here; AdoptionReportTests reads a whole report).
        Assert.IsType<JsonArray>(served["adoption"]);
        served.Remove("adoption");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(TracedLlm.Generated.TracedLlmRouteTable.ManifestJson), served));
        Assert.Equal(
            HttpStatusCode.NotFound,
            (await client.GetAsync(TracedLlmManifestEndpointRouteBuilderExtensions.DefaultPattern)).StatusCode);
    }

    [Fact]
    public void TheBuildTimeManifestNamesTheDefaultModesReleaseAndSchemaUrl()
    {
        // The generator's constants and the runtime's, kept in step: the contract the build pins is the default mode's.
        var manifest = JsonNode.Parse(TracedLlm.Generated.TracedLlmRouteTable.ManifestJson)!;
        Assert.Equal(SemanticConventions.DefaultVersion, (string?)manifest["semanticConventions"]);
        Assert.Equal(SemanticConventions.DefaultSchemaUrl, (string?)manifest["semanticConventionsSchemaUrl"]);
    }

    [Fact]
    public void MapTracedLlmManifestNeedsAddTracedLlm()
    {
        var builder = WebApplication.CreateSlimBuilder();
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapTracedLlmManifest());
        Assert.Contains("AddTracedLlm()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheBuildWritesTheSameManifestToTheOutputFolder()
    {
        var configuration = typeof(ManifestTests)
            .Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!
            .Configuration;
        var written = Path.Combine(
            ProjectDirectory(),
            "..",
            "..",
            "samples",
            "Gateway",
            "bin",
            configuration,
            "net10.0",
            "tracedllm-manifest.json");

        Assert.True(File.Exists(written), $"{written} was not written by the build");
        Assert.True(
            JsonNode.DeepEquals(
                JsonNode.Parse(File.ReadAllText(written)),
                JsonNode.Parse(TracedLlm.Generated.TracedLlmRouteTable.ManifestJson)));
    }

    [Fact]
    public void EverySpanAndAttributeInTheManifestIsARuntimeConstant()
    {
        var manifest = JsonNode.Parse(TracedLlm.Generated.TracedLlmRouteTable.ManifestJson)!;
        var spanNames = Constants(typeof(SpanNames));
        var attributeNames = Constants(typeof(AttributeNames));

        var routes = manifest["routes"]!.AsArray();
        Assert.Equal(new[] { "/v1/chat/completions", "/v1/messages" }, routes.Select(r => (string)r!["path"]!));
        foreach (var span in manifest["spans"]!.AsArray())
        {
            Assert.Contains((string)span!["name"]!, spanNames);
            foreach (var attribute in span["attributes"]!.AsArray().Select(a => (string)a!))
            {
                Assert.Contains(
                    attribute.EndsWith(".*", StringComparison.Ordinal) ? attribute[..^1] : attribute,
                    attributeNames);
            }
        }
    }

    [Fact]
    public void TheTrackedContractsMetricsAreTheInstrumentsTheDefaultModeCreates()
    {
        // The runtime's instruments on the TracedLlm meter, as a listener sees them published.
        foreach (var type in new[] { typeof(GatewayMetrics), typeof(TelemetryText), typeof(AttemptMetrics) })
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }

        var created = new System.Collections.Generic.List<string>();
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                // The export package's queue metrics (tracedllm.export.*) share the meter; they are the exporter's, not
                // a route's.
                if (ReferenceEquals(instrument.Meter, TracedLlmTelemetry.Meter)
                    && !instrument.Name.StartsWith("tracedllm.export.", StringComparison.Ordinal))
                {
                    var kind =
                        instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal) ? "histogram"
                        : instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal) ? "counter"
                        : instrument.GetType().Name;
                    created.Add($"{instrument.Name} [{kind} {instrument.Unit}]");
                }
            };
            listener.Start();
        }

        // The latest convention mode's per-attempt client metrics are not the default mode's (docs/span-contract.md).
        var latestOnly = new[] { AttemptMetrics.OperationDuration.Name, AttemptMetrics.TimeToFirstChunk.Name };
        var contract = File.ReadLines(
                Path.Combine(ProjectDirectory(), "..", "Gateway.Fixture", "TracedLlm.Telemetry.txt"))
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("metric ", StringComparison.Ordinal))
            .Select(line => line["metric ".Length..])
            .Distinct();
        Assert.Equal(
            created
                .Where(c => !latestOnly.Any(name => c.StartsWith(name + " ", StringComparison.Ordinal)))
                .Distinct()
                .Order(StringComparer.Ordinal),
            contract.Order(StringComparer.Ordinal));
    }

    private static string[] Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToArray();

    // This file is Runtime/Hosting/ManifestTests.cs: the project's directory is two folders above it.
    private static string ProjectDirectory([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
}
