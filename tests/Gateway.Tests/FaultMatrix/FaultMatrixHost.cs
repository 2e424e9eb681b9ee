using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm.Gateway.AttemptRoutes;
using TracedLlm.Gateway.FaultRoutes;
using TracedLlm.Samples.Gateway;
using TracedLlm.Samples.Gateway.Policies;
using TracedLlm.Samples.Gateway.Providers;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The sample gateway's handlers, policies and embedded provider on Kestrel (127.0.0.1, a free
/// port: disconnects and Kestrel's own limits need a real socket), with ASP.NET Core's request
/// timeouts, and a component of each kind that fails as the armed <see cref="FaultPlan"/> says.
/// The routes are mapped three times: with a long request timeout, under <see cref="Deadline"/>
/// with a one-second one, and under <see cref="SlowDeadline"/> with a ten-second one (for a cell
/// whose machine was too busy to reach the component before the short one passed); so are the
/// routes whose provider service calls through an HttpClient with attempts (<see cref="HttpClientCells"/>). Its spans
/// are also exported through a <see cref="TailSamplingProcessor"/> that keeps none of
/// the requests it may drop (ratio 0, no latency or join reason), into <see cref="Sampled"/>: every
/// cell is a failure, so every cell's whole trace must arrive there.
/// </summary>
public class FaultMatrixHost : IAsyncLifetime
{
    public const string ApiKey = "sk-fault-matrix-5d1e";
    public const string Deadline = "/deadline";
    public const string SlowDeadline = "/deadline-slow";

    private WebApplication _app = null!;
    private TracerProvider _tracing = null!;

    public FaultPlan Plan { get; } = new();

    public string Address { get; private set; } = string.Empty;

    /// <summary>The app's services (a test that changes an option of the app's own resets it after).</summary>
    public IServiceProvider Services => _app.Services;

    public ConcurrentQueue<FailureContext> Logged { get; } = new();

    /// <summary>What the tail-sampling export kept.</summary>
    internal ExportedSpans Sampled { get; } = new();

    /// <summary>
    /// The gateway's options beyond the matrix's own (a variant host runs every cell in another mode).
    /// </summary>
    protected virtual void Configure(TracedLlmOptions options)
    {
    }

    /// <summary>Delivers what the tail-sampling export has queued.</summary>
    public bool FlushSampled() => _tracing.ForceFlush(10_000);

    /// <summary>One entry per finished request, seen from outside the traced routes.</summary>
    public ConcurrentQueue<RequestRecord> Finished { get; } = new();

