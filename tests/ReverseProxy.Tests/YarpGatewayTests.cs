using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Relay;
using TracedLlm.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// A gateway configured the YARP way (routes, clusters, destinations and transforms in its
/// configuration, <c>AddReverseProxy().LoadFromConfig</c>) keeps all of it when its chat route
/// becomes a traced relay route: the route's transforms, the cluster's destinations (load balanced,
/// then the others as fallbacks) and its metadata; its untraced routes stay YARP's own.
/// </summary>
public sealed class YarpGatewayTests : RelayTestBase
{

    [Fact]
    public async Task TheChatRouteIsTracedThroughTheRelayWithYarpsConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // The chat route, as the gateway had it: the traced route takes its path (Order 100 gives way to it).
            ["ReverseProxy:Routes:chat:ClusterId"] = "azure",
            ["ReverseProxy:Routes:chat:Order"] = "100",
            ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
            ["ReverseProxy:Routes:chat:Transforms:0:PathPattern"] = "/openai/deployments/gpt-4o/chat/completions",
            ["ReverseProxy:Routes:chat:Transforms:1:RequestHeader"] = "api-key",
            ["ReverseProxy:Routes:chat:Transforms:1:Set"] = "upstream-key",
            ["ReverseProxy:Routes:chat:Transforms:2:RequestHeaderRemove"] = "Authorization",
            ["ReverseProxy:Routes:chat:Transforms:3:QueryValueParameter"] = "api-version",
            ["ReverseProxy:Routes:chat:Transforms:3:Set"] = "2024-10-21",
            ["ReverseProxy:Routes:chat:Transforms:4:ResponseHeader"] = "x-gateway",
            ["ReverseProxy:Routes:chat:Transforms:4:Set"] = "contoso",
            ["ReverseProxy:Routes:chat:Transforms:4:When"] = "Always",
            ["ReverseProxy:Clusters:azure:LoadBalancingPolicy"] = "FirstAlphabetical",
            ["ReverseProxy:Clusters:azure:Metadata:gen_ai.provider.name"] = "azure.ai.openai",
            ["ReverseProxy:Clusters:azure:Destinations:east:Address"] = "http://127.0.0.1:9/",
            ["ReverseProxy:Clusters:azure:Destinations:west:Address"] = Upstream.Address + "/",

