using System;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>How the request body's reader refuses a body.</summary>
public enum BodyFault
{
    /// <summary>A <c>Content-Encoding</c> the gateway does not decode: 415.</summary>
    UnsupportedCoding,

    /// <summary>A body that decodes past the body limit: 413.</summary>
    DecompressionBomb,

    /// <summary>Data that is not valid for its coding: 400.</summary>
    CorruptCoding,

    /// <summary>A property name that occurs twice: 400.</summary>
    AmbiguousName,

    /// <summary>A body sent as another media type than JSON (<c>curl -d</c>'s form type): 415.</summary>
    NotJson,

    /// <summary>JSON labelled with a charset other than UTF-8: 415.</summary>
    NotUtf8,
}

/// <summary>A body the pipeline cannot read at all.</summary>
public enum Unreadable
{
    /// <summary>Cut off before its end.</summary>
    CutOff,

    /// <summary>JSON, but an array rather than an object.</summary>
    NotAnObject,

    /// <summary>A byte that is no UTF-8 in a string.</summary>
    NotUtf8,
}

/// <summary>
/// The request body's reader joins the failure contract of the fault matrix (docs/reliability/fault-matrix.md):
/// each way it refuses a body, in both wire formats, streamed or not, through the fault matrix's
/// Kestrel host, answers in the route's format with the documented status, records exactly one
/// <c>Failed Proxy Server Request</c> span with the server span in error, ends every span, calls
/// each failure logger once, and leaves the next request answering 200.
/// </summary>
public sealed class RequestBodyFailureTests : IClassFixture<FaultMatrixHost>, IDisposable
{
    private readonly FaultMatrixHost _host;
    private readonly SpanCollector _spans = new();

    public RequestBodyFailureTests(FaultMatrixHost host)
    {
        _host = host;
        _host.Plan.Arm(null);
    }

    public void Dispose() => _spans.Dispose();

