using Analyzer.Utilities;

namespace TracedLlm.Analyzers.Facts.SpanFlow;

/// <summary>"Started but not ended on every path" for <c>Activity</c>, on Roslyn's dataflow framework.</summary>
/// <remarks>
/// CA2000's model (DisposeAnalysis) with a started Activity as the resource: points-to analysis follows the span, a
/// forward analysis keeps each span's state per path, source calls that take or return a span are analysed in their
/// caller's context, and exception paths are followed from awaited calls, throws and source methods that throw.
/// </remarks>
internal sealed partial class SpanAnalysis
    : ForwardDataFlowAnalysis<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanBlockResult, SpanState>
{
    private static readonly MapAbstractDomain<AbstractLocation, SpanState> Domain = new(SpanStateDomain.Instance);

    // The rule whose .editorconfig options (dotnet_code_quality.TLLM2003.*) tune the interprocedural analysis.
    private static readonly DiagnosticDescriptor Rule = DiagnosticDescriptors.SpanLifecycle;

    private SpanAnalysis(Visitor visitor)
        : base(Domain, visitor)
    {
    }

    /// <summary>The starts of the spans left open on some path of the graph, its lambdas and local
    /// functions.</summary>
    public static IReadOnlyCollection<SyntaxNode> OpenSpans(ControlFlowGraph root, ISymbol owner,
        AnalyzerOptions options, WellKnownTypes types, CancellationToken cancellationToken)
    {
        var open = new HashSet<SyntaxNode>();
        var pending = new Stack<(ControlFlowGraph Graph, ISymbol Owner)>();
        pending.Push((root, owner));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (graph, symbol) = pending.Pop();
            foreach (var localFunction in graph.LocalFunctions)
            {
                pending.Push((graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken), localFunction));
            }

            foreach (var lambda in FlowGraphs.Operations(graph).OfType<IFlowAnonymousFunctionOperation>())
            {
                pending.Push((graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol));
            }

            if (!StartsOrTakesSpans(graph, types))
            {
                continue;
            }

            foreach (var node in Run(graph, symbol, options, types, root.OriginalOperation.Syntax))
            {
                open.Add(node);
            }
        }

        return open;
    }

    /// <summary>Only graphs with a call that starts, returns or takes an Activity are analysed.</summary>
    private static bool StartsOrTakesSpans(ControlFlowGraph graph, WellKnownTypes types) => graph.Blocks
            .SelectMany(b => b.Operations).SelectMany(o => o.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .Any(call => IsSpan(call.TargetMethod.ReturnType, types)
                || call.TargetMethod.Parameters.Any(p =>
                    p.RefKind is RefKind.Out or RefKind.Ref && IsSpan(p.Type, types)));

    private static IEnumerable<SyntaxNode> Run(ControlFlowGraph graph, ISymbol owner, AnalyzerOptions options,
        WellKnownTypes types, SyntaxNode root)
    {
        var provider = WellKnownTypeProvider.GetOrCreate(graph.OriginalOperation.SemanticModel!.Compilation);
        var configuration = InterproceduralAnalysisConfiguration.Create(options, Rule, graph, provider.Compilation,
            InterproceduralAnalysisKind.ContextSensitive);
        var predicate = new InterproceduralAnalysisPredicate(method => !MayHandleSpans(method, types), null, null);
        var pointsTo = PointsToAnalysis.TryGetOrComputeResult(graph, owner, options, provider,
            PointsToAnalysisKind.PartialWithoutTrackingFieldsAndProperties, configuration, predicate,
            pessimisticAnalysis: false, performCopyAnalysis: false, exceptionPathsAnalysis: true);
        if (pointsTo is null)
        {
            yield break;
        }

        var context = new SpanAnalysisContext(provider, graph, owner, options, configuration, pointsTo, Compute,
            parentControlFlowGraph: null, interproceduralAnalysisData: null, predicate, new SpanAliases(types));
        var visitor = new Visitor(context);
        if (new SpanAnalysis(visitor).TryGetOrComputeResultCore(context, cacheResult: false) is not { } result)
        {
            yield break;
        }

        var states = result.ExitBlockOutput
            .Data.Concat(
                result.ExceptionPathsExitBlockOutput?.Data ?? ImmutableDictionary<AbstractLocation, SpanState>.Empty)
            .Concat(result.MergedStateForUnhandledThrowOperations?.Data
                    ?? ImmutableDictionary<AbstractLocation, SpanState>.Empty)
            .Concat(visitor.LeavingTheMethod);

        foreach (var pair in states)
        {
            var (location, state) = (pair.Key, pair.Value);
            if (state.MayBeLeftOpen && location.Creation is not null && !context.Aliases.IsAlias(location)
                && ReportedAt(location, root) is { } node)
            {
                yield return node;
            }
        }
    }

    /// <summary>Where a span's start is reported: the start in the analysed method, else the call that led to
    /// it.</summary>
    private static SyntaxNode? ReportedAt(AbstractLocation location, SyntaxNode root)
    {
        foreach (var operation in new[] { location.Creation! }.Concat(location.CreationCallStack))
        {
            if (operation.Syntax.SyntaxTree == root.SyntaxTree && root.Span.Contains(operation.Syntax.Span))
            {
                return operation.Syntax;
            }
        }

        return null;
    }

    /// <summary>Calls worth following into: those that may start, return, end or keep a span.</summary>
    private static bool MayHandleSpans(IMethodSymbol method, WellKnownTypes types) => IsSpan(method.ReturnType, types)
        || method.Parameters.Any(p => IsSpan(p.Type, types) || p.Type.SpecialType == SpecialType.System_Object
            || p.Type.TypeKind == TypeKind.Delegate);

    internal static bool IsSpan(ITypeSymbol? type, WellKnownTypes types) =>
        type is not null && Same(type.OriginalDefinition, types.Activity);

    private static SpanAnalysisResult? Compute(SpanAnalysisContext context) =>
        new SpanAnalysis(new Visitor(context)).TryGetOrComputeResultCore(context, cacheResult: false);

    protected override SpanAnalysisResult ToResult(SpanAnalysisContext analysisContext,
        DataFlowAnalysisResult<SpanBlockResult, SpanState> dataFlowAnalysisResult) => new(dataFlowAnalysisResult);

    protected override SpanBlockResult ToBlockResult(BasicBlock basicBlock, SpanData blockAnalysisData) =>
        new(basicBlock, blockAnalysisData);
}
