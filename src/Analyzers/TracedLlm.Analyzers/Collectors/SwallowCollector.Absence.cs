using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of absence answered for a "not found" failure.
internal sealed partial class SwallowCollector
{
    /// <summary>
    /// A "not found" answered with absence: the catch takes a not-found failure (<see cref="IsNotFound"/>) around a
    /// <c>try</c> that makes no upstream call itself, and its handler, statement by statement, only logs, sets locals
    /// to an absent value (<see cref="IsAbsent"/>), and returns an absent value, returns nothing or ends an iterator
    /// (<c>yield break</c>). A handler that falls through answers absence when the locals it set are ones the
    /// <c>try</c> assigns (the try's answer is now "none", and the method goes on as it does for none), or when
    /// nothing runs after the <c>try</c> before the method ends but a <c>finally</c>, a disposal or a return of an
    /// absent value. The request asked for something that is not there, and the answer is "none": nothing failed.
    /// A handler that makes what was missing and repeats the try is create on first use (<see cref="CreatesAndRepeats"/>).
    /// </summary>
    private static bool AnswersAbsence(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        var types = scope.Types;
        if (!IsNotFound(@catch, types)
            || CallsUpstreamItself(@try, types))
        {
            return false;
        }

        if (CreatesAndRepeats(@catch, @try, scope))
        {
            return true;
        }

        var answered = new List<ILocalSymbol>();
        foreach (var statement in @catch.Handler.Operations)
        {
            switch (statement)
            {
                case IReturnOperation { Kind: OperationKind.Return or OperationKind.YieldBreak } leave:
                    return leave.ReturnedValue is null || IsAbsent(leave.ReturnedValue, types);
                case IExpressionStatementOperation { Operation: IInvocationOperation call } when scope.Compilation.IsLogCall(call):
                case IEmptyOperation:
                    break;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment } when IsAbsent(assignment.Value, types):
                    answered.Add(local.Local);
                    break;
                default:
                    return false;
            }
        }

