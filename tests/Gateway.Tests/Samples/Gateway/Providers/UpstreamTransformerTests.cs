using System;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using TracedLlm.Samples.Gateway.Providers;
using Xunit;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The sample's upstream request: the client's credentials out, the gateway's key in, the path after the version on the
/// base URL.
/// </summary>
public sealed class UpstreamTransformerTests
{
    [Theory]
    [InlineData("/v1/messages", "?beta=true", "http://upstream.test/v1/messages?beta=true")]
    [InlineData("/v1/chat/completions", "", "http://upstream.test/v1/chat/completions")]
    [InlineData("/other/path", "", "http://upstream.test/v1/other/path")]
    public async Task TheClientsKeysStayBehindAndThePathFollowsTheBaseUrl(string path, string query, string expected)
    {
        var context = ClientRequest(path, query);
        using var upstream = new HttpRequestMessage();

        await new UpstreamTransformer("Bearer sk-gateway-own").TransformRequestAsync(
            context,
            upstream,
            "http://upstream.test/v1",
            CancellationToken.None);

        Assert.Equal(new Uri(expected), upstream.RequestUri);
        Assert.Equal("Bearer sk-gateway-own", Assert.Single(upstream.Headers.GetValues("Authorization")));
        Assert.False(upstream.Headers.Contains("x-api-key"), "the client's x-api-key went upstream");
        Assert.Equal("2023-06-01", Assert.Single(upstream.Headers.GetValues("anthropic-version")));
        Assert.Null(upstream.Headers.Host);
        Assert.False(upstream.Headers.Contains("Host"), "the client's Host (the gateway's name) went upstream");
    }

    [Fact]
    public async Task WithoutAKeyOfItsOwnTheGatewaySendsNone()
    {
        var context = ClientRequest("/v1/messages", "");
        using var upstream = new HttpRequestMessage();

        await new UpstreamTransformer(authorization: null).TransformRequestAsync(
            context,
            upstream,
            "http://upstream.test/v1",
            CancellationToken.None);

        Assert.False(upstream.Headers.Contains("Authorization"), "the client's Authorization went upstream");
        Assert.False(upstream.Headers.Contains("x-api-key"), "the client's x-api-key went upstream");
        Assert.DoesNotContain(
            upstream.Headers,
            header => header.Value.Any(value => value.Contains("sk-client", StringComparison.Ordinal)));
    }

    private static DefaultHttpContext ClientRequest(string path, string query)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("gateway.test");
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        context.Request.Headers.Authorization = "Bearer sk-client-secret";
        context.Request.Headers["x-api-key"] = "sk-client-secret";
        context.Request.Headers["anthropic-version"] = "2023-06-01";
        return context;
    }
}
