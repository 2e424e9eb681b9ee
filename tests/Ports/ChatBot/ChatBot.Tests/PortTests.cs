extern alias traced;

using System.Diagnostics;
using System.Net;
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
/// upstream: the same request to both, each kind of request the recipe names, and the answers compared. Equal,
/// the app's binding failures and its unhandled upstream failure included (the port keeps ASP.NET Core's answers,
/// <c>LlmErrorResponses.Host</c>); the one documented difference, a property given twice, is refused.
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

    /// <summary>
    /// The requests whose answers adoption keeps: status, content type and body, byte for byte. A body the request
    /// type cannot bind is minimal APIs' 400 with no body, and the SDK's exception on the upstream's error the
    /// server's 500 with none, as before; the trace records each once, with the status the client got.
    /// </summary>
    [Theory]
    [InlineData("valid", Valid, 200)]
    [InlineData("streamed", """{"messages":[{"type":"user","text":"hello"}],"stream":true}""", 200)]
    [InlineData("wrong-typed-metadata", """{"messages":[{"type":"user","text":"hello"}],"metadata":"x"}""", 200)]
    [InlineData("metadata-object", """{"messages":[{"type":"user","text":"hi"}],"metadata":{"trace_name":"port"}}""",
        200)]
    [InlineData("malformed", """{"messages":[{"type":"user","te""", 400)]
    [InlineData("missing-field", """{}""", 400)]
    [InlineData("failing-upstream", Valid, 500)]
    public async Task ClientsGetTheSameAnswer(string kind, string body, int status)
    {
        if (kind == "failing-upstream")
        {
            _upstream.Then(UpstreamStub.Reply.Status(400), UpstreamStub.Reply.Status(400));
        }

        var before = await SendAsync(_before, body);
        var after = await SendAsync(_after, body);

        Assert.Equal(status, before.Status);
        Assert.Equal(before, after);
        Assert.Equal(status == 200 ? "application/json" : null, after.ContentType);
        var server = await ServerSpanAsync();
        Assert.Equal(status, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(kind == "metadata-object" ? "port" : null, server.GetTagItem(AttributeNames.LangfuseTraceName));
        var spans = Spans(server);
        Assert.Equal(status == 400 ? 0 : 1, spans.Count(s => s.DisplayName == SpanNames.UpstreamAttempt));
        var failed = spans.Where(s => s.DisplayName == SpanNames.Failure).ToList();
        Assert.Equal(status == 200 ? 0 : 1, failed.Count);
        if (status == 400)
        {
            // Minimal APIs' answer, the pipeline's reason on the record: the client's mistake.
            Assert.Equal("TracedLlm.InvalidLlmRequestException", failed[0].GetTagItem(AttributeNames.ErrorType));
            Assert.EndsWith("Answered as minimal APIs answer a body they cannot bind: 400 Bad Request, no body.",
                failed[0].StatusDescription, StringComparison.Ordinal);
        }
        else if (status == 500)
        {
            // The SDK's exception went on to the server, which answered 500: recorded so, when it had.
            Assert.Equal("Azure.RequestFailedException", failed[0].GetTagItem(AttributeNames.ErrorType));
            Assert.Equal("RequestFailedException was thrown; the application answered 500 Internal Server Error.",
                failed[0].StatusDescription);
        }
    }

    /// <summary>
    /// The one documented difference: a property given twice, which the app read as its last value, is refused with
    /// 400 in ASP.NET Core's validation shape (problem details, the error under the property's JSON path).
    /// </summary>
    [Fact]
    public async Task TheDocumentedDifferenceIsTheRefusalOfAPropertyGivenTwice()
    {
        var body = """{"messages":[],"messages":[{"type":"user","text":"hello"}]}""";
        var before = await SendAsync(_before, body);
        var after = await SendAsync(_after, body);

        Assert.Equal(200, before.Status);
        Assert.Equal(400, after.Status);
        Assert.Equal("application/problem+json", after.ContentType);
        using var problem = JsonDocument.Parse(after.Body);
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("$.messages", out _));
        var server = await ServerSpanAsync();
        Assert.Equal(400, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Single(Spans(server), s => s.DisplayName == SpanNames.Failure);
        Assert.DoesNotContain(Spans(server), s => s.DisplayName == SpanNames.UpstreamAttempt);
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
        // The port given to Kestrel: UseKestrel(0) rewrites the addresses as the app binds, a race
        // ("Addresses cannot be modified after the server has started", dotnet/aspnetcore#67714).
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
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
