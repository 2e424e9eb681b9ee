using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using TracedLlm.Telemetry;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// Phoenix and LangSmith as the one backend of a gateway, set up in two steps from the variables
/// their own SDKs read: where the spans go, with which headers, under which names; a mistake stops
/// the start naming the variable, never its value.
/// </summary>
public sealed class BackendExporterTests
{
    [Fact]
    public async Task PhoenixIsSetUpFromItsOwnVariables()
    {
        await using var phoenix = await ScriptedOtlpEndpoint.StartAsync();
        await RunAsync(phoenix, new()
        {
            ["PHOENIX_COLLECTOR_ENDPOINT"] = $"http://127.0.0.1:{phoenix.Port}",
            ["PHOENIX_API_KEY"] = "phx-key-1",
            ["PHOENIX_PROJECT_NAME"] = "gateway",
        }, tracing => tracing.AddTracedLlmPhoenixExporter());

        var request = Assert.Single(phoenix.Requests);
        Assert.Equal("/v1/traces", request.Path);
        Assert.Equal("Bearer phx-key-1", request.Headers["authorization"]);
        var span = Assert.Single(ReceivedSpans.Decode(request.Body));
        Assert.Equal("LLM", span.Text("openinference.span.kind"));
        Assert.Equal("gpt-4o-mini", span.Text("llm.model_name"));
        Assert.Equal("gateway", span.Resource["openinference.project.name"]);
    }

    [Fact]
    public async Task LangSmithIsSetUpFromItsOwnVariablesAndItsSamplingRate()
    {
        await using var langsmith = await ScriptedOtlpEndpoint.StartAsync();
        var variables = new Dictionary<string, string?>
        {
            ["LANGSMITH_ENDPOINT"] = $"http://127.0.0.1:{langsmith.Port}",
            ["LANGSMITH_API_KEY"] = "lsv2-key-1",
            ["LANGSMITH_PROJECT"] = "gateway",
        };
        await RunAsync(langsmith, variables, tracing => tracing.AddTracedLlmLangSmithExporter());

        var request = Assert.Single(langsmith.Requests);
        Assert.Equal("/otel/v1/traces", request.Path);
        Assert.Equal("lsv2-key-1", request.Headers["x-api-key"]);
        Assert.Equal("gateway", request.Headers["Langsmith-Project"]);
        var span = Assert.Single(ReceivedSpans.Decode(request.Body));
        Assert.Equal("llm", span.Text("langsmith.span.kind"));
        Assert.Equal("gateway", span.Text("langsmith.trace.session_name"));

        // LANGSMITH_SAMPLING_RATE=0: nothing goes.
        variables["LANGSMITH_SAMPLING_RATE"] = "0";
        await RunAsync(langsmith, variables, tracing => tracing.AddTracedLlmLangSmithExporter());
        Assert.Single(langsmith.Requests);
    }

    [Theory]
    [InlineData("LANGSMITH_SAMPLING_RATE", "often", "LANGSMITH_SAMPLING_RATE")]
    [InlineData("LANGSMITH_API_KEY", "", "LangSmith export needs LANGSMITH_API_KEY")]
    [InlineData("LANGSMITH_ENDPOINT", "ftp://lsv2-secret@smith", "LANGSMITH_ENDPOINT")]
    public void ALangSmithMistakeStopsTheStartNamingTheVariableNotTheValue(string variable, string value, string named)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["LANGSMITH_API_KEY"] = "lsv2-secret", [variable] = value });
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddTracedLlmLangSmithExporter());
        using var host = builder.Build();
        var failed = Assert.Throws<OptionsValidationException>(() =>
            host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(named, failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("lsv2-secret", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EachBackendsOptionsDescribeThemselvesUnderTheirOwnNameWithoutTheirKey()
    {
        var phoenix = new PhoenixExporterOptions
        {
            Endpoint = "https://user:pw@phoenix.example/",
            ApiKey = "phx-secret",
            Project = "gateway"
        }.ToString();
        var langsmith = new LangSmithExporterOptions { ApiKey = "lsv2-secret", Project = "gateway" }.ToString();

        Assert.StartsWith(
            "PhoenixExporterOptions { Kind = Phoenix, Endpoint = https://phoenix.example/",
            phoenix,
            StringComparison.Ordinal);
        Assert.StartsWith(
            "LangSmithExporterOptions { Kind = LangSmith, Endpoint = ",
            langsmith,
            StringComparison.Ordinal);
        foreach (var text in new[] { phoenix, langsmith })
        {
            Assert.EndsWith(" }", text, StringComparison.Ordinal);
            Assert.Contains("Project = gateway", text, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
            Assert.DoesNotContain("pw@", text, StringComparison.Ordinal);
            Assert.DoesNotContain("TraceDestinationOptions", text, StringComparison.Ordinal);
        }
    }

    // A host with the exporter, one generation recorded, then the host's stop (which delivers).
    private static async Task RunAsync(
        ScriptedOtlpEndpoint endpoint,
        Dictionary<string, string?> variables,
        Action<TracerProviderBuilder> exporter)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(variables);
        builder.Services
            .AddOpenTelemetry()
            .WithTracing(tracing => exporter(tracing.AddSource(TracedLlmTelemetry.SourceName)));
        using var host = builder.Build();
        await host.StartAsync();
        using (var generation = TracedLlmTelemetry.Source.StartActivity("litellm_request", ActivityKind.Client)!)
        {
            generation.SetTag(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Generation);
            generation.SetTag(AttributeNames.GenAiRequestModel, "gpt-4o-mini");
        }

        await host.StopAsync();
    }
}