            // A route the gateway does not trace: YARP keeps forwarding it.
            ["ReverseProxy:Routes:models:ClusterId"] = "models",
            ["ReverseProxy:Routes:models:Match:Path"] = "/v1/models",
            ["ReverseProxy:Clusters:models:Destinations:only:Address"] = Upstream.Address + "/",
        }).Build();

        await using var host = await StartAsync(
            configuration, new LlmRetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(5) });
        host.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", "client-key");
        using var response = await host.PostAsync("/v1/chat/completions",
            """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"metadata":{"trace_name":"yarp"}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WireSamples.ChatCompletion, await response.Content.ReadAsStringAsync());
        Assert.Equal("contoso", Assert.Single(response.Headers.GetValues("x-gateway")));

        // The route's transforms shaped what the upstream got.
        var received = Assert.Single(Upstream.Received);
        Assert.Equal("/openai/deployments/gpt-4o/chat/completions", received.Path);
        Assert.Equal("upstream-key", received.Headers["api-key"]);
        Assert.False(received.Headers.ContainsKey("Authorization"), "the client's key went upstream");
        Assert.DoesNotContain("trace_name", received.Body, StringComparison.Ordinal);

        // The cluster's destinations are the attempts: the load-balanced one first, the other as fallback.
        var trace = await Spans.SingleTraceAsync();
        var attempts = trace.All(SpanNames.UpstreamAttempt).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(
            new object?[] { "initial", "retry", "fallback" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.All(attempts, a => Assert.Equal("azure.ai.openai", a.GetTagItem(AttributeNames.GenAiProviderName)));
        Assert.Equal(typeof(UpstreamUnreachableException).FullName, attempts[0].GetTagItem(AttributeNames.ErrorType));
        Assert.Equal("success", attempts[2].GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(
            "gpt-4o-mini-2024-07-18",
            trace.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.GenAiResponseModel));
        Spans.AssertAllEnded();

        // YARP's own route still forwards, untraced.
        var spansBefore = Spans.Stopped.Count;
        using var models = await host.Client.GetAsync("/v1/models");
        Assert.Equal(2, Upstream.Received.Count);
        Assert.Equal("/v1/models", Upstream.Received.Last().Path);
        Assert.Equal(spansBefore, Spans.Stopped.Count);
    }

    /// <summary>
    /// Each attempt through a YARP route names the destination it went to, and the provider's parent span is the
    /// attempt.
    /// </summary>
    /// <remarks>
    /// The destination: <c>tracedllm.backend.id</c>, <c>server.address</c>, <c>server.port</c>. YARP's cluster client
    /// would put the span of its own send in the attempt's place, whether HttpClient's spans are recorded or not.
    /// </remarks>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EachAttemptNamesItsDestinationAndIsTheProvidersParent(bool httpClientSpans)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:chat:ClusterId"] = "openai",
            ["ReverseProxy:Routes:chat:Order"] = "100",
            ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
            ["ReverseProxy:Clusters:openai:LoadBalancingPolicy"] = "FirstAlphabetical",
            ["ReverseProxy:Clusters:openai:Destinations:east:Address"] = "http://127.0.0.1:9/",
            ["ReverseProxy:Clusters:openai:Destinations:west:Address"] = Upstream.Address + "/",
        }).Build();
        using var httpSpans = httpClientSpans ? HttpClientSpans() : null;
        await using var host = await StartAsync(configuration, LlmRetryPolicy.None);
        using var response = await host.PostAsync("/v1/chat/completions", """{"model":"gpt-4o","messages":[]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var trace = await Spans.SingleTraceAsync();
        var attempts = trace.All(SpanNames.UpstreamAttempt).OrderBy(a => a.StartTimeUtc).ToList();
        var kinds = attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal(new object?[] { "initial", "fallback" }, kinds);
        Assert.Equal(new object?[] { "east", "west" }, attempts.Select(a => a.GetTagItem(AttributeNames.BackendId)));
        Assert.All(attempts, a => Assert.Equal("127.0.0.1", a.GetTagItem(AttributeNames.ServerAddress)));
        Assert.Equal(new object?[] { 9, Upstream.Port }, attempts.Select(a => a.GetTagItem(AttributeNames.ServerPort)));
        Assert.Equal("west", trace.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.BackendId));

        var traceparent = Assert.Single(Upstream.Received).Traceparent!.Split('-');
        Assert.Equal(attempts[1].TraceId.ToHexString(), traceparent[1]);
        Assert.Equal(attempts[1].SpanId.ToHexString(), traceparent[2]);
    }

    /// <summary>
    /// <c>AddTracedLlmRelay()</c> takes the place of YARP's default factory of cluster clients, called before
    /// <c>AddReverseProxy()</c> or after it; a factory of the app's own (<c>ConfigureHttpClient</c>) is kept.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void YarpsDefaultClientFactoryIsTheRelaysAndOneOfTheAppsOwnIsKept(bool relayFirst, bool appsOwn)
    {
        var services = new ServiceCollection().AddLogging();
        if (relayFirst)
        {
            services.AddTracedLlmRelay();
        }

        var proxy = services.AddReverseProxy();
        if (appsOwn)
        {
            proxy.ConfigureHttpClient((_, handler) => handler.MaxConnectionsPerServer = 7);
        }

        if (!relayFirst)
        {
            services.AddTracedLlmRelay();
        }

        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IForwarderHttpClientFactory>();
        Assert.Equal(!appsOwn, factory is AttemptTraceClientFactory);
    }

    /// <summary>
    /// A gateway of YARP's configuration (<c>ReverseProxy</c>) whose route <c>chat</c> the relay forwards through,
    /// its traced routes mapped before YARP's.
    /// </summary>
    private static Task<RelayHost> StartAsync(IConfiguration configuration, LlmRetryPolicy policy) =>
        RelayHost.StartAsync(
            new RelayUpstreams { YarpRoute = "chat", Policy = policy },
            services: services => services.AddReverseProxy().LoadFromConfig(configuration.GetSection("ReverseProxy")),
            map: app =>
            {
                app.MapTracedLlmRoutes();
                app.MapReverseProxy();
            });

    /// <summary>HttpClient's spans recorded, as an app with HttpClient instrumentation has them.</summary>
    private static ActivityListener HttpClientSpans()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
