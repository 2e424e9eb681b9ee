using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// Team- and key-based destinations through the sample gateway: each request's spans reach the
/// destination of the team its key belongs to and no other; a key of no team, an unauthenticated
/// request and a refused one reach the default destination, or none under DenyUnmatched.
/// </summary>
public sealed class TeamRoutingTests
{
    [Fact]
    public async Task EachTeamsSpansLandAtItsOwnDestinationOnlyAndTheRestAtTheDefault()
    {
        await using var gateway = await TeamGateway.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await gateway.SendAsync("team-a", TeamGateway.TeamAKey);
            await gateway.SendAsync("team-b", TeamGateway.TeamBKey);
            await gateway.SendAsync("none", GatewayHost.ApiKey);
        }

        await gateway.SendAsync("none", key: null);
        await gateway.StopAsync();

        var a = ReceivedSpans.Of(gateway.A);
        var b = ReceivedSpans.Of(gateway.B);
        var platform = ReceivedSpans.Of(gateway.Default);
        Assert.Equal(3 * TeamGateway.SpansPerRequest, a.Count);
        Assert.Equal(3 * TeamGateway.SpansPerRequest, b.Count);
        Assert.All(a, span => Assert.Contains(span.TraceId, gateway.Sent["team-a"]));
        Assert.All(b, span => Assert.Contains(span.TraceId, gateway.Sent["team-b"]));

        // The key of no team's three requests, and the unauthenticated one (a new root: server, auth, failure).
        Assert.Equal(3 * TeamGateway.SpansPerRequest + 3, platform.Count);
        Assert.DoesNotContain(platform, span => gateway.Sent["team-a"].Contains(span.TraceId) || gateway.Sent["team-b"].Contains(span.TraceId));

        // What each team's backend shows: its own caller, never the other's.
        Assert.All(a.Where(s => s.Name == "auth"), span => Assert.Equal("team-a", span.Text("user_api_key_team_id")));
        Assert.All(a, span => Assert.Equal("team-a", span.Text("langfuse.trace.metadata.user_api_key_team_id")));
        Assert.All(b, span => Assert.Equal("team-b", span.Text("langfuse.trace.metadata.user_api_key_team_id")));

        // The provider's resource, though the destinations were opened after it was built.
        Assert.All(a.Concat(b).Concat(platform), span => Assert.Equal("team-gateway", span.Resource.GetValueOrDefault("service.name")));
    }

    [Fact]
    public async Task UnderDenyUnmatchedARequestNoDestinationNamesGoesNowhere()
    {
        await using var gateway = await TeamGateway.StartAsync(settings =>
        {
            settings.Remove("TracedLlm:Routing:Destinations:platform:Default");
            settings["TracedLlm:Routing:DenyUnmatched"] = "true";
        });
        await gateway.SendAsync("team-a", TeamGateway.TeamAKey);
        await gateway.SendAsync("none", GatewayHost.ApiKey);
        await gateway.SendAsync("none", key: null);
        await gateway.StopAsync();

        Assert.Equal(TeamGateway.SpansPerRequest, ReceivedSpans.Of(gateway.A).Count);
        Assert.Empty(ReceivedSpans.AllOf(gateway.B));
        Assert.Empty(ReceivedSpans.AllOf(gateway.Default));
    }
}
