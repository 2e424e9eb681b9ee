using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// The generator's tracked steps stay cached when nothing traced changed, and hold no Roslyn objects.
/// </summary>
public sealed class IncrementalityTests
{
    private static readonly string[] TrackedSteps =
    {
        TrackingNames.Routes, TrackingNames.Models, TrackingNames.Diagnostics,
        TrackingNames.RouteKeys, TrackingNames.RouteTable, TrackingNames.RuntimeReferenced,
        TrackingNames.TrackedContract, TrackingNames.ContractDrift,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EditOutsideTracedRoutesLeavesEveryStepCachedOrUnchanged(bool tracksContract)
    {
        var compilation = GeneratorHarness.Compile(Sources.Gateway, Sources.Unrelated);
        var driver = tracksContract
            ? GeneratorHarness
                .CreateDriver()
                .AddAdditionalTexts(
                    System.Collections.Immutable.ImmutableArray.Create<AdditionalText>(
                        new ContractFile("# an older contract\nroute GET /gone\n")))
            : GeneratorHarness.CreateDriver();
        driver = driver.RunGenerators(compilation);
        if (tracksContract)
        {
            // The file is read and differs, so the check has something to report on the first run.
            Assert.Contains(driver.GetRunResult().Diagnostics, d => d.Id == "TLLM1011");
            Assert.True(driver.GetRunResult().Results.Single().TrackedSteps.ContainsKey(TrackingNames.ContractDrift));
        }

        var unrelatedTree = compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs");
        var edited = compilation.ReplaceSyntaxTree(
            unrelatedTree,
            CSharpSyntaxTree.ParseText(
                Sources.Unrelated.Replace("42", "43"),
                GeneratorHarness.ParseOptions,
                "Source1.cs"));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.All(
            new[] { TrackingNames.Routes, TrackingNames.Models, TrackingNames.RouteTable },
            step => Assert.True(second.TrackedSteps.ContainsKey(step), $"step {step} was not tracked"));
        foreach (var step in TrackedSteps)
        {
            foreach (var output in Outputs(second, step))
            {
                Assert.True(
                    output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"step {step} re-ran with reason {output.Reason}");
            }
        }
    }

    [Fact]
    public void EditInsideOneRouteChangesOnlyThatRoutesModel()
    {
        var compilation = GeneratorHarness.Compile(Sources.Gateway);
        var first = GeneratorHarness.Run(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(
            tree,
            CSharpSyntaxTree.ParseText(
                Sources.Gateway.Replace("\"/v1/messages\"", "\"/v1/messages/v2\""),
                GeneratorHarness.ParseOptions,
                tree.FilePath));
        var second = first.Driver.RunGenerators(edited).GetRunResult().Results.Single();

        var models = second.TrackedSteps[TrackingNames.Models].SelectMany(s => s.Outputs).ToList();
        var modified = models
            .Where(o => o.Reason == IncrementalStepRunReason.Modified)
            .Select(o => ((RouteModel)o.Value).Pattern)
            .ToList();
        Assert.Equal(new[] { "/v1/messages/v2" }, modified);
        Assert.All(
            models.Where(o => o.Reason != IncrementalStepRunReason.Modified),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void TrackedOutputsHoldNoSymbolsSyntaxOrCompilation()
    {
        var run = GeneratorHarness.Run(Sources.Gateway);
        var result = run.Result.Results.Single();
        foreach (var step in TrackedSteps)
        {
            foreach (var output in Outputs(result, step))
            {
                AssertNoRoslynObjects(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
            }
        }
    }

    private sealed class ContractFile(string text) : AdditionalText
    {
        public override string Path => "/gateway/" + TelemetryContract.FileName;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(
            System.Threading.CancellationToken cancellationToken = default
        ) => Microsoft.CodeAnalysis.Text.SourceText.From(text);
    }

    // A step with nothing to produce (no diagnostics, say) has no entry at all.
    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> Outputs(
        GeneratorRunResult result,
        string step) =>
        result.TrackedSteps.TryGetValue(step, out var runs)
            ? runs.SelectMany(s => s.Outputs)
            : Enumerable.Empty<(object, IncrementalStepRunReason)>();

    private static void AssertNoRoslynObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null
            || value is string
            || value.GetType().IsPrimitive
            || value.GetType().IsEnum
            || !seen.Add(value))
        {
            return;
        }

        Assert.False(
            value is ISymbol or SyntaxNode or Compilation or SemanticModel or Location,
            $"step {step} holds a {value.GetType().Name}");
        if (value is IEnumerable items)
        {
            foreach (var item in items)
            {
                AssertNoRoslynObjects(item, step, seen);
            }
        }

        foreach (
            var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
        )
        {
            AssertNoRoslynObjects(field.GetValue(value), step, seen);
        }
    }
}
