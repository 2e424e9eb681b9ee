using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Bad input through the real host: a clear 4xx in the route's wire format that names the problem,
/// never a 500; invalid trace ids ignored and recorded; every span ended.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string Messages = "/v1/messages";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":42}""", 400, "'metadata' must be a JSON object, not a number.")]
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"mask_input":"yes"}}""", 400, "'metadata.mask_input' must be true or false, not a string.")]
    [InlineData(Messages, """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":"s"}""", 400, "'litellm_metadata' must be a JSON object, not a string.")]
    [InlineData(Messages, """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":{"tags":[1]}}""", 400, "'litellm_metadata.tags' must be an array of strings, not a number.")]
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"t":[[[[[[[[[[]]]]]]]]]]}}""", 400, "'metadata' is nested deeper than 8 levels.")]
    [InlineData(Chat, """{"model":"m","messages":"not a list"}""", 400, "The request body does not match this route's request at $.messages")]
    [InlineData(Chat, """{"model":"gpt-unknown","messages":[{"role":"user","content":"x"}]}""", 404, "The model 'gpt-unknown' does not exist on this gateway.")]
    [InlineData(Messages, """{"model":"claude-unknown","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", 404, "The model 'claude-unknown' does not exist on this gateway.")]
    [InlineData(Messages, """{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", 400, "'model' is required.")]
    [InlineData(Chat, "\u00ff\u00fe not json", 400, "The request body is not valid JSON")]
    public async Task BadInputGetsAClearErrorInTheRoutesFormat(string path, string body, int status, string message)
    {
        using var host = new GatewayHost().With("Gateway:AllowedModels", "m,gpt-4o-mini,claude-sonnet");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.StartsWith(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        if (path == Messages)
        {
            Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
            Assert.Equal(status == 404 ? "not_found_error" : "invalid_request_error", error.GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Equal(status == 404 ? "model_not_found" : null, error.GetProperty("code").GetString());
        }

        await AssertEndedWithStatusAsync(status);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "model")]
    [InlineData("/v1/chat/completions", "metadata key")]
    [InlineData("/v1/messages", "slot value")]
    public async Task InvalidUtf8InsideAStringIsA400(string path, string where)
    {
        // Found by the fuzz test: a byte that is not UTF-8 inside a JSON string used to surface as a 500.
        var json = where switch
        {
            "model" => """{"model":"gpt-XXo","messages":[{"role":"user","content":"x"}]}""",
            "metadata key" => """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"prXXmpt":{}}}""",
            _ => """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":{"trace_name":"aXXb"}}""",
        };
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = json.IndexOf("XX", StringComparison.Ordinal);
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        using var host = new GatewayHost();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayHost.ApiKey);
        using var response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("The request body is not valid", body.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        await AssertEndedWithStatusAsync(400);
    }

    [Fact]
    public async Task ABodyOverTheSizeLimitIs413()
    {
        using var host = new GatewayHost().WithServices(s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(s, new TracedLlmOptions { MaxRequestBodyBytes = 1024 }));
        var body = $$"""{"model":"m","messages":[{"role":"user","content":"{{new string('x', 4096)}}"}]}""";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Messages, body));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("request_too_large", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        await AssertEndedWithStatusAsync(413);
    }

    [Fact]
    public async Task ASlotThatIsNullMeansNoMetadataAsTheOpenAIApiDefinesIt()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":null}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertEndedWithStatusAsync(200);
    }

    [Theory]
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")]
    [InlineData("00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("garbage")]
    public async Task MalformedTraceparentsAreIgnoredAndRecorded(string traceparent)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", traceparent: traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", tree.Server.TraceId.ToHexString());
        Assert.Contains(tree.Server.Events, e => e.Name == AttributeNames.InvalidTraceContextEvent);
    }

    [Fact]
    public async Task SeveralTraceparentHeadersAreInvalid()
    {
        using var host = new GatewayHost();
        using var request = GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}""");
        request.Headers.TryAddWithoutValidation("traceparent", new[] { "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
        using var response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(default, tree.Server.ParentSpanId);
        var invalid = Assert.Single(tree.Server.Events, e => e.Name == AttributeNames.InvalidTraceContextEvent);
        Assert.Equal("traceparent", invalid.Tags.Single(t => t.Key == AttributeNames.InvalidTraceContextField).Value);
    }

    [Theory]
    [InlineData("4bf92f35-77b3-4da6-a3ce-929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736", false)]
    [InlineData("4BF92F35-77B3-4DA6-A3CE-929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e4736", false)]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e473", Seed, false)]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e47361", Seed, false)]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e473g", Seed, false)]
    [InlineData("00000000-0000-0000-0000-000000000000", null, true)]
    public async Task ExistingTraceIdsAreValidatedUuidDashesAllowed(string existing, string? joined, bool recorded)
    {
        // Not 32 hex digits: a seed, hashed as Langfuse's createTraceId(seed) does.
        joined = joined == Seed ? TracedLlm.Pipeline.TraceJoin.TraceIdFromSeed(existing).ToHexString() : joined;
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"existing_trace_id":"{{{existing}}}"}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        if (joined is not null)
        {
            Assert.Equal(joined, tree.Server.TraceId.ToHexString());
        }

        Assert.Equal(recorded, tree.Server.Events.Any(e => e.Name == AttributeNames.InvalidTraceContextEvent));
    }

    private const string Seed = "seed";

    private async Task AssertEndedWithStatusAsync(int status)
    {
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(status, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(status >= 400 ? ActivityStatusCode.Error : ActivityStatusCode.Unset, tree.Server.Status);
        _spans.AssertAllEnded();
    }
}
