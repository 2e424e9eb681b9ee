using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>How a handler parameter is bound.</summary>
internal enum ParameterSource
{
    /// <summary>The request body: the <c>[FromBody]</c> parameter.</summary>
    Body,

    /// <summary>
    /// A class or struct with no attribute: a service when DI has the type (decided at start-up, as minimal APIs do),
    /// else the body.
    /// </summary>
    BodyOrService,
    LlmCall,
    HttpContext,
    HttpRequest,
    HttpResponse,
    User,
    CancellationToken,
    Service,
    OptionalService,
    KeyedService,
    OptionalKeyedService,
    Route,
    Query,
    Header,
}

/// <summary>How a route, query or header value's text becomes the parameter's type.</summary>
internal enum ValueParse
{
    None,

    /// <summary>A <c>string</c>, taken as it is.</summary>
    Text,

    /// <summary>Every value of a query parameter or header, as <c>StringValues</c>.</summary>
    Values,

    /// <summary>Every value of a query parameter or header, as <c>string[]</c>.</summary>
    Array,

    /// <summary>
    /// A type that implements <c>IParsable&lt;T&gt;</c> (every number, <c>bool</c>, <c>Guid</c>, dates...), with the
    /// invariant culture.
    /// </summary>
    Parsable,

    /// <summary>An enum, by name (any case) or number.</summary>
    Enum,

    /// <summary>A type with its own <c>public static bool TryParse(string, out T)</c>.</summary>
    TryParse,
}

/// <summary>Why a parameter cannot be bound: the diagnostic's ID and the reason its message gives.</summary>
internal readonly record struct BindingError(string Id, string Reason);

/// <summary>
/// One parameter's binding, or why it cannot be bound. <paramref name="Key"/> is the route value,
/// query parameter or header name (as the template spells a route value), or a keyed service's key
/// as a C# literal; <paramref name="ParsedType"/> is the type a value's text is parsed into (the
/// underlying type of a nullable value type).
/// </summary>
internal readonly record struct ParameterBinding(
    IParameterSymbol Parameter,
    ParameterSource Source,
    BindingError? Error = null,
    string? Key = null,
    ValueParse Parse = ValueParse.None,
    ITypeSymbol? ParsedType = null);

/// <summary>
/// How a traced handler's parameters are bound and what its generated class is called. Shared by
/// the generator and the analyzers so both agree on the request body and the per-route constants.
/// The rules are minimal APIs' (docs/handlers.md), with one difference: a value that names no
/// route value and has no attribute is an error, not a query parameter (an LLM route's inputs are
/// in its JSON body: such a parameter is most often a typo'd route value or a body field).
/// </summary>
internal static class HandlerBinding
{
    public const string AttributeMetadataName = "TracedLlm.TracedLlmRouteAttribute";

    /// <summary>The attribute's named argument that sets the route's metadata slot.</summary>
    public const string MetadataSlotArgument = "MetadataSlot";

    /// <summary>
    /// The attribute's named argument that shares the slot with the provider (<c>MetadataSlotMode.Shared</c> is 1).
    /// </summary>
    public const string MetadataSlotModeArgument = "MetadataSlotMode";
    public const string LlmCallType = "TracedLlm.LlmCall";
    private const string FromBodyAttribute = "Microsoft.AspNetCore.Mvc.FromBodyAttribute";
    private const string FromServicesAttribute = "Microsoft.AspNetCore.Mvc.FromServicesAttribute";
    private const string FromRouteAttribute = "Microsoft.AspNetCore.Mvc.FromRouteAttribute";
    private const string FromQueryAttribute = "Microsoft.AspNetCore.Mvc.FromQueryAttribute";
    private const string FromHeaderAttribute = "Microsoft.AspNetCore.Mvc.FromHeaderAttribute";
    private const string FromFormAttribute = "Microsoft.AspNetCore.Mvc.FromFormAttribute";
    private const string FromKeyedServicesAttribute =
        "Microsoft.Extensions.DependencyInjection.FromKeyedServicesAttribute";
    private const string AsParametersAttribute = "Microsoft.AspNetCore.Http.AsParametersAttribute";
    private const string StringValuesType = "Microsoft.Extensions.Primitives.StringValues";

