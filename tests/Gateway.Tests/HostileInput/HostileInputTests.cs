using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
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
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":42}""", 400,
        "'metadata' must be a JSON object, not a number.")]
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"mask_input":"yes"}}""",
        400, "'metadata.mask_input' must be true or false, not a string.")]
    [InlineData(Messages,
        """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":"s"}""", 400,
        "'litellm_metadata' must be a JSON object, not a string.")]
    [InlineData(Messages,
        """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":{"tags":[1]}}""",
        400, "'litellm_metadata.tags' must be an array of strings, not a number.")]
    [InlineData(Chat,
        """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"tags":["a","b",{"c":1}]}}""", 400,
        "'metadata.tags' must be an array of strings, not an object.")]
    [InlineData(Chat,
        """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"t":[[[[[[[[[[]]]]]]]]]]}}""", 400,
        "'metadata' is nested deeper than 8 levels.")]
    [InlineData(Chat, """{"model":"m","messages":"not a list"}""", 400,
        "The request body does not match this route's request at $.messages")]
    [InlineData(Chat, """{"model":"gpt-unknown","messages":[{"role":"user","content":"x"}]}""", 404,
        "The model 'gpt-unknown' does not exist on this gateway.")]
    [InlineData(Messages, """{"model":"claude-unknown","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""",
        404, "The model 'claude-unknown' does not exist on this gateway.")]
    [InlineData(Messages, """{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", 400,
        "'model' is required.")]
    [InlineData(Chat, "\u00ff\u00fe not json", 400, "The request body is not valid JSON")]
    public async Task BadInputGetsAClearErrorInTheRoutesFormat(string path, string body, int status, string message)
    {
        // Strict metadata: the sample's request types never read the slot, so by default such a value is left as sent.
        using var host = new GatewayHost().With("Gateway:AllowedModels", "m,gpt-4o-mini,claude-sonnet")
            .With("TracedLlm:StrictMetadata", "true");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.StartsWith(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        if (path == Messages)
        {
            Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
            Assert.Equal(
                status == 404 ? "not_found_error" : "invalid_request_error",
                error.GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Equal(status == 404 ? "model_not_found" : null, error.GetProperty("code").GetString());
        }

        await AssertEndedWithStatusAsync(status);
    }

    [Theory]
    [InlineData(Chat, """{"model":"m","stream":tru}""",
        "at $.stream (line 1, column 23): expected a value, found 'tru', which is not a JSON value.")]
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"x"},]}""",
        "at $.messages[1] (line 1, column 56): expected a value, found ']'.")]
    [InlineData(Chat, """{"model":"m" "stream":true}""", "at $ (line 1, column 14): expected ',' or '}', found '\"'.")]
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"x}]}""",
        "at $.messages[0].content (line 1, column 51): expected a value, found a string that is not closed, "
        + "or has an escape JSON does not allow.")]
    [InlineData(Messages,
        "{\n  \"model\": \"m\",\n  \"messages\": [\n    {\"role\": \"user\", \"content\": \"x\"\n  ]\n}",
        "at $.messages[0] (line 5, column 3): expected ',' or '}', found ']'.")]
    [InlineData(Chat, """{"model":"m"} and more""",
        "at $ (line 1, column 15): expected the end of the body, found 'a'.")]
    [InlineData(Chat, """{"model":"m","metadata":{"tags":["a",}}""",
        "at $.metadata.tags[1] (line 1, column 38): expected a value, found '}'.")]
    public async Task BodyThatIsNotJsonIsDescribedInTheClientsTermsNeverTheParsers(string path, string body,
        string where)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Equal("The request body is not valid JSON " + where, message);
        Assert.DoesNotContain("LineNumber", message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", message, StringComparison.Ordinal);

        // The same words on the spans that say why the request failed.
        var trace = await _spans.SingleTraceAsync();
        foreach (var span in new[] { trace.Server, trace.Single(SpanNames.PreCall), trace.Single(SpanNames.Failure) })
        {
            Assert.Equal(message, span.StatusDescription);
        }
    }

    [Theory]
    [InlineData(Chat, """{"model":"m","messages":null}""", "at $.messages: expected an array of messages, not null.")]
    [InlineData(Chat, """{"model":"m","messages":[null]}""", "at $.messages[0]: expected a message object, not null.")]
    [InlineData(Messages, """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"},null]}""",
        "at $.messages[1]: expected a message object, not null.")]
    [InlineData(Chat, """{"model":"m","messages":"not a list"}""", "at $.messages: expected an array, not a string.")]
    [InlineData(Chat, """{"model":"m","messages":[{"role":5,"content":"x"}]}""",
        "at $.messages[0].role: expected a string, not a number.")]
    [InlineData(Chat, """{"model":["m"],"messages":[{"role":"user","content":"x"}]}""",
        "at $.model: expected a string, not an array.")]
    [InlineData(Chat, """{"model":"m","max_tokens":99999999999999999999,"messages":[{"role":"user","content":"x"}]}""",
        "at $.max_tokens: expected a number in the range and form this field accepts.")]
    [InlineData(Messages, """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"metadata":"u"}""",
        "at $.metadata: expected an object, not a string.")]
    [InlineData(Chat,
        """{"model":"m","temperature":{"metadata":{"trace_name":"t"}},"messages":[{"role":"user","content":"x"}]}""",
        "at $.temperature: expected a number, not an object.")]
    public async Task AMismatchNamesTheFieldByItsJsonPathNeverACSharpType(string path, string body, string where)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Equal("The request body does not match this route's request " + where, message);
        Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        Assert.DoesNotContain(
            "Request",
            message.Replace("request", string.Empty, StringComparison.Ordinal),
            StringComparison.Ordinal);
        await AssertEndedWithStatusAsync(400);
    }

    [Theory]
    [InlineData(Chat, "\\ud800", 400)]
    [InlineData(Chat, "\\udc00x", 400)]
    [InlineData(Messages, "\\ud800\\ud800", 400)]
    [InlineData(Chat, "\\ud83d\\ude00", 200)]
    [InlineData(Chat, "\\\\ud800", 200)]
    public async Task ALoneSurrogateEscapeIsA400WhereverItIs(string path, string escaped, int status)
    {
        // In the prompt (read by the deserializer, then by guardrails through JsonElement), not only in the envelope.
        var body = path == Chat
            ? $$$"""{"model":"m","messages":[{"role":"user","content":"a{{{escaped}}}b"}]}"""
            : $$$"""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a{{{escaped}}}b"}]}""";
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 400)
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.StartsWith(
                "The request body is not valid JSON text: the escape at byte ",
                json.RootElement.GetProperty("error").GetProperty("message").GetString(),
                StringComparison.Ordinal);
        }

        await AssertEndedWithStatusAsync(status);
    }

    [Theory]
    [InlineData("model", "[{\"metadata\":{\"trace_name\":\"nested\"}}]")]
    [InlineData("top_p", "{\"metadata\":{\"trace_name\":\"nested\"}}")]
    [InlineData("stream", "{\"a\":[1,{\"metadata\":{\"trace_name\":\"nested\"}}]}")]
    [InlineData("max_tokens", "[[{\"metadata\":{}}]]")]
    public async Task AKnownFieldOfAnyShapeIsSkippedWholeAndTheRealSlotIsRead(string field, string value)
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", upstream.BaseUrl)
            .With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false");
        var model = field == "model" ? string.Empty : "\"model\":\"m\",";
        var body =
            $$$"""{{{{model}}}"{{{field}}}":{{{value}}},"messages":[{"role":"user","content":"x"}],"metadata":"""
            + $$$"""{"trace_name":"real"}}""";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, body));

        var tree = await _spans.SingleTraceAsync();
        if (field == "top_p")
        {
            // top_p is no field of this route's request type: the body is forwarded with it, without the slot.
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var (forwarded, _) = Assert.Single(upstream.Received);
            Assert.Contains(
                "\"top_p\":{\"metadata\":{\"trace_name\":\"nested\"}}",
                forwarded,
                StringComparison.Ordinal);
            Assert.DoesNotContain("real", forwarded, StringComparison.Ordinal);
            Assert.Equal("real", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        }
        else
        {
            // The handler's type says no, by the field's path; nothing nested was taken for the slot.
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(
                $"at $.{field}: expected",
                await response.Content.ReadAsStringAsync(),
                StringComparison.Ordinal);
            Assert.Equal("real", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        }

        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("FFFFFFFFFFFFFFFFFF")]
    [InlineData("7FFFFFFFFFFFFFFF")]
    [InlineData("zz")]
    public async Task KestrelsVerdictOnABrokenChunkIsA400InTheRoutesFormat(string chunkSize)
    {
        using var host = new GatewayHost();
        var address = host.StartKestrel();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        var request =
            $"POST {Messages} HTTP/1.1\r\nHost: gateway\r\nx-api-key: {GatewayHost.ApiKey}\r\nContent-Type: "
            + $"application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"a\":\r\n{chunkSize}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(response[response.IndexOf("\r\n\r\n", StringComparison.Ordinal)..]);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        await AssertEndedWithStatusAsync(400);
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
            _ =>
                """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":"""
                + """{"trace_name":"aXXb"}}""",
        };
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = json.IndexOf("XX", StringComparison.Ordinal);
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        using var host = new GatewayHost();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer",
            GatewayHost.ApiKey);
        using var response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith(
            "The request body is not valid",
            body.RootElement.GetProperty("error").GetProperty("message").GetString(),
            StringComparison.Ordinal);
        await AssertEndedWithStatusAsync(400);
    }

    [Fact]
    public async Task ABodyOverTheSizeLimitIs413()
    {
        using var host = new GatewayHost().WithServices(s =>
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(
                s,
                new TracedLlmOptions { MaxRequestBodyBytes = 1024 }));
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
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":null}"""));

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
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}""",
                traceparent: traceparent));

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
        request.Headers.TryAddWithoutValidation(
            "traceparent",
            new[]
            {
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            });
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
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"""
                + $$$"""{"existing_trace_id":"{{{existing}}}"}}"""));

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
