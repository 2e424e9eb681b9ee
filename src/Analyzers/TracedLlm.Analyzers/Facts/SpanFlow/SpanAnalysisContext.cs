using Analyzer.Utilities;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.CopyAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.ValueContentAnalysis;

namespace TracedLlm.Analyzers.Facts.SpanFlow;

// The dataflow framework's types for the span analysis: its block and method results, and its
// context (one per analysed graph; the analyses of the calls it follows fork it).
internal sealed class SpanBlockResult : AbstractBlockAnalysisResult
{
    public SpanBlockResult(BasicBlock basicBlock, SpanData data)
        : base(basicBlock) =>
        Data = data?.ToImmutableDictionary() ?? ImmutableDictionary<AbstractLocation, SpanState>.Empty;

    public ImmutableDictionary<AbstractLocation, SpanState> Data { get; }
}

internal sealed class SpanAnalysisResult : DataFlowAnalysisResult<SpanBlockResult, SpanState>
{
    public SpanAnalysisResult(DataFlowAnalysisResult<SpanBlockResult, SpanState> core)
        : base(core)
    {
    }
}

internal sealed class SpanAnalysisContext
    : AbstractDataFlowAnalysisContext<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanState>
{
    public SpanAnalysisContext(WellKnownTypeProvider provider, ControlFlowGraph graph, ISymbol owner,
        AnalyzerOptions options, InterproceduralAnalysisConfiguration configuration, PointsToAnalysisResult? pointsTo,
        Func<SpanAnalysisContext, SpanAnalysisResult?> compute, ControlFlowGraph? parentControlFlowGraph,
        InterproceduralAnalysisData<SpanData, SpanAnalysisContext, SpanState>? interproceduralAnalysisData,
        InterproceduralAnalysisPredicate? predicate, SpanAliases aliases)
        : base(SpanStateDomain.Instance, provider, graph, owner, options, configuration, pessimisticAnalysis: false,
            predicateAnalysis: false, exceptionPathsAnalysis: true, copyAnalysisResult: null, pointsTo,
            valueContentAnalysisResult: null, compute, parentControlFlowGraph, interproceduralAnalysisData,
            predicate) => Aliases = aliases;

    public SpanAliases Aliases { get; }

    public override SpanAnalysisContext ForkForInterproceduralAnalysis(IMethodSymbol invokedMethod,
        ControlFlowGraph invokedCfg, PointsToAnalysisResult? pointsToAnalysisResult,
        DataFlowAnalysisResult<CopyBlockAnalysisResult, CopyAbstractValue>? copyAnalysisResult,
        DataFlowAnalysisResult<ValueContentBlockAnalysisResult, ValueContentAbstractValue>? valueContentAnalysisResult,
        InterproceduralAnalysisData<SpanData, SpanAnalysisContext, SpanState>? interproceduralAnalysisData) =>
        new(WellKnownTypeProvider, invokedCfg, invokedMethod, AnalyzerOptions, InterproceduralAnalysisConfiguration,
            pointsToAnalysisResult, TryGetOrComputeAnalysisResult, ControlFlowGraph, interproceduralAnalysisData,
            InterproceduralAnalysisPredicate, Aliases);

    protected override void ComputeHashCodePartsSpecific(ref RoslynHashCode hashCode)
    {
    }

    protected override bool ComputeEqualsByHashCodeParts(
        AbstractDataFlowAnalysisContext<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanState> obj) => true;
}
