using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The races the fault matrix under load found (issue 33), each made deterministic: the moment that
/// decided them under load is forced here, through the sample gateway on Kestrel (the races are
/// Kestrel's: its request token and its flushes). Each failed before its fix as its name says it no
/// longer does.
/// </summary>
public sealed class FailureRaceRegressionTests : IDisposable
{
    private readonly SpanCollector _spans = new();
    private readonly ConcurrentQueue<FailureContext> _logged = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData("/v1/messages", false)]
    [InlineData("/v1/messages", true)]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    public async Task AClientThatLeavesWhileItsBodyArrivesIs499NotABadRequest(string path, bool reset)
    {
        // Kestrel closes the connection when the body ends before its Content-Length (or is reset),
        // and cancels RequestAborted only later, from the thread pool; the failure path, which runs
        // on without a pause from the body read to the classification, mostly came first and
        // recorded a 400 "invalid framing" (server span and failure logger). Five departures each.
        using var started = new SemaphoreSlim(0);
        var errors = new ConcurrentQueue<string>();
        using var host = Kestrel(
            s =>
            {
                s.AddSingleton<IStartupFilter>(new SignalOnRequest(started));
                s.AddLogging(logging => logging.AddProvider(new ErrorLog(errors)));
            },
            out var address);
        var body = Encoding.UTF8.GetBytes(StreamedBody(path));
        var head = Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {GatewayHost.ApiKey}\r\nContent-Type: "
            + $"application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        for (var run = 1; run <= 5; run++)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, address.Port);
            await socket.SendAsync(head);
            await socket.SendAsync(body.AsMemory(0, body.Length / 2));
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)), "the request did not reach the app");
            if (reset)
            {
                socket.Close(0);
            }
            else
            {
                // The client stops sending and waits: nothing may reach it, the connection just
                // closes (Kestrel closes or resets it).
                socket.Shutdown(SocketShutdown.Send);
                Assert.Equal(0, await ReceiveUntilClosedAsync(socket));
            }

            var server = await _spans.WaitForAsync(stopped =>
                stopped.Where(s => s.DisplayName == SpanNames.Server).Skip(run - 1).FirstOrDefault());
            Assert.Equal(499, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
            Assert.Equal("The client closed the request.", server.StatusDescription);
            var failed = Assert.Single(
                _spans.Stopped,
                s => s.DisplayName == SpanNames.Failure && s.TraceId == server.TraceId);
            Assert.Equal("client_disconnected", failed.GetTagItem(AttributeNames.ErrorType));
        }

        Assert.Equal(5, _logged.Count);
        Assert.All(_logged, l => Assert.Equal((499, "client_disconnected"), (l.StatusCode, l.ErrorCode)));
        _spans.AssertAllEnded();

        // The connection is aborted with the request: Kestrel logged an error for every reset
        // ("automatic draining of the request body failed because the body reader is in an invalid state").
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("/v1/messages")]
    [InlineData("/v1/chat/completions")]
    public async Task ADuringCallGuardrailThatThrowsAsTheFirstChunkArrivesIsA500InTheRoutesFormat(string path)
    {
        // The upstream's first chunk crosses the guardrail's failure: the chunk arrives with the
        // request's token already cancelled. The pipeline wrote it and flushed under that token:
        // Kestrel refused the flush before the status line, the failure path's JSON then went out
        // behind the buffered event (a 500 whose body began "event: message_start"), or Kestrel
        // cut the connection (no status at all).
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("moderation backend broke");
        });
        using var host = Kestrel(
            s =>
            {
                s.AddSingleton<ILlmGuardrail>(guardrail);
                s.AddSingleton(TestProviders.Router(new FirstChunkOnCancellationProvider()));
            },
            out var address);
        using var client = new HttpClient { BaseAddress = address };
        for (var run = 1; run <= 3; run++)
        {
            using var response = await client.SendAsync(GatewayHost.Post(path, StreamedBody(path)));
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
            Assert.Equal("api_error", error.GetProperty("type").GetString());
            Assert.Equal("The gateway failed to handle the request.", error.GetProperty("message").GetString());

            var server = await _spans.WaitForAsync(stopped =>
                stopped.Where(s => s.DisplayName == SpanNames.Server).Skip(run - 1).FirstOrDefault());
            Assert.Equal(500, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
            var failed = Assert.Single(
                _spans.Stopped,
                s => s.DisplayName == SpanNames.Failure && s.TraceId == server.TraceId);
            Assert.Equal(typeof(InvalidOperationException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        }

        Assert.Equal(3, _logged.Count);
        Assert.All(_logged, l => Assert.Equal(500, l.StatusCode));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/messages")]
    [InlineData("/v1/chat/completions")]
    public async Task ADuringCallGuardrailThatFailsWhileAFlushWaitsForASlowReaderEndsTheStreamWithAnErrorEvent(
        string path)
    {
        // The client reads slowly, so a flush waits; a guardrail fails meanwhile and cancels the
        // request's token, which that flush was given: Kestrel aborted the connection (a reset
        // where the contract says an error event).
        var provider = new EndlessProvider();
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, ct) =>
        {
            await provider.StalledAsync(TimeSpan.FromMilliseconds(300), ct);
            fired.TrySetResult();
            throw new InvalidOperationException("moderation backend broke");
        });
        using var host = Kestrel(
            s =>
            {
                s.AddSingleton<ILlmGuardrail>(guardrail);
                s.AddSingleton(TestProviders.Router(provider));
            },
            out var address);
        using var client = new HttpClient { BaseAddress = address };
        using var response = await client.SendAsync(
            GatewayHost.Post(path, StreamedBody(path)),
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.True(events.Count > 2, "no chunk before the error event");
        Assert.Equal(path == "/v1/messages" ? "error" : null, events[^1].Name);
        var error = JsonDocument.Parse(events[^1].Data).RootElement.GetProperty("error");
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain(events, e => e.Data == "[DONE]" || e.Name == "message_stop");

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(500, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(
            typeof(InvalidOperationException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(500, Assert.Single(_logged).StatusCode);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AHandlersOwnCancellationBesideAWaitingDuringCallGuardrailIsRecordedAsItsOwn()
    {
        // Found by the load mode (a pair: during-call guardrail × the upstream's own cancellation).
        // The failure path stopped the guardrail, then took the guardrail's stop for the failure:
        // error.type TaskCanceledException, and the failure loggers got the stop, not the fault.
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return GuardrailVerdict.Allow;
        });
        var own = new OperationCanceledException("the provider cancelled its own call");
        using var host = new GatewayHost().WithServices(s =>
        {
            s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(_logged));
            s.AddSingleton<ILlmGuardrail>(guardrail);
            s.AddSingleton(TestProviders.Router(new ThrowingProvider(own)));
        });
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(OperationCanceledException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Same(own, Assert.Single(_logged).Exception);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnUpstreamTimeoutAsADuringCallGuardrailFailsIsNeverABare500()
    {
        // Found by the load mode (a pair: during-call guardrail × the upstream's own timeout). The
        // guardrail's failure cancelled the call; the attempt then kept the upstream's
        // TimeoutException unclassified, and the request failed as a 500 TimeoutException: neither
        // the upstream timeout it was nor the guardrail failure. Both happened, so either may be
        // the outcome (Polly may end the cancelled call itself, and then the guardrail's failure
        // is the one the handler was cancelled for); five runs each.
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("moderation backend broke");
        });
        using var host = new GatewayHost().WithServices(s =>
        {
            s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(_logged));
            s.AddSingleton<ILlmGuardrail>(guardrail);
            s.AddSingleton(TestProviders.Router(new TimesOutOnCancellationProvider()));
        });
        using var client = host.CreateClient();
        for (var run = 1; run <= 5; run++)
        {
            using var response = await client.SendAsync(GatewayHost.Post("/v1/chat/completions",
                """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));
            var code = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty(
                "error").GetProperty("code").GetString();
            var server = await _spans.WaitForAsync(stopped =>
                stopped.Where(s => s.DisplayName == SpanNames.Server).Skip(run - 1).FirstOrDefault());
            // As a string: a tuple's object element would be compared by reference, not by its text.
            var errorType = (string?)
                Assert
                    .Single(_spans.Stopped, s => s.DisplayName == SpanNames.Failure && s.TraceId == server.TraceId)
                    .GetTagItem(AttributeNames.ErrorType);
            var outcome = ((int)response.StatusCode, code, errorType);
            Assert.True(
                outcome == (504, "upstream_timeout", typeof(UpstreamTimeoutException).FullName)
                    || outcome == (500, "internal_error", typeof(InvalidOperationException).FullName),
                $"run {run}: {outcome}");
        }

        Assert.Equal(5, _logged.Count);
        _spans.AssertAllEnded();
    }

    private GatewayHost Kestrel(Action<IServiceCollection> configure, out Uri address)
    {
        var host = new GatewayHost().WithServices(s =>
        {
            s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(_logged));
            configure(s);
        });
        address = host.StartKestrel();
        return host;
    }

    /// <summary>
    /// Reads until the server closes the connection (a reset counts as closed); returns the bytes received.
    /// </summary>
    private static async Task<int> ReceiveUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[256];
        var received = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received += read;
            }
        }
        catch (SocketException closed) when (closed.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return received;
    }

    private static string StreamedBody(string path) => path == "/v1/messages"
        ? """{"model":"m","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hello there"}]}"""
        : """{"model":"m","stream":true,"messages":[{"role":"user","content":"hello there"}]}""";

    /// <summary>Keeps the server's error-level log lines.</summary>
    private sealed class ErrorLog(ConcurrentQueue<string> errors) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }

    /// <summary>Says when a request reached the app (its body may still be arriving).</summary>
    private sealed class SignalOnRequest(SemaphoreSlim started) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                started.Release();
                return following(context);
            });
            next(app);
        };
    }

    /// <summary>
    /// Its first chunk arrives only once the call was cancelled, as if it crossed the cancellation on the wire.
    /// </summary>
    private sealed class FirstChunkOnCancellationProvider : TestProviders.Base
    {
        public override async IAsyncEnumerable<ProviderDelta> StreamAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult()))
            {
                await cancelled.Task;
            }

            yield return new ProviderDelta("s", request.Model, "late", null, 1, 1);
            yield return new ProviderDelta("s", request.Model, " words", "stop", 1, 2);
        }
    }

    private sealed class ThrowingProvider(Exception exception) : TestProviders.Base
    {
        public override async Task<ProviderReply> CompleteAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken)
        {
            await Task.Yield();
            throw exception;
        }
    }

    /// <summary>Its own dependency times out just as the call is cancelled.</summary>
    private sealed class TimesOutOnCancellationProvider : TestProviders.Base
    {
        public override async Task<ProviderReply> CompleteAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult()))
            {
                await cancelled.Task;
            }

            throw new TimeoutException("the provider's dependency did not answer in time");
        }
    }

    /// <summary>
    /// Streams 256 KB chunks until cancelled; says when the pipeline stopped asking for the next (a flush is waiting).
    /// </summary>
    private sealed class EndlessProvider : TestProviders.Base
    {
        private static readonly string Text = new('w', 256 * 1024);
        private long _lastYield;

        public async Task StalledAsync(TimeSpan quiet, CancellationToken cancellationToken)
        {
            while (Volatile.Read(ref _lastYield) == 0 || Stopwatch.GetElapsedTime(Volatile.Read(ref _lastYield)) < quiet
            )
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        public override async IAsyncEnumerable<ProviderDelta> StreamAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            while (true)
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                Volatile.Write(ref _lastYield, Stopwatch.GetTimestamp());
                yield return new ProviderDelta("s", request.Model, Text);
            }
        }
    }
}
