extern alias traced;

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TracedLlm.Telemetry;
using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace Switchyard.Tests;

/// <summary>
/// Switchyard before and after adopting TracedLlm, side by side: the same requests to both, against
/// one upstream, must get the same answers (status, content type, body, or for problem details their
/// shape with a traceId), while the adopted app exports each request's span tree, a failure once.
/// </summary>
[Collection(SwitchyardApp.Collection)]
public sealed class PortTests : IAsyncLifetime
{
    private const string Path = "/api/v1/chat/completions";
    private static readonly int[] NoReplies = Array.Empty<int>();
    private UpstreamStub _upstream = null!;
    private SwitchyardApp<Program> _before = null!;
    private SwitchyardApp<TracedProgram> _after = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamStub.StartAsync();
        _before = new SwitchyardApp<Program>(_upstream.BaseUrl);
        _after = new SwitchyardApp<TracedProgram>(_upstream.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        await _before.DisposeAsync();
        await _after.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    public static TheoryData<string> Cases => new()
    {
        "valid", "retry", "fallback", "invalid", "filter", "cut-off", "not-json", "stream", "wrong-typed-metadata",
        "metadata-object", "unknown-model", "all-fail", "thrown",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ClientsSeeTheSameAnswersAndTheAdoptedAppExportsTheTrace(string name)
    {
        var (body, replies, status, contentType) = name switch
        {
            "valid" => (Request(), Array.Empty<int>(), 200, "application/json"),
            "retry" => (Request(), new[] { 503 }, 200, "application/json"),
            "fallback" => (Request(), EveryTry(503), 200, "application/json"),
            "invalid" => (
                """{"messages":[{"role":"robot","content":"hi"}],"temperature":3}""",
                Array.Empty<int>(),
                400,
                "application/problem+json"),
            "filter" => (Request(content: new string('x', 100)), Array.Empty<int>(), 422, "application/problem+json"),
            "cut-off" => (
                """{"model":"openai/gpt-4o","messages":[{"role":"us""",
                Array.Empty<int>(),
                400,
                "application/problem+json"),
            "not-json" => ("model=openai/gpt-4o", Array.Empty<int>(), 400, "application/problem+json"),
            "stream" => (Request(extra: "\"stream\":true"), Array.Empty<int>(), 200, "application/json"),
            "wrong-typed-metadata" => (Request(extra: "\"metadata\":\"x\""), NoReplies, 200, "application/json"),
            "metadata-object" =>
                (Request(extra: "\"metadata\":{\"trace_name\":\"port\"}"), NoReplies, 200, "application/json"),
            "unknown-model" => (Request(model: "acme/unknown"), Array.Empty<int>(), 404, "application/problem+json"),
            "all-fail" => (Request(), EveryTry(503, 502, 429), 502, "application/problem+json"),
            _ => (Request(), new[] { 400 }, 500, "application/problem+json"),
        };

        var before = await SendAsync(_before, body, replies);
        var after = await SendAsync(_after, body, replies);

        Assert.Equal(status, before.Status);
        Assert.Equal(contentType, before.ContentType);
        Assert.Equal(before.Status, after.Status);
        Assert.Equal(before.ContentType, after.ContentType);
        if (contentType == "application/json")
        {
            Assert.Equal(before.Body, after.Body);
        }
        else
        {
            // MVC answers every input it cannot bind itself, a body the pipeline could not read included.
            AssertSameProblemShape(before.Body, after.Body, sameErrors: true);
        }

        var trace = await TraceAsync(_after);
        Assert.Equal(status, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("/api/v1/chat/completions", trace.Server.GetTagItem(AttributeNames.HttpRoute));
        var preCall = trace.Child(SpanNames.PreCall);
        var failures = trace.Spans.Where(s => s.DisplayName == SpanNames.Failure).ToList();
        if (status == 200)
        {
            Assert.Empty(failures);
            var llm = trace.Child(SpanNames.LlmRequest);
            Assert.Equal(SwitchyardApp<TracedProgram>.Model, llm.GetTagItem(AttributeNames.GenAiRequestModel));
            Assert.Equal(ActivityStatusCode.Unset, llm.Status);
            return;
        }

        var failed = Assert.Single(failures);
        Assert.Equal(trace.Server.SpanId, failed.ParentSpanId);
        Assert.Equal(status, failed.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, trace.Server.Status);
        if (name is "invalid" or "filter" or "cut-off" or "not-json")
        {
            // Refused before the action: on proxy_pre_call, and no LLM call was made.
            Assert.Equal(ActivityStatusCode.Error, preCall.Status);
            Assert.DoesNotContain(trace.Spans, s => s.DisplayName == SpanNames.LlmRequest);
            if (name is "cut-off" or "not-json")
            {
                // MVC answered the body as before; the trace records why the pipeline could not read it.
                Assert.Equal("TracedLlm.InvalidLlmRequestException", failed.GetTagItem(AttributeNames.ErrorType));
                const string Answered = "MVC's model binding answered 400 Bad Request.";
                Assert.EndsWith(Answered, failed.StatusDescription, StringComparison.Ordinal);
            }
        }
        else
        {
            // The action's own exception, answered by the app's middleware: recorded with its type.
            var llm = trace.Child(SpanNames.LlmRequest);
            Assert.Equal(ActivityStatusCode.Error, llm.Status);
            Assert.Contains(llm.Events, e => e.Name == "exception");
            Assert.Equal(name switch
            {
                "unknown-model" => "Switchyard.Domain.UnknownModelException",
                "all-fail" => "Switchyard.Domain.AllProvidersFailedException",
                _ => "System.Net.Http.HttpRequestException",
            }, failed.GetTagItem(AttributeNames.ErrorType));
        }
    }

    /// <summary>
    /// The one documented difference: a property given twice, which the app read one way (the last value)
    /// and a reader of the first another, is refused, in the app's own validation answer under its JSON path.
    /// </summary>
    [Fact]
    public async Task APropertyGivenTwiceIsRefusedInTheAppsValidationShape()
    {
        var duplicate = Request(extra: "\"temperature\":1.5");
        var before = await SendAsync(_before, duplicate, Array.Empty<int>());
        var after = await SendAsync(_after, duplicate, Array.Empty<int>());
        var invalid = await SendAsync(_before, """{"messages":[]}""", Array.Empty<int>());

        Assert.Equal(200, before.Status);
        Assert.Equal(400, after.Status);
        Assert.Equal("application/problem+json", after.ContentType);
        AssertSameProblemShape(invalid.Body, after.Body, sameErrors: false);
        using var problem = JsonDocument.Parse(after.Body);
        var errors = problem.RootElement.GetProperty("errors");
        var message = Assert.Single(errors.GetProperty("$.temperature").EnumerateArray()).GetString();
        Assert.Contains("more than once", message, StringComparison.Ordinal);
        Assert.Single(errors.EnumerateObject());

        var trace = await TraceAsync(_after);
        var failed = Assert.Single(trace.Spans, s => s.DisplayName == SpanNames.Failure);
        Assert.Equal(400, failed.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("TracedLlm.InvalidLlmRequestException", failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, trace.Child(SpanNames.PreCall).Status);
        Assert.DoesNotContain(trace.Spans, s => s.DisplayName == SpanNames.LlmRequest);
    }

    /// <summary>Each status for every try Polly makes of one model: the models of the chain fail in turn.</summary>
    private static int[] EveryTry(params int[] statuses) =>
        statuses.SelectMany(status => Enumerable.Repeat(status, SwitchyardApp<Program>.TriesPerModel)).ToArray();

    private static string Request(
        string model = SwitchyardApp<Program>.Model, string content = "hello", string? extra = null)
    {
        var messages = new[] { new { role = "user", content } };
        var json = JsonSerializer.Serialize(new { model, messages, temperature = 0.2, max_tokens = 64 });
        return extra is null ? json : json[..^1] + "," + extra + "}";
    }

    private async Task<(int Status, string? ContentType, string Body)> SendAsync<T>(
        SwitchyardApp<T> app, string body, int[] replies)
        where T : class
    {
        if (replies.Length > 0)
        {
            _upstream.Then(replies.Select(status => UpstreamStub.Reply.Status(status)).ToArray());
        }

        using var client = app.CreateClient();
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(Path, content);
        return (
            (int)response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Both are problem details of one shape: the same members (an errors object with the same fields, unless the
    /// input was unreadable), each with its traceId.
    /// </summary>
    private static void AssertSameProblemShape(string before, string after, bool sameErrors)
    {
        using var beforeJson = JsonDocument.Parse(before);
        using var afterJson = JsonDocument.Parse(after);
        var expected =
            beforeJson.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            expected,
            afterJson.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList());
        Assert.Contains("traceId", expected);
        Assert.False(string.IsNullOrEmpty(afterJson.RootElement.GetProperty("traceId").GetString()));
        foreach (var member in new[] { "type", "title", "status", "detail" })
        {
            if (beforeJson.RootElement.TryGetProperty(member, out var value))
            {
                Assert.Equal(value.ToString(), afterJson.RootElement.GetProperty(member).ToString());
            }
        }

        if (beforeJson.RootElement.TryGetProperty("errors", out var errors))
        {
            var afterErrors = afterJson.RootElement.GetProperty("errors");
            Assert.Equal(JsonValueKind.Object, afterErrors.ValueKind);
            if (sameErrors)
            {
                Assert.Equal(errors.ToString(), afterErrors.ToString());
            }
        }
    }

    /// <summary>
    /// The one TracedLlm trace the adopted app exported (its server span ends once the app's answer is complete).
    /// </summary>
    private static async Task<Trace> TraceAsync(SwitchyardApp<TracedProgram> app)
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            var spans = app.Exported.Snapshot().Where(s => s.Source.Name == TracedLlmTelemetry.SourceName).ToList();
            if (spans.SingleOrDefault(s => s.DisplayName == SpanNames.Server) is { } server)
            {
                app.Exported.Clear();
                return new Trace(spans.Where(s => s.TraceId == server.TraceId).ToList(), server);
            }

            Assert.True(Environment.TickCount64 < deadline, "the adopted app exported no server span");
            await Task.Delay(10);
        }
    }

    private sealed record Trace(IReadOnlyList<Activity> Spans, Activity Server)
    {
        public Activity Child(string name)
        {
            var span = Assert.Single(Spans, s => s.DisplayName == name);
            Assert.Equal(Server.SpanId, span.ParentSpanId);
            return span;
        }
    }
}
