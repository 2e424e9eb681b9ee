using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Analyzer.Utilities;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.PointsToAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Collectors;

namespace TracedLlm.Analyzers.Facts;

/// <summary>Reads where a send's client, request and address come from in one block (<see cref="SendInputs"/>).</summary>
/// <remarks>
/// The objects (an <c>HttpClient</c>, an <c>HttpRequestMessage</c>, a <c>Uri</c>) are followed by Roslyn's points-to analysis:
/// through locals, fields, tuples and both branches of a conditional, and into the source helpers that return one
/// (context-sensitive, <see cref="MaxCallChain"/> calls deep); each object they may be is read where it is made. An address's
/// text is read by hand, as the constants it is built from (through locals, parameters a helper was given, the initializers of
/// fields and properties): value-content analysis knows a string only when it knows all of it, and an address is mostly a
/// configured host and a constant path (<c>$"{options.BaseUrl}/v1/messages"</c>), of which only the path says "model".
/// </remarks>
internal sealed class SendFlow
{
    /// <summary>How many calls deep the points-to analysis follows a helper that returns a client or a request.</summary>
    public const uint MaxCallChain = 2;

    private const int MaxNesting = 4;

    private readonly MethodScope _scope;
    private readonly Dictionary<ControlFlowGraph, PointsToAnalysisResult?> _results = new();

    public SendFlow(MethodScope scope) => _scope = scope;

    /// <summary>Where a value handed to a send (or to a method that may send with it) comes from.</summary>
    public SendInputs Inputs(IOperation value)
    {
        var read = new Reading(_scope);
        if (!Follows(value.Type, _scope.Types))
        {
            read.Read(value, null, 0, read.Text);
        }
        else if (Locations(value) is { } locations)
        {
            foreach (var location in locations)
            {
                var call = location.CreationCallStack.IsEmpty ? null : Original(location.CreationCallStack.Peek()) as IInvocationOperation;
                if (location.Creation is { } creation)
                {
                    read.Object(Original(creation), call);
                }
                else if ((location.Symbol ?? location.AnalysisEntity?.Symbol) is { } symbol)
                {
                    read.Symbol(symbol);
                }
            }
        }
        else
        {
            read.Object(value, null);
        }

        return new SendInputs(read.Clients.ToImmutableArray(), read.Text.ToImmutableArray(), read.Parameters.ToImmutableArray());
    }

    /// <summary>The objects points-to analysis says the value may be; null when it does not know them all.</summary>
    private List<AbstractLocation>? Locations(IOperation value)
    {
        if (FlowGraphs.Find(_scope, value.Syntax) is not { } at)
        {
            return null;
        }

        if (!_results.TryGetValue(at.Graph, out var result))
        {
            var compilation = at.Graph.OriginalOperation.SemanticModel!.Compilation;
            var configuration = InterproceduralAnalysisConfiguration.Create(_scope.Options, DiagnosticDescriptors.UnscopedUpstreamCall, at.Graph, compilation,
                InterproceduralAnalysisKind.ContextSensitive, MaxCallChain, MaxCallChain);
            // Only a helper that returns a client, a request or an address is worth following into.
            var predicate = new InterproceduralAnalysisPredicate(m => !Follows(Awaited(m.ReturnType), _scope.Types), m => !Follows(Awaited(m.ReturnType), _scope.Types), null);
            _results[at.Graph] = result = PointsToAnalysis.TryGetOrComputeResult(at.Graph, at.Owner, _scope.Options, WellKnownTypeProvider.GetOrCreate(compilation),
                PointsToAnalysisKind.Complete, configuration, predicate, pessimisticAnalysis: false);
        }

        var values = result is null ? null : at.Operations.Select(o => result[o]).ToList();
        return values is null || values.Any(v => v.Kind != PointsToAbstractValueKind.KnownLocations)
            ? null
            : values.SelectMany(v => v.Locations).Where(l => !l.IsNull && !l.IsNoLocation).Distinct().ToList();
    }

    /// <summary>The operation of the block's own tree that a graph's operation was made from (the graph's when there is none).</summary>
    private IOperation Original(IOperation operation) =>
        _scope.Blocks.Where(b => b.Syntax.SyntaxTree == operation.Syntax.SyntaxTree && b.Syntax.Span.Contains(operation.Syntax.Span))
            .SelectMany(b => b.DescendantsAndSelf()).FirstOrDefault(o => o.Syntax == operation.Syntax && o.Kind == operation.Kind) ?? operation;

