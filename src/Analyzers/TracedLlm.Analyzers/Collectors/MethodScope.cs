namespace TracedLlm.Analyzers.Collectors;

/// <summary>One operation block being read: its owner, operations, value flow, and the facts collectors fill.</summary>
internal sealed partial class MethodScope(
    CompilationFacts compilation, ISymbol owner, ImmutableArray<IOperation> blocks,
    Func<IOperation, ControlFlowGraph?> graphOf, AnalyzerOptions options, CancellationToken cancellationToken)
{
    private List<IOperation>? _operations;
    private ValueFlow? _flow;
    private SendFlow? _sends;

    public CompilationFacts Compilation { get; } = compilation;

    /// <summary>The analyzer options (the span flow reads TLLM2003's interprocedural settings from them).</summary>
    public AnalyzerOptions Options { get; } = options;

    /// <summary>The control-flow graph of one of the block's root operations (throws for other operations).</summary>
    public Func<IOperation, ControlFlowGraph?> GraphOf { get; } = graphOf;

    /// <summary>Spans started in the block, by the syntax of their start, with the message when left open.</summary>
    public Dictionary<SyntaxNode, string> SpanStarts { get; } = new();

    /// <summary>The span flow has work here: a span started outside a <c>using</c>, or one given by ref or
    /// out.</summary>
    public bool HandlesSpans { get; set; }

    public WellKnownTypes Types => Compilation.Types;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public ISymbol Owner { get; } = owner;

    public ImmutableArray<IOperation> Blocks { get; } = blocks;

    /// <summary>Every operation of the blocks, in tree order.</summary>
    public IReadOnlyList<IOperation> Operations =>
        _operations ??= Blocks.SelectMany(b => b.DescendantsAndSelf()).ToList();

    public ValueFlow Flow =>
        _flow ??= new ValueFlow(Types, Owner, Blocks, use => KeyContent.Content(use, this), Compilation.BodyOf);

    /// <summary>Where the block's sends get their clients and addresses (read the first time a send asks).</summary>
    public SendFlow Sends => _sends ??= new SendFlow(this);

    public MethodFacts Facts { get; } = new();

    /// <summary>A method handed an LlmAttempt, or one that starts its own, runs inside an attempt scope.</summary>
    public bool OwnerInAttempt { get; } =
        (owner is IMethodSymbol method && method.Parameters.Any(p => Same(p.Type, compilation.Types.LlmAttempt)))
        || blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>().Any(i => i.TargetMethod.Name
            == "StartAttempt" && Same(i.TargetMethod.ContainingType, compilation.Types.LlmCall));

    /// <summary>Inside a method with an attempt, or inside the operation given to LlmCall.ExecuteAsync /
    /// StreamAsync.</summary>
    public bool InAttemptScope(IOperation operation) => OwnerInAttempt || ValueFlow.Ancestors(operation)
        .Prepend(operation).Any(current => current is IAnonymousFunctionOperation or IMethodReferenceOperation
            && current.Parent is IDelegateCreationOperation creation && IsAttemptOperation(creation));

    /// <summary>A delegate given to LlmCall.ExecuteAsync / StreamAsync, directly or through a local.</summary>
    private bool IsAttemptOperation(IDelegateCreationOperation creation)
    {
        var value = ValueFlow.Outer(creation);
        var local = value.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } => target.Local,
            _ => null,
        };
        return GivenToRunner(value) || (local is not null && Operations.OfType<ILocalReferenceOperation>()
            .Any(reference => Same(reference.Local, local) && GivenToRunner(reference)));

        bool GivenToRunner(IOperation given) =>
            given.Parent is IArgumentOperation { Parent: IInvocationOperation runner }
            && Types.RunsAttempts(runner.TargetMethod);
    }

    // The local functions this block takes as delegates (method groups), and which may run later, each read once.
    private HashSet<IMethodSymbol>? _localFunctionTaken;
    private Dictionary<IMethodSymbol, bool>? _runsLater;

    /// <summary>Where <paramref name="operation"/> runs relative to exception handling.</summary>
    /// <remarks>
    /// In a catch's handler (<see cref="Handling.InCatch"/>), in the method's own run (<see cref="Handling.InBody"/>:
    /// a local function only called there too), or in a lambda or method group's target that may run later
    /// (<see cref="Handling.Anytime"/>).
    /// </remarks>
    public Handling HandlingOf(IOperation operation)
    {
        for (IOperation? current = operation; current is not null; current = current.Parent)
        {
            switch (current.Parent)
            {
                case ICatchClauseOperation @catch when current == @catch.Handler:
                    return Handling.InCatch;
                case IAnonymousFunctionOperation:
                    return Handling.Anytime;
                case ILocalFunctionOperation local:
                    _runsLater ??= new Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
                    return _runsLater.GetOrAdd(local.Symbol.OriginalDefinition,
                        function => RunsLater(function, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default)))
                        ? Handling.Anytime : Handling.InBody;
            }
        }

        return Handling.InBody;
    }

    /// <summary>A local function that may run later: taken as a delegate, or called from a lambda or from one that
    /// may.</summary>
    private bool RunsLater(IMethodSymbol function, HashSet<IMethodSymbol> visited)
    {
        _localFunctionTaken ??= new HashSet<IMethodSymbol>(
            Operations.OfType<IMethodReferenceOperation>().Select(r => r.Method.OriginalDefinition),
            SymbolEqualityComparer.Default);

        // Else called from a lambda, or from a local function that may run later itself.
        return _localFunctionTaken.Contains(function) || (visited.Add(function)
            && Operations.OfType<IInvocationOperation>()
                .Where(call => Same(call.TargetMethod.OriginalDefinition, function))
                .Select(call => ValueFlow.NestedFunction(call))
                .Any(caller => caller?.MethodKind == MethodKind.AnonymousFunction
                    || (caller is not null && RunsLater(caller.OriginalDefinition, visited))));
    }

    /// <summary>The receiver of a call: its instance, or the first argument of an extension method.</summary>
    public static IOperation? Receiver(IInvocationOperation invocation) => invocation.Instance
        ?? (invocation.TargetMethod.IsExtensionMethod
                ? invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value : null);
}

/// <summary>Reads one concern's facts from the operations of a block, visited once in tree order.</summary>
internal interface IFactCollector
{
    void Visit(IOperation operation, MethodScope scope);
}

/// <summary>Where code runs relative to exception handling (see <see cref="MethodScope.HandlingOf"/>).</summary>
internal enum Handling
{
    InBody,
    InCatch,
    Anytime,
}
