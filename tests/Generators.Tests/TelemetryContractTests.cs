using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.Testing;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// TLLM1011: a route's emitted telemetry against the tracked TracedLlm.Telemetry.txt, on
/// Microsoft.CodeAnalysis.Testing.
/// </summary>
public sealed class TelemetryContractTests
{
    private const string ChatRoute = "POST /v1/chat/completions";
    private const string MessagesRoute = "POST /v1/messages";

    /// <summary>
    /// The file both routes emit, not written by the code under test: the fixture gateway's tracked
    /// TracedLlm.Telemetry.txt (reviewed in git, and kept current by its build, where TLLM1011 is an
    /// error) gives the prelude and a route's part, which stands here under each route's line.
    /// </summary>
    private static readonly string Emitted = FromTrackedFile();

    private static string FromTrackedFile([CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, "..", "Gateway.Fixture", TelemetryContract.FileName);
        var lines = File.ReadAllText(path).Replace("\r\n", "\n").Split('\n');
        static bool IsRoute(string line) => line.StartsWith("route ", System.StringComparison.Ordinal);
        var first = System.Array.FindIndex(lines, IsRoute);
        var second = System.Array.FindIndex(lines, first + 1, IsRoute);
        Assert.True(first > 0 && second > first, $"{path} tracks two routes or more");
        var prelude = string.Join("\n", lines.Take(first)).TrimEnd('\n');
        var body = string.Join("\n", lines.Skip(first + 1).Take(second - first - 1)).TrimEnd('\n');
        return $"{prelude}\n\nroute {ChatRoute}\n{body}\n\nroute {MessagesRoute}\n{body}\n";
    }

    private sealed class Test : CSharpSourceGeneratorTest<TracedLlmRouteGenerator, DefaultVerifier>
    {
        public Test(string? contract)
        {
            TestCode = ContractSources.Routes;
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);
            if (contract is not null)
            {
                TestState.AdditionalFiles.Add((TelemetryContract.FileName, contract));
            }

            TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        }

        protected override ParseOptions CreateParseOptions() =>
            ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Latest);
    }

    private static Task VerifyAsync(string? contract, params DiagnosticResult[] expected)
    {
        var test = new Test(contract);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    private static DiagnosticResult Drift(int location, string route, string difference) =>
        new DiagnosticResult("TLLM1011", DiagnosticSeverity.Warning)
            .WithLocation(location)
            .WithMessage(
                $"The telemetry of route '{route}' differs from TracedLlm.Telemetry.txt: {difference}; review the "
                + "change, then update the file (code fix)");

    [Fact]
    public Task WithoutTheFileNothingIsChecked() => VerifyAsync(null);

    [Fact]
    public Task MatchingFileIsQuiet() => VerifyAsync(Emitted);

    [Fact]
    public void TheWriterWritesTheTrackedFile() => Assert.Equal(Emitted, TelemetryContract.Write(new[]
    {
        new RouteKey("POST", "/v1/messages", "Contoso.Routes.Messages", default),
        new RouteKey("POST", "/v1/chat/completions", "Contoso.Routes.Chat", default),
    }));

    [Fact]
    public void FileListsEachRoutesModeSpansAttributesAndMetrics()
    {
        var lines = Emitted.Split('\n');
        var chat = System.Array.IndexOf(lines, "route " + ChatRoute);
        var messages = System.Array.IndexOf(lines, "route " + MessagesRoute);
        Assert.True(chat > 0 && messages > chat, "routes are listed by path");
        Assert.Equal("  mode default semconv " + TelemetryManifest.SemanticConventions, lines[chat + 1]);
        var chatLines = lines.Skip(chat).Take(messages - chat).ToList();
        Assert.Contains("  span litellm_request [Client]", chatLines);
        Assert.Contains("    attribute gen_ai.request.model", chatLines);
        Assert.Contains("  span Received Proxy Server Request [Server]", chatLines);
        Assert.Contains("  metric gen_ai.server.request.duration [histogram s]", chatLines);
        Assert.Equal(
            TelemetryManifest.Spans.Length,
            chatLines.Count(l => l.StartsWith("  span ", System.StringComparison.Ordinal)));
    }

    [Fact]
    public Task AttributeMissingFromTheFileIsAnAddition() => VerifyAsync(
        WithoutFirst(Emitted, "    attribute gen_ai.request.model\n"),
        Drift(0, ChatRoute, "attribute 'gen_ai.request.model' added on span 'litellm_request'"));

    [Fact]
    public Task AttributeRenamedInOnePlaceIsARename() =>
        VerifyAsync(
            ReplaceFirst(Emitted, "    attribute gen_ai.request.model\n", "    attribute gen_ai.request.model_name\n"),
            Drift(
                0,
                ChatRoute,
                "attribute 'gen_ai.request.model_name' renamed to 'gen_ai.request.model' on span 'litellm_request'"));

    [Fact]
    public Task SpanNoLongerEmittedIsARemoval() =>
        VerifyAsync(
            ReplaceFirst(
                Emitted,
                "route " + MessagesRoute + "\n",
                "route " + MessagesRoute + "\n  span cache_lookup [Internal]\n    attribute cache.hit\n"),
            Drift(
                1,
                MessagesRoute,
                "span 'cache_lookup [Internal]' removed; attribute 'cache.hit' removed on span 'cache_lookup'"));

    [Fact]
    public Task ModeSwitchIsReportedAtEveryRoute() =>
        VerifyAsync(
            Emitted.Replace(
                "  mode default semconv " + TelemetryManifest.SemanticConventions,
                "  mode gen_ai_latest_experimental semconv 1.38.0"),
            Drift(
                0,
                ChatRoute,
                "convention mode switched from 'gen_ai_latest_experimental semconv 1.38.0' to 'default semconv "
                + $"{TelemetryManifest.SemanticConventions}'"),
            Drift(
                1,
                MessagesRoute,
                "convention mode switched from 'gen_ai_latest_experimental semconv 1.38.0' to 'default semconv "
                + $"{TelemetryManifest.SemanticConventions}'"));

    [Fact]
    public Task NewRouteAndStaleRouteAreNamed() =>
        VerifyAsync(
            ReplaceFirst(Emitted, "route " + MessagesRoute + "\n", "route POST /v1/completions\n"),
            Drift(0, ChatRoute, "route 'POST /v1/completions' is in the file but no longer declared"),
            Drift(
                1,
                MessagesRoute,
                "the route is not in the file; route 'POST /v1/completions' is in the file but no longer declared"));

    private static string ReplaceFirst(string text, string old, string replacement)
    {
        var at = text.IndexOf(old, System.StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{old}' is in the file");
        return text.Substring(0, at) + replacement + text.Substring(at + old.Length);
    }

    private static string WithoutFirst(string text, string line) => ReplaceFirst(text, line, string.Empty);
}