    /// <summary>The parameters bound by their type, whatever their name.</summary>
    private static readonly Dictionary<string, ParameterSource> ByType = new()
    {
        [LlmCallType] = ParameterSource.LlmCall,
        ["Microsoft.AspNetCore.Http.HttpContext"] = ParameterSource.HttpContext,
        ["Microsoft.AspNetCore.Http.HttpRequest"] = ParameterSource.HttpRequest,
        ["Microsoft.AspNetCore.Http.HttpResponse"] = ParameterSource.HttpResponse,
        ["System.Security.Claims.ClaimsPrincipal"] = ParameterSource.User,
        ["System.Threading.CancellationToken"] = ParameterSource.CancellationToken,
    };

    /// <summary>The attributes that say where a parameter comes from, and how a message names each.</summary>
    private static readonly (string Type, string Shown)[] SourceAttributes =
    {
        (FromBodyAttribute, "[FromBody]"),
        (FromServicesAttribute, "[FromServices]"),
        (FromKeyedServicesAttribute, "[FromKeyedServices]"),
        (FromRouteAttribute, "[FromRoute]"),
        (FromQueryAttribute, "[FromQuery]"),
        (FromHeaderAttribute, "[FromHeader]"),
        (FromFormAttribute, "[FromForm]"),
        (AsParametersAttribute, "[AsParameters]"),
    };

    /// <summary>
    /// Binds every parameter of a traced handler to where its value comes from; at most one is the body.
    /// </summary>
    /// <remarks>
    /// LlmCall, HttpContext, HttpRequest, HttpResponse, ClaimsPrincipal and CancellationToken by type; the source an
    /// attribute names; a value type of text (string, a number, an enum, a type with TryParse) from the route value of
    /// its name; an interface or abstract class from DI; any other class or struct the body or a service (decided at
    /// start-up by whether DI has the type), or a service when a [FromBody] parameter is the body.
    /// </remarks>
    public static List<ParameterBinding> Bind(IMethodSymbol method)
    {
        var pattern = RouteAttribute(method) is { } attribute
            ? RouteAttributeData.Read(attribute, method).Pattern
            : null;
        var routeValues = RouteConventions.RouteValueNames(pattern);
        var result = new List<ParameterBinding>();
        var explicitBody = method.Parameters.Any(p => HasAttribute(p, FromBodyAttribute));
        var hasBody = false;
        foreach (var parameter in method.Parameters)
        {
            var binding = BindOne(parameter, pattern ?? string.Empty, routeValues, explicitBody);
            if (binding.Source == ParameterSource.Body && binding.Error is null)
            {
                if (hasBody)
                {
                    binding = binding with
                    {
                        Error = new BindingError(
                            DiagnosticIds.InvalidSignature,
                            $"parameter '{parameter.Name}' is a second request body; a handler takes at most one")
                    };
                }

                hasBody = true;
            }

            result.Add(binding);
        }

        return result;
    }

