using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TracedLlm;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The documented set-up through a real host: <c>AddOpenTelemetry().WithTracing(t =&gt; t.AddTracedLlm()…)
/// .WithMetrics(m =&gt; m.AddTracedLlm())</c> on OpenTelemetry.Extensions.Hosting, options bound from
/// configuration sections and environment variables with their precedence, checked at start, and
/// the host's stop delivering the export queue.
/// </summary>
public sealed class HostingTests
{
    [Fact]
    public async Task TheHostOwnsTheProviderAndStopAsyncDeliversTheQueue()
    {
        var endpoint = new ExportEndpoint();
        var (receiver, address) = await LoopbackApp.StartAsync(endpoint.Map);
        var spans = new List<Activity>();
        var app = Build(new()
        {
            ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-host",
            ["LANGFUSE_SECRET_KEY"] = "sk-lf-host-7f1e",
            ["LANGFUSE_OTEL_HOST"] = address,

            // Nothing is exported before the stop: a ten-minute delay, a batch larger than the test's spans.
            ["TracedLlm:Export:ScheduledDelay"] = "00:10:00",
            ["TracedLlm:Export:MaxBatchSize"] = "4096",
        }, tracing => tracing.AddTracedLlmLangfuseExporter().AddInMemoryExporter(spans));
        await app.StartAsync();
        var processor = Assert.Single(app.Services.GetRequiredService<ExportProcessors>().All());

        for (var i = 0; i < 20; i++)
        {
            using var span = TracedLlmTelemetry.Source.StartActivity("hosting-test", ActivityKind.Server);
        }

        Assert.Equal(20, spans.Count(s => s.DisplayName == "hosting-test"));
        Assert.Equal((20, 0L), (processor.QueuedSpans, processor.ExportedSpans));

        await app.StopAsync();

        // Delivered by the stop itself, before the provider is disposed.
        Assert.Equal((0, 20L, 0L), (processor.QueuedSpans, processor.ExportedSpans, processor.DroppedSpans));
        Assert.True(endpoint.Requests > 0);
        Assert.Equal("Basic cGstbGYtaG9zdDpzay1sZi1ob3N0LTdmMWU=", endpoint.Authorization);
        await app.DisposeAsync();
        await LoopbackApp.StopAsync(receiver);
    }

    [Fact]
    public async Task TailSamplingFromConfigurationSamplesTheExportersRequests()
    {
        var endpoint = new ExportEndpoint();
        var (receiver, address) = await LoopbackApp.StartAsync(endpoint.Map);
        var app = Build(new()
        {
            ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-host",
            ["LANGFUSE_SECRET_KEY"] = "sk-lf-host-7f1e",
            ["LANGFUSE_OTEL_HOST"] = address,
            ["TracedLlm:Export:ScheduledDelay"] = "00:00:00.050",
            ["TracedLlm:Export:TailSampling:Enabled"] = "true",
            ["TracedLlm:Export:TailSampling:Ratio"] = "0",
        }, tracing => tracing.AddTracedLlmLangfuseExporter());
        await app.StartAsync();
        var processor = Assert.Single(app.Services.GetRequiredService<ExportProcessors>().All());

        for (var i = 0; i < 10; i++)
        {
            using var span = TracedLlmTelemetry.Source.StartActivity("request", ActivityKind.Server)!;
            if (i % 5 == 0)
            {
                span.SetStatus(ActivityStatusCode.Error, "failed");
            }
        }

        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        Assert.Equal((2L, 0L), (processor.ExportedSpans, processor.DroppedSpans));
        await app.StopAsync();
        await app.DisposeAsync();
        await LoopbackApp.StopAsync(receiver);
    }

