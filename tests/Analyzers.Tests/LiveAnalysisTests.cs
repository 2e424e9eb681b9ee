using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// What an editor shows while typing: a route's own findings are reported per method, without
/// compilation-end actions; findings in code reached through calls need the call graph and come
/// with a build or full-solution analysis.
/// </summary>
public sealed class LiveAnalysisTests
{
    private const string Handler = Corpus.Header + """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, LlmCall call, HttpClient http)
            {
                var slot = call.HttpContext.Items["metadata"];
                var activity = Telemetry.Source.StartActivity("upstream");
                try { await http.PostAsync("http://upstream/v1/messages", new StringContent("{}"));
                    } catch (HttpRequestException) { }
                if (request.Model is null)
                {
                    throw new InvalidOperationException("model");
                }

                return new Reply { Text = Helpers.Read(call) + slot };
            }
        }
        """;

    private const string Helper = """
        namespace Contoso;

        internal static class Helpers
        {
            public static string? Read(TracedLlm.LlmCall call) => call.HttpContext.Items["metadata"] as string;
        }
        """;

    [Fact]
    public async Task ARoutesOwnFindingsAreReportedPerDocument()
    {
        var compilation = ProjectAnalysis.Compile(Handler, Helper);
        var handler = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");

        var live = await ProjectAnalysis.DocumentDiagnosticsAsync(compilation, handler);

        Assert.Equal(new[] { "TLLM2001", "TLLM2003", "TLLM2006", "TLLM2004", "TLLM2002" }, live.Select(d => d.Id));
        Assert.All(live, d => Assert.DoesNotContain(WellKnownDiagnosticTags.CompilationEnd, d.Descriptor.CustomTags));
    }

    [Fact]
    public async Task FindingsThroughCallsComeAtCompilationEnd()
    {
        var compilation = ProjectAnalysis.Compile(Handler, Helper);
        var helper = compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs");

        Assert.Empty(await ProjectAnalysis.DocumentDiagnosticsAsync(compilation, helper));

        var build = await ProjectAnalysis.BuildDiagnosticsAsync(compilation);
        var throughCalls = Assert.Single(build, d => d.Location.SourceTree == helper);
        Assert.Equal("TLLM2001", throughCalls.Id);
        Assert.Contains(WellKnownDiagnosticTags.CompilationEnd, throughCalls.Descriptor.CustomTags);
        Assert.Equal(6, build.Length);
    }

    [Fact]
    public void EachRuleHasOneLiveAndOneCompilationEndDescriptorAndTheIdsAreTheSharedOnes()
    {
        var descriptors = new TracedCodeAnalyzer()
            .SupportedDiagnostics.Concat(new SlotCollisionAnalyzer().SupportedDiagnostics)
            .ToList();

        // TLLM2007 is found only through calls (a route's own catches are TLLM2004's), so it has no live descriptor; it
        // is off by default.
        var handled = Assert.Single(descriptors, d => d.Id == "TLLM2007");
        Assert.Contains(WellKnownDiagnosticTags.CompilationEnd, handled.CustomTags);
        Assert.False(handled.IsEnabledByDefault);
        Assert.All(descriptors.Where(d => d.Id != "TLLM2007"), d => Assert.True(d.IsEnabledByDefault));

        foreach (var group in descriptors.Where(d => d.Id != "TLLM2007").GroupBy(d => d.Id))
        {
            Assert.Single(group, d => !d.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd));
            Assert.True(group.Count() <= 2);
            Assert.Single(group.Select(d => d.MessageFormat.ToString()).Distinct());
            Assert.All(
                group,
                d =>
                    Assert.Equal(
                        $"https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/{d.Id}.md",
                        d.HelpLinkUri));
        }

        Assert.Equal(
            new[] { "TLLM2001", "TLLM2002", "TLLM2003", "TLLM2004", "TLLM2005", "TLLM2006", "TLLM2007", "TLLM2008" },
            descriptors.Select(d => d.Id).Distinct().OrderBy(id => id));
        Assert.Single(descriptors, d => d.Id == "TLLM2005");
    }
}
