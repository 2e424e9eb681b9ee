using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// The routing's options: bound from configuration, checked when the host starts with one sentence
/// per problem naming its key (never a credential), each backend's address as its SDKs compute it,
/// and which destinations a caller's requests go to.
/// </summary>
public sealed class TraceRoutingOptionsTests
{
    private const string Secret = "sk-lf-very-secret-1234";

    [Fact]
    public void DestinationsBindFromConfigurationWithTheirRules()
    {
        var options = Bind(new()
        {
            ["TracedLlm:Routing:DenyUnmatched"] = "true",
            ["TracedLlm:Routing:MaxLiveDestinations"] = "8",
            ["TracedLlm:Routing:IdleTimeout"] = "00:01:00",
            ["TracedLlm:Routing:Destinations:team-a:Kind"] = "Langfuse",
            ["TracedLlm:Routing:Destinations:team-a:PublicKey"] = "pk-lf-a",
            ["TracedLlm:Routing:Destinations:team-a:SecretKey"] = Secret,
            ["TracedLlm:Routing:Destinations:team-a:Teams:0"] = "team-a",
            ["TracedLlm:Routing:Destinations:team-a:Keys:0"] = "ci-key",
            ["TracedLlm:Routing:Destinations:team-a:CaptureContent"] = "false",
            ["TracedLlm:Routing:Destinations:team-a:SamplingRatio"] = "0.5",
            ["TracedLlm:Routing:Destinations:team-a:Scope"] = "GenerationsOnly",
            ["TracedLlm:Routing:Destinations:phoenix:Kind"] = "Phoenix",
            ["TracedLlm:Routing:Destinations:phoenix:Organizations:0"] = "org-1",
        });

        Assert.Empty(options.Problems());
        Assert.True(options.DenyUnmatched);
        Assert.Equal(8, options.MaxLiveDestinations);
        Assert.Equal(TimeSpan.FromMinutes(1), options.IdleTimeout);
        var a = options.Destinations["TEAM-A"];
        Assert.Equal(
            (TraceDestinationKind.Langfuse, "pk-lf-a", false, 0.5, ExportScope.GenerationsOnly),
            (a.Kind, a.PublicKey, a.CaptureContent, a.SamplingRatio, a.Scope));
        Assert.Equal(new[] { "team-a" }, a.Teams);
        Assert.Equal(new[] { "ci-key" }, a.Keys);
        Assert.Equal(new[] { "org-1" }, options.Destinations["phoenix"].Organizations);
    }

