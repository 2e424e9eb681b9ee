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
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Gateway.ShapeRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Handlers in the shapes real gateways write, through a real Kestrel host: route values by name,
/// query and header values by attribute, a class DI has taken as a service with no attribute, one
/// handler for both stream modes, a relay-shaped IResult, and the handler's own error results as
/// failures; what only DI can tell fails the host at start, naming the route and the parameter.
/// </summary>
public sealed class ParameterBindingTests : IDisposable
{
    private const string Deployment = "/openai/deployments/gpt-4o/chat/completions";
    private const string RequestId = "6a3b1c7e-0d2f-4f5a-9b8e-2c4d6e8f0a1b";

    private readonly SpanCollector _spans = new();
    private readonly ConcurrentQueue<FailureContext> _logged = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task EachParameterComesFromItsSource()
    {
        var (app, address) = await StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var request = Post(Deployment + "?api-version=2024-10-21&tags=eu&tags=batch&n=2",
                """{"model":"gpt-4o","metadata":{"trace_name":"binding"}}""");
            request.Headers.Add("x-ms-client-request-id", RequestId);
            request.Headers.Add("x-priority", "high");
            using var response = await client.SendAsync(request);

            Assert.Equal(200, (int)response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var reply = json.RootElement;

            // The route value, the router DI has (no attribute), the query, the headers (any case for the enum), the
            // body.
            Assert.Equal("east/gpt-4o", reply.GetProperty("backend").GetString());
            Assert.Equal("2024-10-21", reply.GetProperty("apiVersion").GetString());
            Assert.Equal(RequestId, reply.GetProperty("requestId").GetString());
            Assert.Equal("High", reply.GetProperty("priority").GetString());
            Assert.Equal(
                new[] { "eu", "batch" },
                reply.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(2, reply.GetProperty("n").GetInt32());
            Assert.Equal("gpt-4o", reply.GetProperty("model").GetString());
            Assert.True(reply.GetProperty("up").GetBoolean());

            var trace = await _spans.SingleTraceAsync();
            Assert.Equal(ActivityStatusCode.Unset, trace.Server.Status);
            Assert.Equal("binding", trace.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task OneHandlerStreamsWhenTheBodyAsksAndAnswersJsonWhenItDoesNot()
    {
        var (app, address) = await StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var streamed = await client.SendAsync(Post(Deployment + "?api-version=1&n=3",
                """{"model":"gpt-4o","stream":true}"""));
            Assert.Equal(200, (int)streamed.StatusCode);
            Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
            var events = StreamingTests.ParseEvents(await streamed.Content.ReadAsStringAsync());
            Assert.Equal(
                new[] { "0", "1", "2" },
                events.SkipLast(1).Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("index").GetRawText())
            );
            Assert.Equal("[DONE]", events[^1].Data);
            var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
            Assert.Equal(3, llm.GetTagItem(AttributeNames.StreamChunks));
            Assert.NotNull(llm.GetTagItem(AttributeNames.TimeToFirstToken));

            using var whole = await client.SendAsync(Post(Deployment + "?api-version=1",
                """{"model":"gpt-4o","stream":false}"""));
            Assert.Equal("application/json", whole.Content.Headers.ContentType?.MediaType);
            Assert.Equal(
                "east/gpt-4o",
                JsonDocument
                    .Parse(await whole.Content.ReadAsStringAsync())
                    .RootElement.GetProperty("backend")
                    .GetString());
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Theory]
    [InlineData("", null, null, "The query parameter 'api-version' is required.")]
    [InlineData("?api-version=1&n=two", null, null, "The query parameter 'n' must be an integer.")]
    [InlineData("?api-version=1", "x-priority", "urgent", "The header 'x-priority' must be one of Low, Normal, High.")]
    [InlineData(
        "?api-version=1",
        "x-ms-client-request-id",
        "request-7",
        "The header 'x-ms-client-request-id' must be a UUID."
    )]
    public async Task AMissingOrMalformedValueIsTheClientsMistakeInTheRoutesFormat(
        string query,
        string? header,
        string? value,
        string message)
    {
        var (app, address) = await StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var request = Post(Deployment + query, """{"model":"gpt-4o"}""");
            if (header is not null)
            {
                request.Headers.Add(header, value);
            }

            using var response = await client.SendAsync(request);
            Assert.Equal(400, (int)response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(message, json.RootElement.GetProperty("error").GetProperty("message").GetString());
            Assert.Equal(
                "invalid_request_error",
                json.RootElement.GetProperty("error").GetProperty("type").GetString());

            // Found in proxy_pre_call, before the LLM call: no LLM span, the pre-call span in error.
            var trace = await _spans.SingleTraceAsync();
            Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.PreCall).Status);
            Assert.Empty(trace.All(SpanNames.LlmRequest));
            Assert.Single(trace.All(SpanNames.Failure));
            Assert.Equal(400, Assert.Single(_logged).StatusCode);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task AClassDiDoesNotHaveBesideTheBodyFailsTheHostAtStart()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(withRouter: false));
        Assert.Equal(
            "Traced route 'POST /openai/deployments/{deploymentName}/chat/completions' "
            + "(TracedLlm.Gateway.ShapeRoutes.ShapeRoutes.Deployment) cannot start: "
                + "`request` (TracedLlm.Gateway.ShapeRoutes.DeploymentChatRequest) and `router` "
                + "(TracedLlm.Gateway.ShapeRoutes.BackendRouter) would each be read from the request body, because "
                + "DI has none of their types, and a route reads one body. "
                + "Register the services among them before builder.Build(), or mark them [FromServices]; mark the "
                + "body [FromBody].",
            failure.Message);
    }

    [Fact]
    public async Task ARequiredServiceThatIsNotRegisteredFailsTheHostAtStart()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(withHealth: false));
        Assert.Equal(
            "Traced route 'POST /openai/deployments/{deploymentName}/chat/completions' "
            + "(TracedLlm.Gateway.ShapeRoutes.ShapeRoutes.Deployment) cannot start: "
                + "parameter `health` takes TracedLlm.Gateway.ShapeRoutes.IBackendHealth from DI, but no service of "
                + "that type is registered. "
                + "Register it before builder.Build(), or make the parameter optional "
                + "(`TracedLlm.Gateway.ShapeRoutes.IBackendHealth? health`).",
            failure.Message);
    }

    [Fact]
    public async Task TheEndpointSaysWhichParameterIsTheBody()
    {
        var (app, _) = await StartAsync();
        try
        {
            var endpoint = app.Services
                .GetRequiredService<EndpointDataSource>()
                .Endpoints.Single(e =>
                    e.Metadata.GetMetadata<TracedRouteInfo>()?.Pattern
                    == "/openai/deployments/{deploymentName}/chat/completions");
            Assert.Equal(typeof(DeploymentChatRequest), endpoint.Metadata.GetMetadata<TracedRouteInfo>()!.RequestType);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Theory]
    [InlineData(true, "text/event-stream", "data: {\"provider\":\"azure\"}\n\ndata: [DONE]\n\n")]
    [InlineData(false, "application/json", "{\"reason\":\"azure\"}")]
    public async Task ARelayShapedResultServesBothStreamModes(bool stream, string contentType, string body)
    {
        var (app, address) = await StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.SendAsync(Post("/relay/azure/v1/chat/completions",
                $$"""{"model":"gpt-4o","stream":{{(stream ? "true" : "false")}}}"""));
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(body, await response.Content.ReadAsStringAsync());
            Assert.Equal(ActivityStatusCode.Unset, (await _spans.SingleTraceAsync()).Server.Status);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task ARelayedStreamThatFailsAfterItsFirstEventEndsWithAnErrorEvent()
    {
        var (app, address) = await StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.SendAsync(Post("/relay/cut/v1/chat/completions",
                """{"model":"gpt-4o","stream":true}"""));
            Assert.Equal(200, (int)response.StatusCode);
            var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());

            // The relayed event as it came, then the failure in the route's format: never a cut connection, never
            // [DONE].
            Assert.Equal(2, events.Count);
            Assert.Equal("""{"delta":"first"}""", events[0].Data);
            using var error = JsonDocument.Parse(events[1].Data);
            Assert.Equal(
                "The upstream provider cut the stream.",
                error.RootElement.GetProperty("error").GetProperty("message").GetString());

            var trace = await _spans.SingleTraceAsync();
            Assert.Equal(ActivityStatusCode.Error, trace.Server.Status);
            Assert.Equal(
                typeof(UpstreamException).FullName,
                trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
            Assert.Equal(502, Assert.Single(_logged).StatusCode);
            _spans.AssertAllEnded();
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Theory]
    [InlineData(
        400,
        "application/json",
        "{\"reason\":\"the handler's own 400\"}",
        "The route's handler answered 400 Bad Request."
    )]
    [InlineData(404, null, "", "The route's handler answered 404 Not Found.")]
    [InlineData(503, null, "", "The route's handler answered 503 Service Unavailable.")]
    public async Task TheHandlersOwnErrorResultIsAFailureAndItsAnswerIsKept(
        int status,
        string? contentType,
        string body,
        string description)
    {
        var (app, address) = await StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.SendAsync(Post($"/v1/errors/{status}", """{"model":"gpt-4o"}"""));
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(body, await response.Content.ReadAsStringAsync());

            var trace = await _spans.SingleTraceAsync();
            foreach (
                var span in new[] { trace.Server, trace.Single(SpanNames.LlmRequest), trace.Single(SpanNames.Failure) })
            {
                Assert.Equal(ActivityStatusCode.Error, span.Status);
                Assert.Equal(description, span.StatusDescription);
                Assert.Equal(
                    status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    span.GetTagItem(AttributeNames.ErrorType));
                Assert.DoesNotContain(span.Events, e => e.Name == "exception");
            }

            Assert.Equal(status, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
            var logged = Assert.Single(_logged);
            Assert.Equal(status, logged.StatusCode);
            Assert.Equal(status, Assert.IsType<ErrorResultException>(logged.Exception).StatusCode);
            _spans.AssertAllEnded();
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Theory]
    [InlineData(ServiceLifetime.Singleton, false, 1)]
    [InlineData(ServiceLifetime.Scoped, true, 3)]
    [InlineData(ServiceLifetime.Transient, true, 3)]
    public async Task ASingletonParameterNeedsNoRequestScopeAndAnyOtherLifetimeKeepsIt(
        ServiceLifetime healthLifetime,
        bool scopeExpected,
        int healthInstances)
    {
        // Both service parameters of the route are singletons by default: the request's DI scope is
        // never created. A scoped or transient one still comes from it, a new instance each request.
        var scopes = new ConcurrentQueue<bool>();
        var made = 0;
        var (app, address) = await StartAsync(
            healthLifetime: healthLifetime,
            onMade: () => Interlocked.Increment(ref made),
            scopes: scopes);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.SendAsync(
                    Post(Deployment + "?api-version=1", """{"model":"gpt-4o"}"""));
                Assert.Equal(200, (int)response.StatusCode);
                Assert.Equal(
                    "east/gpt-4o",
                    JsonDocument
                        .Parse(await response.Content.ReadAsStringAsync())
                        .RootElement.GetProperty("backend")
                        .GetString());
            }

            Assert.Equal(new[] { scopeExpected, scopeExpected, scopeExpected }, scopes.ToArray());
            Assert.Equal(healthInstances, Volatile.Read(ref made));
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task ARequestWhoseServicesAHostSetGetsItsSingletonsFromThem()
    {
        // A multi-tenant host gives the request a tenant's container before the route runs: the
        // handler's singleton comes from there, not from the application's root.
        using var tenant = new ServiceCollection()
            .AddSingleton(new BackendRouter("west"))
            .AddSingleton<IBackendHealth, AlwaysUp>()
            .BuildServiceProvider();
        var (app, address) = await StartAsync(before: app => app.Use((context, next) =>
        {
            if (context.Request.Headers.ContainsKey("x-tenant"))
            {
                context.RequestServices = tenant;
            }

            return next(context);
        }));
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            foreach (var (tenantHeader, backend) in new[]
                {
                    (true, "west/gpt-4o"),
                    (false, "east/gpt-4o"),
                    (true, "west/gpt-4o")
                })
            {
                using var request = Post(Deployment + "?api-version=1", """{"model":"gpt-4o"}""");
                if (tenantHeader)
                {
                    request.Headers.Add("x-tenant", "west");
                }

                using var response = await client.SendAsync(request);
                Assert.Equal(200, (int)response.StatusCode);
                Assert.Equal(
                    backend,
                    JsonDocument
                        .Parse(await response.Content.ReadAsStringAsync())
                        .RootElement.GetProperty("backend")
                        .GetString());
            }
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    private Task<(WebApplication App, string Address)> StartAsync(
        bool withRouter = true,
        bool withHealth = true,
        ServiceLifetime healthLifetime = ServiceLifetime.Singleton,
        Action? onMade = null,
        ConcurrentQueue<bool>? scopes = null,
        Action<WebApplication>? before = null) =>
        LoopbackApp.StartAsync(
            services =>
            {
                services.AddTracedLlm();
                services.AddSingleton<ILlmFailureLogger>(new Logger(_logged));
                if (withRouter)
                {
                    services.AddSingleton(new BackendRouter("east"));
                }

                if (withHealth)
                {
                    services.Add(ServiceDescriptor.Describe(typeof(IBackendHealth), _ =>
                    {
                        onMade?.Invoke();
                        return new AlwaysUp();
                    }, healthLifetime));
                }
            },
            app =>
            {
                before?.Invoke(app);
                if (scopes is not null)
                {
                    // After the route ran: whether anything asked for the request's services (ASP.NET Core makes the
                    // scope then).
                    app.Use(async (context, next) =>
                    {
                        await next(context);
                        scopes.Enqueue(context.Features.Get<IServiceProvidersFeature>() is not null);
                    });
                }

                app.MapShapeRoutes();
            });

    private static HttpRequestMessage Post(string path, string json) =>
        new(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private sealed class AlwaysUp : IBackendHealth
    {
        public bool IsUp(string backend) => true;
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
