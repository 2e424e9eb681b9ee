using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

// Reaching definitions on the block's control-flow graphs: which writes of a local reach a use.
internal sealed partial class ValueFlow
{
    private readonly record struct FlowPosition(ControlFlowGraph Graph, BasicBlock Block, int Index);

    /// <summary>The values of the definitions of a local that reach its use, from the control-flow graph; null when no graph is available.</summary>
    private List<KeyValue>? FlowValues(ILocalReferenceOperation use, int nesting)
    {
        var positions = Positions();
        if (!positions.TryGetValue(use.Syntax, out var position))
        {
            return null;
        }

        var values = new List<KeyValue>();
        foreach (var (value, at) in Reaching(position, operation => LocalWrite(operation, use.Local)))
        {
            if (value is null)
            {
                // The start of a lambda's graph for a local of the enclosing method, or a write we cannot follow.
                values.AddRange(at is null ? Writes(use.Local).SelectMany(w => w is null ? new[] { KeyValue.Unknown } : ValuesOf(w, nesting + 1)) : new[] { KeyValue.Unknown });
            }
            else
            {
                values.AddRange(GraphValues(value, at!.Value, nesting + 1));
            }
        }

        return values;
    }

    private IEnumerable<KeyValue> GraphValues(IOperation value, FlowPosition at, int nesting)
    {
        if (nesting > MaxNesting)
        {
            return new[] { KeyValue.Unknown };
        }

        switch (Unwrap(value))
        {
            case IFlowCaptureReferenceOperation capture:
                return Reaching(at, operation => operation is IFlowCaptureOperation flow && flow.Id.Equals(capture.Id) ? (true, flow.Value) : (false, null))
                    .SelectMany(found => found.Value is null || found.At is null ? new[] { KeyValue.Unknown } : GraphValues(found.Value, found.At.Value, nesting + 1))
                    .ToList();
            case ILocalReferenceOperation local:
                return Reaching(at, operation => LocalWrite(operation, local.Local))
                    .SelectMany(found => found.Value is null || found.At is null ? new[] { KeyValue.Unknown } : GraphValues(found.Value, found.At.Value, nesting + 1))
                    .ToList();
            case IDeclarationPatternOperation pattern when TestedValue(pattern) is { } tested:
                return GraphValues(tested, at, nesting + 1);
            default:
                return ValuesOf(value, nesting);
        }
    }

    private static (bool Found, IOperation? Value) LocalWrite(IOperation operation, ILocalSymbol local)
    {
        (bool, IOperation?) last = (false, null);
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            switch (descendant)
            {
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when WellKnownTypes.Same(target.Local, local):
                    last = (true, assignment.Value);
                    break;
                case ILocalReferenceOperation reference when WellKnownTypes.Same(reference.Local, local) && IsWrittenOtherwise(reference):
                    last = (true, WritingArgument(reference));
                    break;
                case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol declared } pattern when WellKnownTypes.Same(declared, local):
                    last = (true, pattern);
                    break;
            }
        }

        return last;
    }

    /// <summary>
    /// Walks the graph backwards from a position to the nearest operation on each path for which
    /// <paramref name="writeOf"/> finds a write. A path that reaches the graph's entry yields (null, null).
    /// </summary>
    private static List<(IOperation? Value, FlowPosition? At)> Reaching(FlowPosition from, Func<IOperation, (bool Found, IOperation? Value)> writeOf)
    {
        var results = new List<(IOperation?, FlowPosition?)>();
        var visited = new HashSet<BasicBlock>();
        var pending = new Stack<(BasicBlock Block, int Index)>();
        pending.Push((from.Block, from.Index));
        while (pending.Count > 0)
        {
            var (block, index) = pending.Pop();
            var found = false;
            for (var i = index - 1; i >= 0 && !found; i--)
            {
                var operation = i < block.Operations.Length ? block.Operations[i] : block.BranchValue;
                if (operation is not null && writeOf(operation) is { Found: true } write)
                {
                    results.Add((write.Value, new FlowPosition(from.Graph, block, i)));
                    found = true;
                }
            }

            if (found)
            {
                continue;
            }

            if (block.Kind == BasicBlockKind.Entry || block.Predecessors.IsEmpty)
            {
                results.Add((null, null));
                continue;
            }

            foreach (var predecessor in block.Predecessors)
            {
                if (visited.Add(predecessor.Source))
                {
                    pending.Push((predecessor.Source, predecessor.Source.Operations.Length + (predecessor.Source.BranchValue is null ? 0 : 1)));
                }
            }
        }

        return results;
    }

    /// <summary>Where each local reference of the block stands in its control-flow graph (lambdas and local functions included).</summary>
    private Dictionary<SyntaxNode, FlowPosition> Positions()
    {
        if (_positions is not null)
        {
            return _positions;
        }

        var positions = new Dictionary<SyntaxNode, FlowPosition>();
        var graphs = new Stack<ControlFlowGraph>();
        foreach (var block in _blocks)
        {
            if (block.Kind is OperationKind.Block or OperationKind.MethodBody or OperationKind.ConstructorBody or OperationKind.FieldInitializer or OperationKind.PropertyInitializer
                && TryGraph(block) is { } graph)
            {
                graphs.Push(graph);
            }
        }

        while (graphs.Count > 0)
        {
            var graph = graphs.Pop();
            foreach (var localFunction in graph.LocalFunctions)
            {
                graphs.Push(graph.GetLocalFunctionControlFlowGraph(localFunction));
            }

            foreach (var block in graph.Blocks)
            {
                var count = block.Operations.Length + (block.BranchValue is null ? 0 : 1);
                for (var i = 0; i < count; i++)
                {
                    var operation = i < block.Operations.Length ? block.Operations[i] : block.BranchValue!;
                    foreach (var descendant in operation.DescendantsAndSelf())
                    {
                        if (descendant is ILocalReferenceOperation && !positions.ContainsKey(descendant.Syntax))
                        {
                            positions[descendant.Syntax] = new FlowPosition(graph, block, i);
                        }
                        else if (descendant is IFlowAnonymousFunctionOperation lambda)
                        {
                            graphs.Push(graph.GetAnonymousFunctionControlFlowGraph(lambda));
                        }
                    }
                }
            }
        }

        _positions = positions;
        return positions;
    }

    private ControlFlowGraph? TryGraph(IOperation block)
    {
        try
        {
            return _graphOf(block);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
