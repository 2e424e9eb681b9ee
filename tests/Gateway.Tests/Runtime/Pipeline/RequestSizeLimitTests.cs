using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A traced route's body limit is <see cref="TracedLlmOptions.MaxRequestBodyBytes"/>, on Kestrel as
/// in the pipeline: the body reader makes it the server's limit for the request.
/// Before, Kestrel's own limit (30,000,000 bytes by default) refused a larger body the options
/// accept, with a 413 that said the gateway does not accept it.
/// </summary>
public sealed class RequestSizeLimitTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string Messages = "/v1/messages";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task ABodyOverKestrelsDefaultLimitIsReadUpToTheRoutesLimit()
    {
        const int Limit = 40 * 1024 * 1024;
        const int Size = 31_000_000;

        // The size is in a field the route forwards and nobody reads (the embedded provider echoes the prompt).
        var json =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
            + "\"metadata\":{\"trace_name\":\"sized\"},\"x_padding\":\""
            + new string('a', Size)
            + "\"}";
        using var host = new GatewayHost().With(
            "TracedLlm:MaxRequestBodyBytes",
            Limit.ToString(CultureInfo.InvariantCulture));
        using var client = new HttpClient { BaseAddress = host.StartKestrel(), Timeout = TimeSpan.FromSeconds(60) };
        using var response = await client.SendAsync(GatewayHost.Post(Chat, json));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("sized", (await _spans.SingleTraceAsync()).Server.GetTagItem(AttributeNames.LangfuseTraceName));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData(Chat)]
    [InlineData(Messages)]
    public async Task AChunkedBodyOverTheRoutesLimitIs413InTheRoutesFormatAndTraced(string path)
    {
        const int Limit = 64 * 1024;
        using var host = new GatewayHost().With(
            "TracedLlm:MaxRequestBodyBytes",
            Limit.ToString(CultureInfo.InvariantCulture));
        var address = host.StartKestrel();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();

        // Sent whole, in chunks and past the limit: Kestrel, which now holds the route's limit, refuses it as it reads.
        var chunk = new string('a', 16 * 1024);
        var chunks = string.Concat(Enumerable.Repeat($"{chunk.Length:x}\r\n{chunk}\r\n", 5));
        var request =
            $"POST {path} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nx-api-key: "
            + $"{GatewayHost.ApiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "10\r\n{\"model\":\"m\",\"a\"\r\n"
            + chunks
            + "0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 413 ", response, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(response[response.IndexOf("\r\n\r\n", StringComparison.Ordinal)..]);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("The request body is larger than this gateway accepts.", error.GetProperty("message").GetString());
        Assert.Equal(
            path == Chat ? "invalid_request_error" : "request_too_large",
            error.GetProperty("type").GetString());

        var tree = await _spans.SingleTraceAsync();
        var failure = tree.Single(SpanNames.Failure);
        Assert.Equal(413, failure.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, tree.Server.Status);
        _spans.AssertAllEnded();
    }
}
