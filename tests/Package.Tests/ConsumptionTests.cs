using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TracedLlm.EndToEnd.Tests;

namespace TracedLlm.Package.Tests;

/// <summary>
/// A gateway team's first minute, by the README: a fresh <c>dotnet new web</c> project, the
/// packages of its "Your own gateway" section from the packed feed, and its code exactly as
/// written. It builds with no warning, serves a traced request through its upstream (a local fake
/// OpenAI), records the span tree with its own tracing set-up, writes the manifest, and reports
/// TLLM2001 with its help link once a wrong-slot literal is added.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed partial class ConsumptionTests(PackedFeed feed)
{
    /// <summary>
    /// Added beside the README's files, so the test sees the spans the app's own tracing records:
    /// this listener samples nothing itself (no Sample callback), it is told of what others record.
    /// </summary>
    private const string Observer = """
        #pragma warning disable CA2255 // a test hook, started before the app
        internal static class TracedLlmTestObserver
        {
            [System.Runtime.CompilerServices.ModuleInitializer]
            internal static void Start() => System.Diagnostics.ActivitySource.AddActivityListener(
                new System.Diagnostics.ActivityListener
                {
                    ShouldListenTo = source => source.Name == "TracedLlm.Gateway",
                    ActivityStopped = span => System.Console.WriteLine(
                        $"observed-span|{span.DisplayName}|{span.Kind}|{span.TraceId}|{span.SpanId}|"
                        + $"{span.ParentSpanId}|{span.Recorded}"),
                });
        }
        """;

    [Fact]
    public void TheReadmeDocumentsTheOnePackCommand() =>
        Assert.Contains(
            "```bash\n" + PackedFeed.PackCommand + "\n```",
            ReadmeSnippet.Read(Readme).Section,
            StringComparison.Ordinal);

    [Fact]
    public async Task TheReadmesGatewayBuildsWithNoWarningAndServesATracedRequest()
    {
        var snippet = ReadmeSnippet.Read(Readme);
        var work = Path.Combine(Path.GetTempPath(), "tracedllm-consumer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var app = Path.Combine(work, "Gateway");
            await File.WriteAllTextAsync(Path.Combine(work, "nuget.config"), NuGetConfig(snippet, work));
            await DotnetAsync(work, "new", "web", "-o", app, "--no-restore");
            foreach (var (file, code) in snippet.Files)
            {
                await File.WriteAllTextAsync(Path.Combine(app, file), code + "\n");
            }

            await File.WriteAllTextAsync(Path.Combine(app, "TracedLlmTestObserver.cs"), Observer + "\n");
            foreach (var command in snippet.AddPackageCommands)
            {
                await ChildProcess.RunAsync(command[0], command[1..], app, PackedFeed.CommandTimeout);
            }

            // Warnings as errors: a warning (a NuGet one included) fails the build with its text.
            AssertNoAnalyzerOrGeneratorCrash(
                await DotnetAsync(app, "build", "-c", "Release", "-nologo", "-warnaserror"));

            var output = Path.Combine(app, "bin", "Release", "net10.0");
            var path = snippet.FirstTracedPath();
            Assert.Contains(
                $"\"path\":\"{path}\"",
                await File.ReadAllTextAsync(Path.Combine(output, "tracedllm-manifest.json")),
                StringComparison.Ordinal);

            await using var upstream = await FakeOpenAi.StartAsync();
            var environment = new Dictionary<string, string?>
            {
                ["Upstream__BaseUrl"] = upstream.BaseUrl,
                ["Upstream__ApiKey"] = "sk-fake-upstream",
            };
            var arguments = new[] { Path.Combine(output, "Gateway.dll"), "--urls", "http://127.0.0.1:0" };
            using (var gateway = ChildProcess.Start("dotnet", arguments, output, environment))
            {
                var url = await gateway.WaitForLineAsync(
                    line => ListeningOn().Match(line) is { Success: true } m ? m.Groups[1].Value : null,
                    TimeSpan.FromSeconds(60));
                using var http = new HttpClient();
                const string Body =
                    """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"does it trace?"}],"metadata":"""
                    + """{"generation_name":"first-minute"}}""";
                using var response = await http.PostAsync(
                    url + path,
                    new StringContent(Body, Encoding.UTF8, "application/json"));
                var answer = await response.Content.ReadAsStringAsync();
                Assert.True(200 == (int)response.StatusCode, $"{(int)response.StatusCode}: {answer}\n{gateway.Output}");
                Assert.Contains(FakeOpenAi.Answer, answer, StringComparison.Ordinal);
                Assert.Equal("gpt-4o-mini", (string?)JsonNode.Parse(Assert.Single(upstream.Received))!["model"]);

                // The server span ends last: then the whole tree has been recorded.
                await gateway.WaitForLineAsync(
                    line =>
                        line.StartsWith("observed-span|Received Proxy Server Request|", StringComparison.Ordinal)
                            ? line
                            : null,
                    TimeSpan.FromSeconds(30));
                var spans = gateway.Lines
                    .Where(line => line.StartsWith("observed-span|", StringComparison.Ordinal))
                    .Select(ObservedSpan.Parse)
                    .ToList();
                Assert.All(spans, span => Assert.True(span.Recorded, $"{span.Name} was not recorded"));
                var server = Assert.Single(spans, s => s.Name == "Received Proxy Server Request");
                var llm = Assert.Single(spans, s => s.Name == "first-minute");
                var attempt = Assert.Single(spans, s => s.Name == "raw_gen_ai_request");
                Assert.Equal(server.SpanId, llm.Parent);
                Assert.Equal(llm.SpanId, attempt.Parent);
                Assert.Single(spans, s => s.Name == "proxy_pre_call" && s.Parent == server.SpanId);
                Assert.All(spans, s => Assert.Equal(server.TraceId, s.TraceId));
            }

            // A second route, and what makes the analyzers build the tables their callbacks share
            // (routes that throw, a failure filter, an authenticator, a guardrail): issue 34's crash.
            await File.WriteAllTextAsync(Path.Combine(app, "Helper.cs"), """
                using TracedLlm;

                public sealed record HelperAsk(string? Question);

                public sealed record HelperAnswer(string Text);

                public static class MoreRoutes
                {
                    [TracedLlmRoute("POST", "/v1/messages")]
                    public static HelperAnswer Messages(HelperAsk ask, LlmCall call) =>
                        new(call.HttpContext.Items["metadata"] as string ?? "none");

                    [TracedLlmRoute("POST", "/v1/embeddings")]
                    public static HelperAnswer Embeddings(HelperAsk ask) =>
                        ask.Question is null
                            ? throw new InvalidLlmRequestException("question is required")
                            : new(ask.Question);

                    private static readonly System.Diagnostics.ActivitySource Source = new("Helper");

                    // TLLM2003 runs on Microsoft.CodeAnalysis.AnalyzerUtilities, loaded from the package's
                    // analyzers/dotnet/cs: the span is left open when the awaited call throws.
                    [TracedLlmRoute("POST", "/v1/completions")]
                    public static async Task<HelperAnswer> Completions(HelperAsk ask)
                    {
                        var span = Source.StartActivity("lookup");
                        await Task.Yield();
                        span?.Stop();
                        return new(ask.Question ?? "none");
                    }
                }

                public static class FailureFilter
                {
                    [FailureLoggingPath]
                    public static bool ShouldLog(Exception exception) => exception is GatewayException;
                }

                public sealed class KeyAuthenticator : ILlmAuthenticator
                {
                    public ValueTask<AuthResult> AuthenticateAsync(
                        LlmCall llmCall,
                        CancellationToken cancellationToken) =>
                        llmCall.HttpContext.Request.Headers.Authorization.Count == 0
                            ? throw new LlmAuthenticationException("missing key")
                            : ValueTask.FromResult(AuthResult.Success());
                }

                public sealed class EmptyPromptGuardrail : ILlmGuardrail
                {
                    public string Name => "empty-prompt";

                    public GuardrailMode Modes => GuardrailMode.PreCall;

                    public ValueTask<GuardrailVerdict> CheckAsync(
                        GuardrailContext context,
                        CancellationToken cancellationToken) =>
                        context.Request is HelperAsk { Question: "" }
                            ? throw new GuardrailBlockedException(Name, "empty prompt")
                            : ValueTask.FromResult(GuardrailVerdict.Allow);
                }
                """);
            var flagged = await DotnetAsync(app, "build", "-c", "Release", "-nologo");
            AssertNoAnalyzerOrGeneratorCrash(flagged);
            Assert.Equal(
                new[] { "warning TLLM2001", "warning TLLM2003" },
                Regex.Matches(flagged, @"warning TLLM\d+")
                    .Select(m => m.Value)
                    .Distinct()
                    .Order(StringComparer.Ordinal));
            Assert.Matches(
                @"Helper\.cs\(\d+,\d+\): warning TLLM2003: The Activity in 'span' is not ended on every path",
                flagged);
            Assert.Matches(
                // Messages' second line, where it reads the key.
                @"Helper\.cs\(11,\d+\): warning TLLM2001: Metadata slot mismatch: key 'metadata' names a "
                + @"metadata slot, but this code is reached from route 'POST /v1/messages' \(slot 'litellm_metadata'\)",
                flagged);
            Assert.Contains(
                "https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/TLLM2001.md",
                flagged,
                StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Readme => Path.Combine(PackedFeed.RepositoryRoot, "README.md");

    /// <summary>
    /// The README's <c>nuget.config</c> as written, its folder pointed at the packed feed, with a
    /// package folder of the test's own added (never a stale 0.1.0 from the machine's cache).
    /// </summary>
    private string NuGetConfig(ReadmeSnippet snippet, string work) =>
        snippet.NuGetConfig
            .Replace(ReadmeSnippet.FeedValue, $"value=\"{feed.Directory}\"", StringComparison.Ordinal)
            .Replace("</configuration>", $"""
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" />
                  </config>
                </configuration>
                """, StringComparison.Ordinal);

    /// <summary>
    /// An analyzer or generator that throws (AD0001, CS8784, CS8785) or cannot be loaded (CS8032)
    /// silences its rules for the code it was reading: a build that reports one fails the test,
    /// warnings as errors or not.
    /// </summary>
    private static void AssertNoAnalyzerOrGeneratorCrash(string buildOutput)
    {
        var crashes = Regex
            .Matches(buildOutput, @"^.*\b(AD0001|CS8032|CS8784|CS8785)\b.*$", RegexOptions.Multiline)
            .Select(m => m.Value)
            .Distinct()
            .ToList();
        Assert.True(
            crashes.Count == 0,
            "The build reported an analyzer or generator crash:\n" + string.Join("\n", crashes));
    }

    private static Task<string> DotnetAsync(string directory, params string[] arguments) =>
        ChildProcess.RunAsync("dotnet", arguments, directory, PackedFeed.CommandTimeout);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();

    private sealed record ObservedSpan(
        string Name,
        string Kind,
        string TraceId,
        string SpanId,
        string Parent,
        bool Recorded)
    {
        public static ObservedSpan Parse(string line)
        {
            var parts = line.Split('|');
            return new ObservedSpan(parts[1], parts[2], parts[3], parts[4], parts[5], bool.Parse(parts[6]));
        }
    }
}
