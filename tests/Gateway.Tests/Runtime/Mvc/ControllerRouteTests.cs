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
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Gateway.ShapeRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// MVC controller actions as traced routes, through a real Kestrel host with the app's own MVC set-up
/// (AddProblemDetails, the exception handler middleware, attribute and conventional routes): the span
/// tree, MVC's binding reading the body the trace read, [ApiController]'s validation 400 recorded on
/// proxy_pre_call, the app's exceptions answered by the app and recorded once with the status it
/// answered, TracedLlm's own errors in the app's problem details, and the start-up check.
/// </summary>
public sealed class ControllerRouteTests : IDisposable
{
    private const string ApiKey = "sk-controller-7c41";
    private readonly SpanCollector _spans = new();
    private readonly ConcurrentQueue<FailureContext> _logged = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task AnActionIsTracedWithTheSpanTreeAndMvcBindsTheBodyTheTraceRead()
    {
        await using var host = await StartAsync(new EchoBackend());
        using var response = await host.PostAsync("/api/completions",
            """{"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"metadata":"""
            + """{"trace_name":"mvc","session_id":"s-1"}}""");

        Assert.Equal(200, (int)response.StatusCode);
        using var reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("gpt", reply.RootElement.GetProperty("model").GetString());

        // MVC's binder read the body without the slot (the trace's reading), and the rest of it.
        Assert.Equal(
            new[] { "temperature" },
            reply.RootElement.GetProperty("boundNames").EnumerateArray().Select(n => n.GetString()));

        var trace = await _spans.SingleTraceAsync();
        trace.AssertChild(SpanNames.Auth, trace.Server, ActivityKind.Internal);
        trace.AssertChild(SpanNames.PreCall, trace.Server, ActivityKind.Internal);
        var llm = trace.AssertChild(SpanNames.LlmRequest, trace.Server, ActivityKind.Client);
        trace.AssertChild(SpanNames.Guardrail, llm, ActivityKind.Internal);
        var attempt = trace.AssertChild(SpanNames.UpstreamAttempt, llm, ActivityKind.Client);
        Assert.Equal("openrouter", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal(
            new[]
            {
                SpanNames.Server,
                SpanNames.Auth,
                SpanNames.Guardrail,
                SpanNames.LlmRequest,
                SpanNames.PreCall,
                SpanNames.UpstreamAttempt
            }.Order(StringComparer.Ordinal),
            trace.Names);
        Assert.Equal("/api/Completions", trace.Server.GetTagItem(AttributeNames.HttpRoute));
        Assert.Equal("POST", trace.Server.GetTagItem(AttributeNames.HttpRequestMethod));
        Assert.Equal(200, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("mvc", trace.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        Assert.Equal("metadata", trace.Server.GetTagItem(AttributeNames.MetadataSlot));
        Assert.Equal("gpt", llm.GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal(0.5, llm.GetTagItem(AttributeNames.GenAiRequestTemperature));
        Assert.Equal("echo-model", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(ActivityStatusCode.Unset, trace.Server.Status);
        Assert.Empty(_logged);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ApiControllersValidation400KeepsItsProblemDetailsAndIsAFailureOnProxyPreCall()
    {
        await using var host = await StartAsync(new EchoBackend());
        using var response = await host.PostAsync("/api/completions",
            """{"messages":[],"metadata":{"trace_name":"invalid"}}""");

        // MVC's own answer, unchanged: problem details with its errors and traceId.
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("Model", out _));
        Assert.True(errors.TryGetProperty("Messages", out _));
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("traceId").GetString()));

        var trace = await _spans.SingleTraceAsync();
        Assert.DoesNotContain(trace.Spans, s => s.DisplayName == SpanNames.LlmRequest);
        var preCall = trace.Single(SpanNames.PreCall);
        Assert.Equal(ActivityStatusCode.Error, preCall.Status);
        Assert.Equal(
            "MVC's model validation answered 400 Bad Request: 2 invalid field(s) (Model, Messages).",
            preCall.StatusDescription);
        var failed = trace.Single(SpanNames.Failure);
        Assert.Equal("400", failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(400, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        var logged = Assert.Single(_logged);
        Assert.NotNull(Assert.IsType<ErrorResultException>(logged.Exception).ActionResult);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheAppsExceptionGoesToItsMiddlewareAndIsRecordedOnceWithTheStatusItAnswered()
    {
        await using var host = await StartAsync(
            new ThrowingBackend(new InvalidOperationException("the database said sk-live-secret-1234")));
        using var response = await host.PostAsync("/api/completions", Valid);

        // The app's exception handler answered, in its own shape.
        Assert.Equal(500, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("sk-live", body, StringComparison.Ordinal);
        Assert.Contains("traceId", body, StringComparison.Ordinal);

        var trace = await _spans.SingleTraceAsync();
        var failed = trace.Single(SpanNames.Failure);
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(500, failed.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(
            "InvalidOperationException was thrown; the application answered 500 Internal Server Error.",
            failed.StatusDescription);
        Assert.Equal(500, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        var llm = trace.Single(SpanNames.LlmRequest);
        Assert.Equal(ActivityStatusCode.Error, llm.Status);
        Assert.Contains(llm.Events, e => e.Name == "exception");
        Assert.All(
            trace.Spans,
            s => Assert.DoesNotContain("sk-live-secret", s.StatusDescription ?? string.Empty, StringComparison.Ordinal)
        );
        var logged = Assert.Single(_logged);
        Assert.IsType<InvalidOperationException>(logged.Exception);
        Assert.Equal(500, logged.StatusCode);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnExceptionFilterThatAnswersIsTheRecordedAnswer()
    {
        await using var host = await StartAsync(
            new ThrowingBackend(new ArgumentException("bad model")),
            mvc: options => options.Filters.Add(new ArgumentExceptionFilter()));
        using var response = await host.PostAsync("/api/completions", Valid);

        Assert.Equal(422, (int)response.StatusCode);
        var trace = await _spans.SingleTraceAsync();
        var failed = trace.Single(SpanNames.Failure);
        Assert.Equal(typeof(ArgumentException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(422, failed.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Single(_logged);
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("cut-off", 400)]
    [InlineData("unauthenticated", 401)]
    [InlineData("blocked", 400)]
    [InlineData("unreachable", 502)]
    [InlineData("timeout", 504)]
    public async Task ThePipelinesOwnAnswersAreTheAppsProblemDetails(string kind, int status)
    {
        var backend = kind switch
        {
            "unreachable" => (ICompletionBackend)
                new ThrowingBackend(new UpstreamUnreachableException("upstream unreachable: key sk-live-secret-1234")),
            "timeout" => new ThrowingBackend(new UpstreamTimeoutException()),
            _ => new EchoBackend(),
        };
        await using var host = await StartAsync(backend);
        var body = kind switch
        {
            "cut-off" => """{"model":"gpt","messages":[{"role":""",
            "blocked" => """{"model":"gpt","messages":[{"role":"user","content":"this is forbidden"}]}""",
            _ => Valid,
        };
        using var response = await host.PostAsync("/api/completions", body, authenticated: kind != "unauthenticated");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("sk-live", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
        if (kind == "cut-off")
        {
            // A body the pipeline cannot read is MVC's to answer, as before adoption: its binder's errors, its keys.
            var errors = problem.RootElement.GetProperty("errors");
            Assert.True(errors.TryGetProperty("request", out _));
            var keys = errors.EnumerateObject().Select(e => e.Name).ToList();
            Assert.Contains(keys, key => key.StartsWith("$.messages[0]", StringComparison.Ordinal));
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
        }

        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("traceId").GetString()));
        Assert.Equal("customized", problem.RootElement.GetProperty("app").GetString());

        var server = await _spans.WaitForAsync(spans => spans.SingleOrDefault(s => s.DisplayName == SpanNames.Server));
        Assert.Single(_spans.Stopped, s => s.DisplayName == SpanNames.Failure);
        Assert.Equal(status, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Single(_logged);
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("duplicate", "$.model", "more than once")]
    [InlineData("case-variant", "$.messages[0].Role", "whatever its case")]
    [InlineData("metadata-string", "$.metadata", "must be a JSON object")]
    [InlineData("metadata-tags", "$.metadata.tags", "an array of strings")]
    public async Task ARefusedInputIsTheAppsValidationAnswerUnderItsJsonPath(string kind, string path, string says)
    {
        await using var host = await StartAsync(new EchoBackend());
        var body = kind switch
        {
            "duplicate" => """{"model":"gpt","model":"other","messages":[{"role":"user","content":"hi"}]}""",
            "case-variant" => """{"model":"gpt","messages":[{"Role":"user","content":"hi"}]}""",
            "metadata-string" => """{"model":"gpt","messages":[{"role":"user","content":"hi"}],"metadata":"x"}""",
            _ => """{"model":"gpt","messages":[{"role":"user","content":"hi"}],"metadata":{"tags":5}}""",
        };
        using var response = await host.PostAsync("/api/completions", body);

        // The app's own InvalidModelStateResponseFactory: its problem and customization, one error at the path.
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("One or more validation errors occurred.", problem.RootElement.GetProperty("title").GetString());
        Assert.Equal("customized", problem.RootElement.GetProperty("app").GetString());
        var error = Assert.Single(problem.RootElement.GetProperty("errors").EnumerateObject());
        Assert.Equal(path, error.Name);
        Assert.Contains(says, error.Value[0].GetString(), StringComparison.Ordinal);

        // Still the pipeline's refusal on the trace: once, on proxy_pre_call, before any model call.
        var trace = await _spans.SingleTraceAsync();
        var failed = trace.Single(SpanNames.Failure);
        Assert.Equal(typeof(InvalidLlmRequestException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.PreCall).Status);
        Assert.DoesNotContain(trace.Spans, s => s.DisplayName == SpanNames.LlmRequest);
        Assert.Single(_logged);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ADtoThatNeverReadStreamOrMetadataKeepsItsAnswersUnlessMetadataIsStrict()
    {
        await using (var host = await StartAsync(new EchoBackend()))
        {
            // "stream": true is answered with the action's JSON; a slot value of another type is left to MVC.
            var extras = new[]
            {
                "\"stream\":true", "\"metadata\":\"x\"", "\"metadata\":{\"tags\":5,\"trace_name\":\"plain\"}",
            };
            foreach (var extra in extras)
            {
                using var response = await host.PostAsync("/api/completions/plain", Valid[..^1] + "," + extra + "}");
                Assert.Equal(200, (int)response.StatusCode);
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            }

            var third = await _spans.WaitForAsync(
                spans => spans.Where(s => s.DisplayName == SpanNames.Server).ElementAtOrDefault(2));
            Assert.NotNull(third);
            var traces = _spans.Stopped.ToList();
            var servers = traces.Where(s => s.DisplayName == SpanNames.Server);
            var named = Assert.Single(servers, s => s.GetTagItem(AttributeNames.LangfuseTraceName) is not null);
            Assert.Equal("plain", named.GetTagItem(AttributeNames.LangfuseTraceName));
            Assert.Null(named.GetTagItem(AttributeNames.LangfuseTraceTags));
            Assert.DoesNotContain(traces, s => s.DisplayName == SpanNames.Failure);
            _spans.Clear();
        }

        await using var strict = await StartAsync(new EchoBackend(), strictMetadata: true);
        using var refused = await strict.PostAsync("/api/completions/plain", Valid[..^1] + ",\"metadata\":\"x\"}");
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Contains("must be a JSON object", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABodyNotSentAsJsonIsMvcsToAnswer()
    {
        await using var host = await StartAsync(new EchoBackend());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/completions")
        {
            Content = new StringContent("model=gpt", Encoding.UTF8, "text/plain"),
        };
        using var response = await host.SendAsync(request);

        // MVC's own 415 for a body its formatters cannot take, in its client error shape; the trace says why.
        Assert.Equal(415, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var trace = await _spans.SingleTraceAsync();
        var failed = trace.Single(SpanNames.Failure);
        Assert.Equal(typeof(InvalidLlmRequestException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        const string Answered = "MVC's model binding answered 415 Unsupported Media Type.";
        Assert.EndsWith(Answered, failed.StatusDescription, StringComparison.Ordinal);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ATypedActionRefusesAStreamUnlessItIgnoresTheFlagAndARouteWithNoSlotBindsItsMetadata()
    {
        await using var host = await StartAsync(new EchoBackend());
        using var refused = await host.PostAsync("/api/completions",
            """{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Contains("does not stream", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await _spans.SingleTraceAsync();
        _spans.Clear();

        using var lenient = await host.PostAsync("/api/completions/lenient",
            """{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}],"metadata":"""
            + """{"trace_name":"provider's"}}""");
        Assert.Equal(200, (int)lenient.StatusCode);
        using var reply = JsonDocument.Parse(await lenient.Content.ReadAsStringAsync());

        // No slot: the body's metadata is the provider's, bound by MVC as it came, and nothing of it is recorded.
        Assert.Equal(
            new[] { "metadata" },
            reply.RootElement.GetProperty("boundNames").EnumerateArray().Select(n => n.GetString()));
        var trace = await _spans.SingleTraceAsync();
        Assert.Null(trace.Server.GetTagItem(AttributeNames.MetadataSlot));
        Assert.Null(trace.Server.GetTagItem(AttributeNames.LangfuseTraceName));
    }

    [Fact]
    public async Task AnActionReturningLlmResultStreamsEventsAndAnswersJson()
    {
        await using var host = await StartAsync(new EchoBackend());
        using var streamed = await host.PostAsync("/v1/chat/completions",
            """{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(200, (int)streamed.StatusCode);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        var events = StreamingTests.ParseEvents(await streamed.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Equal(4, events.Count);
        var trace = await _spans.SingleTraceAsync();
        Assert.Equal(3, trace.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.StreamChunks));
        _spans.Clear();

        using var whole = await host.PostAsync("/v1/chat/completions", Valid);
        Assert.Equal(200, (int)whole.StatusCode);
        Assert.Equal("application/json", whole.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnErrorResultAndAConventionallyRoutedActionAreRecordedAsMvcRoutedThem()
    {
        await using var host = await StartAsync(new EchoBackend());
        using var busy = await host.PostAsync("/api/completions/busy", Valid);
        Assert.Equal(503, (int)busy.StatusCode);
        Assert.Equal("application/problem+json", busy.Content.Headers.ContentType?.MediaType);
        var trace = await _spans.SingleTraceAsync();
        Assert.Equal("503", trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.LlmRequest).Status);
        _spans.Clear();

        using var legacy = await host.PostAsync("/Legacy/Complete", Valid);
        Assert.Equal(200, (int)legacy.StatusCode);
        var legacyTrace = await _spans.SingleTraceAsync();
        Assert.Equal("/{controller}/{action}", legacyTrace.Server.GetTagItem(AttributeNames.HttpRoute));
    }

    [Fact]
    public async Task AnAppThatTracesActionsWithoutTheMvcBuilderCallFailsToStart()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => LoopbackApp.StartAsync(
            services =>
            {
                services.AddTracedLlm();
                services.AddSingleton<ICompletionBackend>(new EchoBackend());
                services.AddControllers().AddApplicationPart(typeof(CompletionsController).Assembly);
            },
            app => app.MapControllers()));
        Assert.Contains("AddControllers().AddTracedLlm()", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Create", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiDescriptionsListThePipelinesErrorsInTheRoutesFormat()
    {
        await using var host = await StartAsync(new EchoBackend());
        var groups = host.Services
            .GetRequiredService<Microsoft.AspNetCore.Mvc.ApiExplorer.IApiDescriptionGroupCollectionProvider>()
            .ApiDescriptionGroups.Items;
        var descriptions = groups.SelectMany(g => g.Items).ToList();

        var create = Assert.Single(descriptions, d => d.RelativePath == "api/Completions" && d.HttpMethod == "POST");
        var unauthorized = Assert.Single(create.SupportedResponseTypes, r => r.StatusCode == 401);
        Assert.Equal(typeof(ProblemDetails), unauthorized.Type);
        Assert.Contains(unauthorized.ApiResponseFormats, f => f.MediaType == "application/problem+json");
        Assert.Contains(create.SupportedResponseTypes, r => r.StatusCode == 504);
        Assert.Equal(
            typeof(CompletionReply),
            Assert.Single(create.SupportedResponseTypes, r => r.StatusCode == 200).Type);

        // A route of the wire format's errors (the default) documents them as such; LlmCall is no API parameter.
        var chat = Assert.Single(descriptions, d => d.RelativePath == "v1/chat/completions");
        Assert.Equal(
            "OpenAIErrorResponse",
            Assert.Single(chat.SupportedResponseTypes, r => r.StatusCode == 502).Type!.Name);
        Assert.DoesNotContain(chat.ParameterDescriptions, p => p.Type == typeof(LlmCall));
    }

    private const string Valid = """{"model":"gpt","messages":[{"role":"user","content":"hi"}]}""";

    private async Task<ControllerHost> StartAsync(
        ICompletionBackend backend, Action<MvcOptions>? mvc = null, bool strictMetadata = false)
    {
        var (app, address) = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddProblemDetails(options =>
                    options.CustomizeProblemDetails = context =>
                        context.ProblemDetails.Extensions["app"] = "customized");
                services
                    .AddControllers(options => mvc?.Invoke(options))
                    .AddApplicationPart(typeof(CompletionsController).Assembly)
                    .AddTracedLlm(options => options.StrictMetadata = strictMetadata);
                services.AddSingleton(backend);
                services.AddSingleton<ILlmAuthenticator>(new KeyAuthenticator());
                services.AddSingleton<ILlmGuardrail>(new ForbiddenWordGuardrail());
                services.AddSingleton<ILlmFailureLogger>(new Logger(_logged));
            },
            app =>
            {
                app.UseExceptionHandler();
                app.MapControllers();
                app.MapControllerRoute("legacy", "{controller}/{action}");
            });
        return new ControllerHost(app, address);
    }

    private sealed class ControllerHost(WebApplication app, string address) : IAsyncDisposable
    {
        private readonly HttpClient _client = new() { BaseAddress = new Uri(address) };

        public IServiceProvider Services => app.Services;

        public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
            return _client.SendAsync(request);
        }

        public Task<HttpResponseMessage> PostAsync(string path, string body, bool authenticated = true)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json")
            };
            if (authenticated)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
            }

            return _client.SendAsync(request);
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await LoopbackApp.StopAsync(app);
        }
    }

    /// <summary>Answers from one upstream attempt, as the app's service would call its provider.</summary>
    private sealed class EchoBackend : ICompletionBackend
    {
        public Task<CompletionReply> CompleteAsync(
            CompletionRequest request,
            LlmCall call,
            CancellationToken cancellationToken) =>
            call.ExecuteAsync(
                new LlmTarget("openrouter", request.Model!),
                LlmRetryPolicy.None,
                (attempt, _) =>
                {
                    attempt.RecordResponse("echo-model", inputTokens: 3, outputTokens: 2);
                    call.RecordResponse("echo-model");
                    return Task.FromResult(
                        new CompletionReply(request.Model!, "hello", request.Extra?.Keys.Order().ToList() ?? new()));
                });
    }

    private sealed class ThrowingBackend(Exception exception) : ICompletionBackend
    {
        public async Task<CompletionReply> CompleteAsync(
            CompletionRequest request,
            LlmCall call,
            CancellationToken cancellationToken)
        {
            await Task.Yield();
            throw exception;
        }
    }

    private sealed class KeyAuthenticator : ILlmAuthenticator
    {
        public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken) =>
            ValueTask.FromResult(
                llmCall.HttpContext.Request.Headers.Authorization == "Bearer " + ApiKey
                    ? AuthResult.Success()
                    : AuthResult.Fail("Missing or unknown API key."));
    }

    private sealed class ForbiddenWordGuardrail : ILlmGuardrail
    {
        public string Name => "forbidden-word";

        public GuardrailMode Modes => GuardrailMode.PreCall;

        public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(
                context.Request is CompletionRequest { Messages: { } messages }
                && messages.Any(m => m.Content?.Contains("forbidden", StringComparison.Ordinal) == true)
                    ? GuardrailVerdict.Block("The prompt contains a forbidden word.")
                    : GuardrailVerdict.Allow);
    }

    private sealed class ArgumentExceptionFilter : IExceptionFilter
    {
        public void OnException(ExceptionContext context)
        {
            if (context.Exception is ArgumentException)
            {
                context.Result = new ObjectResult(new ProblemDetails { Status = 422, Title = "Unprocessable" })
                {
                    StatusCode = 422
                };
                context.ExceptionHandled = true;
            }
        }
    }

    private sealed class Logger(ConcurrentQueue<FailureContext> logged) : ILlmFailureLogger
    {
        public ValueTask LogFailureAsync(FailureContext failure)
        {
            logged.Enqueue(failure);
            return ValueTask.CompletedTask;
        }
    }
}
