using System;
using System.Net;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A prompt reference in the metadata slot links the generation to a Langfuse prompt only with its name
/// and its version together (Langfuse's versions start at 1): Langfuse looks a prompt up by both, and
/// its ingestion's older write refuses a generation that has one alone, usage and cost with it. One
/// alone is kept as the generation's metadata.
/// </summary>
public sealed class PromptLinkTests : IDisposable
{
    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData("""{"prompt":{"name":"greeting","version":3}}""", "greeting", 3L, null, null)]
    [InlineData("""{"prompt_name":"greeting","prompt_version":2}""", "greeting", 2L, null, null)]
    [InlineData("""{"prompt_name":"greeting"}""", null, null, "greeting", null)]
    [InlineData("""{"prompt_version":2}""", null, null, null, 2L)]
    [InlineData("""{"prompt":{"name":"greeting","version":0}}""", null, null, "greeting", 0L)]
    [InlineData("""{"prompt":{"name":"","version":4}}""", null, null, null, 4L)]
    public async Task APromptIsLinkedByItsNameAndVersionTogetherOrKeptAsMetadata(
        string slot,
        string? name,
        long? version,
        string? metadataName,
        long? metadataVersion)
    {
        using var host = new GatewayHost();
        var body = $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":{{slot}}}""";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(name, llm.GetTagItem(AttributeNames.LangfusePromptName));
        Assert.Equal(version, ToLong(llm.GetTagItem(AttributeNames.LangfusePromptVersion)));
        Assert.Equal(metadataName, llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "prompt_name"));
        Assert.Equal(
            metadataVersion,
            ToLong(llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "prompt_version")));
    }

    private static long? ToLong(object? value) =>
        value is null ? null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
}