    public async Task InitializeAsync()
    {
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(Telemetry.TracedLlmTelemetry.SourceName)
            .AddProcessor(new TailSamplingProcessor(
                new BoundedExportProcessor(
                    new InMemoryExporter<System.Diagnostics.Activity>(Sampled),
                    new ExportQueueOptions { ScheduledDelay = TimeSpan.FromMilliseconds(10) }),
                new TailSamplingOptions
                {
                    Enabled = true, Ratio = 0, LatencyThreshold = TimeSpan.FromHours(1), KeepJoinedTraces = false
                }))
            .Build()!;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
        });
        builder.Services.AddTracedLlm(options =>
        {
            options.FailureLoggerTimeout = TimeSpan.FromSeconds(1);
            Configure(options);
        });
        builder.Services.AddSingleton<ILlmAuthenticator>(
            new FaultyAuthenticator(new ApiKeyAuthenticator(new[] { ApiKey }), Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(
            new FaultyGuardrail(GuardrailMode.PreCall, FaultSite.PreCallGuardrail, Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(
            new FaultyGuardrail(GuardrailMode.DuringCall, FaultSite.DuringCallGuardrail, Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(
            new FaultyGuardrail(GuardrailMode.PostCall, FaultSite.PostCallGuardrail, Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(new ResponseLengthGuardrail(8000));
        builder.Services.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(Logged, Plan));
        builder.Services.AddSingleton<ILlmFailureLogger>(new FaultyFailureLogger(Plan));
        builder.Services.AddSingleton<IBeforeLlmCall>(new FaultyStep(Plan));
        builder.Services.AddHttpContextAccessor();
        var client = new FaultyChatClient(
            new EmbeddedChatClient(new EmbeddedProviderDelays(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero)),
            Plan,
            new HttpContextAccessor());
        builder.Services.AddSingleton(
            TestProviders.Router(new ChatClientProvider(EmbeddedChatClient.ProviderName, client)));

        // The relay routes' upstream: the embedded provider over HTTP, failing as the plan says.
        builder.Services.AddTracedLlmRelay(options => options.PostCallGuardrails = RelayPostCallGuardrails.Incremental);
        var embedded = new EmbeddedUpstream(new ChatClientProvider(
            EmbeddedChatClient.ProviderName,
            new EmbeddedChatClient(new EmbeddedProviderDelays(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero))));
        builder.Services.AddSingleton(
            new FaultRelayUpstream(new FaultyHttpUpstream(embedded, Plan, new HttpContextAccessor())));
        builder.Services.AddRequestTimeouts();
        builder.Services.AddFaultRouteServices();

        // The HttpClient routes' upstream (tests/Gateway.AttemptRoutes, under HttpClientCells.Prefix): the embedded
        // provider over HTTP behind the provider service's named client, with Polly's retry and AddTracedLlmAttempts(),
        // failing as the plan says below every handler of the client.
        builder.Services.AddSingleton(new ModelChain());
        builder.Services.AddSingleton<UpstreamChat>();
        builder.Services
            .AddHttpClient(UpstreamChat.ClientName, http => http.BaseAddress = new Uri(EmbeddedUpstream.Address + "/"))
            .ConfigurePrimaryHttpMessageHandler(() => new FaultyHttpUpstream(
                new EmbeddedUpstream(new ChatClientProvider(
                    EmbeddedChatClient.ProviderName,
                    new EmbeddedChatClient(new EmbeddedProviderDelays(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero)))),
                Plan,
                new HttpContextAccessor()))
            .AddTracedLlmAttempts()
            .AddResilienceHandler("retry", pipeline => Polly.RetryResiliencePipelineBuilderExtensions.AddRetry(
                pipeline,
                new Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 1,
                    Delay = TimeSpan.FromMilliseconds(1),
                    ShouldRetryAfterHeader = false,
                }));

        // The controller shape: the same handlers as MVC actions, MVC's JSON options as the app's, and
        // the app's own exception handling (problem details) for what the actions throw.
        builder.Services.AddProblemDetails();
        builder.Services.AddControllers(options => options.Filters.Add(new FaultyActionFilter(Plan)))
            .AddApplicationPart(typeof(FaultController).Assembly)
            .AddJsonOptions(options =>
            {
                options.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
                options.JsonSerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
                options.JsonSerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
            })
            .AddTracedLlm();

        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            var run = Plan.Of(context);
            run.Arrived.TrySetResult();
            Exception? escaped = null;
            try
            {
                await next(context);
            }
            catch (Exception exception)
            {
                escaped = exception;
                throw;
            }
            finally
            {
                var record = new RequestRecord(
                    context.Request.Path, context.Response.StatusCode, context.Response.HasStarted, escaped);
                Finished.Enqueue(record);
                run.Finished.TrySetResult(record);
            }
        });
        _app.UseExceptionHandler();
        _app.UseRouting();
        _app.UseRequestTimeouts();
        _app.MapFaultMatrixRoutes().WithRequestTimeout(TimeSpan.FromMinutes(5));
        _app.MapGroup(Deadline).MapFaultMatrixRoutes().WithRequestTimeout(TimeSpan.FromSeconds(1));
        _app.MapGroup(SlowDeadline).MapFaultMatrixRoutes().WithRequestTimeout(TimeSpan.FromSeconds(10));
        _app.MapGroup(HttpClientCells.Prefix).MapAttemptRoutes().WithRequestTimeout(TimeSpan.FromMinutes(5));
        _app.MapGroup(Deadline + HttpClientCells.Prefix).MapAttemptRoutes().WithRequestTimeout(TimeSpan.FromSeconds(1));
        _app.MapGroup(SlowDeadline + HttpClientCells.Prefix)
            .MapAttemptRoutes()
            .WithRequestTimeout(TimeSpan.FromSeconds(10));

        // The controller's actions carry the three prefixes as attribute routes: each gets its prefix's timeout.
        _app.MapControllers().Add(endpoint =>
        {
            var pattern = "/"
                + ((endpoint as Microsoft.AspNetCore.Routing.RouteEndpointBuilder)?.RoutePattern.RawText
                    ?? string.Empty).TrimStart('/');
            var timeout = pattern.StartsWith(SlowDeadline + "/", StringComparison.Ordinal) ? TimeSpan.FromSeconds(10)
                : pattern.StartsWith(Deadline + "/", StringComparison.Ordinal) ? TimeSpan.FromSeconds(1)
                : TimeSpan.FromMinutes(5);
            endpoint.Metadata.Add(new RequestTimeoutAttribute((int)timeout.TotalMilliseconds));
        });
        await _app.StartAsync();
        Address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _tracing.Dispose();
    }

    /// <summary>
    /// Waits for the next request to finish on the server (its traced route, the failure path and the spans' end
    /// included).
    /// </summary>
    public async Task<RequestRecord> NextFinishedAsync()
    {
        var deadline = Environment.TickCount64 + 30_000;
        RequestRecord? record;
        while (!Finished.TryDequeue(out record))
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("The server did not finish the request within 30 s.");
            }

            await Task.Delay(10);
        }

        return record;
    }
}

