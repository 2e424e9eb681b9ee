using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>
/// What MVC's own conventions say about a controller action marked <c>[TracedLlmRoute]</c>: whether a method is
/// one, its HTTP method and its path.
/// </summary>
/// <remarks>
/// The path is the one its attribute routes give it (or, conventionally routed, the default route's
/// <c>/{controller}/{action}</c>). Shared by the generator and the analyzers, so both read a route's path, and so its
/// default slot, alike. The rules are MVC's (<c>DefaultApplicationModelProvider</c>, <c>AttributeRouteModel</c>): a
/// controller derives from <c>ControllerBase</c>, is marked <c>[Controller]</c>, or is a public class named
/// <c>*Controller</c>; an action's route combines the controller's template with its own, <c>[controller]</c>,
/// <c>[action]</c> and <c>[area]</c> replaced.
/// </remarks>
internal static class MvcActions
{
    private const string ControllerBase = "Microsoft.AspNetCore.Mvc.ControllerBase";
    private const string ControllerAttribute = "Microsoft.AspNetCore.Mvc.ControllerAttribute";
    private const string NonControllerAttribute = "Microsoft.AspNetCore.Mvc.NonControllerAttribute";
    private const string PageModel = "Microsoft.AspNetCore.Mvc.RazorPages.PageModel";
    private const string RouteTemplateProvider = "Microsoft.AspNetCore.Mvc.Routing.IRouteTemplateProvider";
    private const string AcceptVerbsAttribute = "Microsoft.AspNetCore.Mvc.AcceptVerbsAttribute";
    private const string ActionNameAttribute = "Microsoft.AspNetCore.Mvc.ActionNameAttribute";
    private const string ControllerNameAttribute = "Microsoft.AspNetCore.Mvc.ControllerNameAttribute";
    private const string AreaAttribute = "Microsoft.AspNetCore.Mvc.AreaAttribute";

    /// <summary>The attributes that give an action its HTTP method, by the method they give.</summary>
    private static readonly Dictionary<string, string> HttpMethodAttributes = new(StringComparer.Ordinal)
    {
        ["Microsoft.AspNetCore.Mvc.HttpGetAttribute"] = "GET",
        ["Microsoft.AspNetCore.Mvc.HttpPostAttribute"] = "POST",
        ["Microsoft.AspNetCore.Mvc.HttpPutAttribute"] = "PUT",
        ["Microsoft.AspNetCore.Mvc.HttpPatchAttribute"] = "PATCH",
        ["Microsoft.AspNetCore.Mvc.HttpDeleteAttribute"] = "DELETE",
        ["Microsoft.AspNetCore.Mvc.HttpHeadAttribute"] = "HEAD",
        ["Microsoft.AspNetCore.Mvc.HttpOptionsAttribute"] = "OPTIONS",
    };

    /// <summary>True for an instance method of an MVC controller: MVC, not generated code, runs it.</summary>
    public static bool IsAction(IMethodSymbol method) =>
        !method.IsStatic && method.MethodKind == MethodKind.Ordinary && IsController(method.ContainingType);

    /// <summary>True for a Razor Page's model (a handler method there is a page's, not a route's).</summary>
    public static bool IsPageModel(INamedTypeSymbol? type) => DerivesFrom(type, PageModel);

    /// <summary>Whether MVC takes the type for a controller.</summary>
    public static bool IsController(INamedTypeSymbol? type)
    {
        if (type is null
            || type.TypeKind != TypeKind.Class
            || HasAttribute(type, NonControllerAttribute, inherited: true)
            || IsPageModel(type))
        {
            return false;
        }

        return DerivesFrom(type, ControllerBase)
            || HasAttribute(type, ControllerAttribute, inherited: true)
            || (type.Name.EndsWith("Controller", StringComparison.Ordinal)
                && type.DeclaredAccessibility == Accessibility.Public
                && !type.IsAbstract);
    }

    /// <summary>
    /// The action's HTTP methods (from <c>[HttpPost]</c> and its kind, <c>[AcceptVerbs]</c>) and its path:
    /// the first of its attribute routes, or the conventional <c>/{area}/{controller}/{action}</c> when it has none.
    /// </summary>
    public static ActionRoute Route(IMethodSymbol action)
    {
        var methods = new List<string>();
        var templates = new List<string?>();
        foreach (var attribute in action.GetAttributes())
        {
            if (attribute.AttributeClass is not { } type)
            {
                continue;
            }

            foreach (var method in HttpMethodsOf(attribute, type))
            {
                if (!methods.Contains(method))
                {
                    methods.Add(method);
                }
            }

            if (Implements(type, RouteTemplateProvider))
            {
                templates.Add(Template(attribute));
            }
        }

        var controller = action.ContainingType;
        var controllerTemplates = new List<string?>();
        for (var type = controller; type is not null; type = type.BaseType)
        {
            foreach (var attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeType && Implements(attributeType, RouteTemplateProvider))
                {
                    controllerTemplates.Add(Template(attribute));
                }
            }

            // MVC reads the controller's route attributes with inheritance: the nearest declared ones win.
            if (controllerTemplates.Count > 0)
            {
                break;
            }
        }

