using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// <c>AddTracedLlmOtlpExporter()</c> configured the standard way, by OpenTelemetry's
/// <c>OTEL_EXPORTER_OTLP_*</c> variables, against a receiver on loopback, as the specification reads
/// them (specification/protocol/exporter.md, "Configuration Options" and "Endpoint URLs for
/// OTLP/HTTP"; configuration/sdk-environment-variables.md): each option overridable by its traces
/// variable, a traces endpoint used as is, <c>/v1/traces</c> added to the shared one only,
/// HTTP/protobuf unless a protocol is given (case-insensitive; an unknown one ignored with a
/// warning), a timeout of 0 as no limit. And answers that are no OTLP endpoint's (a redirect that made
/// the POST a GET, a web page) refuse the batch, counted, instead of counting it delivered.
/// </summary>
public sealed class OtlpVariablesTests : IDisposable
{
    private static readonly ActivitySource Source = new("TracedLlm.Tests.OtlpVariables");

    private static readonly string[] Variables =
    {
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    };

    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(
        name => name,
        Environment.GetEnvironmentVariable);
    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly DropCounter _drops = new();

    public OtlpVariablesTests()
    {
        foreach (var name in Variables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        _drops.Dispose();
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "", "/v1/traces")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "/", "/v1/traces")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "/mycollector/", "/mycollector/v1/traces")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "/")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/v1/traces", "/v1/traces")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/api/public/otel/v1/traces/", "/api/public/otel/v1/traces/")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/ingest?tenant=a", "/ingest")]
    public async Task TheSignalPathIsAddedToTheSharedEndpointOnlyAndATracesEndpointIsUsedAsIs(
        string variable,
        string path,
        string expected)
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        Environment.SetEnvironmentVariable(variable, $"http://127.0.0.1:{endpoint.Port}{path}");

        var request = await ExportOneBatch(endpoint);

        Assert.Equal(expected, request.Path);
        Assert.Equal("application/x-protobuf", request.ContentType);
        Assert.Equal(3, request.Spans.Count);
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task TheTracesVariablesOverrideTheSharedOnes()
    {
        // The shared ones point at a port nothing listens on, with another header.
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=shared");
        Environment.SetEnvironmentVariable(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            $"http://127.0.0.1:{endpoint.Port}/traces");
        Environment.SetEnvironmentVariable(
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            " x-tenant = traces ,authorization=Bearer%20t0k3n,x-sig=a=b==");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "GZIP");

        var request = await ExportOneBatch(endpoint);

        Assert.Equal("/traces", request.Path);
        Assert.Equal("traces", request.Headers["x-tenant"]);
        Assert.Equal("Bearer t0k3n", request.Headers["authorization"]);
        Assert.Equal("a=b==", request.Headers["x-sig"]);
        Assert.True(request.Gzipped);
        Assert.Equal(3, request.Spans.Count);
    }

    [Fact]
    public async Task AnEndpointGivenByBothVariablesAlikeIsUsedAsIsForTraces()
    {
        // The specification's example 2: the traces endpoint is used as is, even where the shared
        // one is the same URL (which alone would get /v1/traces).
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");

        Assert.Equal("/", (await ExportOneBatch(endpoint)).Path);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf", null)]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/PROTOBUF", null)]
    [InlineData(
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "http/json",
        "TracedLlm export: OTEL_EXPORTER_OTLP_PROTOCOL=http/json is not supported; spans are sent as http/protobuf "
        + "(an OTLP/HTTP receiver takes both on the same path)."
    )]
    [InlineData(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "http",
        "TracedLlm export: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=\"http\" is not one of grpc, http/protobuf, http/json; "
        + "it is ignored."
    )]
    public async Task AProtocolThatIsNotGrpcSendsHttpProtobuf(string variable, string value, string? warning)
    {
        // Before, any protocol variable set kept OpenTelemetry .NET's own default, gRPC: a traces
        // protocol it does not read, a value in capitals, http/json and a typo all sent gRPC.
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");
        Environment.SetEnvironmentVariable(variable, value);

        var request = await ExportOneBatch(endpoint);

        Assert.Equal(("/v1/traces", "application/x-protobuf"), (request.Path, request.ContentType));
        Assert.Equal(warning is null ? Array.Empty<string>() : new[] { warning }, _warnings.ToArray());
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL")]
    public async Task GrpcIsSentWhereEitherProtocolVariableSaysSo(string variable)
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(grpc: true);
        endpoint.Otherwise = ScriptedOtlpEndpoint.Grpc(0);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");
        Environment.SetEnvironmentVariable(variable, " Grpc ");

        var request = await ExportOneBatch(endpoint);

        Assert.Equal(
            ("/opentelemetry.proto.collector.trace.v1.TraceService/Export", "application/grpc"),
            (request.Path, request.ContentType));
    }

    [Fact]
    public async Task AnUnreadableTracesProtocolIsIgnoredForTheSharedOne()
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync(grpc: true);
        endpoint.Otherwise = ScriptedOtlpEndpoint.Grpc(0);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc/protobuf");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");

        var request = await ExportOneBatch(endpoint);

        Assert.Equal("application/grpc", request.ContentType);
        Assert.Equal(
            "TracedLlm export: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=\"grpc/protobuf\" is not one of grpc, "
            + "http/protobuf, http/json; it is ignored.",
            Assert.Single(_warnings));
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "0", null)]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0", null)]
    [InlineData(
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "-5",
        "TracedLlm export: OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=\"-5\" is not a number of milliseconds (0 or more); it "
        + "is ignored."
    )]
    public async Task ATimeoutOfZeroIsNoLimitAndANegativeOneIsIgnored(string variable, string value, string? warning)
    {
        // Before, 0 reached HttpClient.Timeout, which refuses it: the provider did not build.
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(
            ScriptedOtlpEndpoint.Slow(TimeSpan.FromMilliseconds(300)));
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");
        Environment.SetEnvironmentVariable(variable, value);

        var request = await ExportOneBatch(endpoint);

        Assert.Equal(3, request.Spans.Count);
        Assert.Equal(warning is null ? Array.Empty<string>() : new[] { warning }, _warnings.ToArray());
    }

    [Fact]
    public async Task TheLangfuseExporterTakesATimeoutOfZeroToo()
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TIMEOUT", "0");
        using (var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(Source.Name)
                .AddTracedLlmLangfuseExporter(
                    langfuse =>
                        (langfuse.PublicKey, langfuse.SecretKey, langfuse.Host) = (
                            "pk-lf-1",
                            "sk-lf-2",
                            $"http://127.0.0.1:{endpoint.Port}"),
                    Queue)
                .Build()!)
        {
            Emit(3);
            Assert.True(provider.ForceFlush(20_000));
        }

        var request = Assert.Single(endpoint.Requests);
        Assert.Equal("/api/public/otel/v1/traces", request.Path);
        Assert.Equal(3, request.Spans.Count);
    }

    [Theory]
    [InlineData("authorization")]
    [InlineData("authorization=Bearer sk-9f2c,x-tenant")]
    [InlineData("api key=sk-9f2c")]
    [InlineData("content-type=sk-9f2c")]
    [InlineData("x-tenant=sk-9f2c,x-tenant=sk-9f2c")]
    [InlineData("x-list=sk-9f2c%2Csk-9f2c")]
    public async Task HeadersThatCannotBeSentStopTheStartNamingTheVariableNotTheValue(string headers)
    {
        // Before: a pair without "=" or a name given twice failed the start with OpenTelemetry's
        // "Headers provided in an invalid format." (no setting named); a name HTTP refuses failed
        // every batch, counted with no reason given.
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_HEADERS", headers);

        var refused = Assert.Throws<InvalidOperationException>(() => Provider());

        Assert.Equal(OtlpSetup.HeadersProblem, refused.Message);
        Assert.StartsWith(
            "The OTLP export headers (OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS, ",
            refused.Message);
        Assert.DoesNotContain("sk-9f2c", refused.ToString());
        Assert.Empty(endpoint.Requests);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task ARedirectIsNotFollowedByOpenTelemetrysClientAndDropsTheBatchCounted(int status)
    {
        // OpenTelemetry .NET's own HTTP client follows no redirect: the 3xx refuses the batch, named.
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(Redirect(status, "/sign-in"), Page());
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");

        ExportThreeSpans();

        Assert.Equal("/v1/traces", Assert.Single(endpoint.Requests).Path);
        Assert.Equal(3, _drops.Count("export_failed"));
        Assert.Equal(
            $"TracedLlm export: the exporter could not deliver a batch (\"refused for good: HTTP {status}\"); 3 "
            + "span(s) dropped so far. Requests are not affected.",
            Assert.Single(_warnings));
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    public async Task ARedirectAClientFollowsAsAGetDropsTheBatchCounted(int status)
    {
        // A client of one's own (HttpClientFactory) follows a 301, 302 or 303 to a POST with a GET,
        // without the body: to a sign-in page behind a proxy, which answers 200. Before, the batch
        // was counted as delivered and its spans were lost unsaid.
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(Redirect(status, "/sign-in"), Page());
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");

        ExportThreeSpans(FollowingRedirects);

        Assert.Equal(
            new[] { ("POST", "/v1/traces"), ("GET", "/sign-in") },
            endpoint.Requests.Select(r => (r.Body.Length > 0 ? "POST" : "GET", r.Path)));
        Assert.Equal(3, _drops.Count("export_failed"));
        Assert.Equal(
            "TracedLlm export: the exporter could not deliver a batch (\"refused for good: HTTP 200 from "
            + $"http://127.0.0.1:{endpoint.Port}/sign-in, where a redirect sent the request as a GET without the "
            + "batch: set the endpoint to the redirect's target\"); 3 span(s) dropped so far. Requests are not "
            + "affected.",
            Assert.Single(_warnings));
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    public async Task ARedirectAClientFollowsWithThePostDelivers(int status)
    {
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(Redirect(status, "/moved/v1/traces"));
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://127.0.0.1:{endpoint.Port}");

        ExportThreeSpans(FollowingRedirects);

        Assert.Equal(new[] { "/v1/traces", "/moved/v1/traces" }, endpoint.Requests.Select(r => r.Path));
        Assert.Equal(3, endpoint.Delivered.Count);
        Assert.Equal(0, _drops.Count("export_failed"));
    }

    [Fact]
    public async Task AWebPageAnsweredWith200DropsTheBatchCounted()
    {
        // A path a web application answers (its pages' fallback): 200 and HTML, never an OTLP answer.
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(Page());
        Environment.SetEnvironmentVariable(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            $"http://127.0.0.1:{endpoint.Port}/app");

        ExportThreeSpans();

        Assert.Single(endpoint.Requests);
        Assert.Equal(3, _drops.Count("export_failed"));
        Assert.Equal(
            "TracedLlm export: the exporter could not deliver a batch (\"refused for good: HTTP 200 with a web page "
            + "(text/html), not an OTLP answer: check the endpoint's path\"); 3 span(s) dropped so far. Requests "
            + "are not affected.",
            Assert.Single(_warnings));
    }

    private static Func<HttpContext, Task> Redirect(int status, string location) => context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    };

    private static Func<HttpContext, Task> Page() => context =>
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync("<!doctype html><title>Sign in</title>");
    };

    private void Queue(ExportQueueOptions queue)
    {
        queue.ScheduledDelay = TimeSpan.FromSeconds(5); // one batch: the flush sends it
        queue.RetryInitialBackoff = TimeSpan.FromMilliseconds(100);
        queue.RetryMaxBackoff = TimeSpan.FromMilliseconds(400);
        queue.WarningInterval = TimeSpan.FromHours(1);
        queue.Warn = _warnings.Enqueue;
    }

    private TracerProvider Provider(Action<OpenTelemetry.Exporter.OtlpExporterOptions>? configure = null) =>
        Sdk.CreateTracerProviderBuilder().AddSource(Source.Name).AddTracedLlmOtlpExporter(configure, Queue).Build()!;

    // Three spans through the exporter as the variables configure it; the one request the receiver got.
    private async Task<ScriptedOtlpEndpoint.Received> ExportOneBatch(ScriptedOtlpEndpoint endpoint)
    {
        ExportThreeSpans();

        await Task.Yield();
        return Assert.Single(endpoint.Requests);
    }

    // Three spans through the exporter as the variables (then configure) set it up, flushed.
    private void ExportThreeSpans(Action<OpenTelemetry.Exporter.OtlpExporterOptions>? configure = null)
    {
        using var provider = Provider(configure);
        Emit(3);
        Assert.True(provider.ForceFlush(20_000));
    }

    // A client of one's own that follows redirects, as HttpClient does by default.
    private static void FollowingRedirects(OpenTelemetry.Exporter.OtlpExporterOptions otlp) =>
        otlp.HttpClientFactory = () => new System.Net.Http.HttpClient();

    private static void Emit(int spans)
    {
        for (var i = 0; i < spans; i++)
        {
            using var activity = Source.StartActivity("span");
        }
    }
}
