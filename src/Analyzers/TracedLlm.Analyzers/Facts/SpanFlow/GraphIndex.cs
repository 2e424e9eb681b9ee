namespace TracedLlm.Analyzers.Facts.SpanFlow;

/// <summary>The flow captures and references to each local and parameter of one control-flow graph.</summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<CaptureId, IOperation> _captures = new();
    private readonly Dictionary<ISymbol, List<IOperation>> _references = new(SymbolEqualityComparer.Default);
    private readonly SemanticModel? _model;

    public GraphIndex(ControlFlowGraph graph)
    {
        _model = graph.OriginalOperation.SemanticModel;
        foreach (var operation in FlowGraphs.Operations(graph))
        {
            switch (operation)
            {
                case IFlowCaptureOperation capture:
                    _captures[capture.Id] = capture.Value;
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                    // The value a local is given stands for it too (a target alone has no points-to value).
                    Add(target.Local, assignment.Value);
                    break;
                case ILocalReferenceOperation local:
                    Add(local.Local, operation);
                    break;
                case IParameterReferenceOperation parameter:
                    Add(parameter.Parameter, operation);
                    break;
            }
        }
    }

    private void Add(ISymbol symbol, IOperation reference) => _references.For(symbol).Add(reference);

    /// <summary>The local or parameter an operation reads, through flow captures and conversions.</summary>
    public ISymbol? Symbol(IOperation operation)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    continue;
                case IFlowCaptureReferenceOperation reference
                    when _captures.TryGetValue(reference.Id, out var captured):
                    operation = captured;
                    continue;
                case ILocalReferenceOperation local:
                    return local.Local;
                case IParameterReferenceOperation parameter:
                    return parameter.Parameter;
            }

            return null;
        }

        return null;
    }

    /// <summary>The operation under the conversions around it.</summary>
    public static IOperation Unconverted(IOperation operation) =>
        operation is IConversionOperation conversion ? Unconverted(conversion.Operand) : operation;

    public IReadOnlyList<IOperation> References(ISymbol symbol) =>
        _references.TryGetValue(symbol, out var list) ? list : (IReadOnlyList<IOperation>)Array.Empty<IOperation>();

    /// <summary>The locals and parameters of this graph a lambda (given as a delegate) reads.</summary>
    public IEnumerable<ISymbol> CapturedBy(IOperation value)
    {
        value = Unconverted(value);
        if (value is IFlowCaptureReferenceOperation reference && _captures.TryGetValue(reference.Id, out var captured))
        {
            value = captured;
        }

        if (value is IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation lambda })
        {
            foreach (var read in lambda.Symbol
                    .DeclaringSyntaxReferences.SelectMany(r => r.GetSyntax().DescendantNodes())
                    .OfType<IdentifierNameSyntax>())
            {
                var symbol = read.SyntaxTree == _model?.SyntaxTree ? _model.GetSymbolInfo(read).Symbol : null;
                if (symbol is ILocalSymbol or IParameterSymbol && _references.ContainsKey(symbol))
                {
                    yield return symbol;
                }
            }
        }
    }
}
