using TracedLlm.Generators;

namespace TracedLlm.Analyzers;

/// <summary>TLLM2005: a route on slot <c>metadata</c> whose request has its own <c>metadata</c> property.</summary>
/// <remarks>
/// Gateway and provider metadata would share one field. An untyped body holds whatever the client sent, so the rule
/// asks whether the provider's API has the field on this path (<see cref="RouteConventions.ProviderMetadataApi"/>). A
/// shared slot (<c>MetadataSlotMode.Shared</c>) is not a collision.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SlotCollisionAnalyzer : RouteAttributeAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.SlotCollision);

    private protected override void Analyze(IMethodSymbol method, AttributeData attribute, RouteAttributeData route,
        Location location, WellKnownTypes types, Action<Diagnostic> report)
    {
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
                && RouteConventions.ProviderMetadataApi(route.Pattern ?? string.Empty) is { } api)
            {
                report(Diagnostic.Create(DiagnosticDescriptors.SlotCollision, location,
                        $"Route '{Name(route)}' keeps gateway metadata in 'metadata' by default, a field {api} "
                        + $"defines too, and its body is {untyped}: "
                            + "a client's 'metadata' is read as gateway metadata and never forwarded upstream; use "
                            + "MetadataSlot = \"litellm_metadata\" to forward it, "
                            + "MetadataSlotMode = MetadataSlotMode.Shared to forward what is not the gateway's, or "
                            + "MetadataSlot = \"metadata\" to say the gateway takes it"));
            }

            return;
        }

        if (bodyType is not INamedTypeSymbol body
            || BodyMembers.Find(body, RouteConventions.MetadataSlot) is not { } property)
        {
            return;
        }

        report(Diagnostic.Create(DiagnosticDescriptors.SlotCollision, location,
                $"Route '{Name(route)}' keeps gateway metadata in 'metadata', but its request type "
                + $"'{body.ToDisplayString()}' has its own property '{property.Name}' serialized as 'metadata'; use "
                + $"MetadataSlot = \"litellm_metadata\""));
    }

    /// <summary>How an untyped body is described, or null for a typed one.</summary>
    private static string? Untyped(ITypeSymbol? body, WellKnownTypes types) => body switch
    {
        null => "not bound to a type (the handler works with the request's bytes)",
        _ when Same(body, types.JsonElement) || (types.JsonNode is not null && DerivesFrom(body, types.JsonNode))
            || body.ToDisplayString() == "System.Text.Json.JsonDocument" => $"untyped ('{body.ToDisplayString()}')",
        _ => null,
    };
}
