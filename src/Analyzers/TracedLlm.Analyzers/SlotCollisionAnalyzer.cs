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

    /// <summary>
    /// The member System.Text.Json binds as <c>metadata</c>, if any: public instance properties,
    /// and properties and fields of any accessibility marked <c>[JsonInclude]</c>, unless
    /// <c>[JsonIgnore]</c> ignores them always (a conditional <c>[JsonIgnore]</c>, such as
    /// <c>Condition = WhenWritingNull</c>, still reads and writes the member).
    /// </summary>
    private static ISymbol? MetadataProperty(INamedTypeSymbol type, WellKnownTypes types)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                var included = types.JsonIncludeAttribute is not null && WellKnownTypes.HasAttribute(member, types.JsonIncludeAttribute);
                var bound = member switch
                {
                    IPropertySymbol { IsStatic: false, IsIndexer: false } property => included || property.DeclaredAccessibility == Accessibility.Public,
                    IFieldSymbol { IsStatic: false, IsImplicitlyDeclared: false } => included,
                    _ => false,
                };
                if (!bound || IgnoredAlways(member, types))
                {
                    continue;
                }

                if (SerializedName(member, types) is { } name && string.Equals(name, RouteConventions.MetadataSlot, StringComparison.OrdinalIgnoreCase))
                {
                    return member;
                }
            }
        }

        return null;
    }

    /// <summary><c>[JsonIgnore]</c> with no condition, or <c>Condition = JsonIgnoreCondition.Always</c>.</summary>
    private static bool IgnoredAlways(ISymbol member, WellKnownTypes types)
    {
        var ignore = member.GetAttributes().FirstOrDefault(a => WellKnownTypes.Same(a.AttributeClass, types.JsonIgnoreAttribute));
        if (ignore is null)
        {
            return false;
        }

        // JsonIgnoreCondition.Always is 1; without the argument the attribute ignores always.
        var condition = ignore.NamedArguments.Where(n => n.Key == "Condition").Select(n => n.Value.Value).ToList();
        return condition.Count == 0 || condition[0] is 1;
    }

    private static string? SerializedName(ISymbol property, WellKnownTypes types)
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
