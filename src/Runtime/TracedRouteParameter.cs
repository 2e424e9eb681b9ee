using System;

namespace TracedLlm;

/// <summary>Where a traced handler's parameter comes from, as the generator bound it (docs/handlers.md).</summary>
public enum TracedParameterSource
{
    /// <summary>The request body: the <c>[FromBody]</c> parameter.</summary>
    Body,

    /// <summary>
    /// A class or struct with no attribute: a service when DI has its type (decided at start-up), else the body.
    /// </summary>
    BodyOrService,

    /// <summary>The request's <see cref="TracedLlm.LlmCall"/>.</summary>
    LlmCall,

    /// <summary>The request's <c>HttpContext</c>.</summary>
    HttpContext,

    /// <summary>The request's <c>HttpRequest</c>.</summary>
    HttpRequest,

    /// <summary>The request's <c>HttpResponse</c>.</summary>
    HttpResponse,

    /// <summary>The request's user (<c>ClaimsPrincipal</c>).</summary>
    User,

    /// <summary>The request's cancellation token (<see cref="LlmCall.CancellationToken"/>).</summary>
    CancellationToken,

    /// <summary>
    /// A service from DI: <c>[FromServices]</c>, an interface or abstract class, or any other type once a
    /// <c>[FromBody]</c> parameter is the body.
    /// </summary>
    Service,

    /// <summary>A keyed service from DI (<c>[FromKeyedServices(key)]</c>).</summary>
    KeyedService,

    /// <summary>A route value: the parameter's name (or <c>[FromRoute(Name = ...)]</c>) in the template.</summary>
    Route,

    /// <summary>A query string value (<c>[FromQuery]</c>).</summary>
    Query,

    /// <summary>A request header (<c>[FromHeader]</c>).</summary>
    Header,
}

/// <summary>
/// One parameter of a traced route's handler, as the generator bound it; the route builder checks them when the app
/// starts.
/// </summary>
/// <param name="Handler">The handler's method name (a route may have a regular and a streaming handler).</param>
/// <param name="Name">The parameter's name.</param>
/// <param name="Type">The parameter's type.</param>
/// <param name="Source">Where its value comes from.</param>
public sealed record TracedRouteParameter(string Handler, string Name, Type Type, TracedParameterSource Source)
{
    /// <summary>The route value, query parameter or header name; null for the other sources.</summary>
    public string? Key { get; init; }

    /// <summary>The key of a keyed service.</summary>
    public object? ServiceKey { get; init; }

    /// <summary>True when the parameter may be missing (a nullable type or a default value).</summary>
    public bool IsOptional { get; init; }
}
