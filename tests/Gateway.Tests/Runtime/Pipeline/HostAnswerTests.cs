using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Gateway.ShapeRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Who answers what a handler's own code did (docs/handlers.md, "A body the pipeline cannot read" and "Keeping
/// ASP.NET Core's answers"): a body the pipeline could not read goes to the handler that reads the body itself, and
/// its parser's failure is the client's 400, never a 500; on a route that keeps ASP.NET Core's answers an exception
/// the handler lets escape is the app's exception handling's, or the server's, and is recorded once with the status
/// it answered, on a real server and on the test server alike.
/// </summary>
public sealed class HostAnswerTests : IDisposable
{
    private const string Default = "/host/default/v1/chat/completions";
    private const string Kept = "/host/kept/v1/chat/completions";
    private const string Throws = "/host/throws/v1/chat/completions";

    private readonly SpanCollector _spans = new();
    private readonly ConcurrentQueue<FailureContext> _logged = new();

    public void Dispose() => _spans.Dispose();

    /// <summary>
    /// A body the pipeline cannot read reaches the handler as it came; the handler's parser fails on it (a
    /// <c>JsonException</c>, or System.Text.Json's <c>InvalidOperationException</c> for an array read as an object),
    /// and the client gets the pipeline's 400 in the route's format with its reason, recorded once as its mistake.
    /// </summary>
    [Theory]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","con""", "The request body is not valid JSON at ")]
    [InlineData("""[{"model":"gpt-4o"}]""", "The request body must be a JSON object, not an array.")]
    public async Task AHandlersParserFailingOnAnUnreadableBodyIsTheClientsMistake(string body, string reason)
    {
        var (app, address) = await StartAsync(exceptionHandler: false);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.SendAsync(Post(Default, body));
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal(400, (int)response.StatusCode);
            using var json = JsonDocument.Parse(text);
            var message = json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
            Assert.StartsWith(reason, message, StringComparison.Ordinal);
            var type = json.RootElement.GetProperty("error").GetProperty("type").GetString();
            Assert.Equal("invalid_request_error", type);
            var trace = await _spans.SingleTraceAsync();
            _spans.AssertAllEnded();
            Assert.Single(trace.Server.Events, e => e.Name == AttributeNames.RequestBodyUnreadEvent);
            var failed = trace.Single(SpanNames.Failure);
            Assert.Equal(typeof(InvalidLlmRequestException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
            Assert.Equal(message, failed.StatusDescription);
            Assert.Equal(400, Assert.Single(_logged).StatusCode);

            // A body it can read is the handler's as always.
            _spans.Clear();
            using var valid = await client.SendAsync(Post(Default, """{"model":"gpt-4o","messages":[]}"""));
            Assert.Equal("""{"model":"gpt-4o"}""", await valid.Content.ReadAsStringAsync());
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    /// <summary>
    /// On a route that keeps ASP.NET Core's answers, the app's exception handling answers what the handler lets
    /// escape (here an <c>IExceptionHandler</c> that answers 503), and the request is recorded once with the status
    /// the client got: the exception's type on the failure span and the server span, its event on the LLM span,
    /// nothing of its message in the answer.
    /// </summary>
    [Fact]
    public async Task AnExceptionTheHandlerLetsEscapeIsTheAppsToAnswer()
    {
        var (app, address) = await StartAsync(exceptionHandler: true);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.SendAsync(Post(Throws, """{"model":"gpt-4o","messages":[]}"""));
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal(503, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(AppsOwnHandler.Title, JsonDocument.Parse(text).RootElement.GetProperty("title").GetString());
            Assert.DoesNotContain(HostRoutes.Secret, text, StringComparison.Ordinal);
            AssertRecordedAs(await _spans.SingleTraceAsync(), 503, "503 Service Unavailable");
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    /// <summary>
    /// With no exception handling of the app's, the server answers: Kestrel's 500 with no body; the test server hands
    /// the exception to its client, as it does for any app. Either way the request is recorded once, every span ended.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithNoExceptionHandlingTheServerAnswers(bool testServer)
    {
        if (testServer)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseTestServer();
            Register(builder.Services);
            await using var app = builder.Build();
            app.MapShapeRoutes();
            await app.StartAsync();
            using var client = app.GetTestClient();
            var thrown = await Assert.ThrowsAsync<InvalidOperationException>(
                () => client.SendAsync(Post(Throws, """{"model":"gpt-4o"}""")));
            Assert.Equal(HostRoutes.Secret, thrown.Message);
            AssertRecordedAs(await _spans.SingleTraceAsync(), 500, "500 Internal Server Error");
            return;
        }

        var (kestrel, address) = await StartAsync(exceptionHandler: false);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.SendAsync(Post(Throws, """{"model":"gpt-4o"}"""));
            Assert.Equal(500, (int)response.StatusCode);
            Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
            AssertRecordedAs(await _spans.SingleTraceAsync(), 500, "500 Internal Server Error");
        }
        finally
        {
            await LoopbackApp.StopAsync(kestrel);
        }
    }

    /// <summary>
    /// On a route that keeps ASP.NET Core's answers, a handler's parser failing on a body the pipeline could not read
    /// is the app's exception, as it was before adoption: the app's exception handling answers it.
    /// </summary>
    [Fact]
    public async Task OnARouteThatKeepsTheHostsAnswersTheParsersFailureIsTheApps()
    {
        var (app, address) = await StartAsync(exceptionHandler: true);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.SendAsync(Post(Kept, """{"model":"gpt-4o","messages":[{"ro"""));

            Assert.Equal(503, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var trace = await _spans.SingleTraceAsync();
            _spans.AssertAllEnded();
            var failed = trace.Single(SpanNames.Failure);
            Assert.Equal(503, failed.GetTagItem(AttributeNames.HttpResponseStatusCode));
            var errorType = (string?)failed.GetTagItem(AttributeNames.ErrorType);
            Assert.StartsWith("System.Text.Json.", errorType, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    private void AssertRecordedAs(SpanTree trace, int status, string answered)
    {
        _spans.AssertAllEnded();
        Assert.Equal(ActivityStatusCode.Error, trace.Server.Status);
        Assert.Equal(status, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        var failed = trace.Single(SpanNames.Failure);
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        var description = $"InvalidOperationException was thrown; the application answered {answered}.";
        Assert.Equal(description, failed.StatusDescription);
        Assert.Equal(failed.StatusDescription, trace.Server.StatusDescription);
        var llm = trace.Single(SpanNames.LlmRequest);
        Assert.Equal(ActivityStatusCode.Error, llm.Status);
        Assert.Single(llm.Events, e => e.Name == "exception");
        Assert.DoesNotContain(trace.Server.Events, e => e.Name == "exception");
        var logged = Assert.Single(_logged);
        Assert.Equal(status, logged.StatusCode);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }

    private Task<(WebApplication App, string Address)> StartAsync(bool exceptionHandler) =>
        LoopbackApp.StartAsync(
            services =>
            {
                Register(services);
                if (exceptionHandler)
                {
                    services.AddProblemDetails();
                    services.AddExceptionHandler<AppsOwnHandler>();
                }
            },
            app =>
            {
                if (exceptionHandler)
                {
                    app.UseExceptionHandler();
                }

                app.MapShapeRoutes();
            });

    private void Register(IServiceCollection services)
    {
        services.AddTracedLlm();
        services.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(_logged));
        services.AddSingleton(new BackendRouter("east"));
        services.AddSingleton<IBackendHealth>(new AlwaysUp());
    }

    private static HttpRequestMessage Post(string path, string json) =>
        new(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>The app's own exception handling: every exception is 503 in its problem details.</summary>
    private sealed class AppsOwnHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public const string Title = "The app's own answer.";

        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken token)
        {
            httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                Exception = exception,
                ProblemDetails = { Title = Title, Status = StatusCodes.Status503ServiceUnavailable },
            });
        }
    }

    private sealed class AlwaysUp : IBackendHealth
    {
        public bool IsUp(string backend) => true;
    }
}
