// One relayed request of the reference relay (Program.cs says what it promises): its body read and
// checked once, its attempts through the Polly pipeline around YARP's forwarder, the answer read on
// its way. Everything per request lives in one RelayCall, which is also the forwarder's transformer.
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Yarp.ReverseProxy.Forwarder;

internal sealed class Relay
{
    // Models come from clients: a circuit per model, as the sample keeps one per target, within a bound.
    private const int MaxCircuits = 1024;

    private readonly ConcurrentDictionary<string, ResiliencePipeline> _pipelines = new(StringComparer.Ordinal);
    private readonly ResiliencePipeline _overflow;
    private readonly ApiKeyCheck _keys;

    public Relay(RelaySettings settings, bool traced, bool typed, IHttpForwarder forwarder, HttpMessageInvoker invoker)
    {
        Settings = settings;
        Traced = traced;
        Typed = typed;
        UpstreamUri = new Uri(settings.Upstream);
        Forwarder = forwarder;
        Invoker = invoker;
        _keys = new ApiKeyCheck(settings.ApiKey);
        _overflow = Build();

        // The attempt timeout is YARP's activity timeout: the wait for the answer's headers, then for
        // each read of its body, the sample's semantics (a Polly timeout would also cut a long stream).
        RequestConfig = new ForwarderRequestConfig { ActivityTimeout = settings.AttemptTimeout };
    }

    public RelaySettings Settings { get; }

    /// <summary>Whether requests are traced (Tracing.cs): spans started, the metadata slot read for them.</summary>
    public bool Traced { get; }

    /// <summary>Whether the body is also read into the sample's typed request (Typed.cs).</summary>
    public bool Typed { get; }

    public Uri UpstreamUri { get; }

    public IHttpForwarder Forwarder { get; }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public async Task HandleAsync(HttpContext context, Route route)
    {
        if (!Traced)
        {
            await HandleAsync(context, route, null);
            return;
        }

        using var server = Tracing.StartServer(context, route);
        try
        {
            await HandleAsync(context, route, server);
        }
        finally
        {
            server?.SetTag("http.response.status_code", context.Response.StatusCode);
        }
    }

    private async Task HandleAsync(HttpContext context, Route route, Activity? server)
    {
        var auth = server is null ? null : Tracing.Start("auth", ActivityKind.Internal, server.Context);
        if (_keys.Refusal(context.Request, auth is not null, out var keyHash) is { } refusal)
        {
            auth?.Stop();
            await Errors.WriteAsync(context, route, 401, "authentication_error", refusal);
            return;
        }

        // Ended here; stopped once the reading has given the trace-level attributes the sample puts on it.
        auth?.SetTag("langfuse.observation.type", "span");
        auth?.SetTag("user_api_key_hash", keyHash);
        auth?.SetEndTime(DateTime.UtcNow);
        using var call = new RelayCall(this, context, route);
        call.Facts.ReadId = server is not null;
        try
        {
            if (server is null)
            {
                await call.ReadRequestAsync();
            }
            else
            {
                await ReadTracedAsync(call, server, auth);
                call.Llm = Tracing.StartLlm(server, call);
                Tracing.Guardrail(call.Llm, call, "banned_words", "pre_call", passed: true);
            }

            var pipeline = _pipelines.TryGetValue(call.Model!, out var known) ? known
                : _pipelines.Count < MaxCircuits ? _pipelines.GetOrAdd(call.Model!, static (_, relay) => relay.Build(), this) : _overflow;
            var resilience = ResilienceContextPool.Shared.Get(context.RequestAborted);
            try
            {
                await pipeline.ExecuteAsync(static (resilience, call) => call.AttemptAsync(resilience.CancellationToken), resilience, call);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(resilience);
            }

            await call.FinishAsync();
        }
        catch (Exception failure) when (Trace(call, server, failure) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            if (failure is UpstreamAnswer && call.Held is { } answer)
            {
                // Every attempt failed and the last one was an answer: relayed as the upstream gave it (its headers are on the response).
                call.WriteAttemptHeaders();
                context.Response.ContentLength = answer.Length;
                await context.Response.Body.WriteAsync(answer);
                return;
            }

            context.Response.Clear();
            if (failure is not ClientError)
            {
                // As the sample: a refusal (a stream's post-call block included) goes without them.
                call.WriteAttemptHeaders();
            }

            await (failure switch
            {
                ClientError client => Errors.WriteAsync(context, route, client.Status, client.Type, client.Message, client.Code),
                TimeoutRejectedException or TimeoutException => Errors.WriteAsync(context, route, 504, "timeout_error", "The upstream provider did not answer in time.", "upstream_timeout"),
                BrokenCircuitException => Errors.WriteAsync(context, route, 503, "api_error", "The upstream provider failed too often lately; the gateway is not calling it for now.", "upstream_circuit_open"),
                BadAnswer bad => Errors.WriteAsync(context, route, 502, "api_error", bad.Message, bad.Code),
                UpstreamAnswer upstream => Errors.WriteAsync(context, route, upstream.Status, "api_error", "The upstream provider's error answer was too large to relay.", "upstream_error"),
                _ => Errors.WriteAsync(context, route, 502, "api_error", "The upstream provider could not be reached.", "upstream_unreachable"),
            });
        }
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            // After the first byte (a stream's failures end it with an error event before this): the connection is cut.
            context.Abort();
        }
        catch (Exception)
        {
            // The client went away: nothing to write.
        }
        finally
        {
            if (call.Llm is { } llm)
            {
                if (call.Attempts > 0)
                {
                    Tracing.Guardrail(llm, call, "response_length", "post_call", passed: call.Facts.TextCharacters <= Settings.MaxAnswerCharacters);
                }

                Tracing.EndLlm(llm, call);
            }
        }
    }

    // The reading under proxy_pre_call; a refusal of the banned-word guardrail gets its guardrail span there.
    private static async Task ReadTracedAsync(RelayCall call, Activity server, Activity? auth)
    {
        var pre = Tracing.Start("proxy_pre_call", ActivityKind.Internal, server.Context);
        try
        {
            pre?.SetTag("langfuse.observation.type", "span");
            await call.ReadRequestAsync();
        }
        catch (ClientError refused) when (refused.Code == "guardrail_blocked")
        {
            Tracing.Guardrail(pre, call, "banned_words", "pre_call", passed: false);
            throw;
        }
        finally
        {
            Tracing.TraceLevel(pre, call);
            Tracing.TraceLevel(server, call);
            Tracing.TraceLevel(auth, call);
            pre?.Stop();
            auth?.Stop();
        }
    }

    // An exception filter: the failure marked on the call's spans, never handled here.
    private static bool Trace(RelayCall call, Activity? server, Exception failure)
    {
        Tracing.Fail(call.Llm, failure);
        Tracing.Fail(server, failure);
        return true;
    }

    // Outermost first: the call's deadline (every attempt and backoff, a whole stream included), the
    // retries (when configured), the circuit breaker; the attempt timeout is the forwarder's (above).
    private ResiliencePipeline Build()
    {
        var builder = new ResiliencePipelineBuilder().AddTimeout(Settings.TotalTimeout);
        if (Settings.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Settings.Retries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                UseJitter = true,
                ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception) && args.Outcome.Exception is not UpstreamAnswer { RetryAfter.TotalSeconds: > 30 }),
                DelayGenerator = static args => ValueTask.FromResult(args.Outcome.Exception is UpstreamAnswer { RetryAfter: { } wait } ? wait : (TimeSpan?)null),
            });
        }

        return builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 10,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(30),
            ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception) || args.Outcome.Exception is BadAnswer or UpstreamAnswer { Status: 401 or 403 }),
        }).Build();
    }

    // LlmRetryPolicy.IsTransient: timeouts, unreachable upstreams, and 408, 429 and 5xx answers.
    private static bool IsTransient(Exception? failure) =>
        failure is TimeoutException or HttpRequestException || failure is UpstreamAnswer { Status: 408 or 429 or >= 500 };
}

