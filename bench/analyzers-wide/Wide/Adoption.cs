// The adopted mode (--adopted): every HTTP endpoint handler of a tree marked [TracedLlmRoute], as a team adopting
// TracedLlm marks the handlers it traces, so that the rules have traced code to judge. What is marked:
// - minimal-API handlers given as method groups to an endpoint registration (MapGet, MapPost, MapPut, MapDelete,
//   MapPatch, MapMethods, Map, MapFallback, on an app or a MapGroup): the method gets the attribute, with the
//   registration's HTTP method and pattern. Lambdas and local functions cannot carry a route the analyzers see
//   (they read attributed method declarations): they are counted and skipped;
// - MVC and API controller actions (public instance methods of a ControllerBase or [ApiController] type), with the
//   verb and template of their Http* and Route attributes; Razor Pages handlers (OnGet, OnPostAsync, ...);
// - middleware registered with UseMiddleware<T>() in the tree: T's Invoke / InvokeAsync, for a pipeline with no
//   handler to mark (YARP's proxy pipeline: ProxyPipelineInitializerMiddleware ... ForwarderMiddleware, the
//   forwarder's entry point every proxied request passes).
// The attribute goes at the start of the declaration's first line, so every line keeps its number.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

internal sealed record AdoptedRoute(IMethodSymbol Handler, string HttpMethod, string Pattern, string Kind);

internal sealed class Adoption
{
    private readonly Dictionary<MethodDeclarationSyntax, AdoptedRoute> _routes = new();

    public int SkippedLambdas { get; private set; }

    public int SkippedOther { get; private set; }

    public IReadOnlyCollection<AdoptedRoute> Routes => _routes.Values;

    public static Adoption Find(Compilation compilation, IReadOnlyList<SyntaxTree> trees)
    {
        var adoption = new Adoption();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            var root = tree.GetRoot();
            foreach (var invocation in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                adoption.ReadRegistration(model, invocation);
            }

            foreach (var type in root.DescendantNodes().OfType<ClassDeclarationSyntax>())
            {
                adoption.ReadController(model, type);
            }
        }

