using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The pipeline's own answers in the app's error format (docs/handlers.md, "The app's error
/// format"), on the sample gateway's static routes: the wire formats by default, RFC 7807 problem
/// details when the options choose them (from configuration, through ASP.NET Core's
/// IProblemDetailsService when the app registers it, by the pipeline itself when it does not), and
/// the app's own writer; every failure still recorded once and never leaking what it must not.
/// </summary>
public sealed class ErrorResponsesTests : IDisposable
{
    private const string Chat = """{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}""";
    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProblemDetailsChosenInConfigurationAnswerACutOffBodyA401AndABlock(bool appRegistersProblemDetails)
    {
        var logged = new ConcurrentQueue<FailureContext>();
        using var host = new GatewayHost()
            .With("TracedLlm:ErrorResponses", "ProblemDetails")
            .WithServices(services =>
            {
                services.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(logged));
                if (appRegistersProblemDetails)
                {
                    services.AddProblemDetails(options =>
                        options.CustomizeProblemDetails = context =>
                            context.ProblemDetails.Extensions["app"] = "customized");
                }
            });
        var client = host.CreateClient();

        foreach (var (body, apiKey, status, detail) in new[]
        {
            ("""{"model":"gpt-4o","messages":[{"ro""", GatewayHost.ApiKey, 400, "not valid JSON"),
            (Chat, "sk-wrong-but-secret-0000", 401, "The API key is not valid."),
            ("""{"model":"gpt-4o","messages":[{"role":"user","content":"this is forbidden"}]}""", GatewayHost.ApiKey,
                400, "banned word"),
        })
        {
            _spans.Clear();
            using var response = await client.SendAsync(GatewayHost.Post("/v1/chat/completions", body, apiKey));
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("sk-wrong", text, StringComparison.Ordinal);
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            Assert.Equal(status, root.GetProperty("status").GetInt32());
            Assert.Equal(StatusTitle(status), root.GetProperty("title").GetString());
            Assert.Contains(detail, root.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("traceId").GetString()));
            Assert.Equal(appRegistersProblemDetails, root.TryGetProperty("app", out _));
            if (status == 401)
            {
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            }

            // Recorded once, as with any error format.
            await _spans.WaitForAsync(spans => spans.FirstOrDefault(s => s.DisplayName == SpanNames.Server));
            Assert.Single(_spans.Stopped, s => s.DisplayName == SpanNames.Failure);
        }

        Assert.Equal(3, logged.Count);
    }

    [Fact]
    public async Task TheWireFormatStaysTheDefault()
    {
        using var host = new GatewayHost().WithServices(services => services.AddProblemDetails());
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions", """{"model":"gpt-4o","messages":[{"ro"""));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task TheAppsOwnWriterWritesEveryErrorAndTheFailureIsStillRecorded()
    {
        var writer = new AppErrorWriter();
        using var host = new GatewayHost()
            .With("TracedLlm:ErrorResponses", "Writer")
            .WithServices(services => services.AddSingleton<ILlmErrorWriter>(writer));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/messages",
                """{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":"x"}]}""", apiKey: null));

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("application/vnd.app.error+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Authentication", json.RootElement.GetProperty("kind").GetString());
        var error = Assert.Single(writer.Written);
        Assert.Equal("/v1/messages", error.Route.Pattern);
        Assert.Equal(401, error.StatusCode);
        await _spans.WaitForAsync(spans => spans.FirstOrDefault(s => s.DisplayName == SpanNames.Server));
        Assert.Single(_spans.Stopped, s => s.DisplayName == SpanNames.Failure);
    }

    [Fact]
    public void ARouteWhoseErrorsGoToAWriterTheAppDoesNotHaveFailsTheStart()
    {
        using var host = new GatewayHost().With("TracedLlm:ErrorResponses", "Writer");
        var failure = Assert.Throws<InvalidOperationException>(() => host.CreateClient());
        Assert.Contains("ILlmErrorWriter", failure.Message, StringComparison.Ordinal);
    }

    private static string StatusTitle(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    private sealed class AppErrorWriter : ILlmErrorWriter
    {
        public ConcurrentQueue<LlmErrorContext> Written { get; } = new();

        public async ValueTask WriteAsync(LlmErrorContext context)
        {
            Written.Enqueue(context);
            var response = context.HttpContext.Response;
            response.StatusCode = context.StatusCode;
            response.ContentType = "application/vnd.app.error+json";
            await response.WriteAsync(
                JsonSerializer.Serialize(
                    new
                    {
                        kind = context.Kind.ToString(),
                        message = context.Message,
                        code = context.Code
                    }));
        }
    }
}
