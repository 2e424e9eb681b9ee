using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

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

        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams
            {
                YarpRoute = "chat",
                Policy = new LlmRetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(5) }
            },
            services: services => services.AddReverseProxy().LoadFromConfig(configuration.GetSection("ReverseProxy")),
            map: app =>
            {
                app.MapTracedLlmRoutes();
                app.MapReverseProxy();
            });
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
}
