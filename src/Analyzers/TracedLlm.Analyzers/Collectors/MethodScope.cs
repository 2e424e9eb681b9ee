using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>One operation block being read: its owner, its operations, the value flow over them, and the facts the collectors fill.</summary>
internal sealed partial class MethodScope
{
    public MethodScope(CompilationFacts compilation, ISymbol owner, ImmutableArray<IOperation> blocks, Func<IOperation, ControlFlowGraph?> graphOf, AnalyzerOptions options, System.Threading.CancellationToken cancellationToken)
    {
        Options = options;
        GraphOf = graphOf;
        Compilation = compilation;
        CancellationToken = cancellationToken;
        Owner = owner;
        Blocks = blocks;
        Flow = new ValueFlow(compilation.Types, owner, blocks,
            use => KeyContent.Content(use, this), compilation.BodyOf);

        // A method handed an LlmAttempt, or one that starts its own, runs inside an attempt scope.
        OwnerInAttempt = (owner is IMethodSymbol method && method.Parameters.Any(p => WellKnownTypes.Same(p.Type, Types.LlmAttempt)))
            || blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>().Any(i =>
                i.TargetMethod.Name == "StartAttempt" && WellKnownTypes.Same(i.TargetMethod.ContainingType, Types.LlmCall));
    }

    public CompilationFacts Compilation { get; }

    /// <summary>The analyzer options (the span flow reads TLLM2003's interprocedural settings from them).</summary>
    public AnalyzerOptions Options { get; }

    /// <summary>The control-flow graph of one of the block's root operations (throws for other operations).</summary>
    public Func<IOperation, ControlFlowGraph?> GraphOf { get; }

    /// <summary>Spans started in the block, by the syntax of their start, with the message for each when it is left open.</summary>
    public System.Collections.Generic.Dictionary<SyntaxNode, string> SpanStarts { get; } = new();

    /// <summary>The block starts a span outside a <c>using</c>, or calls a source method that gives one through a ref or out parameter: the span flow has work here.</summary>
    public bool HandlesSpans { get; set; }

    public WellKnownTypes Types => Compilation.Types;

    public System.Threading.CancellationToken CancellationToken { get; }

    public ISymbol Owner { get; }

    public ImmutableArray<IOperation> Blocks { get; }

    public ValueFlow Flow { get; }

    /// <summary>Where the block's sends get their clients and addresses (read the first time a send asks).</summary>
    public SendFlow Sends => _sends ??= new SendFlow(this);

    private SendFlow? _sends;

    public MethodFacts Facts { get; } = new();

    public bool OwnerInAttempt { get; }

    /// <summary>Inside a method with an attempt, or inside the operation handed to LlmCall.ExecuteAsync / StreamAsync.</summary>
    public bool InAttemptScope(IOperation operation)
    {
        if (OwnerInAttempt)
        {
            return true;
        }

        for (var current = operation; current.Parent is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or IMethodReferenceOperation && current.Parent is IDelegateCreationOperation creation && IsAttemptOperation(creation))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A delegate given to LlmCall.ExecuteAsync / StreamAsync: directly, or kept in a local first that is passed there.</summary>
    private bool IsAttemptOperation(IDelegateCreationOperation creation)
    {
        IOperation value = creation;
        while (value.Parent is IConversionOperation or IParenthesizedOperation)
        {
            value = value.Parent;
        }

        if (value.Parent is IArgumentOperation { Parent: IInvocationOperation runner })
        {
            return Types.RunsAttempts(runner.TargetMethod);
        }

        var local = value.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } => target.Local,
            _ => null,
        };
        return local is not null && Blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<ILocalReferenceOperation>().Any(reference =>
            WellKnownTypes.Same(reference.Local, local)
            && reference.Parent is IArgumentOperation { Parent: IInvocationOperation runner }
            && Types.RunsAttempts(runner.TargetMethod));
    }

    // The local functions this block takes as delegates (method groups), and which may run later, each read once.
    private System.Collections.Generic.HashSet<IMethodSymbol>? _localFunctionTaken;
    private System.Collections.Generic.Dictionary<IMethodSymbol, bool>? _runsLater;

    /// <summary>
    /// Where <paramref name="operation"/> runs relative to exception handling: inside a catch clause's handler
    /// of this method (<see cref="Handling.InCatch"/>: an exception is already on its way when it runs), in the
    /// method's own run (<see cref="Handling.InBody"/>: while handling only if every call of the method is), or in
    /// a lambda or a method group's target that may run at any later time (<see cref="Handling.Anytime"/>).
    /// A local function runs in its method's run when it is only called there (never from a lambda), never taken as
    /// a delegate.
    /// </summary>
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
                    var function = local.Symbol.OriginalDefinition;
                    _runsLater ??= new System.Collections.Generic.Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
                    if (!_runsLater.TryGetValue(function, out var later))
                    {
                        _runsLater[function] = later = RunsLater(function, new System.Collections.Generic.HashSet<IMethodSymbol>(SymbolEqualityComparer.Default));
                    }

                    return later ? Handling.Anytime : Handling.InBody;
            }
        }

        return Handling.InBody;
    }

    /// <summary>
    /// A local function that may run at any later time: taken as a delegate (a method group), or called
    /// from a lambda, or from another local function of which that holds.
    /// </summary>
    private bool RunsLater(IMethodSymbol function, System.Collections.Generic.HashSet<IMethodSymbol> visited)
    {
        _localFunctionTaken ??= new System.Collections.Generic.HashSet<IMethodSymbol>(
            Blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IMethodReferenceOperation>().Select(r => r.Method.OriginalDefinition),
            SymbolEqualityComparer.Default);
        if (_localFunctionTaken.Contains(function))
        {
            return true;
        }

        if (!visited.Add(function))
        {
            return false;
        }

        foreach (var call in Blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>())
        {
            if (!SymbolEqualityComparer.Default.Equals(call.TargetMethod.OriginalDefinition, function))
            {
                continue;
            }

            for (var current = call.Parent; current is not null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation)
                {
                    return true;
                }

                if (current is ILocalFunctionOperation caller)
                {
                    if (RunsLater(caller.Symbol.OriginalDefinition, visited))
                    {
                        return true;
                    }

                    break;
                }
            }
        }

        return false;
    }

    /// <summary>The receiver of a call: its instance, or the first argument of an extension method.</summary>
    public static IOperation? Receiver(IInvocationOperation invocation) =>
        invocation.Instance ?? (invocation.TargetMethod.IsExtensionMethod ? invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value : null);
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