        return adoption;
    }

    /// <summary>The trees with every found handler marked; the others as they were.</summary>
    public IEnumerable<SyntaxTree> Apply(IEnumerable<SyntaxTree> trees)
    {
        var byTree = _routes.GroupBy(r => r.Key.SyntaxTree).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Key, r => r.Value));
        foreach (var tree in trees)
        {
            if (!byTree.TryGetValue(tree, out var marked))
            {
                yield return tree;
                continue;
            }

            var root = tree.GetRoot().ReplaceNodes(marked.Keys, (original, current) =>
            {
                var route = marked[original];
                var attribute = SyntaxFactory.Attribute(
                    SyntaxFactory.ParseName("global::TracedLlm.TracedLlmRoute"),
                    SyntaxFactory.ParseAttributeArgumentList($"({Literal(route.HttpMethod)}, {Literal(route.Pattern)})"));
                return current.WithAttributeLists(current.AttributeLists.Insert(0, SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))));
            });
            yield return tree.WithRootAndOptions(root, tree.Options);
        }
    }

    private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    private void ReadRegistration(SemanticModel model, InvocationExpressionSyntax invocation)
    {
        if (invocation.Expression is MemberAccessExpressionSyntax { Name: GenericNameSyntax { Identifier.ValueText: "UseMiddleware" } }
            && model.GetOperation(invocation) is IInvocationOperation { TargetMethod.TypeArguments: [INamedTypeSymbol middleware] })
        {
            foreach (var method in middleware.GetMembers().OfType<IMethodSymbol>().Where(m => m.Name is "Invoke" or "InvokeAsync"))
            {
                Add(method, "POST", "/{**catch-all}", "middleware");
            }

            return;
        }

        if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name } || !name.StartsWith("Map", StringComparison.Ordinal)
            || model.GetOperation(invocation) is not IInvocationOperation { TargetMethod: var registration } operation
            || !IsEndpointRegistration(registration))
        {
            return;
        }

        var handler = operation.Arguments.FirstOrDefault(a => a.Parameter?.Type is { } type && (type.Name == "RequestDelegate" || type.SpecialType == SpecialType.System_Delegate || type.ToDisplayString() == "System.Delegate"));
        if (handler is null)
        {
            return;
        }

        var pattern = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "pattern")?.Value.ConstantValue is { HasValue: true, Value: string text } ? text : "/";
        var verb = registration.Name switch
        {
            "MapPost" => "POST",
            "MapPut" => "PUT",
            "MapDelete" => "DELETE",
            "MapPatch" => "PATCH",
            _ => "GET",
        };

        switch (Unwrap(handler.Value))
        {
            case IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: var method } } when method.MethodKind == MethodKind.Ordinary:
                Add(method, verb, pattern, "minimal API");
                break;
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation or IMethodReferenceOperation }:
                SkippedLambdas++;
                break;
            default:
                SkippedOther++;
                break;
        }
    }

    private static IOperation Unwrap(IOperation operation) => operation is IConversionOperation conversion ? Unwrap(conversion.Operand) : operation;

    /// <summary>An ASP.NET Core endpoint registration: a Map* extension of IEndpointRouteBuilder taking a handler.</summary>
    private static bool IsEndpointRegistration(IMethodSymbol method) =>
        method.ContainingNamespace?.ToDisplayString().StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) == true
        && (method.ReducedFrom ?? method).Parameters.FirstOrDefault()?.Type.Name == "IEndpointRouteBuilder";

    private void ReadController(SemanticModel model, ClassDeclarationSyntax declaration)
    {
        if (model.GetDeclaredSymbol(declaration) is not { IsAbstract: false } type)
        {
            return;
        }

        var isController = DerivesFrom(type, "Microsoft.AspNetCore.Mvc.ControllerBase") || type.GetAttributes().Any(a => a.AttributeClass?.Name is "ApiControllerAttribute" or "ControllerAttribute");
        var isPage = DerivesFrom(type, "Microsoft.AspNetCore.Mvc.RazorPages.PageModel");
        if (!isController && !isPage)
        {
            return;
        }

        var prefix = Template(type.GetAttributes()) ?? string.Empty;
        foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
        {
            if (method.MethodKind != MethodKind.Ordinary || method.IsStatic || method.DeclaredAccessibility != Accessibility.Public
                || method.GetAttributes().Any(a => a.AttributeClass?.Name == "NonActionAttribute"))
            {
                continue;
            }

            if (isPage)
            {
                if (method.Name.StartsWith("On", StringComparison.Ordinal))
                {
                    Add(method, method.Name.StartsWith("OnPost", StringComparison.Ordinal) ? "POST" : "GET", "/" + type.Name.Replace("Model", string.Empty, StringComparison.Ordinal), "Razor page");
                }

                continue;
            }

            var verbAttribute = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name is { } n && n.StartsWith("Http", StringComparison.Ordinal) && n.EndsWith("Attribute", StringComparison.Ordinal));
            var verb = verbAttribute?.AttributeClass?.Name["Http".Length..^"Attribute".Length].ToUpperInvariant() ?? "GET";
            var template = Template(method.GetAttributes());
            var path = template is not null && template.StartsWith('/') ? template : "/" + string.Join("/", new[] { prefix, template }.Where(t => !string.IsNullOrEmpty(t)));
            path = path.Replace("[controller]", type.Name.Replace("Controller", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal).Replace("[action]", method.Name, StringComparison.Ordinal);
            Add(method, verb, path, "controller action");
        }
    }

    /// <summary>The route template of a [Route] or Http* attribute, when it has one.</summary>
    private static string? Template(ImmutableArray<AttributeData> attributes) =>
        attributes.Where(a => a.AttributeClass?.Name is { } n && (n == "RouteAttribute" || n.StartsWith("Http", StringComparison.Ordinal)))
            .Select(a => a.ConstructorArguments.FirstOrDefault(c => c.Value is string).Value as string)
            .FirstOrDefault(t => t is not null);

    private static bool DerivesFrom(INamedTypeSymbol type, string metadataName)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == metadataName)
            {
                return true;
            }
        }

        return false;
    }

    private void Add(IMethodSymbol method, string verb, string pattern, string kind)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is MethodDeclarationSyntax declaration && (declaration.Body ?? (SyntaxNode?)declaration.ExpressionBody) is not null
                && !declaration.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString().EndsWith("TracedLlmRoute", StringComparison.Ordinal)))
            {
                _routes.TryAdd(declaration, new AdoptedRoute(method, verb, pattern, kind));
            }
        }
    }
}