/// <summary>A request as the outermost middleware saw it end.</summary>
public sealed record RequestRecord(string Path, int Status, bool Started, Exception? Escaped);

/// <summary>
/// Which components fail and how, request by request: a request that names a run in its
/// <see cref="Header"/> gets that run's faults (the load mode runs many at once), any other request
/// gets the armed run (the single-cell matrix arms one cell at a time). The single-cell members
/// (<see cref="Waiting"/>, <see cref="ReachedLate"/>, <see cref="FaultyLoggerCalls"/>) read the armed run.
/// </summary>
public sealed class FaultPlan
{
    /// <summary>The request header naming a request's run.</summary>
    public const string Header = "x-fault-run";

    private readonly ConcurrentDictionary<string, FaultRun> _runs = new(StringComparer.Ordinal);
    private FaultRun _armed = new(Array.Empty<FaultCell>());

    /// <summary>The run of requests that name none.</summary>
    public FaultRun Armed => Volatile.Read(ref _armed);

    public TaskCompletionSource Waiting => Armed.Waiting;

    public TaskCompletionSource UpstreamDone => Armed.UpstreamDone;

    /// <summary>
    /// True when the deadline had passed before the waiting component was reached (the machine was too slow for the
    /// short deadline).
    /// </summary>
    public bool ReachedLate => Armed.ReachedLate;

    public int FaultyLoggerCalls => Armed.FaultyLoggerCalls;

    /// <summary>Arms <paramref name="cell"/> (none: a healthy request) for the requests that name no run.</summary>
    public FaultRun Arm(FaultCell? cell, Landing? landing = null)
    {
        var run = new FaultRun(cell is null ? Array.Empty<FaultCell>() : new[] { cell }, landing);
        Volatile.Write(ref _armed, run);
        return run;
    }

    /// <summary>Registers a run for the requests that name it.</summary>
    public void Add(FaultRun run) => _runs[run.Id] = run;

    public void Remove(FaultRun run) => _runs.TryRemove(run.Id, out _);

    /// <summary>The run of the request (the armed one when it names none, or there is no request).</summary>
    public FaultRun Of(HttpContext? request) =>
        request is not null
        && request.Request.Headers.TryGetValue(Header, out var id)
        && _runs.TryGetValue(id.ToString(), out var run)
            ? run
            : Armed;
}

/// <summary>
/// One request's faults (none, one cell, or a pair in two components), where a timed cell's
/// upstream holds (<see cref="Landing"/>), how the upstream paces its chunks, and what the request
/// did: the signals of a waiting component, its failure logger calls, how it ended on the server.
/// </summary>
public sealed class FaultRun
{
    private static int s_next;
    private int _faultyLoggerCalls;