    [Fact]
    public void EachProblemIsOneSentenceNamingItsKeyNeverACredential()
    {
        var options = Bind(new()
        {
            ["TracedLlm:Routing:Destinations:a:Kind"] = "Langfuse",
            ["TracedLlm:Routing:Destinations:a:SecretKey"] = Secret,
            ["TracedLlm:Routing:Destinations:a:Endpoint"] = "https://lang fuse.example",
            ["TracedLlm:Routing:Destinations:b:Endpoint"] = "ftp://collector/v1/traces",
            ["TracedLlm:Routing:Destinations:b:Headers"] = $"x-api-key={Secret},x-api-key=again",
            ["TracedLlm:Routing:Destinations:c:Kind"] = "LangSmith",
            ["TracedLlm:Routing:Destinations:c:SamplingRatio"] = "1.5",
            ["TracedLlm:Routing:Destinations:d:Headers"] = $"Content-Type={Secret}",
            ["TracedLlm:Routing:Destinations:d:Endpoint"] = "http://collector:4318/v1/traces",
            ["TracedLlm:Routing:Destinations:e:Endpoint"] = "http://collector:4318/v1/traces",
            ["TracedLlm:Routing:Destinations:e:Headers"] = "novalue",
            ["TracedLlm:Routing:MaxLiveDestinations"] = "0",
            ["TracedLlm:Routing:DestinationShare"] = "0",
        });

        var problems = options.Problems();
        Assert.Contains(
            "TracedLlm:Routing:Destinations:a:PublicKey is missing: the destination needs a Langfuse project's "
            + "public key.",
            problems);
        Assert.Contains("TracedLlm:Routing:Destinations:a: Endpoint is not an http(s) URL.", problems);
        Assert.Contains("TracedLlm:Routing:Destinations:b: Endpoint is not an http(s) URL.", problems);
        Assert.Contains(
            "TracedLlm:Routing:Destinations:c:ApiKey is missing: the destination needs a LangSmith API key.",
            problems);
        Assert.Contains(
            "TracedLlm:Routing:Destinations:c:SamplingRatio must be between 0 and 1 (it is 1.5).",
            problems);
        Assert.Contains(
            "TracedLlm:Routing:Destinations:d: Headers names Content-Type that cannot be sent (not a valid header "
            + "name, or one the exporter sets itself).",
            problems);
        Assert.Contains(
            "TracedLlm:Routing:Destinations:e: Headers must be name=value pairs separated by commas.",
            problems);
        Assert.Contains(
            problems,
            p => p.StartsWith("TracedLlm:Routing names no default destination", StringComparison.Ordinal));
        Assert.Contains("TracedLlm:Routing:MaxLiveDestinations must be at least 1 (it is 0).", problems);
        Assert.Contains("TracedLlm:Routing:DestinationShare must be above 0 and at most 1 (it is 0).", problems);
        Assert.All(problems, p => Assert.DoesNotContain(Secret, p, StringComparison.Ordinal));

        // The other check of a reload: a default beside DenyUnmatched.
        var both = Bind(
            new()
            {
                ["TracedLlm:Routing:DenyUnmatched"] = "true",
                ["TracedLlm:Routing:Destinations:x:Endpoint"] = "http://c/v1/traces",
                ["TracedLlm:Routing:Destinations:x:Default"] = "true"
            });
        Assert.Equal(
            new[] { "TracedLlm:Routing:DenyUnmatched is true, but x is marked Default: choose one." },
            both.Problems());
    }

