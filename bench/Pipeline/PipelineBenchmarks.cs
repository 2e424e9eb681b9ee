using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm.Benchmarks;

/// <summary>Who listens to the TracedLlm source.</summary>
public enum Listener
{
    None,
    SamplesNothing,
    RecordsAll,

    /// <summary>OpenTelemetry's SDK records every span (its sampler and listener), exports none.</summary>
    Sdk,

    /// <summary>The SDK records every span and exports it over OTLP/HTTP (TracedLlm's export queue and OpenTelemetry's exporter) to BENCH_OTLP_ENDPOINT.</summary>
    SdkOtlp,
}

/// <summary>
/// One chat request with metadata (parse, auth, one pre-call guardrail, handler, usage, JSON
/// response) done three ways: untraced (the same runtime steps, no spans), the generated pipeline,
/// and hand-written ActivitySource code for the same 5-span tree with the same attributes.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    internal static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}],"metadata":{"trace_name":"bench","session_id":"s-1","tags":["a"]}}""");

    private static readonly ActivitySource Source = new(TracedLlmTelemetry.SourceName);

    private ServiceProvider _services = null!;
    private TracedLlmGateway _gateway = null!;
    private ActivityListener? _listener;
    private TracerProvider? _tracerProvider;
    // Interfaces, as a gateway resolves them from its services and as the generated code calls
    // them: on the sealed concrete types the JIT would inline the calls and stack-allocate the
    // GuardrailContext, a saving no gateway with registered guardrails gets.
    private ILlmAuthenticator _auth = null!;
    private ILlmGuardrail _guardrail = null!;

    [Params(Listener.None, Listener.SamplesNothing, Listener.RecordsAll)]
    public Listener Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var services = BenchServices.Create(o => o.IgnoreContextPropagation = true);
        services.AddSingleton<ILlmAuthenticator, BenchAuthenticator>();
        services.AddSingleton<ILlmGuardrail, BenchGuardrail>();
        _services = services.BuildServiceProvider();
        _gateway = _services.GetRequiredService<TracedLlmGateway>();
        _auth = _services.GetRequiredService<ILlmAuthenticator>();
        _guardrail = _services.GetServices<ILlmGuardrail>().Single();
        if (Mode is Listener.Sdk or Listener.SdkOtlp)
        {
            var builder = Sdk.CreateTracerProviderBuilder().AddTracedLlm();
            if (Mode == Listener.SdkOtlp)
            {
                var endpoint = Environment.GetEnvironmentVariable("BENCH_OTLP_ENDPOINT")
                    ?? throw new InvalidOperationException("SdkOtlp exports to BENCH_OTLP_ENDPOINT (an OTLP/HTTP traces URL that answers 200).");
                // BENCH_EXPORT_SCOPE=GenerationsOnly: each request's LLM span alone (issue 40's export scope).
                var scope = Enum.TryParse<ExportScope>(Environment.GetEnvironmentVariable("BENCH_EXPORT_SCOPE"), ignoreCase: true, out var parsed) ? parsed : ExportScope.All;
                builder.AddTracedLlmOtlpExporter(
                    o =>
                    {
                        o.Endpoint = new Uri(endpoint);
                        o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    },
                    queue => queue.Scope = scope);
            }

            _tracerProvider = builder.Build();
        }
        else if (Mode != Listener.None)
        {
            var recordAll = Mode == Listener.RecordsAll;
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
                Sample = recordAll
                    ? static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded
                    : static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            };
            ActivitySource.AddActivityListener(_listener);
        }
    }

    /// <summary>Delivers what the exporter has queued (SdkOtlp), so that a measured round includes its export.</summary>
    public void Flush() => _tracerProvider?.ForceFlush();

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        _tracerProvider?.Dispose();
        _services.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task Untraced()
    {
        var context = NewContext();
        var body = await RequestStage.ReadBodyAsync(context, _gateway);
        var call = RequestStage.CreateCall(context, TracedLlm.Generated.TracedLlm_Benchmarks_Routes_Chat.Route, ReadEnvelope(body), _gateway, Stopwatch.GetTimestamp());
        var auth = await _auth.AuthenticateAsync(call, context.RequestAborted);
        if (!auth.Succeeded)
        {
            throw new InvalidOperationException();
        }

        var request = PreCallStage.ReadRequest(call, _gateway.GetTypeInfo<ChatRequest>());
        await _guardrail.CheckAsync(new GuardrailContext(call, GuardrailMode.PreCall, request, null), context.RequestAborted);
        var reply = Handler.Handle(request, call);
        await ResultStage.WriteAsync(call, reply, _gateway.GetTypeInfo<Reply>());
    }

    // As the mapped endpoint calls it: the gateway resolved once at start-up.
    [Benchmark]
    public Task Generated() => TracedLlm.Generated.TracedLlm_Benchmarks_Routes_Chat.InvokeAsync(NewContext(), _gateway);

    [Benchmark]
    public async Task HandWritten()
    {
        var context = NewContext();
        var body = await RequestStage.ReadBodyAsync(context, _gateway);
        var call = RequestStage.CreateCall(context, TracedLlm.Generated.TracedLlm_Benchmarks_Routes_Chat.Route, ReadEnvelope(body), _gateway, Stopwatch.GetTimestamp());
        var previous = Activity.Current;
        Activity.Current = null;
        using var server = Source.StartActivity(SpanNames.Server, ActivityKind.Server, default(ActivityContext));
        if (server is { IsAllDataRequested: true })
        {
            server.SetTag(AttributeNames.LangfuseObservationType, "span");
            server.SetTag(AttributeNames.HttpRequestMethod, "POST");
            server.SetTag(AttributeNames.HttpRoute, "/v1/chat/completions");
            server.SetTag(AttributeNames.MetadataSlot, "metadata");
            server.SetTag(AttributeNames.TraceJoin, "none");
            server.SetTag(AttributeNames.SessionId, call.Metadata.SessionId);
            SetTraceLevel(server, call.Metadata);
        }

        AuthResult auth;
        using (var authSpan = server is null ? null : Source.StartActivity(SpanNames.Auth, ActivityKind.Internal, server.Context))
        {
            auth = await _auth.AuthenticateAsync(call, context.RequestAborted);
            if (authSpan is { IsAllDataRequested: true })
            {
                authSpan.SetTag(AttributeNames.LangfuseObservationType, "span");
                authSpan.SetTag(AttributeNames.UserApiKeyHash, auth.KeyHash);
                SetTraceLevel(authSpan, call.Metadata);
            }
        }

        ChatRequest request;
        using (var preCall = server is null ? null : Source.StartActivity(SpanNames.PreCall, ActivityKind.Internal, server.Context))
        {
            if (preCall is { IsAllDataRequested: true })
            {
                preCall.SetTag(AttributeNames.LangfuseObservationType, "span");
                SetTraceLevel(preCall, call.Metadata);
            }

            request = PreCallStage.ReadRequest(call, _gateway.GetTypeInfo<ChatRequest>());
        }

        Reply reply;
        using (var llm = server is null ? null : Source.StartActivity(SpanNames.LlmRequest, ActivityKind.Client, server.Context))
        {
            if (llm is { IsAllDataRequested: true })
            {
                llm.SetTag(AttributeNames.GenAiOperationName, "chat");
                llm.SetTag(AttributeNames.LangfuseObservationType, "generation");
                llm.SetTag(AttributeNames.GenAiRequestModel, call.Model);
                llm.SetTag(AttributeNames.LangfuseObservationModelName, call.Model);
                SetTraceLevel(llm, call.Metadata);
            }

            using (var guardrail = llm is null ? null : Source.StartActivity(SpanNames.Guardrail, ActivityKind.Internal, llm.Context))
            {
                await _guardrail.CheckAsync(new GuardrailContext(call, GuardrailMode.PreCall, request, null), context.RequestAborted);
                if (guardrail is { IsAllDataRequested: true })
                {
                    guardrail.SetTag(AttributeNames.LangfuseObservationType, "guardrail");
                    SetTraceLevel(guardrail, call.Metadata);
                    guardrail.SetTag(AttributeNames.OpenInferenceSpanKind, "GUARDRAIL");
                    guardrail.SetTag(AttributeNames.GuardrailName, "length");
                    guardrail.SetTag(AttributeNames.GuardrailMode, "pre_call");
                    guardrail.SetTag(AttributeNames.GuardrailStatus, GuardrailStatuses.Success);
                }
            }

            reply = Handler.Handle(request, call);
            if (llm is { IsAllDataRequested: true })
            {
                llm.SetTag(AttributeNames.GenAiUsageInputTokens, 12L);
                llm.SetTag(AttributeNames.GenAiUsageOutputTokens, 3L);
            }
        }

        await ResultStage.WriteAsync(call, reply, _gateway.GetTypeInfo<Reply>());
        server?.SetTag(AttributeNames.HttpResponseStatusCode, 200);
        server?.Stop();
        Activity.Current = previous;
    }

    // The trace-level attributes every span of the request carries (this request's metadata has these three).
    private static void SetTraceLevel(Activity span, LlmMetadata metadata)
    {
        span.SetTag(AttributeNames.LangfuseTraceName, metadata.TraceName);
        span.SetTag(AttributeNames.LangfuseSessionId, metadata.SessionId);
        span.SetTag(AttributeNames.LangfuseTraceTags, metadata.Tags);
    }

    private DefaultHttpContext NewContext() => NewContext(_services);

    /// <summary>The request every implementation handles, on a fresh context.</summary>
    internal static DefaultHttpContext NewContext(IServiceProvider services)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.Headers.Authorization = "Bearer sk-bench";
        context.Request.ContentLength = Body.Length;
        context.Request.Body = new MemoryStream(Body, writable: false);
        context.Response.Body = Stream.Null;
        return context;
    }

    private RequestEnvelope ReadEnvelope(ReadOnlyMemory<byte> body) => EmittedReader.Read(body, _gateway);
}