    public FaultRun(
        IReadOnlyList<FaultCell> cells,
        Landing? landing = null,
        TimeSpan chunkGap = default,
        TimeSpan? guardrailFailsAfter = null)
    {
        Cells = cells;
        Landing = landing;
        ChunkGap = chunkGap;
        GuardrailFailsAfter = guardrailFailsAfter;
        Id = Interlocked.Increment(ref s_next).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public string Id { get; }

    public IReadOnlyList<FaultCell> Cells { get; }

    /// <summary>
    /// For a timed cell: where the upstream side holds until the request is cancelled, and the during-call guardrail
    /// fails once it holds.
    /// </summary>
    public Landing? Landing { get; }

    /// <summary>The upstream's pause before each chunk (and before a whole response).</summary>
    public TimeSpan ChunkGap { get; }

    /// <summary>
    /// When set, the during-call guardrail fails this long after it starts, wherever the stream beside it is by then.
    /// </summary>
    public TimeSpan? GuardrailFailsAfter { get; }

    /// <summary>
    /// Set when a component starts to wait for its cancellation (the client leaves, the deadline passes).
    /// </summary>
    public TaskCompletionSource Waiting { get; } = NewSignal();

    public TaskCompletionSource UpstreamDone { get; } = NewSignal();

    /// <summary>Set when the upstream side starts to hold at <see cref="Landing"/>.</summary>
    public TaskCompletionSource Held { get; } = NewSignal();

    /// <summary>Set when the request reached the server (its outermost middleware).</summary>
    public TaskCompletionSource Arrived { get; } = NewSignal();

    /// <summary>
    /// Set with the request's end on the server, the traced route, its failure path and its spans included.
    /// </summary>
    public TaskCompletionSource<RequestRecord> Finished { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>This request's calls to the recording failure logger.</summary>
    public ConcurrentQueue<FailureContext> Logged { get; } = new();

    /// <summary>
    /// True when the deadline had passed before the waiting component was reached (the machine was too slow for the
    /// short deadline).
    /// </summary>
    public bool ReachedLate { get; private set; }

    public int FaultyLoggerCalls => Volatile.Read(ref _faultyLoggerCalls);

    /// <summary>The fault armed for <paramref name="site"/>, if any.</summary>
    public Fault? For(FaultSite site)
    {
        foreach (var cell in Cells)
        {
            if (cell.Site == site)
            {
                return cell.Fault;
            }
        }

        return null;
    }

    /// <summary>
    /// A streamed request's during-call guardrail cell whose client leaves before the first chunk: the upstream waits
    /// too.
    /// </summary>
    public bool HoldsUpstream => Landing is null && Cells.Any(c => c is
    {
        Site: FaultSite.DuringCallGuardrail, Fault: Fault.DisconnectBeforeResponse, Stream: true
    });

    /// <summary>
    /// The failure logger's cells need a failure first: the pre-call guardrail blocks (in a pair, the other cell
    /// fails).
    /// </summary>
    public bool BlocksBeforeLogging => Cells is [{ Site: FaultSite.FailureLogger }];

    public void CountFaultyLoggerCall() => Interlocked.Increment(ref _faultyLoggerCalls);

    /// <summary>
    /// Fails as <paramref name="fault"/> says: synchronously for a sync throw, after a yield for
    /// the others, or by waiting until <paramref name="cancellation"/> is cancelled. A block is the
    /// thrown kind here; components with a verdict answer it themselves.
    /// </summary>
    public ValueTask FailAsync(Fault fault, FaultSite site, HttpContext? httpContext, CancellationToken cancellation)
    {
        if (fault == Fault.SyncThrow)
        {
            throw new FaultInjectedException($"fault injected at {site}, C:\\secret\\path");
        }

        return FailLaterAsync(fault, site, httpContext, cancellation);
    }

    /// <summary>
    /// Holds the upstream side at <paramref name="at"/> until the request is cancelled, when that is this run's
    /// landing.
    /// </summary>
    public Task HoldIfLandingAsync(Landing at, HttpContext? httpContext, CancellationToken cancellation)
    {
        if (Landing != at)
        {
            return Task.CompletedTask;
        }

        ReachedLate |= DeadlinePassed(httpContext);
        Held.TrySetResult();
        return Task.Delay(Timeout.Infinite, cancellation);
    }

    private async ValueTask FailLaterAsync(
        Fault fault, FaultSite site, HttpContext? httpContext, CancellationToken cancellation)
    {
        await Task.Yield();
        if (fault is not (Fault.DisconnectBeforeResponse
            or Fault.DisconnectAfterResponseStarted
            or Fault.ServerRequestTimeout))
        {
            throw Failure(fault, site);
        }

        ReachedLate |= DeadlinePassed(httpContext);
        Waiting.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellation);
        throw new InvalidOperationException("unreachable: every fault fails");
    }

    /// <summary>
    /// What a component that fails as <paramref name="fault"/> throws (the waiting faults wait instead).
    /// </summary>
    public static Exception Failure(Fault fault, FaultSite site)
    {
        switch (fault)
        {
            case Fault.SyncThrow or Fault.AsyncThrow:
                return new FaultInjectedException($"fault injected at {site}");
            case Fault.OwnCancellation:
                using (var own = new CancellationTokenSource())
                {
                    own.Cancel();
                    return new OperationCanceledException(own.Token);
                }

            case Fault.OwnTimeout:
                return new TimeoutException($"the dependency of {site} did not answer in time");
            case Fault.Block:
                return new GuardrailBlockedException("fault-matrix", FaultCell.BlockMessage);
            case Fault.UpstreamTimeout:
                return new UpstreamTimeoutException();
            case Fault.ErrorResult:
                // The upstream's own error answer; the route relays it (the handler's own error result is
                // FaultyStep's).
                return new UpstreamAnswerException(429, FaultCell.UpstreamErrorBody, FaultCell.UpstreamRetryAfter);
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, "a waiting fault throws nothing by itself");
        }
    }