    private static ParameterBinding BindOne(
        IParameterSymbol parameter,
        string pattern,
        List<string> routeValues,
        bool explicitBody)
    {
        var name = parameter.Name;
        var type = parameter.Type;
        var typeName = type.ToDisplayString();
        ParameterBinding Fail(string id, string reason) =>
            new(parameter, ParameterSource.Service, new BindingError(id, reason));

        if (parameter.RefKind != RefKind.None)
        {
            return Fail(DiagnosticIds.InvalidSignature, $"parameter '{name}' cannot be ref, out or in");
        }

        if (MentionsDynamic(type))
        {
            // typeof(dynamic) is no C# (CS1962): the generated pipeline could name neither its body reader nor its
            // service.
            return Fail(
                DiagnosticIds.UnbindableType,
                $"parameter `{name}` is typed with dynamic ({typeName}), which generated code cannot name; take "
                + $"JsonElement or JsonNode (or a class, struct or record) for a body, the service's own type for a "
                + $"service");
        }

        var attributes = parameter.GetAttributes()
            .Select(a => a.AttributeClass?.ToDisplayString())
            .SelectMany(a => SourceAttributes.Where(s => s.Type == a))
            .ToList();
        if (attributes.Count > 1)
        {
            return Fail(
                DiagnosticIds.ConflictingBinding,
                $"parameter `{name}` is marked both {attributes[0].Shown} and {attributes[1].Shown}; keep the one it "
                + $"comes from");
        }

        var attribute = attributes.Count == 1 ? attributes[0].Type : null;
        if (ByType.TryGetValue(type.OriginalDefinition.ToDisplayString(), out var byType))
        {
            return attribute is null
                ? new ParameterBinding(parameter, byType)
                : Fail(
                    DiagnosticIds.ConflictingBinding,
                    $"parameter `{name}` ({typeName}) is bound by its type; remove {attributes[0].Shown}");
        }

        switch (attribute)
        {
            case FromFormAttribute:
                return Fail(
                    DiagnosticIds.ConflictingBinding,
                    $"parameter `{name}` is marked [FromForm], but a traced route reads a JSON body; take the body "
                    + $"as a class or record, or the value with [FromQuery] or [FromHeader]");
            case AsParametersAttribute:
                return Fail(
                    DiagnosticIds.ConflictingBinding,
                    $"parameter `{name}` is marked [AsParameters], which traced routes do not take; take its members "
                    + $"as parameters of their own");
            case FromBodyAttribute:
                return CanHoldObject(type)
                    ? new ParameterBinding(parameter, ParameterSource.Body)
                    : Fail(
                        DiagnosticIds.UnbindableType,
                        $"parameter `{name}` is marked [FromBody], but a traced route's body is a JSON object, which "
                        + $"{typeName} cannot hold; take a class, struct or record (or JsonElement)");
            case FromServicesAttribute:
                return new ParameterBinding(
                    parameter,
                    IsOptional(parameter) ? ParameterSource.OptionalService : ParameterSource.Service);
            case FromKeyedServicesAttribute:
                return HiddenKeyType(parameter) is { } hidden
                    ? Fail(
                        DiagnosticIds.ConflictingBinding,
                        $"parameter `{name}` is keyed by a value of {hidden.ToDisplayString()}, which is "
                        + $"{(hidden.IsFileLocal ? "file-local" : "private or protected")}: the generated pipeline "
                        + $"cannot name the key; make {hidden.Name} internal")
                    : new ParameterBinding(
                        parameter,
                        IsOptional(parameter) ? ParameterSource.OptionalKeyedService : ParameterSource.KeyedService,
                        Key: KeyLiteral(parameter));
            case FromRouteAttribute:
            {
                var routeName = NamedArgument(parameter, FromRouteAttribute, "Name") ?? name;
                var match = routeValues.FirstOrDefault(v =>
                    string.Equals(v, routeName, System.StringComparison.OrdinalIgnoreCase));
                if (match is null)
                {
                    return Fail(
                        DiagnosticIds.UnknownRouteValue,
                        $"parameter `{name}` is marked [FromRoute], but '{pattern}' has no route value "
                        + $"`{{{routeName}}}`{RouteValuesOf(routeValues)}; name one of them"
                        + $"{Suggest(routeValues, routeName, $" (e.g. [FromRoute(Name = \"{{0}}\")])")}");
                }

                return Value(parameter, ParameterSource.Route, match, "[FromRoute]", routeValue: true);
            }

            case FromQueryAttribute:
                return Value(
                    parameter,
                    ParameterSource.Query,
                    NamedArgument(parameter, FromQueryAttribute, "Name") ?? name,
                    "[FromQuery]",
                    routeValue: false);
            case FromHeaderAttribute:
                return Value(
                    parameter,
                    ParameterSource.Header,
                    NamedArgument(parameter, FromHeaderAttribute, "Name") ?? name,
                    "[FromHeader]",
                    routeValue: false);
        }

        var routeMatch = routeValues.FirstOrDefault(v =>
            string.Equals(v, name, System.StringComparison.OrdinalIgnoreCase));
        var (parse, _) = ParseOf(type);
        if (parse is ValueParse.Text or ValueParse.Parsable or ValueParse.Enum or ValueParse.TryParse)
        {
            return routeMatch is not null
                ? Value(parameter, ParameterSource.Route, routeMatch, "[FromRoute]", routeValue: true)
                : Fail(
                    DiagnosticIds.UnboundParameter,
                    $"parameter `{name}` ({typeName}) binds to nothing: it is not a route value of "
                    + $"'{pattern}'{RouteValuesOf(routeValues)}; "
                    + $"{Suggest(routeValues, name, "rename it `{0}` or mark it [FromRoute(Name = \"{0}\")], or ")}"
                    + "mark it [FromQuery] or [FromHeader] for a query or header value "
                    + "(a value in the JSON body belongs in the body's type)");
        }

        if (routeMatch is not null)
        {
            return Fail(
                DiagnosticIds.UnbindableType,
                $"parameter `{name}` matches the route value `{{{routeMatch}}}`, but {typeName} cannot be read "
                + $"from text; take it as a string (or give {typeName} a static TryParse(string, out {typeName})), "
                + "or rename the parameter if it is not the route value");
        }

        if (parse is ValueParse.Values or ValueParse.Array)
        {
            return Fail(
                DiagnosticIds.UnboundParameter,
                $"parameter `{name}` ({typeName}) binds to nothing: only a query parameter or a header has many "
                + $"values; mark it [FromQuery] or [FromHeader]");
        }

        if (!CanHoldObject(type))
        {
            return Fail(
                DiagnosticIds.UnboundParameter,
                $"parameter `{name}` ({typeName}) binds to nothing: it is no route value, and a traced route's body "
                + $"is a JSON object, which {typeName} cannot hold; mark it [FromQuery], [FromHeader] or "
                + $"[FromServices], or make it a property of the body's type");
        }

        var optional = IsOptional(parameter);
        if (explicitBody || type.TypeKind == TypeKind.Interface)
        {
            // With a [FromBody] parameter nothing else is the body; an interface is a service (as IChatClient is), not
            // a body.
            return new ParameterBinding(
                parameter,
                optional ? ParameterSource.OptionalService : ParameterSource.Service);
        }

        // A class (abstract ones too: JsonNode, a polymorphic base) or a struct: DI decides, at start-up.
        return new ParameterBinding(parameter, ParameterSource.BodyOrService);
    }

    /// <summary>
    /// A route, query or header value: its type must be readable from text (and one value, for a route value).
    /// </summary>
    private static ParameterBinding Value(
        IParameterSymbol parameter,
        ParameterSource source,
        string key,
        string shown,
        bool routeValue)
    {
        var (parse, parsed) = ParseOf(parameter.Type);
        var typeName = parameter.Type.ToDisplayString();
        if (parse == ValueParse.None)
        {
            return new ParameterBinding(
                parameter,
                source,
                new BindingError(
                    DiagnosticIds.UnbindableType,
                    $"parameter `{parameter.Name}` is marked {shown}, but {typeName} cannot be read from text; "
                    + "take a string, a number, an enum or a type with a static TryParse(string, out T)"
                    + $"{(routeValue ? string.Empty : ", or string[] or StringValues for every value")}"));
        }

        if (routeValue && parse is ValueParse.Values or ValueParse.Array)
        {
            return new ParameterBinding(
                parameter,
                source,
                new BindingError(
                    DiagnosticIds.UnbindableType,
                    $"parameter `{parameter.Name}` ({typeName}) takes many values, but the route value "
                    + $"`{{{key}}}` is one; take a string"));
        }

        return new ParameterBinding(parameter, source, Key: key, Parse: parse, ParsedType: parsed);
    }

    /// <summary>
    /// How text becomes <paramref name="type"/>, and the type it is parsed into (a nullable value type's underlying
    /// type).
    /// </summary>
    public static (ValueParse Parse, ITypeSymbol? Parsed) ParseOf(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            var inner = ParseOf(nullable.TypeArguments[0]);
            return inner.Parse is ValueParse.Parsable or ValueParse.Enum or ValueParse.TryParse
                ? inner
                : (ValueParse.None, null);
        }

        if (type.SpecialType == SpecialType.System_String)
        {
            return (ValueParse.Text, type);
        }

        if (type.ToDisplayString() == StringValuesType)
        {
            return (ValueParse.Values, type);
        }

        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_String })
        {
            return (ValueParse.Array, type);
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return (ValueParse.Enum, type);
        }

