using Microsoft.CodeAnalysis.Diagnostics;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers;

/// <summary>TLLM2005: a route on slot <c>metadata</c> whose request has its own <c>metadata</c> property.</summary>
/// <remarks>
/// Gateway and provider metadata would share one field. An untyped body holds whatever the client sent, so the rule
/// asks whether the provider's API has the field on this path (<see cref="RouteConventions.ProviderMetadataApi"/>). A
/// shared slot (<c>MetadataSlotMode.Shared</c>) is not a collision.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SlotCollisionAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.SlotCollision);

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
        var attribute = method.GetAttributes()
            .FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, types.RouteAttribute));
        if (attribute is null)
        {
            return;
        }

        var route = RouteAttributeData.Read(attribute, method);
        if (route.Slot != RouteConventions.MetadataSlot || route.SharedSlot)
        {
            return;
        }

        var bodyType = HandlerBinding.FindBody(method)?.Type;
        if (Untyped(bodyType, types) is { } untyped)
        {
            // The default slot on a path whose provider has its own 'metadata': an untyped body carries
            // whatever the client sent, so the slot takes the provider's field. An explicit slot is a choice.
            if (route.ExplicitSlot is null
                && RouteConventions.ProviderMetadataApi(route.Pattern ?? string.Empty) is { } api
                && attribute.ApplicationSyntaxReference is { } untypedSyntax)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.SlotCollision,
                        untypedSyntax.GetSyntax(context.CancellationToken).GetLocation(),
                        $"Route '{Name(route)}' keeps gateway metadata in 'metadata' by default, a field {api} "
                        + $"defines too, and its body is {untyped}: "
                            + "a client's 'metadata' is read as gateway metadata and never forwarded upstream; use "
                            + "MetadataSlot = \"litellm_metadata\" to forward it, "
                            + "MetadataSlotMode = MetadataSlotMode.Shared to forward what is not the gateway's, or "
                            + "MetadataSlot = \"metadata\" to say the gateway takes it"));
            }

            return;
        }

        if (bodyType is not INamedTypeSymbol body)
        {
            return;
        }

        var property = BodyMembers.Find(body, RouteConventions.MetadataSlot);
        if (property is null || attribute.ApplicationSyntaxReference is not { } syntax)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.SlotCollision,
                syntax.GetSyntax(context.CancellationToken).GetLocation(),
                $"Route '{Name(route)}' keeps gateway metadata in 'metadata', but its request type "
                + $"'{body.ToDisplayString()}' has its own property '{property.Name}' serialized as 'metadata'; use "
                + $"MetadataSlot = \"litellm_metadata\""));
    }

    private static string Name(RouteAttributeData route) => $"{route.HttpMethod?.ToUpperInvariant()} {route.Pattern}";

    /// <summary>How an untyped body is described, or null for a typed one.</summary>
    private static string? Untyped(ITypeSymbol? body, WellKnownTypes types) => body switch
    {
        null => "not bound to a type (the handler works with the request's bytes)",
        _ when Same(body, types.JsonElement) || (types.JsonNode is not null && DerivesFrom(body, types.JsonNode))
            || body.ToDisplayString() == "System.Text.Json.JsonDocument" => $"untyped ('{body.ToDisplayString()}')",
        _ => null,
    };
}
