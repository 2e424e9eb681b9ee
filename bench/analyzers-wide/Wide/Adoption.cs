// The adopted mode (--adopted): every HTTP endpoint handler of a tree marked [TracedLlmRoute], as a team adopting
// TracedLlm marks the handlers it traces, so that the rules have traced code to judge. What is marked:
// - minimal-API handlers given as method groups to an endpoint registration (MapGet, MapPost, MapPut, MapDelete,
//   MapPatch, MapMethods, Map, MapFallback, on an app or a MapGroup): the method gets the attribute, with the
//   registration's HTTP method and pattern; also handlers given to a Map* helper of the tree's own that hands its
//   Delegate parameter to one of those (CleanArchitecture's groupBuilder.MapPost(CreateTodoItem), whose body calls
//   builder.MapPost(pattern, handler)), with the helper's pattern and the HTTP method of the registration it calls.
//   The analyzers read routes from attributed method declarations, so a
//   lambda handler becomes one, as a team would convert it: a static method of the same type (same usings, same
//   names in scope) with the lambda's parameters, return type and body, marked, and the registration given it as a
//   method group. Its body keeps its lines (a #line directive maps them back to the lambda's), and the lambda's
//   place keeps its line count. A lambda that reads locals or parameters of the method it is written in (a
//   registration's options: an upload limit, a flag) moves the same way, as a team would move it: what it reads
//   becomes parameters of the method, after its own, and the registration keeps a one-line lambda with the
//   handler's parameters that calls the method with them and the values it read (the lambda's place keeps its line
//   count). A lambda that reads the instance it is written in (a service's field, as in a class whose Map(app) registers
//   lambdas over its injected service) moves into an instance method of its type instead, as a team would write it. A
//   lambda that writes what it captures, captures a value of a type parameter, has a generic
//   parameter or returns a value of an anonymous type cannot move without rewriting it: counted and skipped, as local
//   functions are. A lambda held in a local that is never assigned again (var handler = ...; mapped on several
//   routes) moves once, at its declaration, marked with its first registration's route. A parameter written without
//   its type (context => ...) is given, in the method, the type of the delegate's parameter, as a team converting it
//   writes it;
// - terminal handlers, app.Run(context => ...) on an IApplicationBuilder: the end of a pipeline's branch
//   (AspNetCore.Proxy's proxy routes, MapMiddlewareRoute(route, proxyApp => proxyApp.Run(...)), and the handlers of
//   MapWhen branches), moved and marked as lambdas are, as a middleware (POST /{**catch-all});
// - MVC and API controller actions (public instance methods of a ControllerBase or [ApiController] type), with the
//   verb and template of their Http* and Route attributes, or else their conventional route (MapControllerRoute); Razor Pages
//   handlers (OnGet, OnPostAsync, ...);
// - middleware registered with UseMiddleware<T>() in the tree: T's Invoke / InvokeAsync (or the one T inherits), for a pipeline with no
//   handler to mark (YARP's proxy pipeline: ProxyPipelineInitializerMiddleware ... ForwarderMiddleware, the
//   forwarder's entry point every proxied request passes); also T given to a generic helper of the tree's own whose
//   body calls UseMiddleware<TParameter>() (Ocelot's UseIfNotNull<ResponderMiddleware>(...)), as a team marks every
//   middleware its pipeline registers.
// The attribute goes at the start of the declaration's first line, so every line keeps its number.
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

internal sealed record AdoptedRoute(IMethodSymbol Handler, string HttpMethod, string Pattern, string Kind);

internal sealed class Adoption
{
    private readonly Dictionary<MethodDeclarationSyntax, AdoptedRoute> _routes = new();
    private readonly List<(string? Controller, string? Action, string? Verb, string Pattern)> _conventional = [];
    private readonly List<(LambdaExpressionSyntax Lambda, SyntaxNode Host, string Name, string Method, string Verb, string Pattern, string? Forwarder)> _lambdas = [];

