extern alias traced;

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using TracedLlm.Telemetry;
using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace ChatBot.Tests;

/// <summary>
/// ips-ag/demo-chatbot-openai's minimal API before and after adopting TracedLlm, side by side against one
/// upstream: the same request to both, each kind of request the recipe names, and the answers compared. Equal
/// where the app's answer is kept; the documented differences (a static handler answers in the route's error
/// format where minimal APIs answered with an empty body, and a property given twice is refused) asserted as such.
/// </summary>
public sealed class PortTests : IAsyncLifetime
{
    private const string Valid = """{"messages":[{"type":"user","text":"hello"}]}""";
    private UpstreamStub _upstream = null!;
    private ChatBotApp<Program> _before = null!;
    private ChatBotApp<TracedProgram> _after = null!;
    private readonly List<Activity> _spans = new();
    private ActivityListener _listener = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamStub.StartAtAsync(null);
        _before = new ChatBotApp<Program>(_upstream.Address);
        _after = new ChatBotApp<TracedProgram>(_upstream.Address);
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => { lock (_spans) { _spans.Add(span); } },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _before.DisposeAsync();
        await _after.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    /// <summary>The requests whose answers adoption keeps: status, content type and body, byte for byte.</summary>
    [Theory]
    [InlineData("valid", Valid)]
    [InlineData("streamed", """{"messages":[{"type":"user","text":"hello"}],"stream":true}""")]
    [InlineData("wrong-typed-metadata", """{"messages":[{"type":"user","text":"hello"}],"metadata":"x"}""")]
    [InlineData("metadata-object", """{"messages":[{"type":"user","text":"hi"}],"metadata":{"trace_name":"port"}}""")]
    public async Task ClientsGetTheSameAnswer(string kind, string body)
    {
        var before = await SendAsync(_before, body);
        var after = await SendAsync(_after, body);

        Assert.Equal(200, before.Status);
        Assert.Equal(before, after);
        var server = await ServerSpanAsync();
        Assert.Equal(200, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(kind == "metadata-object" ? "port" : null, server.GetTagItem(AttributeNames.LangfuseTraceName));
        Assert.Single(Spans(server), s => s.DisplayName == SpanNames.UpstreamAttempt);
    }

    /// <summary>
    /// The refusals and failures: the same status, answered in the route's error format (OpenAI's error JSON) where
    /// the minimal API answered with an empty body; a property given twice (which the app read as its last value)
    /// refused. The trace records each once.
    /// </summary>
    [Theory]
    [InlineData("malformed", """{"messages":[{"type":"user","te""", 400, 400)]
    [InlineData("missing-field", """{}""", 400, 400)]
    [InlineData("duplicate-property", """{"messages":[],"messages":[{"type":"user","text":"hello"}]}""", 200, 400)]
    [InlineData("failing-upstream", Valid, 500, 500)]
    public async Task TheDocumentedDifferencesAreTheRoutesErrorFormat(string kind, string body, int was, int now)
    {
        if (kind == "failing-upstream")
        {
            _upstream.Then(UpstreamStub.Reply.Status(400), UpstreamStub.Reply.Status(400));
        }

        var before = await SendAsync(_before, body);
        var after = await SendAsync(_after, body);

        Assert.Equal(was, before.Status);
        Assert.Equal(now, after.Status);
        Assert.Equal(was == 200 ? "application/json" : null, before.ContentType);
        Assert.Equal("application/json", after.ContentType);
        Assert.DoesNotContain("sk-upstream", after.Body, StringComparison.Ordinal);
        using var error = JsonDocument.Parse(after.Body);
        var type = error.RootElement.GetProperty("error").GetProperty("type").GetString();
        Assert.Equal(now == 500 ? "api_error" : "invalid_request_error", type);

        var server = await ServerSpanAsync();
        Assert.Equal(now, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Single(Spans(server), s => s.DisplayName == SpanNames.Failure);
    }

    private async Task<Answer> SendAsync<T>(ChatBotApp<T> app, string body)
        where T : class
    {
        using var client = app.CreateClient();
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/completions", content);
        var text = await response.Content.ReadAsStringAsync();
        return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
    }

    private async Task<Activity> ServerSpanAsync()
    {
        for (var tries = 0; tries < 500; tries++)
        {
            lock (_spans)
            {
                if (_spans.SingleOrDefault(s => s.DisplayName == SpanNames.Server) is { } server)
                {
                    return server;
                }
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException("the adopted app ended no server span");
    }

    private List<Activity> Spans(Activity server)
    {
        lock (_spans)
        {
            return _spans.Where(s => s.TraceId == server.TraceId).ToList();
        }
    }

    private sealed record Answer(int Status, string? ContentType, string Body);
}

/// <summary>
/// One of the two apps in process on Kestrel (a test server would hand the client the exception a real server
/// answers with 500), its Azure OpenAI endpoint the test's upstream.
/// </summary>
internal sealed class ChatBotApp<TProgram> : WebApplicationFactory<TProgram>
    where TProgram : class
{
    private readonly string upstream;

    public ChatBotApp(string upstream)
    {
        this.upstream = upstream;
        UseKestrel(0);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Azure:OpenAI:Endpoint", upstream + "/");
        builder.UseSetting("Azure:OpenAI:ApiKey", "test-key");
        builder.UseSetting("Azure:OpenAI:DeploymentName", "gpt-4o");
        builder.UseSetting("Logging:LogLevel:Default", "None");
    }
}
