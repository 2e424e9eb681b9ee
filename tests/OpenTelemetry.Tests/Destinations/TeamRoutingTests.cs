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
        Assert.DoesNotContain(
            platform,
            span => gateway.Sent["team-a"].Contains(span.TraceId) || gateway.Sent["team-b"].Contains(span.TraceId));

        // What each team's backend shows: its own caller, never the other's.
        Assert.All(a.Where(s => s.Name == "auth"), span => Assert.Equal("team-a", span.Text("user_api_key_team_id")));
        Assert.All(a, span => Assert.Equal("team-a", span.Text("langfuse.trace.metadata.user_api_key_team_id")));
        Assert.All(b, span => Assert.Equal("team-b", span.Text("langfuse.trace.metadata.user_api_key_team_id")));

        // The provider's resource, though the destinations were opened after it was built.
        Assert.All(
            a.Concat(b).Concat(platform),
            span => Assert.Equal("team-gateway", span.Resource.GetValueOrDefault("service.name")));
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

    [Fact]
    public async Task ATeamThatLogsNowhereExportsNothingAnywhereAndItsMetricsStillCount()
    {
        using var requests = new RequestCounter();
        await using var gateway = await TeamGateway.StartAsync(settings =>
        {
            // Team A logs nowhere, though the platform's default destination takes every request no rule names.
            settings.Remove("TracedLlm:Routing:Destinations:a:Teams:0");
            settings["TracedLlm:Routing:Nowhere:Teams:0"] = "team-a";
        });
        for (var i = 0; i < 3; i++)
        {
            await gateway.SendAsync("team-a", TeamGateway.TeamAKey);
            await gateway.SendAsync("team-b", TeamGateway.TeamBKey);
        }

        await gateway.StopAsync();

        // Team A's requests: no span anywhere, the default destination included.
        var everywhere = new[] { gateway.A, gateway.B, gateway.Default }.SelectMany(ReceivedSpans.AllOf).ToList();
        Assert.DoesNotContain(everywhere, span => gateway.Sent["team-a"].Contains(span.TraceId));
        Assert.Empty(ReceivedSpans.AllOf(gateway.A));
        Assert.Equal(3 * TeamGateway.SpansPerRequest, ReceivedSpans.Of(gateway.B).Count);

        // Its requests still count in the gateway's metrics, as team B's do.
        Assert.Equal(6, requests.Count);
    }

    /// <summary>The traced requests the gateway's metrics record (<c>gen_ai.server.request.duration</c>).</summary>
    private sealed class RequestCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private int _count;

        public RequestCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Telemetry.TracedLlmTelemetry.SourceName
                    && instrument.Name == "gen_ai.server.request.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>(
                (_, _, _, _) => System.Threading.Interlocked.Increment(ref _count));
            _listener.Start();
        }

        public int Count => System.Threading.Volatile.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
