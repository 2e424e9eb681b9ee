using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Rules;

/// <summary>TLLM2002: a type thrown in traced code that every failure filter certainly rejects.</summary>
internal static class FailurePathRule
{
    public static void Report(ThrowSite thrown, FailureFilters filters, DiagnosticDescriptor descriptor, Action<Diagnostic> report, FindingPath? path = null)
    {
        if (filters.Rejecting(thrown) is not { } filter)
        {
            return;
        }

        var position = filter.Location.GetLineSpan();
        var where = $"the failure filter at {System.IO.Path.GetFileName(position.Path)}({position.StartLinePosition.Line + 1},{position.StartLinePosition.Character + 1})";
        var properties = ImmutableDictionary<string, string?>.Empty;
        if (filter.Accepts.AcceptedTypes().FirstOrDefault(t => t is INamedTypeSymbol { TypeKind: TypeKind.Class, IsSealed: false, SpecialType: SpecialType.None }) is { } accepted)
        {
            properties = properties.Add(DiagnosticIds.AcceptedTypeProperty, accepted.ToDisplayString());
        }

        report(Findings.Create(descriptor, thrown.Location, path, new[] { filter.Location }, properties, thrown.Type.ToDisplayString(), where, filter.Accepts.Describe()));
    }
}
