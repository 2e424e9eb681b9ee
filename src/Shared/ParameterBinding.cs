using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>How a handler parameter is bound.</summary>
internal enum ParameterSource
{
    /// <summary>The request body: the <c>[FromBody]</c> parameter.</summary>
    Body,

    /// <summary>A class or struct with no attribute: a service when DI has the type (decided at start-up, as minimal APIs do), else the body.</summary>
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

    /// <summary>A type that implements <c>IParsable&lt;T&gt;</c> (every number, <c>bool</c>, <c>Guid</c>, dates...), with the invariant culture.</summary>
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
