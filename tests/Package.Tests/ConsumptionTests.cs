using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TracedLlm.EndToEnd.Tests;

namespace TracedLlm.Package.Tests;

/// <summary>
/// A gateway team's first minute: a fresh web project, the package from a folder feed, one
/// [TracedLlmRoute] handler and MapTracedLlmRoutes(); it builds, serves a traced request, writes
/// the manifest, and reports TLLM2001 with its help link once a wrong-slot literal is added.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed partial class ConsumptionTests(PackedFeed feed)
{
    private const string Program = """
        using OpenTelemetry;
        using OpenTelemetry.Trace;
        using TracedLlm;
        using TracedLlm.OpenTelemetry;
        using TracedLlm.Telemetry;

        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddTracedLlm();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddTracedLlm().AddTracedLlmConsoleTree().Build();
        var app = builder.Build();
        app.MapTracedLlmRoutes();
        app.Run();

        public sealed record Ask(string? Model, string? Question);

        public sealed record Answer(string Text);

        public static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Answer Chat(Ask ask, LlmCall call) => new($"You asked: {ask.Question}");
        }
        """;

    [Fact]
    public async Task AFreshWebProjectAdoptsThePackage()
    {
        var work = Path.Combine(Path.GetTempPath(), "tracedllm-consumer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var app = Path.Combine(work, "Gateway");
            await File.WriteAllTextAsync(Path.Combine(work, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="tracedllm-local" value="{feed.Directory}" />
                  </packageSources>
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" />
                  </config>
                </configuration>
                """);
            await DotnetAsync(work, "new", "web", "-o", app, "--no-restore");
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program);
            await DotnetAsync(app, "add", "package", "TracedLlm", "--version", "0.1.0");
            await DotnetAsync(app, "add", "package", "TracedLlm.OpenTelemetry", "--version", "0.1.0");
            var build = await DotnetAsync(app, "build", "-c", "Release", "-nologo");
            Assert.DoesNotContain("TLLM", build, StringComparison.Ordinal);

            var output = Path.Combine(app, "bin", "Release", "net10.0");
            Assert.Contains("\"path\":\"/v1/chat/completions\"", await File.ReadAllTextAsync(Path.Combine(output, "tracedllm-manifest.json")), StringComparison.Ordinal);

            using (var gateway = ChildProcess.Start("dotnet", new[] { Path.Combine(output, "Gateway.dll"), "--urls", "http://127.0.0.1:0" }, output))
            {
                var url = await gateway.WaitForLineAsync(line => ListeningOn().Match(line) is { Success: true } m ? m.Groups[1].Value : null, TimeSpan.FromSeconds(60));
                using var http = new HttpClient();
                using var response = await http.PostAsync(url + "/v1/chat/completions", new StringContent("""{"model":"m","question":"does it trace?","metadata":{"generation_name":"first-minute"}}""", Encoding.UTF8, "application/json"));
                Assert.Equal(200, (int)response.StatusCode);
                Assert.Equal("""{"text":"You asked: does it trace?"}""", await response.Content.ReadAsStringAsync());

                await gateway.WaitForLineAsync(line => line.Contains("└── first-minute", StringComparison.Ordinal) ? line : null, TimeSpan.FromSeconds(30));
                var tree = gateway.Lines.SkipWhile(line => !line.StartsWith("Received Proxy Server Request", StringComparison.Ordinal)).Take(3).ToList();
                Assert.StartsWith("Received Proxy Server Request", tree[0], StringComparison.Ordinal);
                Assert.StartsWith("├── proxy_pre_call", tree[1], StringComparison.Ordinal);
                Assert.StartsWith("└── first-minute", tree[2], StringComparison.Ordinal);
                var server = SpanId().Match(tree[0]).Groups[1].Value;
                Assert.All(tree.Skip(1), line => Assert.Contains($"parent={server}", line, StringComparison.Ordinal));
            }

            await File.WriteAllTextAsync(Path.Combine(app, "Helper.cs"), """
                using TracedLlm;

                public static class MoreRoutes
                {
                    [TracedLlmRoute("POST", "/v1/messages")]
                    public static Answer Messages(Ask ask, LlmCall call) => new(call.HttpContext.Items["metadata"] as string ?? "none");
                }
                """);
            var flagged = await DotnetAsync(app, "build", "-c", "Release", "-nologo");
            Assert.Matches(@"Helper\.cs\(6,\d+\): warning TLLM2001: Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route 'POST /v1/messages' \(slot 'litellm_metadata'\)", flagged);
            Assert.Contains("https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/TLLM2001.md", flagged, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static Task<string> DotnetAsync(string directory, params string[] arguments) =>
        ChildProcess.RunAsync("dotnet", arguments, directory, PackedFeed.CommandTimeout);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();

    [GeneratedRegex(@"span=([0-9a-f]{16})")]
    private static partial Regex SpanId();
}
