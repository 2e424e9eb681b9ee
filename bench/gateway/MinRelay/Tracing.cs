// The reference relay's tracing (bench/results/2026-11-26-otel-floor.md): with --Otlp=URL
// (or --Record=true) the reference records the sample's seven-span tree for each request with
// OpenTelemetry .NET alone, as a team would write it by hand: an ActivitySource, a TracerProvider with
// the always-on sampler, and OpenTelemetry's own OTLP/HTTP exporter behind its own batch processor
// (the sample's export defaults: a queue of 16,384 spans, batches of 512, a delay of 1 s). The spans
// carry the attributes the sample's relay writes on the same request (names, kinds, parents, keys and
// value types as bench/Pipeline's spancost mode prints them), the client's values only after its key
// is checked and each one bounded. What this measures is OpenTelemetry's cost in a relay: the floor
// the sample's tracing-on is compared against. No TracedLlm code.
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

internal sealed class Tracing : IDisposable
{
    /// <summary>The most characters a client's value keeps on a span, and the most tags.</summary>
    public const int MaxValueLength = 256;

    public const int MaxTags = 16;

    private static readonly ActivitySource Source = new("MinRelay");
    private readonly TracerProvider _provider;

    public Tracing(string? otlp)
    {
        var builder = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("min-relay"))
            .AddSource(Source.Name)
            .SetSampler(new AlwaysOnSampler());
        if (otlp is not null)
        {
            builder.AddOtlpExporter(options =>
            {
                options.Endpoint = new Uri(otlp.TrimEnd('/') + "/v1/traces");
                options.Protocol = OtlpExportProtocol.HttpProtobuf;
                options.ExportProcessorType = ExportProcessorType.Batch;
                options.BatchExportProcessorOptions.MaxQueueSize = 16384;
                options.BatchExportProcessorOptions.MaxExportBatchSize = 512;
                options.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
            });
        }