    [Fact]
    public void AHostWithABrokenRoutingDoesNotStartAndSaysWhyWithoutTheSecret()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TracedLlm:Routing:Destinations:a:Kind"] = "Langfuse",
            ["TracedLlm:Routing:Destinations:a:SecretKey"] = Secret,
            ["TracedLlm:Routing:Destinations:a:Default"] = "true",
        });
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddTracedLlmDestinations());
        using var host = builder.Build();
        var failed = Assert.Throws<OptionsValidationException>(() =>
            host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(
            "TracedLlm:Routing:Destinations:a:PublicKey is missing",
            failed.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, failed.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TraceDestinationKind.Langfuse, null, "https://us.cloud.langfuse.com/api/public/otel/v1/traces")]
    [InlineData(
        TraceDestinationKind.Langfuse,
        "cloud.langfuse.com",
        "https://cloud.langfuse.com/api/public/otel/v1/traces"
    )]
    [InlineData(TraceDestinationKind.Phoenix, null, "http://localhost:6006/v1/traces")]
    [InlineData(
        TraceDestinationKind.Phoenix,
        "https://app.phoenix.arize.com/s/team/",
        "https://app.phoenix.arize.com/s/team/v1/traces"
    )]
    [InlineData(TraceDestinationKind.Phoenix, "http://phoenix:6006/v1/traces", "http://phoenix:6006/v1/traces")]
    [InlineData(TraceDestinationKind.LangSmith, null, "https://api.smith.langchain.com/otel/v1/traces")]
    [InlineData(
        TraceDestinationKind.LangSmith,
        "https://eu.api.smith.langchain.com",
        "https://eu.api.smith.langchain.com/otel/v1/traces"
    )]
    [InlineData(TraceDestinationKind.Otlp, "http://collector:4318", "http://collector:4318/")]
    public void EachBackendsAddressIsWhatItsOwnSdkSendsTo(TraceDestinationKind kind, string? endpoint, string expected)
    {
        var options = new TraceDestinationOptions
        {
            Kind = kind,
            Endpoint = endpoint,
            PublicKey = "pk",
            SecretKey = "sk",
            ApiKey = "key",
            Project = "proj"
        };
        Assert.True(DestinationAddress.TryCreate(options, out var address, out var problem), problem);
        Assert.Equal(expected, address.Endpoint.ToString());
        var headers = address.Headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase);
        switch (kind)
        {
            case TraceDestinationKind.Langfuse:
                Assert.Equal(
                    "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("pk:sk")),
                    headers["Authorization"]);
                Assert.Equal("4", headers["x-langfuse-ingestion-version"]);
                break;
            case TraceDestinationKind.Phoenix:
                Assert.Equal("Bearer key", headers["authorization"]);
                break;
            case TraceDestinationKind.LangSmith:
                Assert.Equal("key", headers["x-api-key"]);
                Assert.Equal("proj", headers["Langsmith-Project"]);
                break;
            default:
                Assert.Empty(headers);
                break;
        }
    }

    [Fact]
    public void ToStringNamesTheDestinationNeverItsSecrets()
    {
        var options = new TraceDestinationOptions
        {
            Kind = TraceDestinationKind.Langfuse,
            Endpoint = "https://user:pass@langfuse.example",
            PublicKey = "pk-lf-a",
            SecretKey = Secret,
            ApiKey = "ls-key-9",
            Headers = "x-extra=hidden-value",
        };
        var text = options.ToString();
        Assert.Contains(
            "Endpoint = https://langfuse.example/api/public/otel/v1/traces",
            text,
            StringComparison.Ordinal);
        Assert.Contains("Headers = [x-extra]", text, StringComparison.Ordinal);
        foreach (var secret in new[] { Secret, "ls-key-9", "hidden-value", "pass" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Secret, DestinationDefinition.From("a", options).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheMostSpecificRuleNamingTheCallerWinsAndTheHookFirst()
    {
        var options = Bind(new()
        {
            ["TracedLlm:Routing:Destinations:key:Endpoint"] = "http://c/1",
            ["TracedLlm:Routing:Destinations:key:Keys:0"] = "ci-key",
            ["TracedLlm:Routing:Destinations:user:Endpoint"] = "http://c/2",
            ["TracedLlm:Routing:Destinations:user:Users:0"] = "u-1",
            ["TracedLlm:Routing:Destinations:team:Endpoint"] = "http://c/3",
            ["TracedLlm:Routing:Destinations:team:Teams:0"] = "t-1",
            ["TracedLlm:Routing:Destinations:also-team:Endpoint"] = "http://c/4",
            ["TracedLlm:Routing:Destinations:also-team:Teams:0"] = "t-1",
            ["TracedLlm:Routing:Destinations:org:Endpoint"] = "http://c/5",
            ["TracedLlm:Routing:Destinations:org:Organizations:0"] = "o-1",
            ["TracedLlm:Routing:Destinations:platform:Endpoint"] = "http://c/6",
            ["TracedLlm:Routing:Destinations:platform:Default"] = "true",
        });
        var routes = new DestinationRoutes(options);
        var said = new List<string>();
        string[] For(LlmCaller? caller) => routes.For(caller, said.Add).Select(d => d.Name).ToArray();

        Assert.Equal(
            new[] { "key" },
            For(
                new LlmCaller
                {
                    KeyAlias = "ci-key",
                    UserId = "u-1",
                    TeamId = "t-1",
                    OrganizationId = "o-1"
                }));
        Assert.Equal(
            new[] { "user" },
            For(
                new LlmCaller
                {
                    KeyHash = "abc",
                    UserId = "u-1",
                    TeamId = "t-1"
                }));
        Assert.Equal(
            new[] { "also-team", "team" },
            For(new LlmCaller { TeamId = "t-1", OrganizationId = "o-1" }).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "org" }, For(new LlmCaller { TeamId = "t-2", OrganizationId = "o-1" }));
        Assert.Equal(new[] { "platform" }, For(new LlmCaller { TeamId = "t-2" }));
        Assert.Equal(new[] { "platform" }, For(null));

        // The code hook decides first; an unknown name is left out and said; null lets the rules decide; a throw sends
        // nowhere.
        options.SelectDestinations = caller => caller.TeamId switch
        {
            "t-1" => new[] { "org", "nope", "org" },
            "t-3" => Array.Empty<string>(),
            "boom" => throw new InvalidOperationException("db down"),
            _ => null,
        };
        routes = new DestinationRoutes(options);
        Assert.Equal(new[] { "org" }, For(new LlmCaller { TeamId = "t-1" }));
        Assert.Single(said);
        Assert.Empty(For(new LlmCaller { TeamId = "t-3" }));
        Assert.Equal(new[] { "user" }, For(new LlmCaller { UserId = "u-1" }));
        Assert.Empty(For(new LlmCaller { TeamId = "boom" }));
        Assert.Contains(
            said,
            s =>
                s.Contains("InvalidOperationException", StringComparison.Ordinal)
                && !s.Contains("db down", StringComparison.Ordinal));
    }

    [Fact]
    public void ANowhereRuleSendsItsCallersNowhereEvenWithDefaultsUnlessAMoreSpecificRuleNamesThem()
    {
        var options = Bind(new()
        {
            ["TracedLlm:Routing:Nowhere:Teams:0"] = "legal",
            ["TracedLlm:Routing:Nowhere:Keys:0"] = "incident-key",
            ["TracedLlm:Routing:Destinations:audit:Endpoint"] = "http://c/1",
            ["TracedLlm:Routing:Destinations:audit:Keys:0"] = "legal-audit-key",
            ["TracedLlm:Routing:Destinations:search:Endpoint"] = "http://c/2",
            ["TracedLlm:Routing:Destinations:search:Teams:0"] = "search",
            ["TracedLlm:Routing:Destinations:platform:Endpoint"] = "http://c/3",
            ["TracedLlm:Routing:Destinations:platform:Default"] = "true",
        });
        Assert.Empty(options.Problems());
        Assert.Equal(new[] { "legal" }, options.Nowhere.Teams);
        var routes = new DestinationRoutes(options);
        string[] For(LlmCaller caller) => routes.For(caller, _ => { }).Select(d => d.Name).ToArray();

        // The team logs nowhere, default or not; a key named by a destination's rule still goes there.
        Assert.Empty(For(new LlmCaller { TeamId = "legal", OrganizationId = "acme" }));
        Assert.Equal(new[] { "audit" }, For(new LlmCaller { TeamId = "legal", KeyAlias = "legal-audit-key" }));
        Assert.Empty(For(new LlmCaller { TeamId = "search", KeyAlias = "incident-key" }));
        Assert.Equal(new[] { "search" }, For(new LlmCaller { TeamId = "search" }));
        Assert.Equal(new[] { "platform" }, For(new LlmCaller { TeamId = "sales" }));
    }

    [Fact]
    public void ACallerNamedByNowhereAndByADestinationIsAProblemNamingBoth()
    {
        var options = Bind(new()
        {
            ["TracedLlm:Routing:Nowhere:Teams:0"] = "legal",
            ["TracedLlm:Routing:Nowhere:Users:0"] = " ",
            ["TracedLlm:Routing:Destinations:legal:Endpoint"] = "http://c/1",
            ["TracedLlm:Routing:Destinations:legal:Teams:0"] = "legal",
            ["TracedLlm:Routing:Destinations:legal:Default"] = "true",
        });

        var problems = options.Problems();
        var twice = "TracedLlm:Routing:Nowhere:Teams names legal, "
            + "which Destinations:legal:Teams names too: choose one.";
        Assert.Contains(twice, problems);
        Assert.Contains("TracedLlm:Routing:Nowhere:Users must not hold an empty entry.", problems);
    }

    [Fact]
    public void TenThousandDestinationsBindAndStartAndOneBadOneIsNamedAlone()
    {
        const int Count = 10_000;
        var values = new Dictionary<string, string?> { ["TracedLlm:Routing:DenyUnmatched"] = "true" };
        for (var i = 0; i < Count; i++)
        {
            values[$"TracedLlm:Routing:Destinations:team-{i}:Kind"] = "Langfuse";
            values[$"TracedLlm:Routing:Destinations:team-{i}:Endpoint"] = $"https://langfuse-{i % 4}.example.com";
            values[$"TracedLlm:Routing:Destinations:team-{i}:PublicKey"] = $"pk-lf-{i}";
            values[$"TracedLlm:Routing:Destinations:team-{i}:SecretKey"] = $"sk-lf-{i}-{Secret}";
            values[$"TracedLlm:Routing:Destinations:team-{i}:Teams:0"] = $"team-{i}";
            values[$"TracedLlm:Routing:Destinations:team-{i}:Keys:0"] = $"key-{i}";
        }

        using (var host = RoutingHost(values))
        {
            host.Services.GetRequiredService<IStartupValidator>().Validate();
            var options = host.Services.GetRequiredService<IOptionsMonitor<TraceRoutingOptions>>().CurrentValue;
            Assert.Equal(Count, options.Destinations.Count);
            Assert.Equal(new[] { "team-4711" }, options.Destinations["team-4711"].Teams);
            Assert.Equal(new[] { "key-9999" }, options.Destinations["team-9999"].Keys);
            var routes = new DestinationRoutes(options);
            Assert.Equal("team-4711", Assert.Single(routes.For(new LlmCaller { TeamId = "team-4711" }, _ => { })).Name);

            // Four hosts, a key pair each team: ten thousand channels (no two teams share credentials).
            Assert.Equal(Count, routes.Channels.Count);
        }

        values["TracedLlm:Routing:Destinations:team-4711:Endpoint"] = "ftp://langfuse.example.com";
        using (var host = RoutingHost(values))
        {
            var validator = host.Services.GetRequiredService<IStartupValidator>();
            var failed = Assert.Throws<OptionsValidationException>(validator.Validate);
            var failure = Assert.Single(failed.Failures);
            Assert.Equal("TracedLlm:Routing:Destinations:team-4711: Endpoint is not an http(s) URL.", failure);
        }
    }

    [Fact]
    public void ADestinationsListsAreReadByIndexAsTheBinderReadsThemUpToAGap()
    {
        var values = new Dictionary<string, string?>
        {
            ["TracedLlm:Routing:Destinations:a:Endpoint"] = "http://c/1",
            ["TracedLlm:Routing:Destinations:a:Default"] = "true",
            ["TracedLlm:Routing:Destinations:a:Teams:0"] = "t-1",
            ["TracedLlm:Routing:Destinations:a:Teams:1"] = "t-2",
            ["TracedLlm:Routing:Destinations:a:teams:2"] = "t-3",
            ["TracedLlm:Routing:Destinations:a:Users:0"] = "u-1",
            ["TracedLlm:Routing:Destinations:a:Organizations:0"] = "o-1",
            ["TracedLlm:Routing:Destinations:a:Keys:0"] = "k-1",
            ["TracedLlm:Routing:Destinations:a:Keys:1"] = "k-2",

            // After a gap: the binder reads it, the routing's reader does not (docs/configuration.md says so).
            ["TracedLlm:Routing:Destinations:a:Keys:5"] = "k-6",
            ["TracedLlm:Routing:Nowhere:Teams:0"] = "t-9",
        };

        using var host = RoutingHost(values);
        var read = host.Services.GetRequiredService<IOptionsMonitor<TraceRoutingOptions>>().CurrentValue;
        var bound = Bind(values);
        var (a, expected) = (read.Destinations["a"], bound.Destinations["a"]);
        Assert.Equal(expected.Teams, a.Teams);
        Assert.Equal(expected.Users, a.Users);
        Assert.Equal(expected.Organizations, a.Organizations);
        Assert.Equal(new[] { "k-1", "k-2", "k-6" }, expected.Keys);
        Assert.Equal(new[] { "k-1", "k-2" }, a.Keys);
        Assert.Equal(bound.Nowhere.Teams, read.Nowhere.Teams);
    }

    // A host that binds the routing as AddTracedLlmDestinations does.
    private static IHost RoutingHost(Dictionary<string, string?> values)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddTracedLlmDestinations());
        return builder.Build();
    }

    private static TraceRoutingOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new TraceRoutingOptions();
        configuration.GetSection(TraceRoutingOptions.SectionName).Bind(options);
        return options;
    }
}