    private static ITypeSymbol Awaited(ITypeSymbol type) => type is INamedTypeSymbol { IsGenericType: true, Name: "Task" or "ValueTask" } task ? task.TypeArguments[0] : type;

    /// <summary>A type the points-to analysis follows: a client (an <c>HttpMessageInvoker</c>), a request, an address.</summary>
    public static bool Follows(ITypeSymbol? type, WellKnownTypes types) =>
        type is not null && ((types.HttpMessageInvoker is { } invoker && WellKnownTypes.DerivesFrom(type, invoker))
            || WellKnownTypes.Same(type, types.HttpRequestMessage) || type.ToDisplayString() == "System.Uri");

    /// <summary>What one reading found: the clients named, the address's constant text, the method's parameters that decide.</summary>
    private sealed class Reading(MethodScope scope)
    {
        public HashSet<string> Clients { get; } = new(System.StringComparer.Ordinal);

        public HashSet<string> Text { get; } = new(System.StringComparer.Ordinal);

        public SortedSet<int> Parameters { get; } = new();

        /// <summary>An object where it is made (<paramref name="call"/>: the call of the helper that made it), or a value read in place.</summary>
        public void Object(IOperation made, IInvocationOperation? call, int nesting = 0)
        {
            switch (ValueFlow.Unwrap(made))
            {
                case IInvocationOperation { TargetMethod.Name: "CreateClient", Arguments.Length: > 0 } create
                    when create.Arguments[create.Arguments.Length - 1].Value is { Type.SpecialType: SpecialType.System_String } name:
                    // IHttpClientFactory.CreateClient(name): the client is the named one.
                    Read(name, call, 0, Clients);
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
                    Read(other, call, 0, Text);
                    break;
            }
        }

        /// <summary>
        /// A client or request held by a symbol: a parameter of the method (its callers decide), a typed client's constructor
        /// parameter, a field or property (named by it, and its initializer's text read).
        /// </summary>
        public void Symbol(ISymbol symbol)
        {
            switch (symbol)
            {
                case IParameterSymbol parameter when WellKnownTypes.Same(parameter.ContainingSymbol, scope.Owner):
                    Parameters.Add(parameter.Ordinal);
                    break;
                case IParameterSymbol { ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } constructor } parameter:
                    Clients.Add($"{constructor.ContainingType.ToDisplayString()}({parameter.Name})");
                    break;
                case IFieldSymbol or IPropertySymbol:
                    Clients.Add(symbol.OriginalDefinition.ToDisplayString());
                    Initializer(symbol, Text);
                    break;
            }
        }

        /// <summary>The constant text a value is built from, into <paramref name="into"/>; the method's parameters it comes from.</summary>
        public void Read(IOperation value, IInvocationOperation? call, int nesting, HashSet<string> into)
        {
            if (nesting > MaxNesting)
            {
                return;
            }

            foreach (var part in value.DescendantsAndSelf())
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
                    case IParameterReferenceOperation parameter when call is not null && WellKnownTypes.Same(parameter.Parameter.ContainingSymbol, call.TargetMethod.OriginalDefinition)
                        && call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Parameter.Ordinal) is { } argument:
                        // Made in a helper from what it was given: the argument of the call that ran it.
                        Read(argument.Value, null, nesting + 1, into);
                        break;
                    case IParameterReferenceOperation parameter when WellKnownTypes.Same(parameter.Parameter.ContainingSymbol, scope.Owner):
                        Parameters.Add(parameter.Parameter.Ordinal);
                        break;
                    case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member:
                        Initializer(member.Member, into);
                        break;
                }
            }
        }

        // A field's or property's initializer (or getter) in source: its string literals.
        private static void Initializer(ISymbol member, HashSet<string> into)
        {
            foreach (var node in member.DeclaringSyntaxReferences.Select(r => r.GetSyntax()))
            {
                foreach (var literal in node.DescendantNodes().OfType<LiteralExpressionSyntax>().Where(l => l.IsKind(SyntaxKind.StringLiteralExpression)))
                {
                    into.Add(literal.Token.ValueText);
                }

                foreach (var text in node.DescendantNodes().OfType<InterpolatedStringTextSyntax>())
                {
                    into.Add(text.TextToken.ValueText);
                }
            }
        }
    }
}
