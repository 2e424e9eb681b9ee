using Analyzer.Utilities;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.ValueContentAnalysis;
using TracedLlm.Analyzers.Collectors;

namespace TracedLlm.Analyzers.Facts;

/// <summary>The values a key at a lookup may hold, for TLLM2001: the own value flow, then Roslyn's.</summary>
/// <remarks>
/// ValueContentAnalysis (context-sensitive) for a string the own flow knows nothing of. On the yardstick
/// (bench/results/2026-11-24-analyzers-dataflow.md) both found 231 of 252 misused keys, the own flow 203, the analysis
/// alone 154 (it does not resolve a helper's parameter from its callers); running it on every key cost 34-39 % of a
/// 1,000-route build, so it runs only where the own flow gives up.
/// </remarks>
internal static class KeyContent
{
    public static ImmutableArray<KeyValue> Values(IOperation operation, MethodScope scope)
    {
        var own = scope.Flow.Values(operation);
        return
            ValueFlow.Unwrap(operation).Type?.SpecialType == SpecialType.System_String
            && own.Any(v => v.Kind == KeyValueKind.Unknown) && !IsElementOfAHandedOnCollection(operation, scope)
            && Literals(operation, scope) is { } literals
            ? own.Where(v => v.Kind != KeyValueKind.Unknown).Concat(literals).Distinct().ToImmutableArray() : own;
    }

    /// <summary>An element of a local's collection the block hands to a method, which may write it.</summary>
    /// <remarks>ValueContentAnalysis does not follow that write (it answers the initializer's literal).</remarks>
    private static bool IsElementOfAHandedOnCollection(IOperation key, MethodScope scope)
    {
        var collection = ValueFlow.Unwrap(key) switch
        {
            IArrayElementReferenceOperation element => ValueFlow.Unwrap(element.ArrayReference),
            IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance } => ValueFlow.Unwrap(
                instance),
            _ => null,
        };
        return collection is ILocalReferenceOperation local
            && scope.Operations.OfType<ILocalReferenceOperation>()
                .Any(use => Same(use.Local, local.Local) && IsHandedOn(use));
    }

    private static bool IsHandedOn(IOperation use) => ValueFlow.Outer(use).Parent is IArgumentOperation;

    /// <summary>The key's literal values by ValueContentAnalysis, or null when it does not know them all.</summary>
    private static ImmutableArray<KeyValue>? Literals(IOperation key, MethodScope scope) =>
        Content(key, scope) is { Other: false, Literals.Count: > 0 } known
            ? known.Literals.Select(KeyValue.Of).ToImmutableArray()
            : null;

    /// <summary>What ValueContentAnalysis says a string may be where <paramref name="value"/> is read, or
    /// null.</summary>
    /// <remarks>The literals it may be, and whether it may be something else too.</remarks>
    internal static (ImmutableHashSet<string> Literals, bool Other)? Content(IOperation value, MethodScope scope)
    {
        if (FlowGraphs.Find(scope, value.Syntax) is not { } at)
        {
            return null;
        }

        var provider = WellKnownTypeProvider.GetOrCreate(value.SemanticModel!.Compilation);
        if (ValueContentAnalysis.TryGetOrComputeResult(at.Graph, at.Owner, provider, scope.Options,
            DiagnosticDescriptors.SlotMismatch, PointsToAnalysisKind.Complete,
            InterproceduralAnalysisKind.ContextSensitive, pessimisticAnalysis: false) is not { } result)
        {
            return null;
        }

        var values = at.Operations.Select(o => result[o]).ToList();
        var literals = values.SelectMany(v => v.LiteralValues).OfType<string>()
            .ToImmutableHashSet(StringComparer.Ordinal);
        return (literals, values.Any(v => v.NonLiteralState != ValueContainsNonLiteralState.No
            || v.LiteralValues.Any(l => l is not string)));
    }
}