    private static bool DeadlinePassed(HttpContext? httpContext) =>
        httpContext?.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal sealed class FaultyAuthenticator(ILlmAuthenticator inner, FaultPlan plan) : ILlmAuthenticator
{
    public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
    {
        var run = plan.Of(llmCall.HttpContext);
        switch (run.For(FaultSite.Authenticator))
        {
            case null:
                return inner.AuthenticateAsync(llmCall, cancellationToken);
            case Fault.Block:
                return ValueTask.FromResult(AuthResult.Fail(FaultCell.AuthFailureMessage));
            case { } fault:
                var failing = run.FailAsync(fault, FaultSite.Authenticator, llmCall.HttpContext, cancellationToken);
                return AfterAsync(failing);
        }

        static async ValueTask<AuthResult> AfterAsync(ValueTask failing)
        {
            await failing;
            return AuthResult.Fail("unreachable");
        }
    }
}

internal sealed class FaultyGuardrail(GuardrailMode mode, FaultSite site, FaultPlan plan) : ILlmGuardrail
{
    public string Name => "fault-matrix-" + site;

    public GuardrailMode Modes => mode;

    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
    {
        var run = plan.Of(context.Call.HttpContext);
        if (site == FaultSite.PreCallGuardrail && run.BlocksBeforeLogging)
        {
            return ValueTask.FromResult(GuardrailVerdict.Block(FaultCell.BlockMessage));
        }

        if (run.For(site) is not { } fault)
        {
            return ValueTask.FromResult(GuardrailVerdict.Allow);
        }

        // A timed cell fails once the upstream side holds at its landing; a sync throw is at once.
        if (site == FaultSite.DuringCallGuardrail && run.Landing is not null && fault != Fault.SyncThrow)
        {
            return AfterAsync(run.Held.Task, fault, run, context, cancellationToken);
        }

        // Or at a moment of its own, wherever the stream beside it is by then.
        if (site == FaultSite.DuringCallGuardrail && run.GuardrailFailsAfter is { } delay && fault != Fault.SyncThrow)
        {
            return AfterAsync(Task.Delay(delay, cancellationToken), fault, run, context, cancellationToken);
        }

        // Beside a stream, the guardrail fails once the stream's content is out (the stream has
        // started), unless it throws at once or its client leaves before the first chunk.
        var afterStream = site == FaultSite.DuringCallGuardrail
            && context.Call.Parameters.Stream
            && fault is not (Fault.SyncThrow or Fault.DisconnectBeforeResponse);
        if (!afterStream && fault == Fault.Block)
        {
            return ValueTask.FromResult(GuardrailVerdict.Block(FaultCell.BlockMessage));
        }

        return !afterStream
            ? AllowAfterAsync(run.FailAsync(fault, site, context.Call.HttpContext, cancellationToken))
            : AfterAsync(run.UpstreamDone.Task, fault, run, context, cancellationToken);
    }

