using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers;

/// <summary>
/// TLLM2005: a route on slot <c>metadata</c> whose request type has its own property serialized as
/// <c>metadata</c> (by name under any casing policy, or by <c>[JsonPropertyName]</c>). Gateway and
/// provider metadata would share one field: the reason Anthropic routes use <c>litellm_metadata</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SlotCollisionAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.SlotCollision);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (WellKnownTypes.Create(start.Compilation) is not { } types)
            {
                return;
            }

            start.RegisterSymbolAction(symbol => Analyze(symbol, types), SymbolKind.Method);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, WellKnownTypes types)
    {
        var method = (IMethodSymbol)context.Symbol;
        var attribute = method.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, types.RouteAttribute));
        if (attribute is null)
        {
            return;
        }

        var route = RouteAttributeData.Read(attribute);
        if (route.Slot != RouteConventions.MetadataSlot || HandlerBinding.FindBody(method)?.Type is not INamedTypeSymbol body)
        {
            return;
        }

        var property = MetadataProperty(body, types);
        if (property is null || attribute.ApplicationSyntaxReference is not { } syntax)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.SlotCollision,
            syntax.GetSyntax(context.CancellationToken).GetLocation(),
            $"{route.HttpMethod?.ToUpperInvariant()} {route.Pattern}",
            body.ToDisplayString(),
            property.Name));
    }

    private static IPropertySymbol? MetadataProperty(INamedTypeSymbol type, WellKnownTypes types)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.DeclaredAccessibility != Accessibility.Public || property.IsIndexer
                    || (types.JsonIgnoreAttribute is not null && WellKnownTypes.HasAttribute(property, types.JsonIgnoreAttribute)))
                {
                    continue;
                }

                if (SerializedName(property, types) is { } name && string.Equals(name, RouteConventions.MetadataSlot, StringComparison.OrdinalIgnoreCase))
                {
                    return property;
                }
            }
        }

        return null;
    }

    private static string? SerializedName(IPropertySymbol property, WellKnownTypes types)
    {
        var renamed = property.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, types.JsonPropertyNameAttribute));
        if (renamed is not null)
        {
            // An explicit name is used as written, whatever the naming policy.
            return renamed.ConstructorArguments.FirstOrDefault().Value is string explicitName && explicitName == RouteConventions.MetadataSlot ? explicitName : null;
        }

        return property.Name;
    }
}
