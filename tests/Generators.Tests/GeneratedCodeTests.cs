using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators.Tests;

/// <summary>The generated code compiles clean, and its route table is what the attributes say.</summary>
public sealed class GeneratedCodeTests
{
    [Fact]
    public void GeneratedCodeCompilesWithoutWarnings()
    {
        var run = GeneratorHarness.Run(Sources.Gateway);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems());
        Assert.Equal(
            new[] { "Contoso_Gateway_Routes_Chat.g.cs", "Contoso_Gateway_Routes_Embeddings.g.cs", "Contoso_Gateway_Routes_Messages.g.cs", "TracedLlmRoutes.g.cs" },
            run.Result.Results.Single().GeneratedSources.Select(s => s.HintName).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void RouteTableMapsEachPathToItsSlot()
    {
        var assembly = Load(GeneratorHarness.Run(Sources.Gateway).Output);
        var table = assembly.GetType("TracedLlm.Generated.TracedLlmRouteTable")!;
        string? Slot(string path) => (string?)table.GetMethod("GetMetadataSlot")!.Invoke(null, new object[] { path });

        Assert.Equal("metadata", Slot("/v1/chat/completions"));
        Assert.Equal("litellm_metadata", Slot("/v1/messages"));
        Assert.Equal("gateway_meta", Slot("/v1/embeddings"));
        Assert.Null(Slot("/v1/unknown"));

        var routes = (System.Collections.Generic.IReadOnlyList<TracedRouteInfo>)table.GetProperty("Routes")!.GetValue(null)!;
        Assert.Equal(
            new[]
            {
                new TracedRouteInfo("POST", "/v1/chat/completions", "metadata", WireFormat.OpenAI, "chat", "Contoso.Gateway.Routes.Chat"),
                new TracedRouteInfo("POST", "/v1/embeddings", "gateway_meta", WireFormat.Anthropic, "embeddings", "Contoso.Gateway.Routes.Embeddings"),
                new TracedRouteInfo("POST", "/v1/messages", "litellm_metadata", WireFormat.Anthropic, "chat", "Contoso.Gateway.Routes.Messages"),
            },
            routes);
    }

    [Fact]
    public void HandlerParametersThatClashWithPipelineLocalsStillCompile()
    {
        var run = GeneratorHarness.Run("""
            using System.Threading.Tasks;
            using TracedLlm;

            namespace Contoso;

            internal sealed class Body { public string? Server { get; set; } }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Task<Body> Chat(Body server, LlmCall llm, System.IServiceProvider gateway) => Task.FromResult(server);
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems());
    }

    [Fact]
    public void NoRoutesStillEmitsMapTracedLlmRoutes()
    {
        var run = GeneratorHarness.Run("""
            namespace Contoso;

            internal static class Startup
            {
                public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints) =>
                    Microsoft.AspNetCore.Builder.TracedLlmEndpointRouteBuilderExtensions.MapTracedLlmRoutes(endpoints);
            }
            """);

        Assert.Empty(run.CompilationProblems());
        Assert.Contains("var routes = global::TracedLlm.TracedLlmRouteBuilder.Create(endpoints);\n            return routes;", run.Source("TracedLlmRoutes.g.cs"), StringComparison.Ordinal);
    }

    private static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
