using System;
using System.ClientModel;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using UsageDetails = Microsoft.Extensions.AI.UsageDetails;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// <c>UseTracedLlm()</c> and the <c>LlmAttempt</c> extensions against <see cref="IChatClient"/>s
/// that behave as providers' adapters do: usage stated in parts, a stream that throws before it
/// starts, a client that leaves mid-stream, a step and the extension on one call. Each request is
/// driven through the generated pipeline's own steps (as in <see cref="ChatClientBuilderTests"/>)
/// and its spans and metrics read back.
/// </summary>
public sealed class ChatClientFaultTests
{
    private static readonly AiChatMessage[] Messages = [new(ChatRole.User, "hello")];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UsageStreamedInSeveralPartsAddsUpAsMeaiAddsIt(bool heldAttempt)
    {
        // As Anthropic's adapters stream it: the input (with its cached part) as the message starts, the output as it
        // ends.
        ChatResponseUpdate[] Updates() =>
        [
            new(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 2006,
                CachedInputTokenCount = 1920 })]) { ModelId = "split-usage" },
            new(ChatRole.Assistant, "42") { ModelId = "split-usage" },
            new(null, [new UsageContent(new UsageDetails { OutputTokenCount = 1186, ReasoningTokenCount = 1024 })]) {
                FinishReason = ChatFinishReason.Stop },
        ];
        var model = heldAttempt ? "split-usage-held" : "split-usage";
        var client = new FakeChatClient { Stream = _ => Yield(Updates()) };
        using var traced = new ChatClientBuilder(client).UseTracedLlm().Build();

        var run = await RunAsync(model, async call =>
        {
            if (heldAttempt)
            {
                using var attempt = call.StartAttempt(new LlmTarget("fake", model));
                await foreach (var _ in attempt.GetStreamingResponseAsync(client, Messages))
                {
                }

                attempt.Succeed();
            }
            else
            {
                await foreach (var _ in traced.GetStreamingResponseAsync(Messages, new ChatOptions { ModelId = model }))
                {
                }
            }
        });

        var meai = Updates().ToChatResponse().Usage!;
        Assert.Equal((2006L, 1186L), (meai.InputTokenCount, meai.OutputTokenCount));
        Assert.Null(run.Thrown);
        Assert.Equal(2006L, run.Llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(1186L, run.Llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(1920L, run.Llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(1024L, run.Llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        var attemptSpan = Assert.Single(run.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal(2006L, attemptSpan.GetTagItem(AttributeNames.AttemptUsageInputTokens));
        Assert.Equal(1186L, attemptSpan.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        Assert.Equal(new[] { "stop" }, run.Llm.GetTagItem(AttributeNames.GenAiResponseFinishReasons));
    }

    /// <summary>
    /// A client whose <c>GetStreamingResponseAsync</c> throws before it returns the stream (an
    /// adapter converting the messages eagerly, a pipeline step checking its arguments): the attempt
    /// fails with what a throw inside the stream would have been, translated as provider errors are.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AStreamThatThrowsBeforeItStartsFailsTheAttemptWithTheProvidersFailure(bool heldAttempt)
    {
        var model = heldAttempt ? "sync-throw-held" : "sync-throw";
        var raised = new ClientResultException("transport", response: null, new HttpRequestException("refused"));
        var client = new FakeChatClient { Stream = _ => throw raised };
        using var traced = new ChatClientBuilder(client).UseTracedLlm().Build();

        var run = await RunAsync(model, async call =>
        {
            if (heldAttempt)
            {
                using var attempt = call.StartAttempt(new LlmTarget("fake", model));
                try
                {
                    await foreach (var _ in attempt.GetStreamingResponseAsync(client, Messages))
                    {
                    }
                }
                catch (Exception exception)
                {
                    attempt.Fail(exception);
                    throw;
                }
            }
            else
            {
                await foreach (var _ in traced.GetStreamingResponseAsync(Messages, new ChatOptions { ModelId = model }))
                {
                }
            }
        });

        // Thrown on as the client threw it; its transport failure is the HttpRequestException under it, as when the
        // stream throws it: on the attempt, and as the failure path answers it.
        Assert.Same(raised, run.Thrown);
        var failure = FailurePath.Classify(run.Call, raised);
        Assert.Equal((502, "upstream_unreachable"), (failure.StatusCode, failure.Code));
        var attemptSpan = Assert.Single(run.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal("failure", attemptSpan.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(typeof(HttpRequestException).FullName, attemptSpan.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, attemptSpan.Status);
        Assert.Single(attemptSpan.Events, e => e.Name == "exception");
        Assert.All(run.Spans, s => Assert.True(s.IsStopped));
    }

    /// <summary>
    /// A client that leaves mid-stream abandons the client's own attempt, as it abandons the gateway's streamed
    /// attempts; the upstream did not fail.
    /// </summary>
    [Fact]
    public async Task AClientThatLeavesMidStreamAbandonsTheAttempt()
    {
        using var left = new CancellationTokenSource();
        var client = new FakeChatClient { Stream = token => UntilCancelled(token) };
        using var traced = new ChatClientBuilder(client).UseTracedLlm().Build();

        var run = await RunAsync("left-mid-stream", async call =>
        {
            await foreach (var _ in traced.GetStreamingResponseAsync(Messages,
                new ChatOptions { ModelId = "left-mid-stream" }, call.CancellationToken))
            {
                await left.CancelAsync();
            }
        }, left.Token);

        Assert.IsAssignableFrom<OperationCanceledException>(run.Thrown);
        var attemptSpan = Assert.Single(run.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal("abandoned", attemptSpan.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Null(attemptSpan.GetTagItem(AttributeNames.ErrorType));
        Assert.DoesNotContain(attemptSpan.Events, e => e.Name == "exception");
        Assert.Equal(
            "abandoned",
            Assert.Single(run.Measures, m => m.Name == "gen_ai.client.operation.duration").Tags[
                AttributeNames.ErrorType
            ]);
        Assert.All(run.Spans, s => Assert.True(s.IsStopped));
    }

    /// <summary>
    /// The extension on a client built with the step (the sample's provider over such a client): the
    /// step records the call on the attempt it finds, and the extension records nothing more, so the
    /// attempt's token usage and the cost are counted once.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheExtensionOnAClientWithTheStepRecordsTheCallOnce(bool stream)
    {
        var model = stream ? "step-and-extension-stream" : "step-and-extension";
        var client = new FakeChatClient
        {
            Response = () =>
                new ChatResponse(new AiChatMessage(ChatRole.Assistant, "hi"))
                {
                    ModelId = model,
                    FinishReason = ChatFinishReason.Stop,
                    Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 }
                },
            Stream = _ =>
                Yield([
                    new(ChatRole.Assistant, "hi") { ModelId = model },
                    new(null, [new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 })])
                    {
                        FinishReason = ChatFinishReason.Stop
                    }
                ]),
        };
        using var traced = new ChatClientBuilder(client).UseTracedLlm().Build();

        var run = await RunAsync(model, async call =>
        {
            using var attempt = call.StartAttempt(new LlmTarget("fake", model));
            if (stream)
            {
                await foreach (var _ in attempt.GetStreamingResponseAsync(traced, Messages))
                {
                }
            }
            else
            {
                await attempt.GetResponseAsync(traced, Messages);
            }

            attempt.Succeed();
        });

        Assert.Null(run.Thrown);
        Assert.Equal(10L, run.Llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(5L, run.Llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(model, run.Llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(
            10L,
            Assert
                .Single(run.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt)
                .GetTagItem(AttributeNames.AttemptUsageInputTokens));
        var usage = run.Measures.Where(m => m.Name == "gen_ai.client.token.usage").ToList();
        Assert.Equal(
            new[] { ("input", 10.0), ("output", 5.0) },
            usage.Select(m => ((string)m.Tags["gen_ai.token.type"]!, m.Value)).OrderBy(p => p.Item1));
        Assert.Equal(15e-6, Assert.Single(run.Measures, m => m.Name == "tracedllm.usage.cost").Value, 12);
    }

    /// <summary>
    /// What a provider's client throws when the step's own attempt (no retry policy around it) calls
    /// it: its timeout is the upstream's timeout (504, as the policy reads it), not a 500 of the
    /// gateway's own; an HTTP error status is passed on, not an unreachable upstream (502).
    /// </summary>
    [Theory]
    [InlineData("timeout", false, 504, "upstream_timeout")]
    [InlineData("timeout", true, 504, "upstream_timeout")]
    [InlineData("client-timeout", false, 504, "upstream_timeout")]
    [InlineData("status-429", false, 429, null)]
    [InlineData("status-429", true, 429, null)]
    public async Task AProvidersTimeoutOrStatusInTheStepsOwnAttemptIsReadAsThePolicyReadsIt(
        string thrown,
        bool stream,
        int status,
        string? code)
    {
        var model = "own-" + thrown + (stream ? "-stream" : string.Empty);
        Exception? raised = null;
        Exception Failure() =>
            raised = thrown switch
            {
                // HttpClient.Timeout, as the provider's HttpClient throws it.
                "timeout" => new TaskCanceledException(
                    "The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.",
                    new TimeoutException("The operation was canceled.")),
                "client-timeout" => new TimeoutException("The provider client timed out."),
                _ => new HttpRequestException(
                    "Response status code does not indicate success: 429 (Too Many Requests).",
                    null,
                    System.Net.HttpStatusCode.TooManyRequests),
            };
        var client = new FakeChatClient { Response = () => throw Failure(), Stream = _ => Throwing(Failure()) };
        using var traced = new ChatClientBuilder(client).UseTracedLlm().Build();

        var run = await RunAsync(model, async call =>
        {
            if (stream)
            {
                await foreach (var _ in traced.GetStreamingResponseAsync(Messages, new ChatOptions { ModelId = model }))
                {
                }
            }
            else
            {
                await traced.GetResponseAsync(Messages, new ChatOptions { ModelId = model });
            }
        });

        // The client's own exception goes on unchanged; the failure path reads it as what it means.
        Assert.NotNull(raised);
        Assert.Same(raised, run.Thrown);
        var failure = FailurePath.Classify(run.Call, run.Thrown!);
        Assert.Equal((status, code), (failure.StatusCode, failure.Code));
        var attemptSpan = Assert.Single(run.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal("failure", attemptSpan.GetTagItem(AttributeNames.AttemptOutcome));

        // The upstream's status when it answered with one (as on the attempt's metric), else the timeout's type.
        var errorType = code is null
            ? status.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : typeof(UpstreamTimeoutException).FullName;
        Assert.Equal(errorType, attemptSpan.GetTagItem(AttributeNames.ErrorType));
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Throwing(Exception failure)
    {
        await Task.Yield();
        if (failure is not null)
        {
            throw failure;
        }

        yield break;
    }

    private sealed record Measure(string Name, double Value, Dictionary<string, object?> Tags);

    /// <summary>
    /// An answer that carries an error, or a stream that ends with no finish reason, fails its attempt.
    /// </summary>
    /// <remarks>
    /// M.E.AI's <see cref="ErrorContent"/> (the Responses API's error event, a failed response), whole or
    /// streamed, through the step or the held attempt; a refusal is an answer. A stream with no finish
    /// reason was cut before its end, unless the step is told its client never states one.
    /// </remarks>
    [Theory]
    [InlineData("error-whole", false, false, "upstream_bad_response")]
    [InlineData("error-stream", true, false, "upstream_bad_response")]
    [InlineData("error-held", true, true, "upstream_bad_response")]
    [InlineData("cut-stream", true, false, "upstream_response_truncated")]
    [InlineData("cut-held", true, true, "upstream_response_truncated")]
    [InlineData("refusal", true, false, null)]
    [InlineData("no-reason-allowed", true, false, null)]
    public async Task AnAnswerThatReportsAnErrorOrEndsCutFailsItsAttempt(
        string model, bool streamed, bool heldAttempt, string? code)
    {
        var cut = model.StartsWith("cut", StringComparison.Ordinal) || model == "no-reason-allowed";
        AIContent content = model == "refusal"
            ? new ErrorContent("I can't help with that.") { ErrorCode = "Refusal" }
            : cut
                ? new TextContent("partial")
                : new ErrorContent("The server is overloaded.") { ErrorCode = "server_error" };
        ChatResponseUpdate[] Updates() => cut
            ? [new(ChatRole.Assistant, [content]) { ModelId = model }]
            :
            [
                new(ChatRole.Assistant, [content]) { ModelId = model },
                new(null, "") { FinishReason = ChatFinishReason.Stop },
            ];
        var client = new FakeChatClient
        {
            Response = () => new ChatResponse(new AiChatMessage(ChatRole.Assistant, [content]))
            {
                ModelId = model,
                FinishReason = ChatFinishReason.Stop,
            },
            Stream = _ => Yield(Updates()),
        };
        using var traced = new ChatClientBuilder(client)
            .UseTracedLlm(step => step.RequireFinishReason = model != "no-reason-allowed")
            .Build();

        var run = await RunAsync(model, async call =>
        {
            using var attempt = heldAttempt ? call.StartAttempt(new LlmTarget("fake", model)) : null;
            if (!streamed)
            {
                await traced.GetResponseAsync(Messages, new ChatOptions { ModelId = model });
            }
            else if (attempt is not null)
            {
                await foreach (var _ in attempt.GetStreamingResponseAsync(client, Messages))
                {
                }
            }
            else
            {
                await foreach (var _ in traced.GetStreamingResponseAsync(Messages, new ChatOptions { ModelId = model }))
                {
                }
            }

            // The app answers as if all went well: the pipeline finds the failure before it writes.
            LlmStage.ThrowIfAttemptFailed(call);
        });

        var attemptSpan = Assert.Single(run.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        if (code is null)
        {
            Assert.Null(run.Thrown);
            Assert.Equal("success", attemptSpan.GetTagItem(AttributeNames.AttemptOutcome));
            return;
        }

        Assert.Equal(code, Assert.IsType<UpstreamBadResponseException>(run.Thrown).Code);
        Assert.Equal("failure", attemptSpan.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(typeof(UpstreamBadResponseException).FullName, attemptSpan.GetTagItem(AttributeNames.ErrorType));
    }

    private sealed record Run(
        IReadOnlyList<Activity> Spans,
        Activity Llm,
        IReadOnlyList<Measure> Measures,
        Exception? Thrown,
        LlmCall Call);

    /// <summary>
    /// One traced request for <paramref name="model"/> (the latest convention mode, the model priced
    /// at 1 / 0.5 USD a million tokens), its handler <paramref name="handler"/>; the metrics read are those naming the
    /// model.
    /// </summary>
    private static async Task<Run> RunAsync(
        string model,
        Func<LlmCall, Task> handler,
        CancellationToken requestAborted = default)
    {
        var exported = new ExportedSpans();
        var measures = new List<Measure>();
        using var host = new GatewayHost().WithServices(services =>
        {
            services
                .AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddSource(TracedLlmTelemetry.SourceName).AddInMemoryExporter(exported));
            services.Configure<TracedLlmOptions>(options =>
            {
                options.SemanticConventions = SemanticConventionMode.GenAiLatestExperimental;
                options.Pricing.Models[model] = new LlmModelPrice { Input = 1, Output = 1 };
            });
        });
        _ = host.Services;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TracedLlmTelemetry.Meter.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var all = new Dictionary<string, object?>(tags.ToArray());
            if (all.Values.Contains(model) || all.Values.Contains(Path(model)))
            {
                lock (measures)
                {
                    measures.Add(new Measure(instrument.Name, value, all));
                }
            }
        }

        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.Start();

        using var scope = host.Services.CreateScope();
        var context = new DefaultHttpContext
        {
            RequestServices = scope.ServiceProvider,
            RequestAborted = requestAborted
        };
        context.Request.Method = "POST";
        var route = new TracedRouteInfo("POST", Path(model), "metadata", WireFormat.OpenAI, "chat", "Tests.Handler");
        var call = RequestStage.CreateCall(
            context,
            route,
            RequestEnvelope.Empty,
            TracedLlmGateway.From(context),
            Stopwatch.GetTimestamp());
        var server = RequestStage.StartSpan(call, null);
        var llm = LlmStage.StartSpan(call, server);
        Exception? thrown = null;
        try
        {
            await handler(call);
        }
        catch (Exception exception)
        {
            thrown = exception;
        }

        LlmStage.EndSpan(llm, server);
        RequestStage.EndSpan(server, call);
        lock (measures)
        {
            return new Run(exported.Snapshot(), llm!, measures.ToList(), thrown, call);
        }
    }

    // A route of the test's own: the request's metrics (the cost) name it.
    private static string Path(string model) => "/tests/" + model;

    private static async IAsyncEnumerable<ChatResponseUpdate> Yield(IEnumerable<ChatResponseUpdate> updates)
    {
        foreach (var update in updates)
        {
            await Task.Yield();
            yield return update;
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> UntilCancelled(
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new ChatResponseUpdate(ChatRole.Assistant, "a");
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield return new ChatResponseUpdate(ChatRole.Assistant, "b");
    }

    private sealed class FakeChatClient : IChatClient
    {
        public Func<ChatResponse>? Response { get; init; }

        public Func<CancellationToken, IAsyncEnumerable<ChatResponseUpdate>>? Stream { get; init; }

        public Task<ChatResponse> GetResponseAsync(
            IEnumerable<AiChatMessage> messages,
            ChatOptions? options = null,
            CancellationToken cancellationToken = default) => Task.FromResult(Response!());

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<AiChatMessage> messages,
            ChatOptions? options = null,
            CancellationToken cancellationToken = default) => Stream!(cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake") : null;

        public void Dispose()
        {
        }
    }
}