        var area = StringArgument(controller, AreaAttribute);
        var controllerName =
            StringArgument(controller, ControllerNameAttribute)
            ?? (
                controller.Name.EndsWith("Controller", StringComparison.Ordinal)
                && controller.Name.Length > "Controller".Length
                    ? controller.Name.Substring(0, controller.Name.Length - "Controller".Length)
                    : controller.Name);
        var actionName =
            StringArgument(action, ActionNameAttribute)
            ?? (
                action.Name.EndsWith("Async", StringComparison.Ordinal) && action.Name.Length > "Async".Length
                    ? action.Name.Substring(0, action.Name.Length - "Async".Length)
                    : action.Name);

        // A method-level template that is null ([HttpPost] alone) takes the controller's; with none anywhere, the route
        // is conventional.
        var actionTemplate = templates.FirstOrDefault(t => t is not null);
        var controllerTemplate = controllerTemplates.FirstOrDefault(t => t is not null);
        string pattern;
        var conventional = actionTemplate is null && controllerTemplate is null;
        if (conventional)
        {
            pattern = "/" + (area is null ? string.Empty : area + "/") + controllerName + "/" + actionName;
        }
        else
        {
            pattern = Normalize(Combine(controllerTemplate, actionTemplate));
            pattern = pattern
                .Replace("[controller]", controllerName)
                .Replace("[action]", actionName)
                .Replace("[area]", area ?? string.Empty);
        }

        return new ActionRoute(methods, pattern, conventional);
    }

    private static IEnumerable<string> HttpMethodsOf(AttributeData attribute, INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            var name = current.ToDisplayString();
            if (HttpMethodsAttribute(name) is { } method)
            {
                return new[] { method };
            }

            if (name == AcceptVerbsAttribute)
            {
                return attribute.ConstructorArguments
                    .SelectMany(a =>
                        a.Kind == TypedConstantKind.Array
                            ? a.Values
                            : System.Collections.Immutable.ImmutableArray.Create(a))
                    .Select(v => v.Value as string)
                    .Where(v => !string.IsNullOrEmpty(v))
                    .Select(v => v!.ToUpperInvariant())
                    .ToList();
            }
        }

        return Array.Empty<string>();
    }

    private static string? HttpMethodsAttribute(string name) =>
        HttpMethodAttributes.TryGetValue(name, out var method) ? method : null;

    /// <summary>
    /// MVC's rule: an absolute action template (<c>/x</c>, <c>~/x</c>) stands alone; else the controller's, then the
    /// action's.
    /// </summary>
    private static string Combine(string? controller, string? action)
    {
        if (action is not null
            && (action.StartsWith("/", StringComparison.Ordinal) || action.StartsWith("~/", StringComparison.Ordinal)))
        {
            return action;
        }

        if (controller is null)
        {
            return action ?? string.Empty;
        }

        return action is null ? controller : controller.TrimEnd('/') + "/" + action;
    }

    private static string Normalize(string template)
    {
        var trimmed = template.StartsWith("~/", StringComparison.Ordinal) ? template.Substring(2) : template;
        trimmed = trimmed.Trim('/');
        return "/" + trimmed;
    }

    private static string? Template(AttributeData attribute)
    {
        foreach (var argument in attribute.ConstructorArguments)
        {
            if (argument.Kind == TypedConstantKind.Primitive && argument.Value is string template)
            {
                return template;
            }
        }

        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == "Template" && named.Value.Value is string template)
            {
                return template;
            }
        }

        return null;
    }

    private static string? StringArgument(ISymbol symbol, string attributeName)
    {
        for (var current = symbol; current is not null; current = (current as INamedTypeSymbol)?.BaseType)
        {
            foreach (var attribute in current.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == attributeName
                    && attribute.ConstructorArguments.Length > 0
                    && attribute.ConstructorArguments[0].Value is string { Length: > 0 } value)
                {
                    return value;
                }
            }

            if (symbol is not INamedTypeSymbol)
            {
                break;
            }
        }

        return null;
    }

    private static bool DerivesFrom(INamedTypeSymbol? type, string baseName)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == baseName)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Implements(INamedTypeSymbol type, string interfaceName) =>
        type.AllInterfaces.Any(i => i.ToDisplayString() == interfaceName);

    private static bool HasAttribute(INamedTypeSymbol type, string attributeName, bool inherited)
    {
        for (var current = type; current is not null; current = inherited ? current.BaseType : null)
        {
            if (current.GetAttributes().Any(a => DerivesFrom(a.AttributeClass, attributeName)))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// An action's route as MVC gives it: its HTTP methods, its path, and whether that path is conventional.
/// </summary>
/// <remarks>
/// No HTTP method when no attribute names one; a conventional path is the default route's rather than an attribute
/// route's.
/// </remarks>
internal readonly record struct ActionRoute(IReadOnlyList<string> HttpMethods, string Pattern, bool Conventional);