    private async ValueTask<GuardrailVerdict> AfterAsync(
        Task moment, Fault fault, FaultRun run, GuardrailContext context, CancellationToken cancellationToken)
    {
        await moment.WaitAsync(cancellationToken);
        if (fault == Fault.Block)
        {
            return GuardrailVerdict.Block(FaultCell.BlockMessage);
        }

        await run.FailAsync(fault, site, context.Call.HttpContext, cancellationToken);
        return GuardrailVerdict.Allow;
    }

    private static async ValueTask<GuardrailVerdict> AllowAfterAsync(ValueTask failing)
    {
        await failing;
        return GuardrailVerdict.Allow;
    }
}

/// <summary>
/// The app's own MVC action filter on the controller route: it fails as the plan says, or answers with its own error
/// result.
/// </summary>
internal sealed class FaultyActionFilter(FaultPlan plan) : Microsoft.AspNetCore.Mvc.Filters.IAsyncActionFilter
{
    public Task OnActionExecutionAsync(
        Microsoft.AspNetCore.Mvc.Filters.ActionExecutingContext context,
        Microsoft.AspNetCore.Mvc.Filters.ActionExecutionDelegate next)
    {
        var httpContext = context.HttpContext;
        var run = plan.Of(httpContext);
        switch (run.For(FaultSite.AppFilter))
        {
            case null:
                return next();
            case Fault.ErrorResult:
                context.Result = new Microsoft.AspNetCore.Mvc.ObjectResult(new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Title = FaultCell.ProblemTitle, Status = StatusCodes.Status503ServiceUnavailable
                })
                {
                    StatusCode = StatusCodes.Status503ServiceUnavailable,
                };
                return Task.CompletedTask;
            case { } fault:
                // A sync throw leaves this method itself, as a filter's own code would.
                return run.FailAsync(fault, FaultSite.AppFilter, httpContext, httpContext.RequestAborted).AsTask();
        }
    }
}

internal sealed class FaultyStep(FaultPlan plan) : IBeforeLlmCall
{
    private static readonly LlmTarget First = new("fault-matrix", "gpt") { BackendId = "first" };

    public ValueTask<IResult?> RunAsync(LlmCall call, CancellationToken cancellationToken)
    {
        var run = plan.Of(call.HttpContext);
        return (run.For(FaultSite.HandlerBeforeLlmCall), run.For(FaultSite.TargetChooser)) switch
        {
            (Fault.ErrorResult, _) => ValueTask.FromResult<IResult?>(
                Results.Problem(title: FaultCell.ProblemTitle, statusCode: StatusCodes.Status503ServiceUnavailable)),
            ({ } fault, _) => ThenNothingAsync(
                run.FailAsync(fault, FaultSite.HandlerBeforeLlmCall, call.HttpContext, cancellationToken)),

            // The handler's own upstream call on targets it chooses: after the step, before the sample's provider.
            (null, { } chooserFault) => ThenNothingAsync(ChooseAfterAFailureAsync(call, chooserFault)),
            (null, null) => ThenNothingAsync(
                new ValueTask(run.HoldIfLandingAsync(Landing.BeforeResponse, call.HttpContext, cancellationToken))),
        };
    }

    private static ValueTask<IResult?> ThenNothingAsync(ValueTask step) =>
        step.IsCompletedSuccessfully ? ValueTask.FromResult<IResult?>(null) : AwaitAsync(step);

