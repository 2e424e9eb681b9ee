using Analyzer.Utilities;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Analyzers.Collectors;

namespace TracedLlm.Analyzers.Facts;

/// <summary>Reads where a send's client, request and address come from in one block.</summary>
/// <remarks>
/// The objects are followed by Roslyn's points-to analysis (into source helpers, <see cref="MaxCallChain"/> calls
/// deep). An address's text is read by hand, as the constants it is built from: value-content analysis knows a string
/// only when it knows all of it, and an address is mostly a configured host and a constant path, of which only the path
/// says "model".
/// </remarks>
internal sealed class SendFlow(MethodScope scope)
{
    /// <summary>How many calls deep points-to analysis follows a helper that returns a client or a request.</summary>
    public const uint MaxCallChain = 2;

    private const int MaxNesting = 4;

    private readonly Dictionary<ControlFlowGraph, PointsToAnalysisResult?> _results = new();
    private readonly HashSet<string> _clients = new(StringComparer.Ordinal);
    private readonly HashSet<string> _text = new(StringComparer.Ordinal);
    private readonly SortedSet<int> _parameters = new();
    private readonly SortedSet<int> _names = new();

    /// <summary>Where a value handed to a send (or to a method that may send with it) comes from.</summary>
    public SendInputs Inputs(IOperation value)
    {
        _clients.Clear();
        _text.Clear();
        _parameters.Clear();
        _names.Clear();
        if (!Follows(value.Type, scope.Types) && ServiceClients.Service(value.Type, scope.Types) is null)
        {
            Read(value, null, 0, _text);
        }
        else if (Locations(value) is { } locations)
        {
            foreach (var location in locations)
            {
                var stack = location.CreationCallStack;
                var call = stack.IsEmpty ? null : Original(stack.Peek()) as IInvocationOperation;
                if (location.Creation is { } creation)
                {
                    Object(Original(creation), call, 0);
                }
                else if ((location.Symbol ?? location.AnalysisEntity?.Symbol) is { } symbol)
                {
                    Symbol(symbol);
                }
            }
        }
        else
        {
            Object(value, null, 0);
        }

        return new SendInputs(_clients.ToImmutableArray(), _text.ToImmutableArray(), _parameters.ToImmutableArray(),
            _names.ToImmutableArray());
    }

    /// <summary>A type points-to analysis follows: a client, a request, an address.</summary>
    public static bool Follows(ITypeSymbol? type, WellKnownTypes types) =>
        type is not null && ((types.HttpMessageInvoker is { } invoker && DerivesFrom(type, invoker))
            || Same(type, types.HttpRequestMessage) || type.ToDisplayString() == "System.Uri");

    /// <summary>The objects points-to analysis says the value may be; null when it does not know them all.</summary>
    private List<AbstractLocation>? Locations(IOperation value)
    {
        if (FlowGraphs.Find(scope, value.Syntax) is not { } at)
        {
            return null;
        }

        var result = _results.GetOrAdd(at.Graph, graph =>
        {
            var compilation = graph.OriginalOperation.SemanticModel!.Compilation;
            var configuration = InterproceduralAnalysisConfiguration.Create(scope.Options,
                DiagnosticDescriptors.UnscopedUpstreamCall, graph, compilation,
                InterproceduralAnalysisKind.ContextSensitive, MaxCallChain, MaxCallChain);
            // Only a helper that returns a client, a request or an address is worth following into.
            bool Skip(IMethodSymbol method) => !Follows(scope.Types.Awaited(method.ReturnType), scope.Types);
            return PointsToAnalysis.TryGetOrComputeResult(graph, at.Owner, scope.Options,
                WellKnownTypeProvider.GetOrCreate(compilation), PointsToAnalysisKind.Complete, configuration,
                new InterproceduralAnalysisPredicate(Skip, Skip, null), pessimisticAnalysis: false);
        });

        var values = result is null ? null : at.Operations.Select(o => result[o]).ToList();
        return values is null || values.Any(v => v.Kind != PointsToAbstractValueKind.KnownLocations)
            ? null
            : values.SelectMany(v => v.Locations).Where(l => !l.IsNull && !l.IsNoLocation).Distinct().ToList();
    }

    /// <summary>The operation of the block's own tree a graph's operation was made from (else the graph's).</summary>
    private IOperation Original(IOperation operation) => scope.Blocks
        .Where(b => b.Syntax.SyntaxTree == operation.Syntax.SyntaxTree && b.Syntax.Span.Contains(operation.Syntax.Span))
        .SelectMany(b => b.DescendantsAndSelf())
        .FirstOrDefault(o => o.Syntax == operation.Syntax && o.Kind == operation.Kind) ?? operation;

