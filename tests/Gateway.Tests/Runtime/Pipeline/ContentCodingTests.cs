using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A request body is read as its <c>Content-Encoding</c> says: gzip, deflate and br are decoded,
/// bounded by the body limit as they are decoded (a decompression bomb is 413 with memory flat), and
/// any other coding is 415 in the route's format with <c>Accept-Encoding</c>; never read as identity.
/// </summary>
public sealed class ContentCodingTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string Messages = "/v1/messages";
    private const string ChatBody =
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"decoded prompt 7f3a"}],"metadata":"""
        + """{"trace_name":"coded"}}""";
    private const string MessagesBody =
        """{"model":"claude-sonnet","max_tokens":16,"messages":[{"role":"user","content":"decoded prompt 7f3a"}]"""
        + ""","litellm_metadata":{"trace_name":"coded"}}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData("gzip")]
    [InlineData("x-gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData("GZIP")]
    [InlineData("identity, gzip")]
    [InlineData("gzip, identity")]
    public async Task ASupportedCodingIsDecodedAndForwardedDecoded(string coding)
    {
        await using var stub = await UpstreamStub.StartAsync(200);
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", stub.BaseUrl)
            .With("Upstream:FallbackToEmbedded", "false");
        using var response = await host.CreateClient().SendAsync(Encoded(Chat, ChatBody, coding));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal("coded", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));

        // The upstream gets the decoded body, the slot cut out, as a body of its own (no coding).
        var (received, _) = Assert.Single(stub.Received);
        Assert.Equal("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"decoded prompt 7f3a"}]}""",
            received);
    }

    [Theory]
    [InlineData(Chat, "zstd")]
    [InlineData(Messages, "zstd")]
    [InlineData(Chat, "compress")]
    [InlineData(Messages, "x-unknown-coding")]
    [InlineData(Chat, "gzip, br")]
    [InlineData(Messages, "gzip, gzip")]
    [InlineData(Chat, "*")]
    public async Task AnUnsupportedCodingIs415InTheRoutesFormat(string path, string coding)
    {
        using var host = new GatewayHost();
        using var request = GatewayHost.Post(path, path == Chat ? ChatBody : MessagesBody);
        request.Content!.Headers.TryAddWithoutValidation("Content-Encoding", coding);
        using var response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("gzip, deflate, br", string.Join(", ", response.Headers.GetValues("Accept-Encoding")));
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (path == Chat)
        {
            Assert.Equal(
                "invalid_request_error",
                error.RootElement.GetProperty("error").GetProperty("type").GetString());
            Assert.Equal(
                "unsupported_content_encoding",
                error.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        else
        {
            Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
            Assert.Equal(
                "invalid_request_error",
                error.RootElement.GetProperty("error").GetProperty("type").GetString());
        }

        Assert.StartsWith(
            "The request body cannot be read: ",
            error.RootElement.GetProperty("error").GetProperty("message").GetString(),
            StringComparison.Ordinal);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(415, tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.HttpResponseStatusCode));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task ADecompressionBombIs413AndMemoryStaysFlat(string coding)
    {
        const int Limit = 1024 * 1024;
        const int Decoded = 128 * 1024 * 1024;

        // 128 MiB of JSON text (a prompt of one letter repeated) that compresses to less than the 1 MiB limit.
        var bomb = Compress(
            coding,
            Encoding.UTF8.GetBytes("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""),
            Decoded);
        Assert.True(bomb.Length < Limit, $"{bomb.Length} bytes compressed");
        using var host = new GatewayHost().With(
            "TracedLlm:MaxRequestBodyBytes",
            Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var client = host.CreateClient();

        // Warmed up (the host, the pool's buffers) by one bomb, measured on the next.
        using (await client.SendAsync(Raw(Chat, bomb, coding)))
        {
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        using var response = await client.SendAsync(Raw(Chat, bomb, coding));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains(
            "decoded, is larger than this gateway accepts",
            await response.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);

        // Decoding stopped at the limit: the request allocated a few times the limit, not the 128 MiB it unpacks to.
        Assert.True(allocated < 8L * Limit, $"{allocated:N0} bytes allocated for a {Decoded:N0}-byte bomb");
    }

    [Fact]
    public async Task ABodyDecodedToJustUnderTheLimitIsRead()
    {
        const int Limit = 64 * 1024;
        // The size is in a field the route forwards and nobody reads (the embedded provider echoes the prompt, which
        // the response-length guardrail bounds).
        var json =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x_padding\":\""
            + new string('a', Limit - 200)
            + "\"}";
        using var host = new GatewayHost().With(
            "TracedLlm:MaxRequestBodyBytes",
            Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await host.CreateClient().SendAsync(Encoded(Chat, json, "gzip"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var over = await host.CreateClient()
            .SendAsync(
                Encoded(Chat, json.Replace("a\"}", new string('a', 300) + "\"}", StringComparison.Ordinal), "gzip"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task DataThatIsNotItsCodingIs400(string coding)
    {
        using var host = new GatewayHost();
        var garbage = Encoding.UTF8.GetBytes("this is not compressed at all, only plain text of some length");
        using var response = await host.CreateClient().SendAsync(Raw(Messages, garbage, coding));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        // Brotli data has no header to recognize: plain text may decode to bytes that are not JSON, which is the same
        // client error.
        Assert.Contains(
            coding == "br" ? "The request body" : "could not be decoded: it is not valid " + coding + " data",
            error.RootElement.GetProperty("error").GetProperty("message").GetString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAmbiguousBodyInsideACodingIsStillRefused()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(
            Encoded(Chat,
                """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"Messages":["""
                    + """{"role":"user","content":"say forbidden"}]}""", "br"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(
            "ambiguous at $.Messages",
            await response.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);
    }

    /// <summary>
    /// A request whose body is <paramref name="json"/> encoded with <paramref name="codings"/> (applied in order).
    /// </summary>
    internal static HttpRequestMessage Encoded(string path, string json, string codings)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        foreach (
            var coding in codings.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            bytes = coding.Equals("identity", StringComparison.OrdinalIgnoreCase) ? bytes : Compress(coding, bytes, 0);
        }

        return Raw(path, bytes, codings);
    }

    internal static HttpRequestMessage Raw(string path, byte[] body, string coding)
    {
        var request = GatewayHost.Post(path, string.Empty);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Content.Headers.TryAddWithoutValidation("Content-Encoding", coding);
        return request;
    }

    /// <summary>
    /// <paramref name="prefix"/> then <paramref name="letters"/> letters 'a', compressed as <paramref name="coding"/>
    /// says, written in pieces.
    /// </summary>
    internal static byte[] Compress(string coding, byte[] prefix, int letters)
    {
        var output = new MemoryStream();
        var level = letters > 0 ? CompressionLevel.SmallestSize : CompressionLevel.Fastest;
        using (Stream encoder = coding.ToLowerInvariant() switch
            {
                "gzip" or "x-gzip" => new GZipStream(output, level, leaveOpen: true),
                "deflate" => new ZLibStream(output, level, leaveOpen: true),
                _ => new BrotliStream(
                    output,
                    level == CompressionLevel.SmallestSize ? CompressionLevel.Optimal : level,
                    leaveOpen: true),
            })
        {
            encoder.Write(prefix);
            var chunk = Enumerable.Repeat((byte)'a', 1024 * 1024).ToArray();
            for (var written = 0; written < letters; written += chunk.Length)
            {
                encoder.Write(chunk, 0, Math.Min(chunk.Length, letters - written));
            }
        }

        return output.ToArray();
    }
}