        if (type.AllInterfaces.Any(i =>
                i.OriginalDefinition.ToDisplayString() == "System.IParsable<TSelf>"
                && SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], type)))
        {
            return (ValueParse.Parsable, type);
        }

        var tryParse = type.GetMembers("TryParse")
            .OfType<IMethodSymbol>()
            .Any(m =>
                m.IsStatic
                && m.DeclaredAccessibility == Accessibility.Public
                && m.ReturnType.SpecialType == SpecialType.System_Boolean
                && m.Parameters.Length == 2
                && m.Parameters[0].Type.SpecialType == SpecialType.System_String
                && m.Parameters[1].RefKind == RefKind.Out
                && SymbolEqualityComparer.Default.Equals(
                    m.Parameters[1].Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated),
                    type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)));
        return tryParse ? (ValueParse.TryParse, type) : (ValueParse.None, null);
    }

    /// <summary>True for a parameter that may be missing: a nullable type or a default value.</summary>
    public static bool IsOptional(IParameterSymbol parameter) =>
        parameter.HasExplicitDefaultValue
        || parameter.NullableAnnotation == NullableAnnotation.Annotated
        || parameter.Type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

    /// <summary>
    /// The request body parameter: the [FromBody] one, else the first class or struct that may be the body (unless DI
    /// has its type).
    /// </summary>
    public static IParameterSymbol? FindBody(IMethodSymbol method)
    {
        foreach (var binding in Bind(method))
        {
            if (binding.Source is ParameterSource.Body or ParameterSource.BodyOrService && binding.Error is null)
            {
                return binding.Parameter;
            }
        }

        return null;
    }

    /// <summary>The method's [TracedLlmRoute], if any.</summary>
    public static AttributeData? RouteAttribute(IMethodSymbol method) =>
        method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == AttributeMetadataName);

    /// <summary>
    /// Whether the type is <c>dynamic</c> or is built of it (<c>List&lt;dynamic&gt;</c>, <c>dynamic[]</c>).
    /// </summary>
    private static bool MentionsDynamic(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Dynamic } => true,
        IArrayTypeSymbol array => MentionsDynamic(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(MentionsDynamic),
        _ => false,
    };

    /// <summary>Whether a JSON object can be deserialized into the type: neither a text value nor an array.</summary>
    /// <remarks>
    /// A text value is a string, a number, <c>bool</c>, an enum, <c>Guid</c>, a date or time, nullable or not. Classes
    /// (abstract ones with a converter, as <c>JsonNode</c>), structs, interfaces and <c>object</c> can.
    /// </remarks>
    private static bool CanHoldObject(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        return type.TypeKind
                is not (
                    TypeKind.Enum
                    or TypeKind.Array
                    or TypeKind.Pointer
                    or TypeKind.FunctionPointer
                    or TypeKind.Error)
            && type.SpecialType is SpecialType.None or SpecialType.System_Object
            && type.ToDisplayString()
                is not (
                    "System.Guid"
                    or "System.DateTimeOffset"
                    or "System.TimeSpan"
                    or "System.DateOnly"
                    or "System.TimeOnly"
                    or StringValuesType);
    }

    private static string RouteValuesOf(List<string> routeValues) =>
        routeValues.Count == 0
            ? " (it has none)"
            : " (its route values: " + string.Join(", ", routeValues.Select(v => "{" + v + "}")) + ")";

    /// <summary>
    /// The route value a misnamed parameter most likely means (the only one, or one whose name is in the other's),
    /// formatted into <paramref name="format"/>; empty when none stands out.
    /// </summary>
    private static string Suggest(List<string> routeValues, string name, string format)
    {
        var likely =
            routeValues.Count == 1
                ? routeValues[0]
                : routeValues.SingleOrDefault(v =>
                    name.IndexOf(v, System.StringComparison.OrdinalIgnoreCase) >= 0
                    || v.IndexOf(name, System.StringComparison.OrdinalIgnoreCase) >= 0);
        return likely is null ? string.Empty : string.Format(CultureInfo.InvariantCulture, format, likely);
    }

    private static string? NamedArgument(IParameterSymbol parameter, string attributeName, string argument)
    {
        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != attributeName)
            {
                continue;
            }

            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == argument && named.Value.Value is string value && value.Length > 0)
                {
                    return value;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The type of a keyed service's key (an enum member, a <c>typeof</c>) that generated code cannot name, or null.
    /// </summary>
    /// <remarks>
    /// Code outside the key's declaring type or file cannot name it: a private enum nested in the routes' class is a
    /// key the handler can use and the generated pipeline cannot write.
    /// </remarks>
    private static INamedTypeSymbol? HiddenKeyType(IParameterSymbol parameter)
    {
        var attribute = parameter
            .GetAttributes()
            .First(a => a.AttributeClass?.ToDisplayString() == FromKeyedServicesAttribute);
        var constant = attribute.ConstructorArguments.Length == 0 ? default : attribute.ConstructorArguments[0];
        var keyType =
            constant.Kind == TypedConstantKind.Type ? constant.Value as ITypeSymbol
            : constant.Kind == TypedConstantKind.Enum ? constant.Type
            : null;
        for (var type = keyType as INamedTypeSymbol; type is not null; type = type.ContainingType)
        {
            if (type.IsFileLocal
                || type.DeclaredAccessibility
                    is Accessibility.Private
                        or Accessibility.Protected
                        or Accessibility.ProtectedAndInternal)
            {
                return type;
            }
        }

        return null;
    }

    /// <summary>
    /// A keyed service's key as a C# literal (<c>"fast"</c>, <c>3</c>, <c>(global::Contoso.Tier)1</c>,
    /// <c>typeof(global::Contoso.Upstream)</c>).
    /// </summary>
    private static string KeyLiteral(IParameterSymbol parameter)
    {
        var attribute = parameter
            .GetAttributes()
            .First(a => a.AttributeClass?.ToDisplayString() == FromKeyedServicesAttribute);
        if (attribute.ConstructorArguments.Length == 0 || attribute.ConstructorArguments[0].Value is not { } key)
        {
            return "null";
        }

        var constant = attribute.ConstructorArguments[0];
        if (constant.Kind == TypedConstantKind.Type && key is ITypeSymbol keyType)
        {
            return $"typeof({keyType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)})";
        }

        if (constant.Type?.TypeKind == TypeKind.Enum)
        {
            var literal = Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatPrimitive(
                key,
                quoteStrings: true,
                useHexadecimalNumbers: false);
            return $"({constant.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)}){literal}";
        }

        return Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatPrimitive(
            key,
            quoteStrings: true,
            useHexadecimalNumbers: false);
    }

    /// <summary>
    /// A class name unique per handler: the type path and method, with a hash where they could clash.
    /// </summary>
    /// <remarks>
    /// The hash is of the signature for overloads, or of the path when a name has a '_' (or another character that is
    /// not a letter or digit) of its own: a name's '_' and the '.' between names both become '_', so
    /// <c>Routes_V1.Chat</c> and <c>Routes.V1.Chat</c> would otherwise be one class and one file name.
    /// </remarks>
    public static string GeneratedClassName(IMethodSymbol method)
    {
        var path = method.ContainingType.ToDisplayString() + "." + method.Name;
        var builder = new StringBuilder();
        var ownSeparator = false;
        foreach (var c in path)
        {
            builder.Append(char.IsLetterOrDigit(c) ? c : '_');
            ownSeparator |= !char.IsLetterOrDigit(c) && c != '.';
        }

        if (method.ContainingType.GetMembers(method.Name).Length > 1)
        {
            var signature = method.GetDocumentationCommentId() ?? method.ToDisplayString();
            builder.Append('_').Append(StableHash(signature).ToString("x8", CultureInfo.InvariantCulture));
        }
        else if (ownSeparator)
        {
            builder.Append('_').Append(StableHash(path).ToString("x8", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

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
internal readonly record struct RouteAttributeData(
    string? HttpMethod,
    string? Pattern,
    string? ExplicitSlot,
    int ErrorFormat,
    string? Operation)
{
    /// <summary>The route's slot: the explicit one, else the default for the path.</summary>
    public string Slot => ExplicitSlot ?? RouteConventions.DefaultSlot(Pattern ?? string.Empty);

    /// <summary>True when the slot is shared with the provider's own field (<c>MetadataSlotMode.Shared</c>).</summary>
    public bool SharedSlot { get; init; }

    /// <summary>
    /// True when the route declares no gateway metadata slot (<c>MetadataSlot = MetadataSlots.None</c>, the empty
    /// name).
    /// </summary>
    public bool NoSlot => ExplicitSlot is { Length: 0 };

    /// <summary>
    /// True when a typed handler answers <c>"stream": true</c> with its JSON instead of refusing it
    /// (<c>IgnoreStream</c>).
    /// </summary>
    public bool IgnoreStream { get; init; }

    /// <summary>
    /// True when the route refuses a slot value of the wrong JSON type, whatever its body (<c>StrictMetadata</c>).
    /// </summary>
    public bool StrictMetadata { get; init; }

    /// <summary>
    /// How the pipeline writes its own error answers (<c>LlmErrorResponses</c>: 0 the options' choice, 1 the wire
    /// format, 2 problem details, 3 the app's writer).
    /// </summary>
    public int ErrorResponses { get; init; }

    /// <summary>
    /// The attribute's arguments on <paramref name="method"/>: on an MVC controller action, whose
    /// <c>[TracedLlmRoute]</c> takes no method or path, MVC's routing gives them
    /// (<see cref="MvcActions.Route"/>: the first HTTP method and the first route).
    /// </summary>
    public static RouteAttributeData Read(AttributeData attribute, IMethodSymbol method)
    {
        var data = Read(attribute);
        if (attribute.ConstructorArguments.Length > 0 || !MvcActions.IsAction(method))
        {
            return data;
        }

        var route = MvcActions.Route(method);
        return data with
        {
            HttpMethod = route.HttpMethods.Count > 0 ? route.HttpMethods[0] : null,
            Pattern = route.Pattern
        };
    }

    public static RouteAttributeData Read(AttributeData attribute)
    {
        var arguments = attribute.ConstructorArguments;
        string? slot = null;
        string? operation = null;
        var errorFormat = 0;
        var shared = false;
        var ignoreStream = false;
        var strictMetadata = false;
        var errorResponses = 0;
        foreach (var named in attribute.NamedArguments)
        {
            switch (named.Key)
            {
                case HandlerBinding.MetadataSlotModeArgument: shared = named.Value.Value is 1; break;
                case "IgnoreStream": ignoreStream = named.Value.Value is true; break;
                case "StrictMetadata": strictMetadata = named.Value.Value is true; break;
                case "ErrorResponses": errorResponses = named.Value.Value is int responses ? responses : 0; break;
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
            IgnoreStream = ignoreStream,
            StrictMetadata = strictMetadata,
            ErrorResponses = errorResponses,
        };
    }
}
