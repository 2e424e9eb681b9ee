using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// docs/langfuse.md's "Traces split?" cases, each with its fix, through the sample gateway process:
/// two traceparent headers, an unsampled caller.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class TracesSplitTests(EndToEndEnvironment environment)
{
    private const string Server = "Received Proxy Server Request";

    [Fact]
    public async Task TheAnthropicSdkBesideUndiciSendsTwoTraceparentsSoTheGatewayStartsANewTraceUntilOneIsTurnedOff()
    {
        // The SDK's own OpenTelemetry and undici's instrumentation each add a traceparent: invalid per W3C.
        var marker = $"two-traceparents-{Guid.NewGuid():N}";
        var split = await AnthropicAsync(marker, "sdk-propagation");
        var server = await ServerSpanNamedAsync(marker);
        Assert.NotEqual(split.GetProperty("traceId").GetString(), server.TraceId);
        Assert.Equal("none", server.Text("tracedllm.trace_join"));
        Assert.Equal(string.Empty, server.ParentSpanId);
        Assert.Equal(
            "traceparent",
            Assert
                .Single(server.EventDetails, e => e.Name == "tracedllm.invalid_trace_context")
                .Attributes["tracedllm.field"]
                .GetString());

        // Fix 1: the SDK's propagation off (openTelemetry: { propagation: false }); undici's header joins.
        marker = $"one-traceparent-{Guid.NewGuid():N}";
        var joined = await AnthropicAsync(marker, "undici-only");
        server = await ServerSpanNamedAsync(marker);
        Assert.Equal(joined.GetProperty("traceId").GetString(), server.TraceId);
        Assert.Equal("traceparent", server.Text("tracedllm.trace_join"));

        // Fix 2: the ids in litellm_metadata, which take precedence over any traceparent.
        marker = $"metadata-ids-{Guid.NewGuid():N}";
        var withIds = await AnthropicAsync(marker, "sdk-propagation+ids");
        server = await ServerSpanNamedAsync(marker);
        Assert.Equal(withIds.GetProperty("traceId").GetString(), server.TraceId);
        Assert.Equal(withIds.GetProperty("spanId").GetString(), server.ParentSpanId);
        Assert.Equal("metadata", server.Text("tracedllm.trace_join"));
    }

    [Fact]
    public async Task AnUnsampledCallerIsRecordedInItsTraceWhenItSendsItsIdsInMetadata()
    {
        // traceparent flags 00: the caller did not record its trace, so a parent-based sampler would
        // drop the gateway's spans too. Its ids in metadata ask for the trace to be recorded.
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        const string callerSpan = "5e1f00c0ffee0001";
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.PostAsync(
                "/v1/chat/completions",
                $$$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"unsampled"}],"metadata":"""
                + $$$"""{"existing_trace_id":"{{{traceId}}}","parent_observation_id":"{{{callerSpan}}}"}}""",
                $"00-{traceId}-{callerSpan}-00"));

        var spans = await environment.GatewayTraceAsync(traceId, 6);
        var server = Assert.Single(spans, s => s.Name == Server);
        Assert.Equal(callerSpan, server.ParentSpanId);
        Assert.Equal("metadata", server.Text("tracedllm.trace_join"));
    }

    private Task<JsonElement> AnthropicAsync(string traceName, string mode) =>
        environment.RunNodeClientAsync(
            "anthropic-request.mjs",
            environment.GatewayUrl,
            JsonSerializer.Serialize(new
            {
                model = "claude-sonnet-4",
                max_tokens = 32,
                messages = new[] { new { role = "user", content = "which trace am I in" } },
                litellm_metadata = new { trace_name = traceName },
            }),
            mode);

    private async Task<ExportedSpan> ServerSpanNamedAsync(string traceName)
    {
        ExportedSpan? server = null;
        bool Arrived() =>
            (server = environment
                    .LangfuseExports()
                    .SelectMany(e => e.Spans)
                    .FirstOrDefault(s => s.Name == Server && s.Text("langfuse.trace.name") == traceName))
                is not null;
        return await Eventually.TryAsync(Arrived, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50))
            ? server!
            : throw new TimeoutException(
                $"No server span named {traceName}. Gateway output:\n{environment.GatewayOutput}");
    }
}
