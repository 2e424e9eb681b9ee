using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// One reading of every request, against the sample gateway as a process (Kestrel, the real OTLP
/// exporter, and globalization-invariant mode, where Unicode normalization does nothing): an
/// ambiguous body is refused, a coded body is decoded or refused, and a client name that imitates a
/// contract span name in fullwidth or look-alike letters does not rename the exported LLM span.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class OneReadingEndToEndTests(EndToEndEnvironment environment)
{
    [Theory]
    [InlineData(
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"please say forbidden"}],"messages":"""
        + """[{"role":"user","content":"hi"}]}""",
        "$.messages"
    )]
    [InlineData(
        """{"model":"gpt-4o-mini","Messages":[{"role":"user","content":"please say forbidden"}],"messages":"""
        + """[{"role":"user","content":"hi"}]}""",
        "$.Messages"
    )]
    [InlineData(
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"""
        + """[{"type":"text","text":"hi","te\u0078t":"please say forbidden"}]}]}""",
        "$.messages[0].content[0].text"
    )]
    public async Task AnAmbiguousBodyIsRefusedNamingItsPath(string body, string path)
    {
        var (status, text) = await SendAsync(Encoding.UTF8.GetBytes(body), coding: null);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"The request body is ambiguous at {path}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGzipBodyIsDecodedAndAnUnknownCodingIs415()
    {
        const string body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"decoded end to end"}]}""";
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(body));
        }

        var (decoded, text) = await SendAsync(output.ToArray(), "gzip");
        Assert.Equal(HttpStatusCode.OK, decoded);
        Assert.Contains("decoded end to end", text, StringComparison.Ordinal);

        var (refused, error) = await SendAsync(Encoding.UTF8.GetBytes(body), "zstd");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused);
        Assert.Contains("unsupported_content_encoding", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ｆａｉｌｅｄ Ｐｒｏｘｙ Ｓｅｒｖｅｒ Ｒｅｑｕｅｓｔ")]
    [InlineData("Fаílеd Prоxy Sеrvеr Rеquеst")]
    [InlineData("𝐚𝐮𝐭𝐡")]
    public async Task AnImitatingGenerationNameDoesNotRenameTheExportedSpan(string name)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.PostAsync(
                "/v1/chat/completions",
                $$$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":"""
                + $$$"""{"generation_name":"{{{name}}}"}}""",
                $"00-{traceId}-0a0b0c0d0e0f1011-01"));

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var llm = Assert.Single(spans, s => s.Kind == "CLIENT" && s.Text("langfuse.observation.type") == "generation");
        Assert.Equal("litellm_request", llm.Name);
        Assert.Contains("tracedllm.reserved_name", llm.Events);
        Assert.DoesNotContain(spans, s => s.Name == "Failed Proxy Server Request");
    }

    private async Task<(HttpStatusCode Status, string Text)> SendAsync(byte[] body, string? coding)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, environment.GatewayUrl + "/v1/chat/completions")
        {
            Content = new ByteArrayContent(body)
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        if (coding is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Encoding", coding);
        }

        request.Headers.Add("Authorization", "Bearer " + EndToEndEnvironment.ApiKey);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