        _provider = builder.Build()!;
    }

    public void Dispose() => _provider.Dispose();

    public static Activity? Start(string name, ActivityKind kind, ActivityContext parent) =>
        Source.StartActivity(name, kind, parent);

    /// <summary>The server span: the caller's trace joined when its <c>traceparent</c> parses.</summary>
    public static Activity? StartServer(HttpContext context, Route route)
    {
        var request = context.Request;
        var joined = ActivityContext.TryParse(request.Headers.TraceParent.ToString(), request.Headers.TraceState.ToString(), isRemote: true, out var parent);
        var server = Source.StartActivity("Received Proxy Server Request", ActivityKind.Server, joined ? parent : default);
        if (server is not null)
        {
            var join = joined ? "traceparent" : "none";
            server.SetTag("langfuse.observation.type", "span");
            server.SetTag("http.request.method", request.Method);
            server.SetTag("http.route", route.Path);
            server.SetTag("tracedllm.metadata_slot", route.SlotName);
            server.SetTag("tracedllm.trace_join", join);
            server.SetTag("langfuse.observation.metadata.tracedllm.trace_join", join);
        }

        return server;
    }

    /// <summary>The trace-level attributes the sample puts on every span, from the metadata slot.</summary>
    public static void TraceLevel(Activity? span, RelayCall call)
    {
        if (span is null)
        {
            return;
        }

        if (call.TraceName is { } name)
        {
            span.SetTag("langfuse.trace.name", name);
        }

        if (call.SessionId is { } session)
        {
            span.SetTag("langfuse.session.id", session);
            span.SetTag("session.id", session);
        }

        if (call.Tags is { } tags)
        {
            span.SetTag("langfuse.trace.tags", tags);
        }
    }

    public static void Guardrail(Activity? parent, RelayCall call, string name, string mode, bool passed)
    {
        if (parent is null)
        {
            return;
        }

        using var span = Source.StartActivity("guardrail", ActivityKind.Internal, parent.Context);
        if (span is null)
        {
            return;
        }

        var status = passed ? "success" : "guardrail_intervened";
        span.SetTag("langfuse.observation.type", "guardrail");
        TraceLevel(span, call);
        span.SetTag("openinference.span.kind", "GUARDRAIL");
        span.SetTag("guardrail_name", name);
        span.SetTag("guardrail_mode", mode);
        span.SetTag("guardrail_status", status);
        span.SetTag("langfuse.observation.metadata.guardrail_name", name);
        span.SetTag("langfuse.observation.metadata.guardrail_status", status);
    }

    public static Activity? StartLlm(Activity server, RelayCall call)
    {
        var llm = Source.StartActivity("litellm_request", ActivityKind.Client, server.Context);
        if (llm is not null)
        {
            llm.SetTag("gen_ai.operation.name", "chat");
            llm.SetTag("langfuse.observation.type", "generation");
            llm.SetTag("gen_ai.request.model", call.Model);
            TraceLevel(llm, call);
            llm.SetTag("gen_ai.provider.name", call.Route.Anthropic ? "anthropic" : "openai");
            llm.SetTag("tracedllm.backend.id", "upstream");
            llm.SetTag("langfuse.observation.metadata.tracedllm.backend.id", "upstream");
        }

        return llm;
    }

    public static void EndLlm(Activity? llm, RelayCall call)
    {
        if (llm is null)
        {
            return;
        }

        llm.SetTag("tracedllm.attempt.retries", Math.Max(call.Attempts - 1, 0));
        llm.SetTag("tracedllm.attempt.fallbacks", 0);
        if (call.Facts.Model is { } model)
        {
            llm.SetTag("langfuse.observation.model.name", model);
            llm.SetTag("gen_ai.response.model", model);
        }

        if (call.Facts.Id is { } id)
        {
            llm.SetTag("gen_ai.response.id", id);
        }

        if (call.Facts.FinishReason is { } reason)
        {
            llm.SetTag("gen_ai.response.finish_reasons", new[] { reason });
        }

        if (call.FirstChunk is { } first)
        {
            llm.SetTag("gen_ai.server.time_to_first_token", (first - llm.StartTimeUtc).TotalSeconds);
            llm.SetTag("langfuse.observation.completion_start_time", first.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (call.Facts.InputTokens is { } input)
        {
            llm.SetTag("gen_ai.usage.input_tokens", input);
        }

        if (call.Facts.OutputTokens is { } output)
        {
            llm.SetTag("gen_ai.usage.output_tokens", output);
        }

        llm.Stop();
    }

    public static Activity? StartAttempt(Activity llm, RelayCall call, Uri upstream, int index)
    {
        var attempt = Source.StartActivity("raw_gen_ai_request", ActivityKind.Client, llm.Context);
        if (attempt is not null)
        {
            attempt.SetTag("langfuse.observation.type", "span");
            attempt.SetTag("gen_ai.provider.name", call.Route.Anthropic ? "anthropic" : "openai");
            attempt.SetTag("gen_ai.request.model", call.Model);
            attempt.SetTag("tracedllm.backend.id", "upstream");
            attempt.SetTag("server.address", upstream.Host);
            attempt.SetTag("server.port", upstream.Port);
            attempt.SetTag("tracedllm.attempt.index", index);
            attempt.SetTag("tracedllm.attempt.kind", index == 0 ? "initial" : "retry");
            TraceLevel(attempt, call);
        }

        return attempt;
    }

    public static void EndAttempt(Activity? attempt, RelayCall call, Exception? failure)
    {
        if (attempt is null)
        {
            return;
        }

        if (call.Facts.Model is { } model)
        {
            attempt.SetTag("gen_ai.response.model", model);
        }

        if (call.Facts.InputTokens is { } input)
        {
            attempt.SetTag("tracedllm.attempt.usage.input_tokens", input);
        }

        if (call.Facts.OutputTokens is { } output)
        {
            attempt.SetTag("tracedllm.attempt.usage.output_tokens", output);
        }

        attempt.SetTag("tracedllm.attempt.outcome", failure is null ? "success" : "failure");
        Fail(attempt, failure);
        attempt.Stop();
    }

    /// <summary>A failure on a span: its status and type, never the client's text.</summary>
    public static void Fail(Activity? span, Exception? failure)
    {
        if (span is not null && failure is not null)
        {
            span.SetStatus(ActivityStatusCode.Error);
            span.SetTag("error.type", failure.GetType().Name);
        }
    }
}