    [Fact]
    public async Task EveryOptionTypeBindsFromItsSectionOverTheStandardVariablesAndUnderCode()
    {
        const string prefix = "TRACEDLLM_HOSTING_TEST_";
        Environment.SetEnvironmentVariable(prefix + "TracedLlm__Export__MaxBatchSize", "33");
        Environment.SetEnvironmentVariable(prefix + "TracedLlm__Langfuse__Host", "https://langfuse.internal:3000");
        try
        {
            var app = Build(
                new()
                {
                    ["OTEL_IGNORE_CONTEXT_PROPAGATION"] = "true",
                    ["TracedLlm:MaxMetadataDepth"] = "5",
                    ["TracedLlm:MaxContentLength"] = "100",
                    ["OTEL_BSP_MAX_QUEUE_SIZE"] = "77",
                    ["OTEL_BSP_SCHEDULE_DELAY"] = "250",
                    ["TracedLlm:Export:MaxQueueSize"] = "123",
                    ["TracedLlm:Export:MaxQueueBytes"] = "5000000",
                    ["TracedLlm:Export:ShutdownTimeout"] = "00:00:07",
                    ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-variable",
                    ["LANGFUSE_SECRET_KEY"] = "sk-lf-variable",
                    ["LANGFUSE_HOST"] = "https://cloud.langfuse.com",
                    ["TracedLlm:Langfuse:SecretKey"] = "sk-lf-section",
                },
                tracing =>
                    tracing
                        .AddTracedLlmLangfuseExporter(configureQueue: queue =>
                            queue.WarningInterval = TimeSpan.FromMinutes(2))
                        .AddTracedLlmOtlpExporter(),
                configure: options => options.MaxContentLength = 9,
                environmentPrefix: prefix);

            var pipeline = app.Services.GetRequiredService<TracedLlmOptions>();
            Assert.Equal(
                (true, 5, 9),
                (pipeline.IgnoreContextPropagation, pipeline.MaxMetadataDepth, pipeline.MaxContentLength));

            var queues = app.Services.GetRequiredService<IOptionsMonitor<ExportQueueOptions>>();
            var langfuseQueue = queues.Get(TracedLlmExporterTracerProviderBuilderExtensions.LangfuseQueueName);
            Assert.Equal(123, langfuseQueue.MaxQueueSize);
            Assert.Equal(33, langfuseQueue.MaxBatchSize);
            Assert.Equal(TimeSpan.FromMilliseconds(250), langfuseQueue.ScheduledDelay);
            Assert.Equal(5_000_000, langfuseQueue.MaxQueueBytes);
            Assert.Equal(TimeSpan.FromSeconds(7), langfuseQueue.ShutdownTimeout);
            Assert.Equal(TimeSpan.FromMinutes(2), langfuseQueue.WarningInterval);
            var otlpQueue = queues.Get(TracedLlmExporterTracerProviderBuilderExtensions.OtlpQueueName);
            Assert.Equal(
                (123, 33, TimeSpan.FromSeconds(30)),
                (otlpQueue.MaxQueueSize, otlpQueue.MaxBatchSize, otlpQueue.WarningInterval));

            var langfuse = app.Services.GetRequiredService<IOptions<LangfuseExporterOptions>>().Value;
            Assert.Equal(("pk-lf-variable", "sk-lf-section"), (langfuse.PublicKey, langfuse.SecretKey));
            Assert.Equal("https://langfuse.internal:3000/api/public/otel/v1/traces", langfuse.Endpoint.ToString());
            await app.DisposeAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "TracedLlm__Export__MaxBatchSize", null);
            Environment.SetEnvironmentVariable(prefix + "TracedLlm__Langfuse__Host", null);
        }
    }

    [Fact]
    public async Task ThePriceTableBindsFromConfigurationAndFindsAModelByProvider()
    {
        var app = Build(
            new()
            {
                ["TracedLlm:Pricing:Models:gpt-4o:Input"] = "2.5",
                ["TracedLlm:Pricing:Models:gpt-4o:Output"] = "10",
                ["TracedLlm:Pricing:Models:gpt-4o:CacheRead"] = "1.25",
                ["TracedLlm:Pricing:Models:gpt-4o:CacheCreation1h"] = "5",
                ["TracedLlm:Pricing:Models:azure-gpt-4o:Model"] = "gpt-4o",
                ["TracedLlm:Pricing:Models:azure-gpt-4o:Provider"] = "azure.ai.openai",
                ["TracedLlm:Pricing:Models:azure-gpt-4o:Input"] = "2.75",
                ["TracedLlm:Pricing:Models:azure-gpt-4o:Output"] = "11",
            },
            tracing => { });
        await app.StartAsync();

        var pricing = app.Services.GetRequiredService<TracedLlmOptions>().Pricing;

        // Read once, when the start validated it: an entry added or edited afterwards is not seen.
        pricing.Models["added-after-start"] = new LlmModelPrice { Input = 1, Output = 1 };
        Assert.Null(pricing.Find(null, "added-after-start"));
        pricing.Models["gpt-4o"].Input = 99;
        Assert.Equal(2.5, pricing.Find("openai", "GPT-4o")!.Input);
        Assert.Equal(1.25, pricing.Find(null, "gpt-4o")!.CacheRead);
        Assert.Equal(5, pricing.Find(null, "gpt-4o")!.CacheCreation1h);
        Assert.Equal(2.75, pricing.Find("azure.ai.openai", "gpt-4o")!.Input);
        Assert.Null(pricing.Find("openai", "gpt-4o-mini"));
        Assert.Null(pricing.Find("openai", null));
        await app.StopAsync();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AWrongPriceFailsTheStartNamingItsKey()
    {
        var app = Build(
            new()
            {
                ["TracedLlm:Pricing:Models:gpt-4o:Input"] = "-1",
                ["TracedLlm:Pricing:Models:gpt-4o:CacheRead"] = "NaN",
                ["TracedLlm:Pricing:Models:gpt-4o:CacheCreation1h"] = "-2",
                ["TracedLlm:Pricing:Models:again:Model"] = "GPT-4O",
                ["TracedLlm:Pricing:Models:again:Input"] = "1",
                ["TracedLlm:Pricing:Models:again:Output"] = "1",
            },
            tracing => { });

        var thrown = Assert.IsType<OptionsValidationException>(await Record.ExceptionAsync(() => app.StartAsync()));

        Assert.Equal(
            new[]
            {
                "TracedLlm:Pricing:Models:gpt-4o:Input must be a price per million tokens of zero or more (it is -1).",
                "TracedLlm:Pricing:Models:gpt-4o:Output is missing: a priced model needs an input and an output "
                + "price (per million tokens).",
                "TracedLlm:Pricing:Models:gpt-4o:CacheRead must be a price per million tokens of zero or more (it "
                + "is NaN).",
                "TracedLlm:Pricing:Models:gpt-4o:CacheCreation1h must be a price per million tokens of zero or more "
                + "(it is -2).",
                "TracedLlm:Pricing:Models:gpt-4o prices model 'gpt-4o' a second time.",
            },
            thrown.Failures);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task WrongOptionsFailTheStartNamingEachSetting()
    {
        var app = Build(
            new()
            {
                ["TracedLlm:MaxRequestBodyBytes"] = "0",
                ["TracedLlm:FailureLoggerTimeout"] = "00:00:00",
                ["TracedLlm:Export:MaxQueueSize"] = "0",
                ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-1",
            },
            tracing => tracing.AddTracedLlmLangfuseExporter());

        var messages = await StartFailuresAsync(app);
        var traced = Assert.Single(messages, m => m.StartsWith("TracedLlm:M", StringComparison.Ordinal));
        Assert.Equal(
            "TracedLlm:MaxRequestBodyBytes must be at least 1 (it is 0).; TracedLlm:FailureLoggerTimeout must be "
            + "longer than zero, or -00:00:00.001 for no limit (it is 00:00:00).",
            traced);
        Assert.Contains(
            "TracedLlm:Export:MaxQueueSize (OTEL_BSP_MAX_QUEUE_SIZE) must be at least 1 (it is 0).",
            messages);
        Assert.Contains(
            "Langfuse export needs LANGFUSE_SECRET_KEY, which is missing (or set TracedLlm:Langfuse:SecretKey).",
            messages);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AnExportBatchLargerThanAnyReceiverTakesFailsTheStartNamingTheSetting()
    {
        // The export thread holds a batch's slots from its start: 2^31 - 1 of them is an array the runtime cannot make.
        var app = Build(
            new()
            {
                ["TracedLlm:Export:MaxQueueSize"] = "2147483647",
                ["TracedLlm:Export:MaxBatchSize"] = "2147483647",
                ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-1",
                ["LANGFUSE_SECRET_KEY"] = "sk-lf-1",
            },
            tracing => tracing.AddTracedLlmLangfuseExporter());

        var messages = await StartFailuresAsync(app);
        Assert.Equal(
            "TracedLlm:Export:MaxBatchSize (OTEL_BSP_MAX_EXPORT_BATCH_SIZE) must be between 1 and 65,536 (it is "
            + "2147483647).",
            Assert.Single(messages));
        await app.DisposeAsync();
    }

    /// <summary>Starts <paramref name="app"/>, which must fail validation: each failed option's message.</summary>
    private static async Task<List<string>> StartFailuresAsync(WebApplication app)
    {
        var thrown = await Record.ExceptionAsync(() => app.StartAsync());
        return (thrown is AggregateException all ? all.InnerExceptions.ToArray() : new[] { thrown! })
            .Select(e => Assert.IsType<OptionsValidationException>(e).Message).ToList();
    }

    [Fact]
    public async Task DropsAreCountedInTheHostsMetricsWithTheirReason()
    {
        var endpoint = new ExportEndpoint { Hang = true };
        var (receiver, address) = await LoopbackApp.StartAsync(endpoint.Map);
        var metrics = new List<Metric>();
        var app = Build(
            new()
            {
                ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-1",
                ["LANGFUSE_SECRET_KEY"] = "sk-lf-1",
                ["LANGFUSE_OTEL_HOST"] = address,
                ["TracedLlm:Export:MaxBufferedExportBytes"] = "1",
                ["TracedLlm:Export:ShutdownTimeout"] = "00:00:00.200",
                ["TracedLlm:Export:WarningInterval"] = "01:00:00",
            },
            tracing => tracing.AddTracedLlmLangfuseExporter(),
            metrics: meters => meters.AddInMemoryExporter(metrics));
        await app.StartAsync();
        var processor = Assert.Single(app.Services.GetRequiredService<ExportProcessors>().All());

        // A buffer of one byte holds no serialized batch: every span's batch is refused there, counted
        // and never sent.
        for (var i = 0; i < 4; i++)
        {
            using var span = TracedLlmTelemetry.Source.StartActivity("refused", ActivityKind.Server);
        }

        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        Assert.Equal(0, endpoint.Requests);
        Assert.Equal(4, processor.DroppedSpans);
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var points = ExportedPoints
            .Of(metrics, "tracedllm.export.dropped_spans")
            .Select(p => (p.Tag("reason"), p.Sum))
            .ToList();
        Assert.Contains(("buffer_full", 4.0), points);

        await app.StopAsync();
        await app.DisposeAsync();
        await LoopbackApp.StopAsync(receiver);
    }

    private static WebApplication Build(
        Dictionary<string, string?> settings,
        Action<TracerProviderBuilder> tracing,
        Action<TracedLlmOptions>? configure = null,
        string? environmentPrefix = null,
        Action<MeterProviderBuilder>? metrics = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        if (environmentPrefix is not null)
        {
            builder.Configuration.AddEnvironmentVariables(environmentPrefix);
        }

        // The documented set-up.
        builder.Services.AddTracedLlm(configure);
        builder.Services.AddOpenTelemetry()
            .WithTracing(t => tracing(t.AddTracedLlm()))
            .WithMetrics(m => metrics?.Invoke(m.AddTracedLlm()));
        return builder.Build();
    }

    /// <summary>An OTLP endpoint on Langfuse's path that counts what it gets, or never answers.</summary>
    private sealed class ExportEndpoint
    {
        private int _requests;

        public bool Hang { get; init; }

        public int Requests => Volatile.Read(ref _requests);

        public string? Authorization { get; private set; }

        public void Map(WebApplication app) =>
            app.MapPost(
                LangfuseExporterOptions.TracesPath,
                async (HttpContext context) =>
                {
                    Authorization = context.Request.Headers.Authorization;
                    Interlocked.Increment(ref _requests);
                    if (Hang)
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted)
                            .ContinueWith(_ => { }, TaskScheduler.Default);
                    }
                });
    }
}