    private static async ValueTask<IResult?> AwaitAsync(ValueTask step)
    {
        await step;
        return null;
    }

    /// <summary>
    /// An upstream call whose target the handler's code chooses: the first attempt fails (503), then the chooser fails.
    /// </summary>
    private static async ValueTask ChooseAfterAFailureAsync(LlmCall call, Fault fault)
    {
        LlmTarget? Choose(LlmAttemptFailure? failed) =>
            failed is null ? First : throw FaultRun.Failure(fault, FaultSite.TargetChooser);
        if (call.Parameters.Stream)
        {
            await foreach (var _ in call.StreamAsync(Choose, LlmRetryPolicy.None, static (_, _) => FailingStream()))
            {
            }
        }
        else
        {
            await call.ExecuteAsync(
                Choose, LlmRetryPolicy.None, static (_, _) => Task.FromException<int>(Unavailable()));
        }
    }

    private static async IAsyncEnumerable<int> FailingStream()
    {
        await Task.Yield();
        throw Unavailable();
#pragma warning disable CS0162 // An iterator needs a yield to be one.
        yield break;
#pragma warning restore CS0162
    }

    private static UpstreamException Unavailable() => new(503, "The upstream provider answered 503.");
}

/// <summary>Records every failure logger call, and each in its request's run when there is a plan.</summary>
internal sealed class RecordingFailureLogger(ConcurrentQueue<FailureContext> logged, FaultPlan? plan = null)
    : ILlmFailureLogger
{
    public ValueTask LogFailureAsync(FailureContext failure)
    {
        logged.Enqueue(failure);
        plan?.Of(failure.Call.HttpContext).Logged.Enqueue(failure);
        return ValueTask.CompletedTask;
    }
}

internal sealed class FaultyFailureLogger(FaultPlan plan) : ILlmFailureLogger
{
    public ValueTask LogFailureAsync(FailureContext failure)
    {
        var run = plan.Of(failure.Call.HttpContext);
        run.CountFaultyLoggerCall();
        return run.For(FaultSite.FailureLogger) is { } fault
            ? run.FailAsync(fault, FaultSite.FailureLogger, failure.Call.HttpContext, failure.CancellationToken)
            : ValueTask.CompletedTask;
    }
}

