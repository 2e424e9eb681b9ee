using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a catch of an exception type that no code can throw.
internal sealed partial class SwallowCollector
{
    /// <summary>
    /// The types a catch takes (<see cref="CaughtTypes"/>: its declared type, or the types a <c>when</c> filter made only of
    /// type tests names) when every one of them is an exception type only this compilation's code can create
    /// (<see cref="CompilationFacts.OnlyCreatedHere"/>); default otherwise. Whether code creates one is known at the end
    /// of the compilation, from every block's <see cref="MethodFacts.Created"/>.
    /// </summary>
    private static ImmutableArray<ITypeSymbol> OnlyCreatedHere(ICatchClauseOperation @catch, MethodScope scope) =>
        CaughtTypes(@catch) is { Count: > 0 } caught && caught.All(scope.Compilation.OnlyCreatedHere)
            ? caught.Select(type => (ITypeSymbol)type.OriginalDefinition).ToImmutableArray()
            : default;

    /// <summary>
    /// Records the exception types of source this operation creates or names where a library could create one: an
    /// object created (<c>new T(...)</c>, target-typed <c>new(...)</c>, also with a <c>dynamic</c> argument), <c>typeof(T)</c>,
    /// a type argument of a method called or referenced (also one called with a <c>dynamic</c> argument) or of the type whose
    /// member is used (<c>Activator.CreateInstance&lt;T&gt;()</c>, a method with
    /// a <c>new()</c> constraint, <c>Factory&lt;T&gt;.Create()</c>). An exception created after a statement that records the
    /// failure (a declared record, a failure logger) is no failure left to record: a catch of it upstream has nothing to add.
    /// </summary>
    private static void RecordCreation(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case IObjectCreationOperation { Type: { } created }
                when !(created is INamedTypeSymbol named && scope.Compilation.IsSourceException(named) && RecordedBefore(operation, scope.Compilation.Handoff)):
                Record(created, scope);
                break;
            case IDynamicObjectCreationOperation { Type: { } created }:
                // new T(...) with a dynamic argument: bound at run time, the type is known here all the same.
                Record(created, scope);
                break;
            case IDynamicMemberReferenceOperation dynamic:
                // A generic method called with a dynamic argument (Make<T>(error.message)) names its type arguments here.
                foreach (var argument in dynamic.TypeArguments)
                {
                    Record(argument, scope);
                }

                RecordArguments(dynamic.ContainingType as INamedTypeSymbol, scope);
                break;
            case ITypeOfOperation typeOf:
                Record(typeOf.TypeOperand, scope);
                break;
            case IInvocationOperation invocation:
                RecordArguments(invocation.TargetMethod, scope);
                break;
            case IMemberReferenceOperation reference:
                if (reference.Member is IMethodSymbol method)
                {
                    RecordArguments(method, scope);
                }
                else
                {
                    RecordArguments(reference.Member.ContainingType, scope);
                }

                break;
        }
    }

    /// <summary>A statement before <paramref name="operation"/>, in its block or one around it, always hands the failure on.</summary>
    private static bool RecordedBefore(IOperation operation, FailureHandoff handoff)
    {
        for (var current = operation; current.Parent is { } parent; current = parent)
        {
            if (parent is IBlockOperation block && block.Operations.TakeWhile(o => o != current).Any(handoff.Always))
            {
                return true;
            }
        }

        return false;
    }

    private static void RecordArguments(IMethodSymbol method, MethodScope scope)
    {
        foreach (var argument in method.TypeArguments)
        {
            Record(argument, scope);
        }

        RecordArguments(method.ContainingType, scope);
    }

    private static void RecordArguments(INamedTypeSymbol? type, MethodScope scope)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            foreach (var argument in current.TypeArguments)
            {
                Record(argument, scope);
            }
        }
    }

    private static void Record(ITypeSymbol type, MethodScope scope)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                Record(array.ElementType, scope);
                return;
            case INamedTypeSymbol named:
                if (scope.Compilation.IsSourceException(named))
                {
                    scope.Facts.Created.Add(named.OriginalDefinition);
                }

                if (named.IsGenericType)
                {
                    RecordArguments(named, scope);
                }

                return;
        }
    }

    /// <summary>
    /// Every exception type of source that code of the compilation creates, with the types each derives from: a catch
    /// of one of these can be reached.
    /// </summary>
    internal static HashSet<ITypeSymbol> CreatedWithBases(IEnumerable<MethodFacts> methods)
    {
        var created = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var type in methods.SelectMany(facts => facts.Created))
        {
            for (var current = type; current is not null && created.Add(current.OriginalDefinition); current = current.BaseType)
            {
            }
        }

        return created;
    }
}
