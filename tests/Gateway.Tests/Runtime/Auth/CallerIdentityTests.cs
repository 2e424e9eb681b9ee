using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Who the caller is, recorded (issue 67): the authenticator's team, organisation, key alias, user
/// and end user on the auth span under LiteLLM's names and as Langfuse trace metadata on every span,
/// bounded, only after authentication, never a client's imitation; the caller on the server span for
/// the export's routing; and the export sample rate a request may ask for.
/// </summary>
public sealed class CallerIdentityTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";

    private static readonly LlmCaller TeamA = new()
    {
        KeyHash = "3f1c0a",
        KeyAlias = "ci-key",
        UserId = "user-7",
        TeamId = "team-a",
        TeamAlias = "Team A",
        OrganizationId = "org-1",
        EndUserId = "customer-9",
    };

    private static readonly (string Key, string Value)[] TeamAAttributes =
    {
        (AttributeNames.UserApiKeyHash, "3f1c0a"),
        (AttributeNames.UserApiKeyAlias, "ci-key"),
        (AttributeNames.UserApiKeyUserId, "user-7"),
        (AttributeNames.UserApiKeyTeamId, "team-a"),
        (AttributeNames.UserApiKeyTeamAlias, "Team A"),
        (AttributeNames.UserApiKeyOrgId, "org-1"),
        (AttributeNames.UserApiKeyEndUserId, "customer-9"),
    };

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task TheAuthenticatorsCallerIsOnTheAuthSpanAndInTheTraceMetadataOfEverySpan()
    {
        using var host = Host(AuthResult.Success(TeamA));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, Body()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var auth = tree.Single(SpanNames.Auth);
        foreach (var (key, value) in TeamAAttributes)
        {
            Assert.Equal(value, auth.GetTagItem(key));
            Assert.All(
                tree.Spans,
                span => Assert.Equal(value, span.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + key)));
        }

        // The plain names are the auth span's (where user_api_key_hash always was); the routing reads the server span's
        // caller.
        Assert.Null(tree.Server.GetTagItem(AttributeNames.UserApiKeyTeamId));
        Assert.Equal(TeamA, LlmCaller.From(tree.Server));
        Assert.All(tree.Spans.Where(s => s != tree.Server), span => Assert.Null(LlmCaller.From(span)));
    }

    [Fact]
    public async Task AClientsTraceMetadataCannotImitateTheCaller()
    {
        var forged =
            Body(
                """{"trace_metadata":"""
                + """{"user_api_key_team_id":"team-b","user_api_key_alias":"someone-else","kept":"yes"}}""");

        // With an identity, the authenticator's values replace the imitation on every span.
        using (var host = Host(AuthResult.Success(new LlmCaller { TeamId = "team-a" })))
        using (var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, forged)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var tree = await _spans.SingleTraceAsync();
            Assert.All(
                tree.Spans,
                span =>
                {
                    Assert.Equal(
                        "team-a",
                        span.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + AttributeNames.UserApiKeyTeamId));
                    Assert.Null(
                        span.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + AttributeNames.UserApiKeyAlias));
                    Assert.Equal("yes", span.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + "kept"));
                });
            Assert.DoesNotContain(
                tree.Spans.SelectMany(s => s.TagObjects),
                t => Equals(t.Value, "team-b") || Equals(t.Value, "someone-else"));
        }

        _spans.Clear();

        // Without one (an authenticator that names nobody, or no authenticator at all), the imitation is left out.
        foreach (var authenticated in new[] { true, false })
        {
            using var host = authenticated
                ? Host(AuthResult.Success())
                : new GatewayHost().WithServices(s => s.RemoveAll<ILlmAuthenticator>());
            using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, forged));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var tree = await _spans.SingleTraceAsync();
            Assert.DoesNotContain(
                tree.Spans.SelectMany(s => s.TagObjects),
                t => t.Key.Contains("user_api_key", StringComparison.Ordinal));
            Assert.All(
                tree.Spans,
                span => Assert.Equal("yes", span.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + "kept")));
            Assert.Null(LlmCaller.From(tree.Server));
            _spans.Clear();
        }
    }

    [Fact]
    public async Task ARefusedCallerNamesNobody()
    {
        using var host = Host(AuthResult.Fail("No."));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, Body("""{"trace_metadata":{"user_api_key_team_id":"team-b"},"sample_rate":0}""")));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.DoesNotContain(
            tree.Spans.SelectMany(s => s.TagObjects),
            t => t.Key.Contains("user_api_key", StringComparison.Ordinal) || t.Key == AttributeNames.ExportSampleRate);
        Assert.Null(LlmCaller.From(tree.Server));
    }

    [Fact]
    public async Task IdentityValuesAreBoundedAndTheKeyHashAndUserIdOfTheOlderSuccessAreRecorded()
    {
        var longAlias = new string('t', 10_000);
        using (var host = Host(AuthResult.Success(new LlmCaller { TeamId = "team-a", TeamAlias = longAlias }))
                .With("TracedLlm:Limits:MaxAttributeValueLength", "100"))
        using (var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, Body())))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var tree = await _spans.SingleTraceAsync();
            var recorded = Assert.IsType<string>(
                tree.Single(SpanNames.Auth).GetTagItem(AttributeNames.UserApiKeyTeamAlias));
            Assert.True(recorded.Length <= 100 + 32, $"{recorded.Length} characters recorded");
            Assert.All(
                tree.Spans,
                span =>
                    Assert.True(
                        ((string)
                                span.GetTagItem(
                                    AttributeNames.LangfuseTraceMetadataPrefix + AttributeNames.UserApiKeyTeamAlias
                                )!).Length <= 132));

            // The router gets the authenticator's own values, not the cut ones.
            Assert.Equal(longAlias, LlmCaller.From(tree.Server)!.TeamAlias);
        }

        _spans.Clear();
        using (var host = Host(AuthResult.Success("abc123", "user-1")))
        using (var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, Body())))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var auth = (await _spans.SingleTraceAsync()).Single(SpanNames.Auth);
            Assert.Equal("abc123", auth.GetTagItem(AttributeNames.UserApiKeyHash));
            Assert.Equal("user-1", auth.GetTagItem(AttributeNames.UserApiKeyUserId));
        }
    }

    [Theory]
    [InlineData("0.25", 0.25)]
    [InlineData("0", 0.0)]
    [InlineData("\"0.5\"", 0.5)]
    [InlineData("1", null)]
    [InlineData("7", null)]
    [InlineData("-0.5", null)]
    [InlineData("\"often\"", null)]
    [InlineData("null", null)]
    public async Task ARequestMayAskForALowerExportSampleRate(string value, double? recorded)
    {
        using var host = Host(AuthResult.Success(TeamA));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, Body($$"""{"sample_rate":{{value}}}""")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(recorded, (double?)tree.Server.GetTagItem(AttributeNames.ExportSampleRate));
    }

    private static GatewayHost Host(AuthResult result) =>
        new GatewayHost().WithServices(s =>
        {
            s.RemoveAll<ILlmAuthenticator>();
            s.AddSingleton<ILlmAuthenticator>(new FixedAuthenticator(result));
        });

    private static string Body(string metadata = "{}") =>
        $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"metadata":{{metadata}}}""";

    private sealed class FixedAuthenticator(AuthResult result) : ILlmAuthenticator
    {
        public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken) =>
            ValueTask.FromResult(result);
    }
}