    /// <summary>An object where it is made (<paramref name="call"/>: the call of the helper that made it).</summary>
    private void Object(IOperation made, IInvocationOperation? call, int nesting)
    {
        switch (ValueFlow.Unwrap(made))
        {
            case IInvocationOperation resolve when ServiceClients.Resolved(resolve, scope.Types) is { } resolved:
                _clients.Add(resolved);
                break;
            case IInvocationOperation { TargetMethod.Name: "CreateClient", Arguments.Length: > 0 } create
                when create.Arguments[create.Arguments.Length - 1].Value is
                    { Type.SpecialType: SpecialType.System_String } name:
                // IHttpClientFactory.CreateClient(name): the client is the named one.
                Read(name, call, 0, _clients);
                break;
            case IParameterReferenceOperation parameter:
                Symbol(parameter.Parameter);
                break;
            case ILocalReferenceOperation local when nesting < MaxNesting:
                // Where points-to analysis gives up: every value the local is given.
                foreach (var write in scope.Flow.Writes(local.Local).OfType<IOperation>())
                {
                    Object(write, call, nesting + 1);
                }

                break;
            case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol { IsIndexer: false } } member:
                Symbol(member.Member);
                break;
            case var other:
                Read(other, call, 0, _text);
                break;
        }
    }

    /// <summary>A client or request a symbol holds: the method's parameter, a constructor's, a field or
    /// property.</summary>
    private void Symbol(ISymbol symbol)
    {
        switch (symbol)
        {
            case IParameterSymbol parameter when Same(parameter.ContainingSymbol, scope.Owner):
                _parameters.Add(parameter.Ordinal);
                if (scope.Owner.GetAttributes().Any(a => Same(a.AttributeClass, scope.Types.RouteAttribute))
                    && ServiceClients.Injected(parameter, scope.Types) is { } injected)
                {
                    // A route handler's service parameter is what the container resolves.
                    _clients.Add(injected);
                }

                break;
            case IParameterSymbol { ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } ctor } p:
                _clients.Add(
                    ServiceClients.Injected(p, scope.Types) ?? $"{ctor.ContainingType.ToDisplayString()}({p.Name})");
                break;
            case IFieldSymbol or IPropertySymbol when ServiceClients.Kept(symbol, scope.Types) is { } kept:
                _clients.UnionWith(kept);
                break;
            case IFieldSymbol or IPropertySymbol:
                _clients.Add(symbol.OriginalDefinition.ToDisplayString());
                Initializer(symbol, _text);
                break;
        }
    }

    /// <summary>The constant text a value is built from (into <paramref name="into"/>), and its parameters.</summary>
    private void Read(IOperation value, IInvocationOperation? call, int nesting, HashSet<string> into)
    {
        foreach (var part in nesting > MaxNesting ? Enumerable.Empty<IOperation>() : value.DescendantsAndSelf())
        {
            switch (part)
            {
                case { ConstantValue: { HasValue: true, Value: string text } }:
                    into.Add(text);
                    break;
                case ILocalReferenceOperation local:
                    foreach (var write in scope.Flow.Writes(local.Local).OfType<IOperation>())
                    {
                        Read(write, call, nesting + 1, into);
                    }

                    break;
                case IParameterReferenceOperation { Parameter: var parameter } when call is not null
                    && Same(parameter.ContainingSymbol, call.TargetMethod.OriginalDefinition)
                    && call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Ordinal) is { } argument:
                    // Made in a helper from what it was given: the argument of the call that ran it.
                    Read(argument.Value, null, nesting + 1, into);
                    break;
                case IParameterReferenceOperation { Parameter: var parameter }
                    when Same(parameter.ContainingSymbol, scope.Owner):
                    (into == _clients ? _names : _parameters).Add(parameter.Ordinal);
                    break;
                case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member:
                    Initializer(member.Member, into);
                    break;
                case IInvocationOperation { TargetMethod: { IsVirtual: false, IsAbstract: false } m } helper
                    when !m.IsOverride && scope.Compilation.BodyOf(m.OriginalDefinition) is { } body:
                    // A small helper of source (a method, a local function) gives what it returns.
                    foreach (var returned in ValueFlow.OwnReturns(body))
                    {
                        Read(returned.ReturnedValue ?? returned, helper, nesting + 1, into);
                    }

                    break;
            }
        }
    }

    // A field's or property's initializer (or getter) in source: its string literals.
    private static void Initializer(ISymbol member, HashSet<string> into)
    {
        foreach (var node in member.DeclaringSyntaxReferences.Select(r => r.GetSyntax()))
        {
            into.UnionWith(node.DescendantNodes().OfType<LiteralExpressionSyntax>()
                .Where(l => l.IsKind(SyntaxKind.StringLiteralExpression)).Select(l => l.Token.ValueText));
            into.UnionWith(node.DescendantNodes().OfType<InterpolatedStringTextSyntax>()
                .Select(t => t.TextToken.ValueText));
        }
    }
}
