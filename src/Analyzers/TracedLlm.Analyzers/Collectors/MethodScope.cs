using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>One operation block being read: its owner, its operations, the value flow over them, and the facts the collectors fill.</summary>
internal sealed class MethodScope
{
    public MethodScope(CompilationFacts compilation, ISymbol owner, ImmutableArray<IOperation> blocks, Func<IOperation, ControlFlowGraph?> graphOf, System.Threading.CancellationToken cancellationToken)
    {
        Compilation = compilation;
        CancellationToken = cancellationToken;
        Owner = owner;
        Blocks = blocks;
        Flow = new ValueFlow(compilation.Types, owner, blocks, graphOf, compilation.BodyOf);

        // A method handed an LlmAttempt, or one that starts its own, runs inside an attempt scope.
        OwnerInAttempt = (owner is IMethodSymbol method && method.Parameters.Any(p => WellKnownTypes.Same(p.Type, Types.LlmAttempt)))
            || blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>().Any(i =>
                i.TargetMethod.Name == "StartAttempt" && WellKnownTypes.Same(i.TargetMethod.ContainingType, Types.LlmCall));
    }

    public CompilationFacts Compilation { get; }

    public WellKnownTypes Types => Compilation.Types;

    public System.Threading.CancellationToken CancellationToken { get; }

    public ISymbol Owner { get; }

    public ImmutableArray<IOperation> Blocks { get; }

    public ValueFlow Flow { get; }

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

    /// <summary>The receiver of a call: its instance, or the first argument of an extension method.</summary>
    public static IOperation? Receiver(IInvocationOperation invocation) =>
        invocation.Instance ?? (invocation.TargetMethod.IsExtensionMethod ? invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value : null);
}

/// <summary>Reads one concern's facts from the operations of a block, visited once in tree order.</summary>
internal interface IFactCollector
{
    void Visit(IOperation operation, MethodScope scope);
}
