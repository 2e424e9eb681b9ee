using TracedLlm.Analyzers.Collectors;

namespace TracedLlm.Analyzers.Facts;

/// <summary>Finds the control-flow graph that runs an operation of a block (its own, a local function's).</summary>
internal static class FlowGraphs
{
    /// <summary>The graph holding <paramref name="syntax"/>, the symbol it runs as, its outermost operations.</summary>
    public static (ControlFlowGraph Graph, ISymbol Owner, List<IOperation> Operations)? Find(
        MethodScope scope, SyntaxNode syntax)
    {
        foreach (var block in scope.Blocks.Where(b => b.Syntax.Span.Contains(syntax.Span)))
        {
            if (Of(scope, block) is { } graph && Find(graph, scope.Owner, syntax) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The graph of one of the block's root operations, or null where the compiler gives none.</summary>
    public static ControlFlowGraph? Of(MethodScope scope, IOperation block)
    {
        try
        {
            return scope.GraphOf(block);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Every operation of the graph's blocks, their branch values and what is in them.</summary>
    public static IEnumerable<IOperation> Operations(ControlFlowGraph graph) =>
        graph.Blocks.SelectMany(b => b.Operations.Append(b.BranchValue)).OfType<IOperation>()
            .SelectMany(o => o.DescendantsAndSelf());

    private static (ControlFlowGraph Graph, ISymbol Owner, List<IOperation> Operations)? Find(
        ControlFlowGraph graph, ISymbol owner, SyntaxNode syntax)
    {
        var all = Operations(graph).ToList();
        var operations = all.Where(o => o.Syntax == syntax && o.Kind != OperationKind.FlowCapture).ToList();
        if (operations.Count > 0)
        {
            // The outermost ones: the value the operation gives.
            return (graph, owner, operations.Where(o => o.Parent is null || o.Parent.Syntax != syntax).ToList());
        }

        foreach (var local in graph.LocalFunctions)
        {
            if (Find(graph.GetLocalFunctionControlFlowGraph(local), local, syntax) is { } inLocal)
            {
                return inLocal;
            }
        }

        var lambdas = all.OfType<IFlowAnonymousFunctionOperation>().Where(l => l.Syntax.Span.Contains(syntax.Span));
        foreach (var lambda in lambdas)
        {
            if (Find(graph.GetAnonymousFunctionControlFlowGraph(lambda), lambda.Symbol, syntax) is { } inLambda)
            {
                return inLambda;
            }
        }

        return null;
    }
}
