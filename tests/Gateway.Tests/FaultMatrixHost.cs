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
/// whose machine was too busy to reach the component before the short one passed).
/// </summary>
public sealed class FaultMatrixHost : IAsyncLifetime
{
    public const string ApiKey = "sk-fault-matrix-5d1e";
    public const string Deadline = "/deadline";
    public const string SlowDeadline = "/deadline-slow";

    private WebApplication _app = null!;

    public FaultPlan Plan { get; } = new();

    public string Address { get; private set; } = string.Empty;

    public ConcurrentQueue<FailureContext> Logged { get; } = new();

    /// <summary>One entry per finished request, seen from outside the traced routes.</summary>
    public ConcurrentQueue<RequestRecord> Finished { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
        });
        builder.Services.AddTracedLlm(options => options.FailureLoggerTimeout = TimeSpan.FromSeconds(1));
        builder.Services.AddSingleton<ILlmAuthenticator>(new FaultyAuthenticator(new ApiKeyAuthenticator(new[] { ApiKey }), Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(new FaultyGuardrail(GuardrailMode.PreCall, FaultSite.PreCallGuardrail, Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(new FaultyGuardrail(GuardrailMode.DuringCall, FaultSite.DuringCallGuardrail, Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(new FaultyGuardrail(GuardrailMode.PostCall, FaultSite.PostCallGuardrail, Plan));
        builder.Services.AddSingleton<ILlmGuardrail>(new ResponseLengthGuardrail(8000));
        builder.Services.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(Logged));
        builder.Services.AddSingleton<ILlmFailureLogger>(new FaultyFailureLogger(Plan));
        builder.Services.AddSingleton<IBeforeLlmCall>(new FaultyStep(Plan));
        builder.Services.AddHttpContextAccessor();
        var client = new FaultyChatClient(new EmbeddedChatClient(new EmbeddedProviderDelays(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero)), Plan, new HttpContextAccessor());
        builder.Services.AddSingleton(TestProviders.Router(new ChatClientProvider(EmbeddedChatClient.ProviderName, client)));

        // The relay routes' upstream: the embedded provider over HTTP, failing as the plan says.
        builder.Services.AddTracedLlmRelay(options => options.PostCallGuardrails = RelayPostCallGuardrails.Incremental);
        var embedded = new EmbeddedUpstream(new ChatClientProvider(EmbeddedChatClient.ProviderName, new EmbeddedChatClient(new EmbeddedProviderDelays(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero))));
        builder.Services.AddSingleton(new FaultRelayUpstream(new FaultyHttpUpstream(embedded, Plan, new HttpContextAccessor())));
        builder.Services.AddRequestTimeouts();

        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
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
                Finished.Enqueue(new RequestRecord(context.Request.Path, context.Response.StatusCode, context.Response.HasStarted, escaped));
            }
        });
        _app.UseRouting();
        _app.UseRequestTimeouts();
        _app.MapFaultMatrixRoutes().WithRequestTimeout(TimeSpan.FromMinutes(5));
        _app.MapGroup(Deadline).MapFaultMatrixRoutes().WithRequestTimeout(TimeSpan.FromSeconds(1));
        _app.MapGroup(SlowDeadline).MapFaultMatrixRoutes().WithRequestTimeout(TimeSpan.FromSeconds(10));
        await _app.StartAsync();
        Address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Waits for the next request to finish on the server (its traced route, the failure path and the spans' end included).</summary>
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
/// Which component fails and how, for the next request; counts the faulty failure logger's calls
/// and says when a waiting component started to wait (and whether the request's deadline had
/// already passed by then).
/// </summary>
public sealed class FaultPlan
{
    private volatile FaultCell? _cell;
    private int _faultyLoggerCalls;

    public TaskCompletionSource Waiting { get; private set; } = NewSignal();

    public TaskCompletionSource UpstreamDone { get; private set; } = NewSignal();

    /// <summary>True when the deadline had passed before the waiting component was reached (the machine was too slow for the short deadline).</summary>
    public bool ReachedLate { get; private set; }

    public int FaultyLoggerCalls => Volatile.Read(ref _faultyLoggerCalls);

    public void Arm(FaultCell? cell)
    {
        Waiting = NewSignal();
        UpstreamDone = NewSignal();
        ReachedLate = false;
        Interlocked.Exchange(ref _faultyLoggerCalls, 0);
        _cell = cell;
    }

    /// <summary>The fault armed for <paramref name="site"/>, if any.</summary>
    public Fault? For(FaultSite site) => _cell is { } cell && cell.Site == site ? cell.Fault : null;

    /// <summary>A streamed request's during-call guardrail cell whose client leaves before the first chunk: the upstream waits too.</summary>
    public bool HoldsUpstream => _cell is { Site: FaultSite.DuringCallGuardrail, Fault: Fault.DisconnectBeforeResponse, Stream: true };

    /// <summary>The failure logger's cells need a failure first: the pre-call guardrail blocks.</summary>
    public bool BlocksBeforeLogging => _cell is { Site: FaultSite.FailureLogger };

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

    private async ValueTask FailLaterAsync(Fault fault, FaultSite site, HttpContext? httpContext, CancellationToken cancellation)
    {
        await Task.Yield();
        switch (fault)
        {
            case Fault.AsyncThrow:
                throw new FaultInjectedException($"fault injected at {site}");
            case Fault.OwnCancellation:
                using (var own = new CancellationTokenSource())
                {
                    own.Cancel();
                    own.Token.ThrowIfCancellationRequested();
                }

                break;
            case Fault.OwnTimeout:
                throw new TimeoutException($"the dependency of {site} did not answer in time");
            case Fault.Block:
                throw new GuardrailBlockedException("fault-matrix", FaultCell.BlockMessage);
            case Fault.UpstreamTimeout:
                throw new UpstreamTimeoutException();
            case Fault.ErrorResult:
                // The upstream's own error answer; the route relays it (the handler's own error result is FaultyStep's).
                throw new UpstreamAnswerException(429, FaultCell.UpstreamErrorBody, FaultCell.UpstreamRetryAfter);
            default:
                ReachedLate = httpContext?.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;
                Waiting.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellation);
                break;
        }

        throw new InvalidOperationException("unreachable: every fault fails");
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal sealed class FaultyAuthenticator(ILlmAuthenticator inner, FaultPlan plan) : ILlmAuthenticator
{
    public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
    {
        switch (plan.For(FaultSite.Authenticator))
        {
            case null:
                return inner.AuthenticateAsync(llmCall, cancellationToken);
            case Fault.Block:
                return ValueTask.FromResult(AuthResult.Fail(FaultCell.AuthFailureMessage));
            case { } fault:
                var failing = plan.FailAsync(fault, FaultSite.Authenticator, llmCall.HttpContext, cancellationToken);
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
        if (site == FaultSite.PreCallGuardrail && plan.BlocksBeforeLogging)
        {
            return ValueTask.FromResult(GuardrailVerdict.Block(FaultCell.BlockMessage));
        }

        if (plan.For(site) is not { } fault)
        {
            return ValueTask.FromResult(GuardrailVerdict.Allow);
        }

        // Beside a stream, the guardrail fails once the stream's content is out (the stream has
        // started), unless it throws at once or its client leaves before the first chunk.
        var afterStream = site == FaultSite.DuringCallGuardrail && context.Call.Parameters.Stream && fault is not (Fault.SyncThrow or Fault.DisconnectBeforeResponse);
        if (!afterStream && fault == Fault.Block)
        {
            return ValueTask.FromResult(GuardrailVerdict.Block(FaultCell.BlockMessage));
        }

        return !afterStream
            ? AfterAsync(plan.FailAsync(fault, site, context.Call.HttpContext, cancellationToken))
            : AfterStreamAsync(fault, context, cancellationToken);
    }

    private async ValueTask<GuardrailVerdict> AfterStreamAsync(Fault fault, GuardrailContext context, CancellationToken cancellationToken)
    {
        await plan.UpstreamDone.Task.WaitAsync(cancellationToken);
        if (fault == Fault.Block)
        {
            return GuardrailVerdict.Block(FaultCell.BlockMessage);
        }

        await plan.FailAsync(fault, site, context.Call.HttpContext, cancellationToken);
        return GuardrailVerdict.Allow;
    }

    private static async ValueTask<GuardrailVerdict> AfterAsync(ValueTask failing)
    {
        await failing;
        return GuardrailVerdict.Allow;
    }
}

internal sealed class FaultyStep(FaultPlan plan) : IBeforeLlmCall
{
    public ValueTask<IResult?> RunAsync(LlmCall call, CancellationToken cancellationToken) => plan.For(FaultSite.HandlerBeforeLlmCall) switch
    {
        null => ValueTask.FromResult<IResult?>(null),
        Fault.ErrorResult => ValueTask.FromResult<IResult?>(Results.Problem(title: FaultCell.ProblemTitle, statusCode: StatusCodes.Status503ServiceUnavailable)),
        { } fault => FailedAsync(plan.FailAsync(fault, FaultSite.HandlerBeforeLlmCall, call.HttpContext, cancellationToken)),
    };

    private static async ValueTask<IResult?> FailedAsync(ValueTask failing)
    {
        await failing;
        return null;
    }
}

internal sealed class RecordingFailureLogger(ConcurrentQueue<FailureContext> logged) : ILlmFailureLogger
{
    public ValueTask LogFailureAsync(FailureContext failure)
    {
        logged.Enqueue(failure);
        return ValueTask.CompletedTask;
    }
}

internal sealed class FaultyFailureLogger(FaultPlan plan) : ILlmFailureLogger
{
    public ValueTask LogFailureAsync(FailureContext failure)
    {
        plan.CountFaultyLoggerCall();
        return plan.For(FaultSite.FailureLogger) is { } fault ? plan.FailAsync(fault, FaultSite.FailureLogger, failure.Call.HttpContext, failure.CancellationToken) : ValueTask.CompletedTask;
    }
}

/// <summary>The embedded provider behind the upstream faults: the whole call, the stream before its first update, or after it.</summary>
internal sealed class FaultyChatClient(IChatClient inner, FaultPlan plan, IHttpContextAccessor request) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (plan.For(FaultSite.Upstream) is { } fault)
        {
            await plan.FailAsync(fault, FaultSite.Upstream, CurrentHttpContext(), cancellationToken);
        }

        return await inner.GetResponseAsync(messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        // A sync throw leaves this method itself, before any enumeration.
        if (plan.For(FaultSite.Upstream) is Fault.SyncThrow)
        {
            throw new FaultInjectedException("fault injected at the upstream");
        }

        return StreamAsync(messages, options, cancellationToken);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (plan.For(FaultSite.Upstream) is { } before)
        {
            await plan.FailAsync(before, FaultSite.Upstream, CurrentHttpContext(), cancellationToken);
        }

        if (plan.HoldsUpstream)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var first = true;
        await foreach (var update in inner.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
            if (first && plan.For(FaultSite.StreamAfterFirstChunk) is { } after)
            {
                if (after == Fault.SyncThrow)
                {
                    throw new FaultInjectedException("fault injected after the first chunk");
                }

                await plan.FailAsync(after, FaultSite.StreamAfterFirstChunk, CurrentHttpContext(), cancellationToken);
            }

            first = false;
        }

        plan.UpstreamDone.TrySetResult();
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

    public void Dispose() => inner.Dispose();

    // The provider seam passes no request: the accessor has it.
    private HttpContext? CurrentHttpContext() => request.HttpContext;
}

/// <summary>
/// The relay routes' upstream: the embedded provider as an HTTP peer, whose call fails as the plan
/// says for <see cref="FaultSite.Upstream"/> (in the relay's HTTP client, before any answer, or as
/// an error answer of the upstream's own), and whose streamed body fails after its first event for
/// <see cref="FaultSite.StreamAfterFirstChunk"/>.
/// </summary>
internal sealed class FaultyHttpUpstream(HttpMessageHandler inner, FaultPlan plan, IHttpContextAccessor request) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        // A sync throw leaves the client's send itself.
        if (plan.For(FaultSite.Upstream) is Fault.SyncThrow)
        {
            throw new FaultInjectedException("fault injected at the upstream");
        }

        return SendLaterAsync(message, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendLaterAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        switch (plan.For(FaultSite.Upstream))
        {
            case Fault.ErrorResult:
                var answer = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests) { Content = new StringContent(FaultCell.UpstreamErrorBody, System.Text.Encoding.UTF8, "application/json") };
                answer.Headers.TryAddWithoutValidation("Retry-After", FaultCell.UpstreamRetryAfter);
                return answer;
            case { } fault:
                await plan.FailAsync(fault, FaultSite.Upstream, request.HttpContext, cancellationToken);
                break;
        }

        if (plan.HoldsUpstream)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var response = await base.SendAsync(message, cancellationToken);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            var events = await response.Content.ReadAsStreamAsync(cancellationToken);
            var contentType = response.Content.Headers.ContentType;
            response.Content = new StreamContent(new FaultyStream(events, plan, request));
            response.Content.Headers.ContentType = contentType;
        }

        return response;
    }

    /// <summary>The embedded stream, failing after its first event when the plan says so, and saying when it ended.</summary>
    private sealed class FaultyStream(System.IO.Stream inner, FaultPlan plan, IHttpContextAccessor request) : System.IO.Stream
    {
        private bool _first = true;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_first && !buffer.IsEmpty && plan.For(FaultSite.StreamAfterFirstChunk) is { } after)
            {
                if (after == Fault.SyncThrow)
                {
                    throw new FaultInjectedException("fault injected after the first chunk");
                }

                await plan.FailAsync(after, FaultSite.StreamAfterFirstChunk, request.HttpContext, cancellationToken);
            }

            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                _first = false;
            }
            else if (!buffer.IsEmpty)
            {
                plan.UpstreamDone.TrySetResult();
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
