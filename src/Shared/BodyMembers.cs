using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>What a traced handler's body type binds, as System.Text.Json reads it.</summary>
/// <remarks>
/// Shared by the generator, which keeps the app's answers where the type never read a field (<c>"stream"</c>, the
/// metadata slot), and the analyzers, which say where a default still changes an answer (TLLM2005, TLLM2009).
/// </remarks>
internal static class BodyMembers
{
    /// <summary>The body field that asks for a stream.</summary>
    public const string StreamField = "stream";

    private const string JsonIncludeAttribute = "System.Text.Json.Serialization.JsonIncludeAttribute";
    private const string JsonIgnoreAttribute = "System.Text.Json.Serialization.JsonIgnoreAttribute";
    private const string JsonPropertyNameAttribute = "System.Text.Json.Serialization.JsonPropertyNameAttribute";
    private const string JsonExtensionDataAttribute = "System.Text.Json.Serialization.JsonExtensionDataAttribute";

    /// <summary>The handler's body type when it binds the body by its members (a class or struct of its own).</summary>
    /// <remarks>
    /// Null for no body, an untyped one (<c>JsonElement</c>, <c>JsonNode</c>, <c>JsonDocument</c>, <c>object</c>),
    /// or a collection or dictionary, which takes every name.
    /// </remarks>
    public static INamedTypeSymbol? TypedBody(IMethodSymbol method)
    {
        if (HandlerBinding.FindBody(method)?.Type is not INamedTypeSymbol type)
        {
            return null;
        }

        if (type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            type = (INamedTypeSymbol)type.TypeArguments[0];
        }

        var name = type.ToDisplayString();
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.SpecialType != SpecialType.None
            || name.StartsWith("System.Text.Json.", StringComparison.Ordinal)
            || type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable))
        {
            return null;
        }

        return type;
    }

    /// <summary>
    /// True when a handler whose body is <paramref name="body"/> never read its <paramref name="jsonName"/>.
    /// </summary>
    public static bool NeverReads(INamedTypeSymbol? body, string jsonName) =>
        body is not null && Find(body, jsonName, extensionData: true) is null;

    /// <summary>The member System.Text.Json binds as <paramref name="jsonName"/>, if any.</summary>
    /// <remarks>
    /// Public instance properties, and properties and fields of any accessibility marked <c>[JsonInclude]</c>,
    /// unless <c>[JsonIgnore]</c> ignores them always (a conditional one still reads the member); by its name under
    /// any casing policy, or by <c>[JsonPropertyName]</c> as written. With <paramref name="extensionData"/> an
    /// extension data member, which takes every name the type does not bind, is the member then.
    /// </remarks>
    public static ISymbol? Find(INamedTypeSymbol type, string jsonName, bool extensionData = false)
    {
        ISymbol? anyName = null;
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                var included = Has(member, JsonIncludeAttribute);
                var bound = member switch
                {
                    IPropertySymbol { IsStatic: false, IsIndexer: false } property =>
                        included || property.DeclaredAccessibility == Accessibility.Public,
                    IFieldSymbol { IsStatic: false, IsImplicitlyDeclared: false } => included,
                    _ => false,
                };
                if (!bound || IgnoredAlways(member))
                {
                    continue;
                }

                if (Has(member, JsonExtensionDataAttribute))
                {
                    anyName ??= extensionData ? member : null;
                    continue;
                }

                if (SerializedName(member, jsonName) is not null)
                {
                    return member;
                }
            }
        }

        return anyName;
    }

    private static bool Has(ISymbol member, string attribute) => Attribute(member, attribute) is not null;

    private static AttributeData? Attribute(ISymbol member, string attribute) =>
        member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == attribute);

    /// <summary><c>[JsonIgnore]</c> with no condition, or <c>Condition = JsonIgnoreCondition.Always</c>.</summary>
    private static bool IgnoredAlways(ISymbol member)
    {
        var ignore = Attribute(member, JsonIgnoreAttribute);
        if (ignore is null)
        {
            return false;
        }

        // JsonIgnoreCondition.Always is 1; without the argument the attribute ignores always.
        var condition = ignore.NamedArguments.Where(n => n.Key == "Condition").Select(n => n.Value.Value).ToList();
        return condition.Count == 0 || condition[0] is 1;
    }

    /// <summary>The member's name when it is serialized as <paramref name="jsonName"/>, else null.</summary>
    private static string? SerializedName(ISymbol member, string jsonName)
    {
        var renamed = Attribute(member, JsonPropertyNameAttribute);
        if (renamed is not null)
        {
            // An explicit name is used as written, whatever the naming policy.
            var explicitName = renamed.ConstructorArguments.FirstOrDefault().Value as string;
            return explicitName == jsonName ? explicitName : null;
        }

        return string.Equals(member.Name, jsonName, StringComparison.OrdinalIgnoreCase) ? member.Name : null;
    }
}
