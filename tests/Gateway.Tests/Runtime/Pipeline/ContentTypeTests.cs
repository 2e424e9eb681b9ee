using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A request body is read as JSON when its <c>Content-Type</c> says JSON (any charset, a <c>+json</c>
/// type) or says nothing; a body sent as something else is 415 in the route's format, traced, with
/// the type named and bounded. Before, routing answered it with an empty 415 of its own, outside the
/// route's format and with no trace.
/// </summary>
public sealed class ContentTypeTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string Messages = "/v1/messages";
    private const string ChatBody =
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":{"trace_name":"typed"}}""";
    private const string MessagesBody =
        """{"model":"claude-sonnet","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"litellm_metadata":"""
        + """{"trace_name":"typed"}}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData(Chat, "application/json")]
    [InlineData(Messages, "application/json; charset=utf-8")]
    [InlineData(Chat, "Application/JSON")]
    [InlineData(Messages, "application/vnd.example+json")]
    [InlineData(Chat, "application/json; charset=UTF-8")]
    [InlineData(Messages, "application/json; charset=\"utf-8\"")]
    [InlineData(Chat, "application/json; charset=utf8")]
    [InlineData(Chat, null)]
    [InlineData(Messages, null)]
    public async Task ABodySentAsJsonOrWithNoTypeIsRead(string path, string? contentType)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(Post(path, contentType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("typed", (await _spans.SingleTraceAsync()).Server.GetTagItem(AttributeNames.LangfuseTraceName));
    }

    [Theory]
    [InlineData(Chat, "application/x-www-form-urlencoded", "application/x-www-form-urlencoded")]
    [InlineData(Messages, "application/x-www-form-urlencoded", "application/x-www-form-urlencoded")]
    [InlineData(Chat, "text/plain; charset=utf-8", "text/plain")]
    [InlineData(Messages, "multipart/form-data; boundary=x", "multipart/form-data")]
    [InlineData(Chat, "application/jsonx", "application/jsonx")]
    [InlineData(
        Messages,
        "application/vnd.a-very-long-media-type-name-sent-by-a-client-to-see-it-bounded+xml",
        "application/vnd.a-very-long-media-type-name-sent-by-a-client-to-…"
    )]
    public Task ABodySentAsAnotherTypeIs415InTheRoutesFormatAndTraced(string path, string contentType, string shown) =>
        AssertRefusedAsync(
            path,
            contentType,
            $"The request body must be JSON: send it with Content-Type: application/json (it was sent as '{shown}').");

    // The gateway reads JSON as UTF-8 (RFC 8259); an upstream that honours the label could read the same bytes
    // otherwise: one reading of every request, so the label is refused rather than ignored.
    [Theory]
    [InlineData(Chat, "application/json; charset=utf-16", "utf-16")]
    [InlineData(Messages, "application/json; charset=iso-8859-1", "iso-8859-1")]
    [InlineData(Chat, "application/vnd.example+json; charset=\"windows-1252\"", "windows-1252")]
    public Task AJsonBodyLabelledWithAnotherCharsetIs415(string path, string contentType, string charset) =>
        AssertRefusedAsync(
            path,
            contentType,
            "The request body must be UTF-8 JSON: send it without a charset or with charset=utf-8 (it was sent as "
            + $"charset '{charset}').");

    [Fact]
    public async Task AnUnauthenticatedBodyOfAnotherTypeIs401AndItsTypeReachesNoSpan()
    {
        using var host = new GatewayHost();
        using var request = Post(Chat, "text/x-secret-marker-3c1d", apiKey: "sk-wrong");
        using var response = await host.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("secret-marker", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var tree = await _spans.SingleTraceAsync();
        Assert.All(
            tree.Spans,
            span =>
            {
                Assert.DoesNotContain(
                    "secret-marker",
                    span.StatusDescription ?? string.Empty,
                    StringComparison.Ordinal);
                Assert.DoesNotContain(
                    span.TagObjects,
                    tag => tag.Value?.ToString()?.Contains("secret-marker", StringComparison.Ordinal) == true);
            });
    }

    // A 415 in the route's format with this message, and, once authenticated, on the trace: one failure span, the
    // server span in error, every span ended.
    private async Task AssertRefusedAsync(string path, string contentType, string expected)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(Post(path, contentType));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(
            response.Headers.Contains("Accept-Encoding"),
            "Accept-Encoding answers a refused coding, not a refused type");
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = error.RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.Equal(expected, message);
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        if (path == Chat)
        {
            Assert.Equal(
                "unsupported_media_type",
                error.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        else
        {
            Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        }

        var tree = await _spans.SingleTraceAsync();
        var failure = tree.Single(SpanNames.Failure);
        Assert.Equal(415, failure.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(message, failure.StatusDescription);
        Assert.Equal(System.Diagnostics.ActivityStatusCode.Error, tree.Server.Status);
        _spans.AssertAllEnded();
    }

    private static HttpRequestMessage Post(string path, string? contentType, string apiKey = GatewayHost.ApiKey)
    {
        var request = GatewayHost.Post(path, path == Chat ? ChatBody : MessagesBody, apiKey);
        request.Content!.Headers.ContentType = null;
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return request;
    }
}