    [Theory]
    [CombinatorialCells]
    public async Task EveryRefusalOfTheBodyTakesTheOneFailurePath(BodyFault fault, WireFormat format, bool stream)
    {
        _host.Logged.Clear();
        _host.Finished.Clear();
        var (status, message) = fault switch
        {
            BodyFault.UnsupportedCoding => (415,
                "The request body cannot be read: the content coding 'zstd' is not one this gateway decodes. Send it "
                + "uncompressed, or with one of gzip, deflate, br."),
            BodyFault.DecompressionBomb => (413, "The request body, decoded, is larger than this gateway accepts."),
            BodyFault.CorruptCoding => (400, "The request body could not be decoded: it is not valid gzip data."),
            BodyFault.NotUtf8 => (415,
                "The request body must be UTF-8 JSON: send it without a charset or with charset=utf-8 (it was sent as "
                + "charset 'utf-16')."),
            BodyFault.NotJson => (415,
                "The request body must be JSON: send it with Content-Type: application/json (it was sent as "
                + "'application/x-www-form-urlencoded')."),
            _ => (400,
                "The request body is ambiguous at $.model: the property appears more than once in its object (once it "
                + "is unescaped). Send each property once, spelled as the API spells it."),
        };

        using var client = new HttpClient { BaseAddress = new Uri(_host.Address) };
        using var response = await client.SendAsync(Request(fault, format, stream));
        var body = await response.Content.ReadAsStringAsync();
        var server = await _host.NextFinishedAsync();

        Assert.Null(server.Escaped);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using (var json = JsonDocument.Parse(body))
        {
            var error = json.RootElement.GetProperty("error");
            Assert.Equal(message, error.GetProperty("message").GetString());
            Assert.Equal(
                format == WireFormat.Anthropic && status == 413 ? "request_too_large" : "invalid_request_error",
                error.GetProperty("type").GetString());
            Assert.Equal(format == WireFormat.Anthropic, json.RootElement.TryGetProperty("type", out _));
        }

        var spans = await _spans.SingleTraceAsync();
        _spans.AssertAllEnded();
        Assert.Equal(ActivityStatusCode.Error, spans.Server.Status);
        Assert.Equal(status, spans.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        var failed = spans.Single(SpanNames.Failure);
        Assert.Equal(message, failed.StatusDescription);
        Assert.Equal(typeof(InvalidLlmRequestException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(status, Assert.Single(_host.Logged).StatusCode);
        Assert.Equal(1, _host.Plan.FaultyLoggerCalls);

        await AssertNextRequestIsWholeAsync(client, Request(null, format, stream));
    }

    /// <summary>
    /// The same failure contract on the controller shape (path + <c>/mvc</c>): a body the pipeline cannot read (cut
    /// off, not sent as JSON) is MVC's to answer, as before adoption; a name given twice is the pipeline's refusal in
    /// the app's own validation answer under its JSON path. Either way, one failure span with the refusal, every span
    /// ended, one failure logger call, and the next request whole.
    /// </summary>
    [Theory]
    [InlineData("cut-off", WireFormat.OpenAI)]
    [InlineData("cut-off", WireFormat.Anthropic)]
    [InlineData("media-type", WireFormat.OpenAI)]
    [InlineData("media-type", WireFormat.Anthropic)]
    [InlineData("ambiguous", WireFormat.OpenAI)]
    [InlineData("ambiguous", WireFormat.Anthropic)]
    public async Task OnAControllerABodyRefusalIsTheAppsAnswerOnTheOneFailurePath(string kind, WireFormat format)
    {
        _host.Logged.Clear();
        _host.Finished.Clear();
        var fault = kind switch
        {
            "media-type" => BodyFault.NotJson,
            "ambiguous" => BodyFault.AmbiguousName,
            _ => (BodyFault?)null,
        };
        using var request = Request(fault, format, stream: false, mvc: true, cutOff: kind == "cut-off");
        using var client = new HttpClient { BaseAddress = new Uri(_host.Address) };
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var server = await _host.NextFinishedAsync();

        Assert.Null(server.Escaped);
        var status = kind == "media-type" ? 415 : 400;
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.Equal(status, json.RootElement.GetProperty("status").GetInt32());
            if (kind != "media-type")
            {
                // MVC's validation problem: its binder's keys for a body it could not bind, the path of a name twice.
                var title = json.RootElement.GetProperty("title").GetString();
                Assert.Equal("One or more validation errors occurred.", title);
                var keys = json.RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
                Assert.Contains(keys, key => key.StartsWith('$'));
                Assert.Equal(kind == "ambiguous", keys.SequenceEqual(new[] { "$.model" }));
            }
        }

        var spans = await _spans.SingleTraceAsync();
        _spans.AssertAllEnded();
        Assert.Equal(ActivityStatusCode.Error, spans.Server.Status);
        Assert.Equal(status, spans.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        var failed = spans.Single(SpanNames.Failure);
        Assert.Equal(typeof(InvalidLlmRequestException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.DoesNotContain(spans.Spans, s => s.DisplayName == SpanNames.LlmRequest);
        Assert.Equal(status, Assert.Single(_host.Logged).StatusCode);

        await AssertNextRequestIsWholeAsync(client, Request(null, format, stream: false, mvc: true));
    }

    /// <summary>
    /// A body the pipeline cannot read goes to whoever read it before (docs/handlers.md, "A body the pipeline cannot
    /// read"): a typed handler's route refuses it in its format, naming the place; one that keeps ASP.NET Core's
    /// answers gives minimal APIs' 400 with no body; a relay hands it on as it came, for the upstream to answer (the
    /// embedded provider cannot read it: its 404, relayed). Each reaches the failure path once, as the client's
    /// mistake where it is one, ends every span, calls each failure logger once, and leaves the next request whole.
    /// </summary>
    [Theory]
    [CombinatorialUnreadable]
    public async Task ABodyThePipelineCannotReadGoesToWhoeverReadItBefore(
        Unreadable way, string route, WireFormat format)
    {
        _host.Logged.Clear();
        _host.Finished.Clear();
        using var client = new HttpClient { BaseAddress = new Uri(_host.Address) };
        using var request = Request(null, format, stream: false, route: route, unreadable: way);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var server = await _host.NextFinishedAsync();
        var spans = await _spans.SingleTraceAsync();

        Assert.Null(server.Escaped);
        var status = route == "/relay" ? 404 : 400;
        Assert.Equal(status, (int)response.StatusCode);
        var failed = spans.Single(SpanNames.Failure);
        switch (route)
        {
            case "":
                // The pipeline binds a typed body: its refusal, in the route's format, in the client's terms.
                using (var json = JsonDocument.Parse(body))
                {
                    var message = json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
                    Assert.StartsWith("The request body ", message, StringComparison.Ordinal);
                    Assert.Equal(message, failed.StatusDescription);
                }

                break;
            case "/host":
                // Minimal APIs' answer: the status, nothing written; the record keeps the reason.
                Assert.Equal(string.Empty, body);
                Assert.Null(response.Content.Headers.ContentType);
                Assert.StartsWith("The request body ", failed.StatusDescription, StringComparison.Ordinal);
                Assert.EndsWith("Answered as minimal APIs answer a body they cannot bind: 400 Bad Request, no body.",
                    failed.StatusDescription, StringComparison.Ordinal);
                break;
            default:
                // Handed on as it came: the upstream's answer, relayed; the pipeline's reason on the server span.
                var unread = Assert.Single(spans.Server.Events, e => e.Name == AttributeNames.RequestBodyUnreadEvent);
                var reason = unread.Tags.Single(t => t.Key == AttributeNames.InvalidTraceContextReason).Value as string;
                Assert.StartsWith("The request body ", reason, StringComparison.Ordinal);
                var attempt = spans.Single(SpanNames.UpstreamAttempt);
                Assert.Equal(404, attempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
                break;
        }

        _spans.AssertAllEnded();
        Assert.Equal(ActivityStatusCode.Error, spans.Server.Status);
        Assert.Equal(status, spans.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        var errorType = route == "/relay" ? "404" : typeof(InvalidLlmRequestException).FullName;
        Assert.Equal(errorType, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(route == "/relay", spans.Spans.Any(s => s.DisplayName == SpanNames.LlmRequest));
        Assert.Equal(status, Assert.Single(_host.Logged).StatusCode);
        Assert.Equal(1, _host.Plan.FaultyLoggerCalls);

        await AssertNextRequestIsWholeAsync(client, Request(null, format, stream: false, route: route));
    }

    /// <summary>
    /// On a route that keeps ASP.NET Core's answers, a body sent as another media type is minimal APIs' 415 with no
    /// body; under <c>RouteHandlerOptions.ThrowOnBadRequest</c> a body it cannot bind is their
    /// <see cref="Microsoft.AspNetCore.Http.BadHttpRequestException"/>, which the app's exception handling answers.
    /// Either way one failure span with the status the client got, every span ended, one logger call each.
    /// </summary>
    [Theory]
    [InlineData(false, WireFormat.OpenAI)]
    [InlineData(false, WireFormat.Anthropic)]
    [InlineData(true, WireFormat.OpenAI)]
    [InlineData(true, WireFormat.Anthropic)]
    public async Task ARouteThatKeepsTheHostsAnswersAnswersAsMinimalApis(bool throwOnBadRequest, WireFormat format)
    {
        _host.Logged.Clear();
        _host.Finished.Clear();
        var options = _host.Services.GetRequiredService<IOptions<RouteHandlerOptions>>().Value;
        options.ThrowOnBadRequest = throwOnBadRequest;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(_host.Address) };
            using var request = throwOnBadRequest
                ? Request(null, format, stream: false, route: "/host", unreadable: Unreadable.CutOff)
                : Request(BodyFault.NotJson, format, stream: false, route: "/host");
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var server = await _host.NextFinishedAsync();
            var spans = await _spans.SingleTraceAsync();

            Assert.Null(server.Escaped);
            var status = (int)response.StatusCode;
            var failed = spans.Single(SpanNames.Failure);
            if (throwOnBadRequest)
            {
                // The app's exception handler answered minimal APIs' exception, in its problem details.
                Assert.InRange(status, 400, 599);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.DoesNotContain("body failure", body, StringComparison.Ordinal);
                Assert.Equal(typeof(Microsoft.AspNetCore.Http.BadHttpRequestException).FullName,
                    failed.GetTagItem(AttributeNames.ErrorType));
            }
            else
            {
                Assert.Equal(415, status);
                Assert.Equal(string.Empty, body);
                Assert.Equal(typeof(InvalidLlmRequestException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
            }

            _spans.AssertAllEnded();
            Assert.Equal(status, spans.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
            Assert.Equal(status, failed.GetTagItem(AttributeNames.HttpResponseStatusCode));
            Assert.Equal(status, Assert.Single(_host.Logged).StatusCode);
            Assert.Equal(1, _host.Plan.FaultyLoggerCalls);
        }
        finally
        {
            options.ThrowOnBadRequest = false;
        }
    }

    /// <summary>The next request on the same host is whole: 200, and no failure logged.</summary>
    private async Task AssertNextRequestIsWholeAsync(HttpClient client, HttpRequestMessage request)
    {
        _host.Logged.Clear();
        using (request)
        using (var next = await client.SendAsync(request))
        {
            Assert.Equal(200, (int)next.StatusCode);
        }

        await _host.NextFinishedAsync();
        Assert.Empty(_host.Logged);
    }

    private static HttpRequestMessage Request(
        BodyFault? fault, WireFormat format, bool stream, bool mvc = false, bool cutOff = false,
        string? route = null, Unreadable? unreadable = null)
    {
        var streamJson = stream ? "true" : "false";
        var (path, json) = format == WireFormat.Anthropic
            ? ("/v1/messages",
                $$"""{"model":"claude","max_tokens":64,"stream":{{streamJson}},"messages":"""
                + """[{"role":"user","content":"body failure"}]}""")
            : ("/v1/chat/completions",
                $$"""{"model":"gpt","stream":{{streamJson}},"messages":[{"role":"user","content":"body failure"}]}""");
        path += route ?? (mvc ? "/mvc" : string.Empty);
        json = cutOff ? json[..^24] : json;
        var (bytes, coding) = fault switch
        {
            _ when unreadable is { } way => (UnreadableBody(way, json), null),
            BodyFault.UnsupportedCoding => (Encoding.UTF8.GetBytes(json), "zstd"),
            BodyFault.DecompressionBomb => (
                ContentCodingTests.Compress("gzip", Encoding.UTF8.GetBytes(json[..^1] + ",\"x\":\""), 9 * 1024 * 1024),
                "gzip"),
            BodyFault.CorruptCoding =>
                (Corrupt(ContentCodingTests.Compress("gzip", Encoding.UTF8.GetBytes(json), 0)), "gzip"),
            BodyFault.AmbiguousName => (Encoding.UTF8.GetBytes(json[..^1] + ",\"model\":\"other\"}"), null),
            _ => (Encoding.UTF8.GetBytes(json), null),
        };

        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", fault switch
        {
            BodyFault.NotJson => "application/x-www-form-urlencoded",
            BodyFault.NotUtf8 => "application/json; charset=utf-16",
            _ => "application/json",
        });
        if (coding is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Encoding", coding);
        }

        request.Headers.Authorization =
            new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", FaultMatrixHost.ApiKey);
        return request;
    }

    /// <summary>A body the pipeline cannot read, made from a valid one.</summary>
    private static byte[] UnreadableBody(Unreadable way, string json) => way switch
    {
        Unreadable.CutOff => Encoding.UTF8.GetBytes(json[..^24]),
        Unreadable.NotAnObject => Encoding.UTF8.GetBytes("[" + json + "]"),
        _ => [.. Encoding.UTF8.GetBytes(json[..^2]), 0xFF, .. "\"}"u8],
    };

    // A gzip header and trailer around compressed data scrambled.
    private static byte[] Corrupt(byte[] gzip)
    {
        for (var i = 10; i < gzip.Length - 8; i++)
        {
            gzip[i] ^= 0x5A;
        }

        return gzip;
    }

    /// <summary>Every way a body is unreadable × a typed route, a host route, a relay × format.</summary>
    private sealed class CombinatorialUnreadableAttribute : Xunit.Sdk.DataAttribute
    {
        public override System.Collections.Generic.IEnumerable<object[]> GetData(
            System.Reflection.MethodInfo testMethod) =>
            from way in Enum.GetValues<Unreadable>()
            from route in new[] { "", "/host", "/relay" }
            from format in new[] { WireFormat.OpenAI, WireFormat.Anthropic }
            select new object[] { way, route, format };
    }

    /// <summary>Every body fault × both wire formats × streamed or not.</summary>
    private sealed class CombinatorialCellsAttribute : Xunit.Sdk.DataAttribute
    {
        public override System.Collections.Generic.IEnumerable<object[]> GetData(
            System.Reflection.MethodInfo testMethod) =>
            from fault in Enum.GetValues<BodyFault>()
            from format in new[] { WireFormat.OpenAI, WireFormat.Anthropic }
            from stream in new[] { false, true }
            select new object[] { fault, format, stream };
    }
}
