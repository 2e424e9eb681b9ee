using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>What team A's destination does while team B's stays healthy (issue 67, item 3).</summary>
public enum DestinationFault
{
    /// <summary>A answers every request.</summary>
    None,

    /// <summary>A accepts and never answers.</summary>
    Hang,

    /// <summary>A refuses every batch with 401 (wrong keys).</summary>
    Unauthorized,

    /// <summary>A answers 503 for a while, then 200.</summary>
    Unavailable,

    /// <summary>A's receiver is gone (connection refused) from the start.</summary>
    Vanished,

    /// <summary>A's receiver stops in the middle of the run.</summary>
    ShutDown,

    /// <summary>
    /// The configuration is reloaded mid-run: A's credentials rotated, then a reload that fails its checks.
    /// </summary>
    Reload,

    /// <summary>
    /// Team B's requests name team A in their metadata (trace metadata, LiteLLM's dynamic Langfuse keys, a higher
    /// sample rate) and join team A's trace.
    /// </summary>
    HostileMetadata,

    /// <summary>
    /// Team B's requests carry team A's <c>traceparent</c> and headers that try to name a destination.
    /// </summary>
    HostileHeaders,

    /// <summary>
    /// One destination open at most, the teams' requests at once: A's is closed for B's (and B's for
    /// A's) mid-batch, again and again.
    /// </summary>
    Evicted,
}

/// <summary>
/// Tenants isolated by construction, as a matrix: for each way team A's destination can fail, and
/// each way team B's requests can try to reach team A's, every span lands only at the destination of
/// the request it belongs to (its caller's team, read from the authoritative identity on every span),
/// team B loses none of its spans, gets them while A still fails (nothing waits for A), and the
/// gateway stops within its bound; drops are counted under A's name only.
/// </summary>
public sealed class DestinationIsolationMatrixTests
{
    private const int RequestsPerTeam = 12;
    private static readonly string TeamKey =
        AttributeNames.LangfuseTraceMetadataPrefix + AttributeNames.UserApiKeyTeamId;

    [Theory]
    [InlineData(DestinationFault.None)]
    [InlineData(DestinationFault.Hang)]
    [InlineData(DestinationFault.Unauthorized)]
    [InlineData(DestinationFault.Unavailable)]
    [InlineData(DestinationFault.Vanished)]
    [InlineData(DestinationFault.ShutDown)]
    [InlineData(DestinationFault.Reload)]
    [InlineData(DestinationFault.HostileMetadata)]
    [InlineData(DestinationFault.HostileHeaders)]
    [InlineData(DestinationFault.Evicted)]
    public async Task EachSpanLandsOnlyAtItsRequestsDestinationAndTheHealthyTeamLosesNone(DestinationFault fault)
    {
        using var drops = new DropRecorder();
        await using var gateway = await TeamGateway.StartAsync(
            settings =>
            {
                settings["TracedLlm:Routing:Destinations:a:TimeoutMilliseconds"] = "1000";
                settings["TracedLlm:Routing:Destinations:a:Headers"] = "x-api-key=first";
                if (fault == DestinationFault.Evicted)
                {
                    settings["TracedLlm:Routing:MaxLiveDestinations"] = "1";
                    settings["TracedLlm:Export:ScheduledDelay"] = "00:00:00.200";
                }
            });
        Arrange(gateway, fault);

        // Team A first (so that a hostile team B can name its traces), then both teams at once.
        var teamATraces = new List<string>();
        for (var i = 0; i < RequestsPerTeam / 2; i++)
        {
            teamATraces.Add(await gateway.SendAsync("team-a", TeamGateway.TeamAKey));
        }

        if (fault == DestinationFault.ShutDown)
        {
            await Eventually.HoldsAsync(() => ReceivedSpans.Of(gateway.A).Count > 0, "team A's first spans at A");
            await gateway.A.DisposeAsync();
        }

        if (fault == DestinationFault.Reload)
        {
            gateway.Reload(s => s["TracedLlm:Routing:Destinations:a:Headers"] = "x-api-key=rotated");
        }

        var sends = new List<Task>();
        for (var i = 0; i < RequestsPerTeam; i++)
        {
            var teamA = teamATraces[i % teamATraces.Count];
            sends.Add(SendTeamB(gateway, fault, teamA));
            if (i < RequestsPerTeam / 2)
            {
                sends.Add(gateway.SendAsync("team-a", TeamGateway.TeamAKey));
            }
        }

        await Task.WhenAll(sends);
        if (fault is DestinationFault.Reload or DestinationFault.Evicted)
        {
            // A reload that fails its checks keeps the routing as it was. Evicted: B's request closes A's destination
            // however the requests above interleaved, and A's opens it again.
            if (fault == DestinationFault.Reload)
            {
                gateway.Reload(s => s["TracedLlm:Routing:Destinations:b:SamplingRatio"] = "5");
            }

            await gateway.SendAsync("team-b", TeamGateway.TeamBKey);
            await gateway.SendAsync("team-a", TeamGateway.TeamAKey);
        }

        var expectedB =
            gateway.Sent["team-b"].Count
            + (fault is DestinationFault.HostileMetadata or DestinationFault.HostileHeaders ? RequestsPerTeam : 0);

        // Team B's spans all arrive while A still fails: nothing of B's waits for A.
        await Eventually.HoldsAsync(
            () => ReceivedSpans.Of(gateway.B).Count >= expectedB * TeamGateway.SpansPerRequest,
            "team B's spans at B",
            TimeSpan.FromSeconds(20));

        var stopping = Stopwatch.StartNew();
        await gateway.StopAsync();
        stopping.Stop();

        // The stop delivers every destination side by side within the bound (3 s here), A's failure included.
        Assert.True(
            stopping.Elapsed < TimeSpan.FromSeconds(12),
            $"The stop took {stopping.Elapsed.TotalSeconds:0.0} s.");

        var atB = ReceivedSpans.Of(gateway.B);
        var atA = ReceivedSpans.AllOf(gateway.A);
        var atDefault = ReceivedSpans.AllOf(gateway.Default);
        Assert.Equal(expectedB * TeamGateway.SpansPerRequest, atB.Count);
        Assert.Equal(atB.Count, atB.Select(s => s.SpanId).Distinct().Count());
        Assert.All(atB, span => Assert.Equal("team-b", span.Text(TeamKey)));
        Assert.All(atA, span => Assert.Equal("team-a", span.Text(TeamKey)));
        Assert.DoesNotContain(atDefault, span => span.Text(TeamKey) is not null);
        Assert.DoesNotContain(drops.Destinations, d => d == "b");

        var teamASpans = gateway.Sent["team-a"].Count * TeamGateway.SpansPerRequest;
        switch (fault)
        {
            case DestinationFault.None or DestinationFault.Unavailable or DestinationFault.Reload
                or DestinationFault.HostileMetadata or DestinationFault.HostileHeaders or DestinationFault.Evicted:
                // A healthy (or recovered, or reloaded) A loses none of team A's spans either.
                var acceptedAtA = ReceivedSpans.Of(gateway.A);
                Assert.Equal(teamASpans, acceptedAtA.Count);
                Assert.Equal(teamASpans, acceptedAtA.Select(s => s.SpanId).Distinct().Count());
                break;
            case DestinationFault.Unauthorized:
                Assert.Contains(("a", "export_failed"), drops.Reasons);
                break;
            default:
                // Hang, vanish, shut down: what A could not take is counted under A's name, and A's alone.
                Assert.Contains(drops.Destinations, d => d == "a");
                break;
        }

        if (fault == DestinationFault.Evicted)
        {
            // Closed for the other team's requests mid-batch, A's and B's destinations delivered what
            // they held and opened again: several batches each, never a span lost nor counted dropped.
            Assert.Empty(drops.Destinations);
            Assert.True(gateway.A.Requests.Count > 1, $"{gateway.A.Requests.Count} request(s) at A");
        }

        if (fault == DestinationFault.Reload)
        {
            // Rotated credentials reach A from the reload on; the routing outlived the reload that failed.
            Assert.Contains(gateway.A.Requests, r => r.Headers.GetValueOrDefault("x-api-key") == "rotated");
            Assert.Equal("first", gateway.A.Requests[0].Headers["x-api-key"]);
        }
    }

