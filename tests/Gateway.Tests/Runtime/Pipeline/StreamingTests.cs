using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>Streamed responses: the wire format, timings, and spans ended on every way a stream can end.</summary>
public sealed class StreamingTests : IDisposable
{
    private const string ChatStream =
        """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"stream these words"}]}""";
    private const string MessagesStream =
        """{"model":"claude","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hello there"}]"""
        + ""","metadata":{"user_id":"native"}}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task OpenAIStreamsDataChunksThenDone()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStream));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.Equal(4, chunks.Count);
        Assert.All(events, e => Assert.Null(e.Name));
        Assert.Equal(
            "Echo: stream these words",
            string.Concat(
                chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()))
        );
        Assert.Equal("stop", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(4, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var tree = await _spans.SingleTraceAsync();
        var llm = tree.AssertChild(SpanNames.LlmRequest, tree.Server, ActivityKind.Client);
        Assert.Equal(4, llm.GetTagItem(AttributeNames.StreamChunks));
        Assert.NotNull(llm.GetTagItem(AttributeNames.TimeToFirstToken));
        Assert.Equal(4L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        var attempt = tree.AssertChild(SpanNames.UpstreamAttempt, llm, ActivityKind.Client);
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));

        // Usage streamed as UsageContent by the IChatClient reaches the attempt span.
        Assert.Equal(4L, attempt.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnthropicStreamsNamedEvents()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/messages", MessagesStream));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            new[]
            {
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            },
            events.Select(e => e.Name));
        Assert.All(
            events,
            e => Assert.Equal(e.Name, JsonDocument.Parse(e.Data).RootElement.GetProperty("type").GetString()));
        var text = string.Concat(
            events
                .Where(e => e.Name == "content_block_delta")
                .Select(e =>
                    JsonDocument.Parse(e.Data).RootElement.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("Echo: hello there", text);
        Assert.DoesNotContain(events, e => e.Data == "[DONE]");
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TimeToFirstTokenAndTimePerOutputTokenFollowTheProvidersDelays()
    {
        var measurements = new ConcurrentQueue<(string Name, double Value)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>(
            (instrument, value, _, _) => measurements.Enqueue((instrument.Name, value)));
        meters.Start();
        using var host = new GatewayHost()
            .With("EmbeddedProvider:FirstTokenDelayMs", "300")
            .With("EmbeddedProvider:TokenDelayMs", "100");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStream));
        await response.Content.ReadAsStringAsync();

        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        var ttft = (double)llm.GetTagItem(AttributeNames.TimeToFirstToken)!;
        var tpot = (double)llm.GetTagItem(AttributeNames.TimePerOutputToken)!;

        // 300 ms before the first of 4 words, then 100 ms each. The lower bounds check the formula
        // (TTFT from the LLM call's start; TPOT over the 3 tokens after the first); the upper bounds
        // only rule out a mix-up of the two, and leave room for a loaded machine.
        Assert.InRange(ttft, 0.29, 5);
        Assert.InRange(tpot, 0.095, 1.5);
        await _spans.WaitForAsync(_ =>
            measurements.Any(m => m.Name == "gen_ai.server.time_per_output_token") ? measurements : null);
        Assert.Contains(
            measurements,
            m => m.Name == "gen_ai.server.time_to_first_token" && Math.Abs(m.Value - ttft) < 1e-9);
        Assert.Contains(
            measurements,
            m => m.Name == "gen_ai.server.time_per_output_token" && Math.Abs(m.Value - tpot) < 1e-9);
    }

    [Fact]
    public async Task AClientThatLeavesMidStreamEndsEverySpan()
    {
        using var host = new GatewayHost().With("EmbeddedProvider:TokenDelayMs", "400");
        using var client = host.CreateClient();
        using var cancellation = new CancellationTokenSource();
        using var response = await client.SendAsync(
            GatewayHost.Post("/v1/chat/completions", ChatStream),
            HttpCompletionOption.ResponseHeadersRead,
            cancellation.Token);
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation.Token)))
        {
            var first = await reader.ReadLineAsync(cancellation.Token);
            Assert.StartsWith("data: ", first, StringComparison.Ordinal);
            cancellation.Cancel();
        }

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(499, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("client_disconnected", tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        await _spans.WaitForAsync(stopped => stopped.Count == _spans.Started.Count ? stopped : null);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnExceptionAfterTheFirstChunkIsAnErrorEventAndGoesThroughTheFailurePath()
    {
        var logged = new ConcurrentQueue<FailureContext>();
        using var host = new GatewayHost().WithServices(s =>
        {
            s.AddSingleton(TestProviders.Router(new BreakingProvider()));
            s.AddSingleton<ILlmFailureLogger>(new Logger(logged));
        });
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/messages", MessagesStream));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            new[] { "message_start", "content_block_start", "content_block_delta", "error" },
            events.Select(e => e.Name));
        var error = JsonDocument.Parse(events[^1].Data).RootElement;
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("overloaded_error", error.GetProperty("error").GetProperty("type").GetString());

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(UpstreamException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, tree.Single(SpanNames.LlmRequest).Status);
        Assert.Single(logged);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheProviderResumesUnderItsAttemptSpanAfterEveryYield()
    {
        var seen = new ConcurrentQueue<Activity?>();
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(TestProviders.Router(new RecordingProvider(seen))));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStream));
        await response.Content.ReadAsStringAsync();

        var attempt = (await _spans.SingleTraceAsync()).Single(SpanNames.UpstreamAttempt);
        Assert.Equal(3, seen.Count);
        Assert.All(seen, current => Assert.Same(attempt, current));
    }

    internal static List<(string? Name, string Data)> ParseEvents(string body)
    {
        var events = new List<(string?, string)>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line["data: ".Length..];
                }
            }

            events.Add((name, data ?? throw new InvalidDataException("an event without data: " + block)));
        }

        return events;
    }

    private sealed class BreakingProvider : TestProviders.Base
    {
        public override async IAsyncEnumerable<ProviderDelta> StreamAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new ProviderDelta("x", request.Model, "partial");
            throw new UpstreamException(529, "The upstream provider is overloaded.");
        }
    }

    private sealed class RecordingProvider(ConcurrentQueue<Activity?> seen) : TestProviders.Base
    {
        public override async IAsyncEnumerable<ProviderDelta> StreamAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < 3; i++)
            {
                await Task.Delay(5, cancellationToken);
                seen.Enqueue(Activity.Current);
                yield return new ProviderDelta("x", request.Model, "w", i == 2 ? "stop" : null, 1, 3);
            }
        }
    }

    private sealed class Logger(ConcurrentQueue<FailureContext> logged) : ILlmFailureLogger
    {
        public ValueTask LogFailureAsync(FailureContext failure)
        {
            logged.Enqueue(failure);
            return ValueTask.CompletedTask;
        }
    }
}