/// <summary>The client's mistake: answered in the route's format, never retried.</summary>
internal sealed class ClientError(int status, string message, string? code = null, string type = "invalid_request_error") : Exception(message)
{
    public int Status { get; } = status;

    public string? Code { get; } = code;

    public string Type { get; } = type;
}

/// <summary>The upstream answered with an error status; the answer is held on the call.</summary>
internal sealed class UpstreamAnswer(int status, TimeSpan? retryAfter) : Exception("The upstream provider answered " + status + ".")
{
    public int Status { get; } = status;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>An answer that is not what was asked for (502).</summary>
internal sealed class BadAnswer(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>The answer's facts as the relay reads them: what a tracing relay would record.</summary>
internal struct AnswerFacts
{
    public string? Model;
    public string? FinishReason;
    public long? InputTokens;
    public long? OutputTokens;
    public long TextCharacters;
    public string? Id;

    /// <summary>Tracing only: the answer's id is read too.</summary>
    public bool ReadId;

    /// <summary>Reads one JSON document (a whole answer or one event's data); true for Anthropic's terminal <c>message_stop</c>.</summary>
    public bool Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var terminal = false;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            var depth = reader.CurrentDepth;
            if (reader.ValueTextEquals("model"u8))
            {
                Model ??= reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8))
            {
                InputTokens = reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var tokens) ? tokens : InputTokens;
            }
            else if (reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8))
            {
                OutputTokens = reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var tokens) ? tokens : OutputTokens;
            }
            else if (reader.ValueTextEquals("finish_reason"u8) || reader.ValueTextEquals("stop_reason"u8))
            {
                FinishReason = reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : FinishReason;
            }
            else if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8))
            {
                if (reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    TextCharacters += reader.ValueIsEscaped ? reader.GetString()!.Length : Encoding.UTF8.GetCharCount(reader.ValueSpan);
                }
            }
            else if (ReadId && depth <= 2 && reader.ValueTextEquals("id"u8))
            {
                Id ??= reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (depth == 1 && reader.ValueTextEquals("type"u8))
            {
                terminal = reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("message_stop"u8);
            }
        }

        return terminal;
    }
}