    private static void Arrange(TeamGateway gateway, DestinationFault fault)
    {
        switch (fault)
        {
            case DestinationFault.Hang:
                gateway.A.Otherwise = ScriptedOtlpEndpoint.Hang();
                break;
            case DestinationFault.Unauthorized:
                gateway.A.Otherwise = ScriptedOtlpEndpoint.Status(401);
                break;
            case DestinationFault.Unavailable:
                gateway.A.Then(Enumerable.Repeat(ScriptedOtlpEndpoint.Status(503), 4).ToArray());
                break;
            case DestinationFault.Vanished:
                gateway.A.DisposeAsync().AsTask().GetAwaiter().GetResult();
                break;
        }
    }

    private static Task SendTeamB(TeamGateway gateway, DestinationFault fault, string teamATrace) =>
        fault switch
        {
            DestinationFault.HostileMetadata => gateway.SendAsync(
                "hostile",
                TeamGateway.TeamBKey,
                metadata: $$"""
                    {"existing_trace_id":"{{teamATrace}}",
                    "trace_metadata":{"user_api_key_team_id":"team-a","user_api_key_alias":"team-a-key-1"},
                    "user_api_key_team_id":"team-a","langfuse_public_key":"pk-lf-team-a",
                    "langfuse_secret_key":"sk-lf-team-a","langfuse_host":"http://127.0.0.1:9",
                    "destination":"a","sample_rate":5}
                    """,
                traceparent: $"00-{teamATrace}-{ActivitySpanId.CreateRandom().ToHexString()}-01"),
            DestinationFault.HostileHeaders => gateway.SendAsync(
                "hostile",
                TeamGateway.TeamBKey,
                traceparent: $"00-{teamATrace}-{ActivitySpanId.CreateRandom().ToHexString()}-01",
                request: message =>
                {
                    message.Headers.Add("tracestate", "langfuse=team-a");
                    message.Headers.Add("x-tracedllm-destination", "a");
                    message.Headers.Add("langfuse_public_key", "pk-lf-team-a");
                    message.Headers.Add("baggage", "user_api_key_team_id=team-a");
                }),
            _ => gateway.SendAsync("team-b", TeamGateway.TeamBKey),
        };
}
