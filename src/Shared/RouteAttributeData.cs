using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>The arguments of a <c>[TracedLlmRoute]</c>, with the path defaults applied.</summary>
internal readonly record struct RouteAttributeData(string? HttpMethod, string? Pattern, string? ExplicitSlot, int ErrorFormat, string? Operation)
{
    /// <summary>The route's slot: the explicit one, else the default for the path.</summary>
    public string Slot => ExplicitSlot ?? RouteConventions.DefaultSlot(Pattern ?? string.Empty);

    /// <summary>True when the slot is shared with the provider's own field (<c>MetadataSlotMode.Shared</c>).</summary>
    public bool SharedSlot { get; init; }

    public static RouteAttributeData Read(AttributeData attribute)
    {
        var arguments = attribute.ConstructorArguments;
        string? slot = null;
        string? operation = null;
        var errorFormat = 0;
        var shared = false;
        foreach (var named in attribute.NamedArguments)
        {
            switch (named.Key)
            {
                case HandlerBinding.MetadataSlotModeArgument: shared = named.Value.Value is 1; break;
                case HandlerBinding.MetadataSlotArgument: slot = named.Value.Value as string; break;
                case "Operation": operation = named.Value.Value as string; break;
                case "ErrorFormat": errorFormat = named.Value.Value is int value ? value : 0; break;
            }
        }

        return new RouteAttributeData(
            arguments.Length > 0 ? arguments[0].Value as string : null,
            arguments.Length > 1 ? arguments[1].Value as string : null,
            slot,
            errorFormat,
            operation)
        {
            SharedSlot = shared,
        };
    }
}
