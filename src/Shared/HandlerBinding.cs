using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>How a handler parameter is bound.</summary>
internal enum ParameterSource
{
    Body,
    LlmCall,
    HttpContext,
    CancellationToken,
    Service,
    OptionalService,
}

/// <summary>One parameter's binding, or why it cannot be bound.</summary>
internal readonly record struct ParameterBinding(IParameterSymbol Parameter, ParameterSource Source, string? Error);

/// <summary>
/// How a traced handler's parameters are bound and what its generated class is called. Shared by
/// the generator and the analyzers so both agree on the request body and the per-route constants.
/// </summary>
internal static class HandlerBinding
{
    public const string AttributeMetadataName = "TracedLlm.TracedLlmRouteAttribute";

    /// <summary>The attribute's named argument that sets the route's metadata slot.</summary>
    public const string MetadataSlotArgument = "MetadataSlot";

    /// <summary>The attribute's named argument that shares the slot with the provider (<c>MetadataSlotMode.Shared</c> is 1).</summary>
    public const string MetadataSlotModeArgument = "MetadataSlotMode";
    public const string LlmCallType = "TracedLlm.LlmCall";
    private const string HttpContextType = "Microsoft.AspNetCore.Http.HttpContext";
    private const string CancellationTokenType = "System.Threading.CancellationToken";
    private const string FromBodyAttribute = "Microsoft.AspNetCore.Mvc.FromBodyAttribute";
    private const string FromServicesAttribute = "Microsoft.AspNetCore.Mvc.FromServicesAttribute";

    /// <summary>
    /// LlmCall, HttpContext and CancellationToken by type; one body (the [FromBody] parameter, else
    /// the first concrete class or struct); everything else a service from DI.
    /// </summary>
    public static List<ParameterBinding> Bind(IMethodSymbol method)
    {
        var result = new List<ParameterBinding>();
        var hasBody = false;
        var explicitBody = method.Parameters.Any(p => HasAttribute(p, FromBodyAttribute));
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                result.Add(new ParameterBinding(parameter, ParameterSource.Service, $"parameter '{parameter.Name}' cannot be ref, out or in"));
                continue;
            }

            var typeName = parameter.Type.OriginalDefinition.ToDisplayString();
            ParameterSource source;
            if (typeName == LlmCallType)
            {
                source = ParameterSource.LlmCall;
            }
            else if (typeName == HttpContextType)
            {
                source = ParameterSource.HttpContext;
            }
            else if (typeName == CancellationTokenType)
            {
                source = ParameterSource.CancellationToken;
            }
            else if (explicitBody ? HasAttribute(parameter, FromBodyAttribute) : !hasBody && CanBeBody(parameter))
            {
                if (hasBody)
                {
                    result.Add(new ParameterBinding(parameter, ParameterSource.Body, $"parameter '{parameter.Name}' is a second request body; a handler takes at most one"));
                    continue;
                }

                hasBody = true;
                source = ParameterSource.Body;
            }
            else
            {
                source = parameter.NullableAnnotation == NullableAnnotation.Annotated || parameter.HasExplicitDefaultValue
                    ? ParameterSource.OptionalService
                    : ParameterSource.Service;
            }

            result.Add(new ParameterBinding(parameter, source, null));
        }

        return result;
    }

    /// <summary>The request body parameter, if the handler takes one.</summary>
    public static IParameterSymbol? FindBody(IMethodSymbol method)
    {
        foreach (var binding in Bind(method))
        {
            if (binding.Source == ParameterSource.Body && binding.Error is null)
            {
                return binding.Parameter;
            }
        }

        return null;
    }

    /// <summary>A class name unique per handler: the type path and method, plus a hash of the signature for overloads.</summary>
    public static string GeneratedClassName(IMethodSymbol method)
    {
        var builder = new StringBuilder();
        foreach (var c in method.ContainingType.ToDisplayString() + "." + method.Name)
        {
            builder.Append(char.IsLetterOrDigit(c) ? c : '_');
        }

        if (method.ContainingType.GetMembers(method.Name).Length > 1)
        {
            var signature = method.GetDocumentationCommentId() ?? method.ToDisplayString();
            builder.Append('_').Append(StableHash(signature).ToString("x8", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>A body is a concrete type (class, struct, record) not marked [FromServices]; interfaces and abstract classes are services.</summary>
    private static bool CanBeBody(IParameterSymbol parameter) =>
        !HasAttribute(parameter, FromServicesAttribute)
        && parameter.Type.TypeKind is TypeKind.Class or TypeKind.Struct
        && !parameter.Type.IsAbstract
        && parameter.Type.SpecialType != SpecialType.System_Object;

    private static bool HasAttribute(IParameterSymbol parameter, string attributeName) =>
        parameter.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == attributeName);

    private static uint StableHash(string value)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return hash;
    }
}

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