/// <summary>
/// The embedded provider behind the upstream faults: the whole call, the stream before its first
/// update, or after it; paced by the run's chunk gap, and holding where a timed cell lands.
/// </summary>
internal sealed class FaultyChatClient(IChatClient inner, FaultPlan plan, IHttpContextAccessor request) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var httpContext = request.HttpContext;
        var run = plan.Of(httpContext);
        if (run.For(FaultSite.Upstream) is { } fault)
        {
            await run.FailAsync(fault, FaultSite.Upstream, httpContext, cancellationToken);
        }

        if (run.ChunkGap > TimeSpan.Zero)
        {
            await Task.Delay(run.ChunkGap, cancellationToken);
        }

        return await inner.GetResponseAsync(messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        // A sync throw leaves this method itself, before any enumeration.
        var httpContext = request.HttpContext;
        var run = plan.Of(httpContext);
        if (run.For(FaultSite.Upstream) is Fault.SyncThrow)
        {
            throw new FaultInjectedException("fault injected at the upstream");
        }

        return StreamAsync(run, httpContext, messages, options, cancellationToken);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(
        FaultRun run,
        HttpContext? httpContext,
        IEnumerable<AiChatMessage> messages,
        ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (run.For(FaultSite.Upstream) is { } before)
        {
            await run.FailAsync(before, FaultSite.Upstream, httpContext, cancellationToken);
        }

        if (run.HoldsUpstream)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        await run.HoldIfLandingAsync(Landing.BeforeFirstChunk, httpContext, cancellationToken);
        var first = true;
        await foreach (var update in inner.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            if (run.ChunkGap > TimeSpan.Zero)
            {
                await Task.Delay(run.ChunkGap, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return update;

            // Resumed for the second chunk: the first one's events are written.
            if (first)
            {
                await run.HoldIfLandingAsync(Landing.BetweenChunks, httpContext, cancellationToken);
                if (run.For(FaultSite.StreamAfterFirstChunk) is { } after)
                {
                    if (after == Fault.SyncThrow)
                    {
                        throw new FaultInjectedException("fault injected after the first chunk");
                    }

                    await run.FailAsync(after, FaultSite.StreamAfterFirstChunk, httpContext, cancellationToken);
                }
            }

            first = false;
        }

        run.UpstreamDone.TrySetResult();
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

    public void Dispose() => inner.Dispose();
}

/// <summary>
/// The relay routes' upstream: the embedded provider as an HTTP peer, whose call fails as the plan
/// says for <see cref="FaultSite.Upstream"/> (in the relay's HTTP client, before any answer, or as
/// an error answer of the upstream's own), and whose streamed body fails after its first event for
/// <see cref="FaultSite.StreamAfterFirstChunk"/>.
/// </summary>
internal sealed class FaultyHttpUpstream(HttpMessageHandler inner, FaultPlan plan, IHttpContextAccessor request)
    : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage message, CancellationToken cancellationToken)
    {
        // A sync throw leaves the client's send itself.
        if (plan.Of(request.HttpContext).For(FaultSite.Upstream) is Fault.SyncThrow)
        {
            throw new FaultInjectedException("fault injected at the upstream");
        }

        return SendLaterAsync(message, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendLaterAsync(
        HttpRequestMessage message, CancellationToken cancellationToken)
    {
        var httpContext = request.HttpContext;
        var run = plan.Of(httpContext);
        switch (run.For(FaultSite.Upstream))
        {
            case Fault.ErrorResult:
                var answer = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests)
                {
                    Content = new StringContent(
                        FaultCell.UpstreamErrorBody, System.Text.Encoding.UTF8, "application/json")
                };
                answer.Headers.TryAddWithoutValidation("Retry-After", FaultCell.UpstreamRetryAfter);
                return answer;
            case { } fault:
                await run.FailAsync(fault, FaultSite.Upstream, httpContext, cancellationToken);
                break;
        }

        if (run.HoldsUpstream)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var response = await base.SendAsync(message, cancellationToken);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            var events = await response.Content.ReadAsStreamAsync(cancellationToken);
            var contentType = response.Content.Headers.ContentType;
            response.Content = new StreamContent(new FaultyStream(events, run, httpContext));
            response.Content.Headers.ContentType = contentType;
        }

        return response;
    }

    /// <summary>
    /// The embedded stream, failing after its first event when the plan says so, and saying when it ended.
    /// </summary>
    private sealed class FaultyStream(System.IO.Stream inner, FaultRun run, HttpContext? httpContext) : System.IO.Stream
    {
        private bool _first = true;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(
            Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_first && !buffer.IsEmpty && run.For(FaultSite.StreamAfterFirstChunk) is { } after)
            {
                if (after == Fault.SyncThrow)
                {
                    throw new FaultInjectedException("fault injected after the first chunk");
                }

                await run.FailAsync(after, FaultSite.StreamAfterFirstChunk, httpContext, cancellationToken);
            }

            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                _first = false;
            }
            else if (!buffer.IsEmpty)
            {
                run.UpstreamDone.TrySetResult();
            }

            return read;
        }

        public override Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, System.IO.SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>
/// The fault matrix's host in the latest GenAI convention mode, with content captured and both
/// models priced: the mode's own paths (the operation-named LLM span, structured messages, the
/// per-attempt metrics, the evaluation events, cost) under every fault.
/// </summary>
public sealed class LatestConventionsFaultMatrixHost : FaultMatrixHost
{
    protected override void Configure(TracedLlmOptions options)
    {
        options.SemanticConventions = SemanticConventionMode.GenAiLatestExperimental;
        options.CaptureMessageContent = true;
        options.Pricing.Models["gpt"] = new LlmModelPrice { Input = 1, Output = 2 };
        options.Pricing.Models["claude"] = new LlmModelPrice { Input = 3, Output = 15, CacheRead = 0.3 };
    }
}
