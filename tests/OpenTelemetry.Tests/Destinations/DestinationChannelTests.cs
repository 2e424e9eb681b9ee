using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using OpenTelemetry.Trace;
using static TracedLlm.OpenTelemetry.Tests.RouterSpans;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// Many teams on one backend host: what they share, what they never share, and what they lose
/// (nothing).
/// </summary>
/// <remarks>
/// Those sending to one endpoint with the same credentials share a queue, a batch and an OTLP request
/// (a resource each where their translations differ), those with credentials of their own never share
/// one; drops are counted under each team's destination; past the limit on open channels, they close
/// and open again without losing a span.
/// </remarks>
public sealed class DestinationChannelTests : IAsyncLifetime
{
    private const string TeamTag = "test.team";
    private readonly ConcurrentQueue<string> _warnings = new();
    private ScriptedOtlpEndpoint _host = null!;

    public async Task InitializeAsync() => _host = await ScriptedOtlpEndpoint.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public void TeamsSharingAnEndpointAndItsCredentialsShareItsRequests()
    {
        var options = Teams(50, team => $"x-api-key=platform");
        using (var provider = Provider(options, _warnings.Enqueue, out var router, Bounds()))
        {
            foreach (var team in Enumerable.Range(0, 50))
            {
                Request(team);
            }

            // One channel for the fifty of them.
            Assert.Equal(new[] { "team-0" }, router.OpenDestinations);
        }

        var spans = ReceivedSpans.Of(_host);
        Assert.Equal(100, spans.Count);
        Assert.Equal(50, spans.Select(s => s.Text(TeamTag)).Distinct().Count());

        // Far fewer OTLP requests than teams, each with the one key.
        Assert.InRange(_host.Requests.Count, 1, 5);
        Assert.All(_host.Requests, r => Assert.Equal("platform", r.Headers["x-api-key"]));
        Assert.Empty(_warnings);
    }

    [Fact]
    public void PhoenixProjectsUnderOneKeyShareARequestAResourceEach()
    {
        var options = new TraceRoutingOptions { DenyUnmatched = true };
        foreach (var project in new[] { "search", "billing", "support" })
        {
            options.Destinations[project] = new TraceDestinationOptions
            {
                Kind = TraceDestinationKind.Phoenix,
                Endpoint = _host.Url,
                ApiKey = "phoenix-key",
                Project = project,
                Teams = { project },
            };
        }

        using (var provider = Provider(options, _warnings.Enqueue, out _, Bounds()))
        {
            foreach (var project in new[] { "search", "billing", "support", "search" })
            {
                using var server = Server(new LlmCaller { TeamId = project });
                server.SetTag(TeamTag, project);
            }
        }

        // One request: each project's spans under a resource naming that project, and no other's.
        var request = Assert.Single(_host.Requests);
        Assert.Equal("Bearer phoenix-key", request.Headers["authorization"]);
        var spans = ReceivedSpans.Decode(request.Body);
        Assert.Equal(4, spans.Count);
        Assert.All(spans, s => Assert.Equal(s.Text(TeamTag), s.Resource[OpenInferenceTranslation.ProjectAttribute]));
        Assert.Equal(3, spans.Select(s => s.Resource[OpenInferenceTranslation.ProjectAttribute]).Distinct().Count());
    }

    [Fact]
    public void TeamsWithCredentialsOfTheirOwnNeverShareARequest()
    {
        var options = Teams(6, team => $"x-api-key=key-of-team-{team}");
        using (var provider = Provider(options, _warnings.Enqueue, out var router, Bounds()))
        {
            foreach (var team in Enumerable.Range(0, 60))
            {
                Request(team % 6);
            }

            Assert.Equal(6, router.OpenDestinations.Count);
        }

        Assert.Equal(120, ReceivedSpans.Of(_host).Count);
        Assert.All(_host.Requests, request => Assert.All(
            ReceivedSpans.Decode(request.Body),
            span => Assert.Equal($"key-of-{span.Text(TeamTag)}", request.Headers["x-api-key"])));
    }

    [Fact]
    public void ADropInASharedBatchIsCountedUnderEachDestinationsOwnName()
    {
        _host.Otherwise = ScriptedOtlpEndpoint.Status(401);
        using var drops = new DropRecorder();
        var options = Teams(3, team => "x-api-key=revoked");
        using (var provider = Provider(options, _warnings.Enqueue, out _, Bounds()))
        {
            Request(0);
            Request(1);
            Request(1);
            Request(2);
            Request(2);
            Request(2);
        }

        // Refused for good: each team's spans counted under its own destination, none under another's.
        Assert.Equal((2, 4, 6), (drops.SpansOf("team-0"), drops.SpansOf("team-1"), drops.SpansOf("team-2")));
        Assert.All(drops.Reasons, r => Assert.Equal("export_failed", r.Item2));
    }

    [Fact]
    public async Task PastTheLimitChannelsCloseAndOpenAgainUnderLoadLosingNothing()
    {
        // Ten teams, each its own key, two open at most: every request closes one mid-batch.
        var options = Teams(10, team => $"x-api-key=key-of-team-{team}");
        options.MaxLiveDestinations = 2;
        using var drops = new DropRecorder();
        var most = 0;
        using (var provider = Provider(options, _warnings.Enqueue, out var router, Bounds()))
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
            {
                var random = new Random(worker);
                for (var i = 0; i < 250; i++)
                {
                    Request(random.Next(10));
                    lock (_warnings)
                    {
                        most = Math.Max(most, router.OpenDestinations.Count);
                    }
                }
            })));
        }

        var spans = ReceivedSpans.Of(_host);
        Assert.Equal(2000, spans.Count);
        Assert.Equal(2000, spans.Select(s => s.SpanId).Distinct().Count());
        Assert.All(_host.Requests, request => Assert.All(
            ReceivedSpans.Decode(request.Body),
            span => Assert.Equal($"key-of-{span.Text(TeamTag)}", request.Headers["x-api-key"])));
        Assert.InRange(most, 1, 2);
        Assert.Empty(drops.Destinations);
    }

    // One request of team number `team`: its server span and a child, both tagged with the team.
    private static void Request(int team)
    {
        using var server = Server(new LlmCaller { TeamId = $"team-{team}" });
        server.SetTag(TeamTag, $"team-{team}");
        using var child = Child("litellm_request", server, (TeamTag, $"team-{team}"));
    }

    private static ExportQueueOptions Bounds() => new()
    {
        ScheduledDelay = TimeSpan.FromMilliseconds(50),
        ShutdownTimeout = TimeSpan.FromSeconds(10),
    };

    // `count` teams, each its own OTLP destination on the one host, with the headers `headers` gives it.
    private TraceRoutingOptions Teams(int count, Func<int, string> headers)
    {
        var options = new TraceRoutingOptions { DenyUnmatched = true };
        for (var team = 0; team < count; team++)
        {
            options.Destinations[$"team-{team}"] = new TraceDestinationOptions
            {
                Endpoint = _host.Url, Headers = headers(team), Teams = { $"team-{team}" },
            };
        }

        return options;
    }
}