        var assignedInTry = @try.Body.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>()
            .Select(a => a.Target).OfType<ILocalReferenceOperation>().Select(l => l.Local).ToList();
        return (answered.Count > 0 && answered.All(local => assignedInTry.Contains(local, SymbolEqualityComparer.Default)))
            || (answered.Count == 0 && LeftEmpty(@try, types))
            || NothingRunsAfter(@try, types);
    }

    /// <summary>
    /// The try's result left empty: the statement just before the <c>try</c> gives a local an absent value
    /// (<see cref="IsAbsent"/>: <c>var result = new List&lt;T&gt;();</c>), and the <c>try</c> fills it (assigns it or calls a
    /// member of it, <c>result.Add(...)</c>). A handler that only logs leaves it empty: the try's answer is "none", and the
    /// method goes on from it as it does for none.
    /// </summary>
    private static bool LeftEmpty(ITryOperation @try, WellKnownTypes types)
    {
        var emptied = Previous(@try) switch
        {
            IVariableDeclarationGroupOperation group => group.Declarations.SelectMany(declaration => declaration.Declarators)
                .Where(declarator => declarator.GetVariableInitializer() is { } initializer && IsAbsent(initializer.Value, types))
                .Select(declarator => declarator.Symbol).ToList(),
            IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment } when IsAbsent(assignment.Value, types) =>
                new List<ILocalSymbol> { local.Local },
            _ => new List<ILocalSymbol>(),
        };
        return emptied.Count > 0 && @try.Body.DescendantsAndSelf().Any(o => o switch
        {
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } => emptied.Contains(target.Local, SymbolEqualityComparer.Default),
            IInvocationOperation { Instance: { } instance } => ValueFlow.Unwrap(instance) is ILocalReferenceOperation filled && emptied.Contains(filled.Local, SymbolEqualityComparer.Default),
            _ => false,
        });
    }

    /// <summary>
    /// Create on first use: the <c>try</c> does one thing besides logging, its last statement; the handler's statements
    /// are calls only (logs among them, at least one that is not a log: the creation), and its last one repeats that
    /// statement as written. The missing thing is made
    /// and the call done again; a failure of either leaves the catch, so only the "not found" is dropped.
    /// </summary>
    private static bool CreatesAndRepeats(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        // The try does one thing besides logging, last; the handler's last statement is that thing written again.
        var handler = @catch.Handler.Operations;
        var done = @try.Body.Operations.Where(statement => !IsLogStatement(statement, scope)).ToList();
        if (handler.Length < 2 || done.Count != 1 || done[0] != @try.Body.Operations.Last()
            || !Microsoft.CodeAnalysis.CSharp.SyntaxFactory.AreEquivalent(handler[handler.Length - 1].Syntax, done[0].Syntax))
        {
            return false;
        }

        var calls = handler.Take(handler.Length - 1).Select(statement => statement is IExpressionStatementOperation { Operation: var expression }
            ? (ValueFlow.Unwrap(expression is IAwaitOperation awaited ? awaited.Operation : expression) as IInvocationOperation)
            : null).ToList();
        return calls.All(call => call is not null) && calls.Any(call => !scope.Compilation.IsLogCall(call!));
    }

    /// <summary>The <c>try</c> itself makes an upstream call (a model call, an HTTP send): a status or "not found" it answers is a failed generation.</summary>
    private static bool CallsUpstreamItself(ITryOperation @try, WellKnownTypes types) =>
        @try.Body.DescendantsAndSelf().OfType<IInvocationOperation>().Any(types.CallsModelOrUpstream);

    private static bool IsLogStatement(IOperation statement, MethodScope scope) =>
        statement is IExpressionStatementOperation { Operation: IInvocationOperation call } && scope.Compilation.IsLogCall(call);

    /// <summary>
    /// A not-found failure, as the platform names it: the caught type (or a type it derives from) has a name ending in
    /// <c>NotFoundException</c> (the BCL's <c>KeyNotFoundException</c>, <c>FileNotFoundException</c>,
    /// <c>DirectoryNotFoundException</c>; a library's own, by the .NET guideline that an exception type names its
    /// condition), except the loader's (<c>DllNotFoundException</c>, <c>EntryPointNotFoundException</c>: code of the
    /// program that is missing, not data the request asked for); or any caught type narrowed by a <c>when</c> filter
    /// that is exactly a call, given the caught exception, of a <c>bool</c> method whose name says not-found and joins no
    /// other condition (<c>when (IsTableNotFoundException(e))</c>; not <c>IsNotFoundOrTransient(e)</c>).
    /// </summary>
    private static bool IsNotFound(ICatchClauseOperation @catch, WellKnownTypes types)
    {
        if (IsNotFoundType(@catch.ExceptionType, types))
        {
            return true;
        }

        return @catch.Filter is { } filter
            && @catch.ExceptionDeclarationOrExpression is IVariableDeclaratorOperation { Symbol: { } exception }
            && ValueFlow.Unwrap(filter) is IInvocationOperation { TargetMethod: { ReturnType.SpecialType: SpecialType.System_Boolean } test } call
            && test.Name.IndexOf("NotFound", System.StringComparison.Ordinal) >= 0 && !JoinsAnother(test.Name)
            && call.Arguments.Any(argument => ValueFlow.Unwrap(argument.Value) is ILocalReferenceOperation reference && WellKnownTypes.Same(reference.Local, exception));
    }

    /// <summary>
    /// A type named for a not-found condition: its name, or the name of a type it derives from, ends in
    /// <c>NotFoundException</c>; the loader's (<c>DllNotFoundException</c>, <c>EntryPointNotFoundException</c>, derived from
    /// <c>TypeLoadException</c>) left out.
    /// </summary>
    private static bool IsNotFoundType(ITypeSymbol caught, WellKnownTypes types)
    {
        if (types.TypeLoadException is { } loader && WellKnownTypes.DerivesFrom(caught, loader))
        {
            return false;
        }

        for (var type = caught; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            if (type.Name.EndsWith("NotFoundException", System.StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// An answer of "none": <c>null</c>, <c>default</c>, an empty collection (<c>new List&lt;T&gt;()</c> with no
    /// argument and no element, a zero-length or empty array, <c>[]</c>, <c>Array.Empty&lt;T&gt;()</c>,
    /// <c>Enumerable.Empty&lt;T&gt;()</c>, a collection type's static <c>Empty</c>), a completed task with no result
    /// (<c>Task.CompletedTask</c>, <c>ValueTask.CompletedTask</c>) or a task of one of these (<c>Task.FromResult</c>).
    /// Never a value made up in its place (an empty string, a default object, <c>false</c>: the Try-pattern reads that one).
    /// </summary>
    private static bool IsAbsent(IOperation value, WellKnownTypes types) => ValueFlow.Unwrap(value) switch
    {
        ILiteralOperation { ConstantValue: { HasValue: true, Value: null } } => true,
        IDefaultValueOperation => true,
        ICollectionExpressionOperation collection => collection.Elements.Length == 0,
        IArrayCreationOperation array => array.Initializer is { } elements
            ? elements.ElementValues.Length == 0
            : array.DimensionSizes.All(size => size.ConstantValue is { HasValue: true, Value: 0 }),
        IObjectCreationOperation creation => IsCollection(creation.Type, types) && creation.Arguments.Length == 0
            && (creation.Initializer is null || creation.Initializer.Initializers.Length == 0),
        IInvocationOperation { TargetMethod: { IsStatic: true, Name: "Empty", Parameters.Length: 0 } empty } => IsCollection(empty.ReturnType, types),
        IInvocationOperation { TargetMethod: { IsStatic: true, Name: "FromResult", Parameters.Length: 1 } fromResult } call =>
            WellKnownTypes.Same(fromResult.ContainingType, types.Task) && IsAbsent(call.Arguments[0].Value, types),
        IPropertyReferenceOperation { Property: { IsStatic: true, Name: "CompletedTask" } completed } =>
            WellKnownTypes.Same(completed.ContainingType, types.Task) || WellKnownTypes.Same(completed.ContainingType, types.ValueTask),
        IMemberReferenceOperation { Member: { IsStatic: true, Name: "Empty" } member } => IsCollection(member switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            _ => null,
        }, types),
        _ => false,
    };

    private static bool IsCollection(ITypeSymbol? type, WellKnownTypes types) =>
        type is not null && type.SpecialType != SpecialType.System_String
        && (type is IArrayTypeSymbol
            || type.SpecialType == SpecialType.System_Collections_IEnumerable
            || type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable)
            || (types.AsyncEnumerable is { } stream && (WellKnownTypes.Same(type.OriginalDefinition, stream) || WellKnownTypes.Implements(type, stream))));

    /// <summary>
    /// Nothing runs after <paramref name="statement"/> before its method (or lambda, or local function) ends but the
    /// <c>finally</c> blocks and disposals around it, or a return of nothing or of an absent value: the catch before it
    /// is the method's last word. A loop, a <c>switch</c> or any other statement after it is work that goes on.
    /// </summary>
    private static bool NothingRunsAfter(IOperation statement, WellKnownTypes types)
    {
        for (var current = statement; ; current = current.Parent)
        {
            switch (current.Parent)
            {
                case null or IMethodBodyOperation or IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return true;
                case IBlockOperation block:
                    foreach (var next in block.Operations.Skip(block.Operations.IndexOf(current) + 1))
                    {
                        if (next is IReturnOperation { Kind: OperationKind.Return or OperationKind.YieldBreak } leave)
                        {
                            return leave.ReturnedValue is null || IsAbsent(leave.ReturnedValue, types);
                        }

                        if (next is not IEmptyOperation and not ILocalFunctionOperation)
                        {
                            return false;
                        }
                    }

                    break;
                case IUsingOperation or ILockOperation or ITryOperation or ICatchClauseOperation:
                    break;
                case IConditionalOperation branch when current != branch.Condition:
                    break;
                default:
                    return false;
            }
        }
    }
}