    // Further registrations of a lambda already moved (one held in a local and mapped on several routes).
    private readonly List<(LambdaExpressionSyntax Lambda, string Name, string Verb, string Pattern)> _again = [];

    public int ConvertedLambdas => _lambdas.Count;

    public int SkippedLambdas { get; private set; }

    public int SkippedOther { get; private set; }

    public IReadOnlyCollection<AdoptedRoute> Routes => _routes.Values;

    public static Adoption Find(Compilation compilation, IReadOnlyList<SyntaxTree> trees)
    {
        var adoption = new Adoption();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var invocation in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                adoption.ReadConventionalRoute(model, invocation);
            }
        }

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

    /// <summary>The trees with every found handler marked and every movable lambda handler moved into a marked method; the others as they were.</summary>
    public IEnumerable<SyntaxTree> Apply(IEnumerable<SyntaxTree> trees)
    {
        foreach (var tree in trees)
        {
            var changes = new List<TextChange>();
            foreach (var (declaration, route) in _routes.Where(r => r.Key.SyntaxTree == tree))
            {
                changes.Add(new TextChange(new TextSpan(declaration.SpanStart, 0), Attribute(route.HttpMethod, route.Pattern) + " "));
            }

            var text = tree.GetText();
            foreach (var group in _lambdas.Where(l => l.Lambda.SyntaxTree == tree).GroupBy(l => l.Host))
            {
                var methods = new StringBuilder("\n");
                foreach (var (lambda, _, name, method, verb, pattern, forwarder) in group)
                {
                    var lines = text.Lines.GetLinePositionSpan(lambda.Span);
                    var replacement = forwarder ?? name;
                    changes.Add(new TextChange(lambda.Span, replacement + new string('\n', lines.End.Line - lines.Start.Line - replacement.Count(c => c == '\n'))));
                    methods.Append(Attribute(verb, pattern)).Append('\n')
                        .Append($"#line {text.Lines.GetLineFromPosition(ParametersSpan(lambda).Start).LineNumber + 1} {Literal(tree.FilePath)}\n")
                        .Append(method).Append("\n#line default\n");
                }

                // Into the lambda's type, before its closing brace; for top-level statements, a class at the end of the file.
                var at = group.Key is TypeDeclarationSyntax type ? type.CloseBraceToken.SpanStart : group.Key.FullSpan.End;
                changes.Add(new TextChange(new TextSpan(at, 0), group.Key is TypeDeclarationSyntax ? methods.ToString() : $"\ninternal static partial class AdoptedHandlers\n{{{methods}}}\n"));
            }

            yield return changes.Count == 0 ? tree : tree.WithChangedText(text.WithChanges(changes));
        }
    }

    /// <summary>Each route adopted, as "VERB pattern -> handler", lambdas with where they were written.</summary>
    public IEnumerable<string> Describe(string root)
    {
        string At(LambdaExpressionSyntax lambda) =>
            $"lambda at {Path.GetRelativePath(root, lambda.SyntaxTree.FilePath)}:{lambda.GetLocation().GetLineSpan().StartLinePosition.Line + 1}";
        return _routes.Values.Select(r => $"{r.HttpMethod} {r.Pattern} -> {r.Handler.ContainingType.Name}.{r.Handler.Name} ({r.Kind})")
            .Concat(_lambdas.Select(l => $"{l.Verb} {l.Pattern} -> {At(l.Lambda)} (moved into {l.Name}{(l.Forwarder is null ? "" : ", with what it captures")})"))
            .Concat(_again.Select(a => $"{a.Verb} {a.Pattern} -> {At(a.Lambda)} (moved into {a.Name} at its first registration)"))
            .Order(StringComparer.Ordinal);
    }

    private static string Attribute(string verb, string pattern) => $"[global::TracedLlm.TracedLlmRoute({Literal(verb)}, {Literal(pattern)})]";

    private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    private void ReadRegistration(SemanticModel model, InvocationExpressionSyntax invocation)
    {
        if (invocation.Expression is MemberAccessExpressionSyntax { Name: GenericNameSyntax { Identifier.ValueText: "UseMiddleware" } }
            && model.GetOperation(invocation) is IInvocationOperation { TargetMethod.TypeArguments: [INamedTypeSymbol middleware] })
        {
            AddMiddleware(middleware);
            return;
        }

        // A helper of the tree's own that registers the middleware it is given as a type argument (Ocelot's
        // UseIfNotNull<TMiddleware>(...) calls builder.UseMiddleware<TMiddleware>()): the type given at the call.
        if (invocation.Expression is MemberAccessExpressionSyntax { Name: GenericNameSyntax } or GenericNameSyntax
            && model.GetOperation(invocation) is IInvocationOperation { TargetMethod: { IsGenericMethod: true } helper })
        {
            foreach (var body in helper.OriginalDefinition.DeclaringSyntaxReferences.Select(r => r.GetSyntax()))
            {
                var helperModel = model.Compilation.GetSemanticModel(body.SyntaxTree);
                foreach (var use in body.DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    if (use.Expression is MemberAccessExpressionSyntax { Name: GenericNameSyntax { Identifier.ValueText: "UseMiddleware" } }
                        && helperModel.GetOperation(use) is IInvocationOperation { TargetMethod.TypeArguments: [ITypeParameterSymbol parameter] }
                        && SymbolEqualityComparer.Default.Equals(parameter.DeclaringMethod, helper.OriginalDefinition)
                        && helper.TypeArguments[parameter.Ordinal] is INamedTypeSymbol given)
                    {
                        AddMiddleware(given);
                    }
                }
            }
        }

        if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name }
            || model.GetOperation(invocation) is not IInvocationOperation { TargetMethod: var registration } operation)
        {
            return;
        }

        // A terminal handler, app.Run(context => ...): the end of a branch of the pipeline (AspNetCore.Proxy's proxy
        // routes, MapMiddlewareRoute(route, proxyApp => proxyApp.Run(...))), marked as a middleware is.
        string verb, pattern;
        IArgumentOperation? handler;
        if (name == "Run" && IsAspNetCore(registration) && FirstParameter(registration)?.Type.Name == "IApplicationBuilder")
        {
            (verb, pattern) = ("POST", "/{**catch-all}");
            handler = operation.Arguments.FirstOrDefault(a => a.Parameter?.Type.Name == "RequestDelegate");
        }
        else
        {
            // ASP.NET Core's Map*, or a Map* helper of the tree's own that hands its Delegate parameter to one (CleanArchitecture's
            // groupBuilder.MapPost(CreateTodoItem) calls builder.MapPost(pattern, handler).WithName(...)): the handler given at the call.
            var (inner, forwarded) = name.StartsWith("Map", StringComparison.Ordinal) && IsEndpointRegistration(registration) ? (registration, null) : Forwarded(model.Compilation, registration);
            if (inner is null)
            {
                return;
            }

            handler = operation.Arguments.FirstOrDefault(a => forwarded is null
                ? a.Parameter?.Type is { } type && (type.Name == "RequestDelegate" || type.SpecialType == SpecialType.System_Delegate)
                : a.Parameter?.Name == forwarded.Name);
            pattern = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "pattern")?.Value is { } given
                ? given.ConstantValue is { HasValue: true, Value: string text } ? text : "/" + Pattern(given).TrimStart('/')
                : "/";
            pattern = pattern.Length == 0 ? "/" : pattern;
            verb = inner.Name switch
            {
                "MapPost" => "POST",
                "MapPut" => "PUT",
                "MapDelete" => "DELETE",
                "MapPatch" => "PATCH",
                _ => "GET",
            };
        }

        if (handler is null)
        {
            return;
        }

        // A handler held in a local the method never assigns again (var handler = async (...) => ...; mapped on
        // several routes): the handler its declaration gives it.
        var value = Unwrap(handler.Value);
        if (value is ILocalReferenceOperation { Local: var local } && AssignedOnce(model, local) is { } initial)
        {
            value = initial;
        }

        switch (value)
        {
            case IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: var method } } when method.MethodKind == MethodKind.Ordinary:
                Add(method, verb, pattern, name == "Run" ? "terminal middleware" : "minimal API");
                break;
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation { Syntax: LambdaExpressionSyntax lambda } } when _lambdas.Find(l => l.Lambda == lambda) is { Name: { } moved }:
                // Mapped again: it moved at its first registration and is marked with that route, as a method group
                // mapped twice keeps its first route (the attribute is one a method).
                _again.Add((lambda, moved, verb, pattern));
                break;
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation { Syntax: LambdaExpressionSyntax lambda } function } when Captured(model, lambda, function) is { } captured:
                Move(lambda, function.Symbol, verb, pattern, captured, instance: ReadsThis(function));
                break;
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation or IMethodReferenceOperation }:
                SkippedLambdas++;
                break;
            default:
                SkippedOther++;
                break;
        }
    }

    /// <summary>
    /// What the lambda reads of where it is written (locals and parameters of the enclosing method, in order of
    /// declaration), when it can move: parameters and a return type that can be named (a parameter written without
    /// its type, context => ..., has the type of the delegate it is given as), nothing it captures written,
    /// every captured value of a type that can be named outside the method; null when it cannot.
    /// </summary>
    private static IReadOnlyList<(string Name, ITypeSymbol Type)>? Captured(SemanticModel model, LambdaExpressionSyntax lambda, IAnonymousFunctionOperation function)
    {
        if (function.Symbol.Parameters.Any(p => Anonymous(p.Type) || Generic(p.Type)) || Anonymous(function.Symbol.ReturnType)
            || function.Body.DescendantsAndSelf().Any(o => o is IInvocationOperation { TargetMethod.MethodKind: MethodKind.LocalFunction } call && !call.TargetMethod.Locations.Any(l => lambda.Span.Contains(l.SourceSpan))))
        {
            return null;
        }

        var flow = model.AnalyzeDataFlow(lambda);
        bool Outside(ISymbol v) => v is ILocalSymbol or IParameterSymbol { IsThis: false } && !v.Locations.Any(l => lambda.Span.Contains(l.SourceSpan));
        if (flow is not { Succeeded: true } || flow.WrittenInside.Any(Outside))
        {
            return null;
        }

        var captured = flow.ReadInside.Where(Outside).Select(v => (v.Name, Type: v switch { ILocalSymbol l => l.Type, _ => ((IParameterSymbol)v).Type }))
            .OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
        return captured.Any(v => Anonymous(v.Type) || Generic(v.Type) || v.Type.IsRefLikeType) ? null : captured;
    }

    /// <summary>Whether the lambda reads the instance it is written in (a field of it, this, base): it moves into an instance method of its type.</summary>
    private static bool ReadsThis(IAnonymousFunctionOperation function) =>
        function.Body.DescendantsAndSelf().Any(o => o is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance });

    private static bool Generic(ITypeSymbol type) =>
        type is ITypeParameterSymbol || (type is INamedTypeSymbol named && named.TypeArguments.Any(Generic)) || (type is IArrayTypeSymbol array && Generic(array.ElementType));

    private static bool Anonymous(ITypeSymbol type) =>
        type.IsAnonymousType || (type is INamedTypeSymbol named && named.TypeArguments.Any(Anonymous)) || (type is IArrayTypeSymbol array && Anonymous(array.ElementType));

    /// <summary>
    /// The lambda as a static method of its type (an instance method when it reads the instance): its parameter list and body as written (parameters written without
    /// their types given the delegate's), the arrow dropped for a block body, what it captured as parameters after its
    /// own; and, when it captured something, the lambda that forwards to it.
    /// </summary>
    private void Move(LambdaExpressionSyntax lambda, IMethodSymbol symbol, string verb, string pattern, IReadOnlyList<(string Name, ITypeSymbol Type)> captured, bool instance)
    {
        var host = (SyntaxNode?)lambda.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault() ?? lambda.SyntaxTree.GetRoot();
        var name = $"AdoptedHandler{_lambdas.Count}";
        var text = lambda.SyntaxTree.GetText();
        var returns = symbol.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier));
        var head = $"internal {(instance ? "" : "static ")}{(lambda.AsyncKeyword.IsKind(SyntaxKind.None) ? "" : "async ")}{returns} {name}";
        var own = symbol.Parameters.Select(p => p.Name).ToList();
        var format = SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);
        var added = string.Concat(captured.Select((c, i) => (own.Count + i == 0 ? "" : ", ") + c.Type.ToDisplayString(format) + " " + c.Name));
        string parameters;
        if (lambda is ParenthesizedLambdaExpressionSyntax { ParameterList: var list } && list.Parameters.All(p => p.Type is not null))
        {
            var close = list.CloseParenToken.SpanStart;
            parameters = text.ToString(TextSpan.FromBounds(list.SpanStart, close)) + added + text.ToString(TextSpan.FromBounds(close, lambda.ArrowToken.SpanStart));
        }
        else
        {
            parameters = "(" + string.Join(", ", symbol.Parameters.Select(p => p.Type.ToDisplayString(format) + " " + p.Name)) + added + ") ";
        }

        var qualified = host is TypeDeclarationSyntax ? name : "AdoptedHandlers." + name;
        var forwarder = captured.Count == 0 ? null
            : text.ToString(ParametersSpan(lambda)) + " => " + qualified + "(" + string.Join(", ", own.Concat(captured.Select(c => c.Name))) + ")";
        var body = lambda.Block is { } block
            ? text.ToString(TextSpan.FromBounds(lambda.ArrowToken.Span.End, block.Span.End))
            : " =>" + text.ToString(TextSpan.FromBounds(lambda.ArrowToken.Span.End, lambda.Span.End)) + ";";
        _lambdas.Add((lambda, host, qualified, head + parameters + body, verb, pattern, forwarder));
    }

    /// <summary>The lambda's parameters as written: its parameter list, or its one parameter.</summary>
    private static TextSpan ParametersSpan(LambdaExpressionSyntax lambda) =>
        lambda is ParenthesizedLambdaExpressionSyntax parenthesized ? parenthesized.ParameterList.Span : ((SimpleLambdaExpressionSyntax)lambda).Parameter.Span;

    /// <summary>
    /// The value a local is declared with, when nothing in the member it belongs to assigns it again (no assignment,
    /// no ref or out, no compound assignment): what every read of it gives; null otherwise.
    /// </summary>
    private static IOperation? AssignedOnce(SemanticModel model, ILocalSymbol local)
    {
        if (local.DeclaringSyntaxReferences is not [var reference] || reference.GetSyntax() is not VariableDeclaratorSyntax { Initializer: not null } declarator
            || model.GetOperation(declarator) is not IVariableDeclaratorOperation { Initializer.Value: var value })
        {
            return null;
        }

        // The member it belongs to: a method, accessor or local function, or the file's top-level statements.
        var member = declarator.Ancestors().First(a => a is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or CompilationUnitSyntax);
        bool IsLocal(ExpressionSyntax target) => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(target).Symbol, local);
        var written = member.DescendantNodes().Any(n => n switch
        {
            AssignmentExpressionSyntax assignment => IsLocal(assignment.Left),
            ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument => IsLocal(argument.Expression),
            RefExpressionSyntax reference => IsLocal(reference.Expression),
            _ => false,
        });
        return written ? null : Unwrap(value);
    }

    private static IOperation Unwrap(IOperation operation) => operation is IConversionOperation conversion ? Unwrap(conversion.Operand) : operation;

    /// <summary>An ASP.NET Core endpoint registration: a Map* extension of IEndpointRouteBuilder taking a handler.</summary>
    private static bool IsEndpointRegistration(IMethodSymbol method) =>
        IsAspNetCore(method) && FirstParameter(method)?.Type.Name == "IEndpointRouteBuilder";

    private static bool IsAspNetCore(IMethodSymbol method) =>
        method.ContainingNamespace?.ToDisplayString().StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) == true;

    private static IParameterSymbol? FirstParameter(IMethodSymbol method) => (method.ReducedFrom ?? method).Parameters.FirstOrDefault();

    /// <summary>
    /// For a Map* extension of IEndpointRouteBuilder written in the tree: the ASP.NET Core registration its body hands one
    /// of its own parameters to as the handler, and that parameter; (null, null) for any other method.
    /// </summary>
    private static (IMethodSymbol? Registration, IParameterSymbol? Handler) Forwarded(Compilation compilation, IMethodSymbol helper)
    {
        helper = (helper.ReducedFrom ?? helper).OriginalDefinition;
        if (!helper.Name.StartsWith("Map", StringComparison.Ordinal) || FirstParameter(helper)?.Type.Name != "IEndpointRouteBuilder")
        {
            return (null, null);
        }

        foreach (var body in helper.DeclaringSyntaxReferences.Select(r => r.GetSyntax()))
        {
            var model = compilation.GetSemanticModel(body.SyntaxTree);
            foreach (var call in body.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetOperation(call) is IInvocationOperation { TargetMethod: var inner } operation && IsEndpointRegistration(inner)
                    && operation.Arguments.Select(a => Unwrap(a.Value)).OfType<IParameterReferenceOperation>()
                        .FirstOrDefault(p => p.Parameter.Type.SpecialType == SpecialType.System_Delegate || p.Parameter.Type.Name == "RequestDelegate") is { } given
                    && SymbolEqualityComparer.Default.Equals(given.Parameter.ContainingSymbol, helper))
                {
                    return (inner, given.Parameter);
                }
            }
        }

        return (null, null);
    }

    /// <summary>
    /// A conventional MVC route, endpoints.MapControllerRoute(name, pattern, defaults, constraints): the controller and action its
    /// defaults name (BaGetter maps each action of its NuGet protocol so: "v3/index.json", new { controller = "ServiceIndex", action
    /// = "Get" }), the HTTP method of an HttpMethodRouteConstraint among its constraints, and its pattern; a pattern with
    /// {controller} and {action} (the template's "{controller=Home}/{action=Index}/{id?}") routes every controller's actions that
    /// have no route of their own.
    /// </summary>
    private void ReadConventionalRoute(SemanticModel model, InvocationExpressionSyntax invocation)
    {
        // The same route written for UseMvc (app.UseMvc(routes => routes.MapRoute(name, template, defaults, constraints)), the
        // Commercial Marketplace SaaS Accelerator's sites): its template is the pattern.
        if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MapControllerRoute" or "MapRoute" }
            || model.GetOperation(invocation) is not IInvocationOperation { TargetMethod.ContainingType.Name: "ControllerEndpointRouteBuilderExtensions" or "MapRouteRouteBuilderExtensions" } operation
            || operation.Arguments.FirstOrDefault(a => a.Parameter?.Name is "pattern" or "template")?.Value.ConstantValue is not { HasValue: true, Value: string pattern })
        {
            return;
        }

        IEnumerable<(string Name, IOperation Value)> Properties(string parameter) =>
            operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter)?.Value is { } value && Unwrap(value) is IAnonymousObjectCreationOperation creation
                ? creation.Initializers.OfType<ISimpleAssignmentOperation>().Select(a => ((a.Target as IPropertyReferenceOperation)?.Property.Name ?? string.Empty, a.Value))
                : [];
        string? Default(string name) => Properties("defaults").FirstOrDefault(p => p.Name == name).Value?.ConstantValue is { HasValue: true, Value: string text } ? text : null;
        var verb = Properties("constraints").Select(p => Unwrap(p.Value)).OfType<IObjectCreationOperation>().Where(c => c.Type?.Name == "HttpMethodRouteConstraint")
            .SelectMany(c => c.Descendants()).Select(o => o.ConstantValue).FirstOrDefault(c => c is { HasValue: true, Value: string }) is { Value: string method } ? method.ToUpperInvariant() : null;
        _conventional.Add((Default("controller"), Default("action"), verb, pattern));
    }

    /// <summary>
    /// The conventional route of a controller's action that has no route of its own: its HTTP method (when a constraint gives
    /// one) and path. The action's name is the method's without "Async", as MVC names it (SuppressAsyncSuffixInActionNames). A
    /// controller of an [Area] takes the patterns with an {area} parameter ("{area:exists}/{controller=Home}/{action=Index}/{id?}"),
    /// its area written in (before those without, taken when there is none), and a controller of none only the patterns without
    /// (POP Forums' area controllers beside its host's own).
    /// </summary>
    private (string? Verb, string Path)? Conventional(string controller, string method, string? area = null)
    {
        var action = method.EndsWith("Async", StringComparison.Ordinal) && method.Length > "Async".Length ? method[..^"Async".Length] : method;
        static bool Token(string pattern, string name) => pattern.Contains("{" + name + "}", StringComparison.OrdinalIgnoreCase) || pattern.Contains("{" + name + "=", StringComparison.OrdinalIgnoreCase)
            || pattern.Contains("{" + name + ":", StringComparison.OrdinalIgnoreCase);
        foreach (var route in _conventional.Where(r => string.Equals(r.Controller, controller, StringComparison.OrdinalIgnoreCase) && string.Equals(r.Action, action, StringComparison.OrdinalIgnoreCase))
            .Concat(_conventional.Where(r => Token(r.Pattern, "controller") && Token(r.Pattern, "action")).OrderBy(r => Token(r.Pattern, "area") != (area is not null)).Where(r => area is not null || !Token(r.Pattern, "area"))))
        {
            var path = System.Text.RegularExpressions.Regex.Replace(route.Pattern, @"\{(controller|action|area)(:[^}=]*)?(=[^}]*)?\}", m => m.Groups[1].Value.ToLowerInvariant() switch { "controller" => controller, "action" => action, _ => area ?? m.Value }, System.Text.RegularExpressions.RegexOptions.IgnoreCase);
            return (route.Verb, "/" + path.TrimStart('/'));
        }

        return null;
    }

    /// <summary>The method and every method it overrides, nearest first.</summary>
    private static IEnumerable<IMethodSymbol> Overridden(IMethodSymbol method)
    {
        for (IMethodSymbol? m = method; m is not null; m = m.OverriddenMethod)
        {
            yield return m;
        }
    }

    private void ReadController(SemanticModel model, ClassDeclarationSyntax declaration)
    {
        if (model.GetDeclaredSymbol(declaration) is not { IsAbstract: false } type)
        {
            return;
        }

        // [ApiController], [Controller] and [Route] are inherited: a controller that derives from no ControllerBase but from a base
        // class that carries them (FluentCMS's BaseController, BaseGlobalController) is one, routed by its nearest base's [Route].
        var bases = new List<INamedTypeSymbol>();
        for (var t = type; t is not null; t = t.BaseType)
        {
            bases.Add(t);
        }

        var isController = DerivesFrom(type, "Microsoft.AspNetCore.Mvc.ControllerBase") || bases.Any(b => b.GetAttributes().Any(a => a.AttributeClass?.Name is "ApiControllerAttribute" or "ControllerAttribute"));
        var isPage = DerivesFrom(type, "Microsoft.AspNetCore.Mvc.RazorPages.PageModel");
        if (!isController && !isPage)
        {
            return;
        }

        // A controller's [Route] written rooted ("/v1" or "~/v1", LMSupplyDepot's V1Controller) is the same prefix as "v1": MVC joins
        // it to the action's template with one '/', where joining it as written gave "//v1/models".
        var routed = bases.Select(b => Template(b.GetAttributes())).FirstOrDefault(t => t is not null) ?? string.Empty;
        var prefix = routed.TrimStart('~').TrimStart('/');
        var area = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name == "AreaAttribute")?.ConstructorArguments.FirstOrDefault().Value as string;
        foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
        {
            // Not an action, as MVC reads a controller: a static, non-public or [NonAction] method, or the type's Dispose
            // (a controller that implements IDisposable is disposed by MVC, never routed to its Dispose). [NonAction] is inherited
            // by an override, as MVC reads it: Controller.OnActionExecuting overridden (the SaaS Accelerator's BaseController) is none.
            if (method.MethodKind != MethodKind.Ordinary || method.IsStatic || method.DeclaredAccessibility != Accessibility.Public
                || Overridden(method).Any(m => m.GetAttributes().Any(a => a.AttributeClass?.Name == "NonActionAttribute"))
                || (method.Name == "Dispose" && method.Parameters.IsEmpty && type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_IDisposable)))
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
            if (template is null && routed.Length == 0 && Conventional(type.Name.Replace("Controller", string.Empty, StringComparison.Ordinal), method.Name, area) is { } conventional)
            {
                Add(method, conventional.Verb ?? verb, conventional.Path, "controller action");
                continue;
            }

            // A template that starts with "/" or "~/" is the whole route, the controller's [Route] prefix not put before it (CAP's samples' "~/without/transaction").
            var path = template is not null && (template.StartsWith('/') || template.StartsWith("~/", StringComparison.Ordinal)) ? template.TrimStart('~') : "/" + string.Join("/", new[] { prefix, template }.Where(t => !string.IsNullOrEmpty(t)));
            path = path.Replace("[controller]", type.Name.Replace("Controller", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal).Replace("[action]", method.Name, StringComparison.Ordinal);
            Add(method, verb, path, "controller action");
        }
    }

    /// <summary>
    /// A registration's pattern built at run time from a prefix the app configures (CAP's dashboard maps prefixMatch + "/stats"):
    /// its constant parts kept, each part that is not constant written as a route parameter named after it
    /// ("{prefixMatch}/stats"), as it is one segment or more the app fills in; a route, as [TracedLlmRoute] takes it, starts with '/'.
    /// </summary>
    private static string Pattern(IOperation value) => Unwrap(value) switch
    {
        { ConstantValue: { HasValue: true, Value: string text } } => text,
        IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } add => Pattern(add.LeftOperand) + Pattern(add.RightOperand),
        IInterpolatedStringOperation interpolated => string.Concat(interpolated.Parts.Select(p => p switch
        {
            IInterpolatedStringTextOperation t => Pattern(t.Text),
            IInterpolationOperation i => Pattern(i.Expression),
            _ => "{value}",
        })),
        var other => "{" + (other.Syntax is IdentifierNameSyntax or MemberAccessExpressionSyntax ? other.Syntax.ToString().Split('.')[^1] : "value") + "}",
    };

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

    /// <summary>
    /// The middleware's Invoke / InvokeAsync: its own, or else the one it inherits from the nearest base type that declares
    /// one (AspNetCoreRateLimit's IpRateLimitMiddleware : RateLimitMiddleware&lt;IpRateLimitProcessor&gt;, whose Invoke
    /// every request passes), as ASP.NET Core finds it.
    /// </summary>
    private void AddMiddleware(INamedTypeSymbol middleware)
    {
        for (INamedTypeSymbol? type = middleware; type is not null; type = type.BaseType)
        {
            var invokes = type.GetMembers().OfType<IMethodSymbol>().Where(m => m.Name is "Invoke" or "InvokeAsync").ToList();
            foreach (var method in invokes)
            {
                Add(method.OriginalDefinition, "POST", "/{**catch-all}", "middleware");
            }

            if (invokes.Count > 0)
            {
                return;
            }
        }
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
