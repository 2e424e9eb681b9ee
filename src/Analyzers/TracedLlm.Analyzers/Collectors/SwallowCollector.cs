using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2004's facts: catch clauses that swallow. A catch lets the failure go on when it throws
/// (anything, <c>throw;</c> included), rethrows through <c>ExceptionDispatchInfo</c>, hands the
/// exception to a faulted task, records it with <c>LlmCall.RecordHandledFailure</c>, or calls a
/// failure logger (in its body or its <c>when</c> filter).
/// </summary>
internal sealed class SwallowCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is not ICatchClauseOperation @catch || PassesOn(@catch.Handler, scope) || (@catch.Filter is { } filter && PassesOn(filter, scope)))
        {
            return;
        }

        var location = @catch.Syntax is CatchClauseSyntax syntax ? syntax.CatchKeyword.GetLocation() : @catch.Syntax.GetLocation();
        // A bare catch (typed as object) swallows any exception.
        var caught = @catch.ExceptionType.SpecialType == SpecialType.System_Object ? "System.Exception" : @catch.ExceptionType.ToDisplayString();
        scope.Facts.Swallows.Add(new SwallowSite(location, caught));
    }

    private static bool PassesOn(IOperation operation, MethodScope scope) =>
        operation.DescendantsAndSelf().Any(o => o switch
        {
            IThrowOperation => true,
            IInvocationOperation invocation => ThrowCollector.Raised(invocation, scope.Types) is not null
                || scope.Types.IsHandledFailureRecord(invocation.TargetMethod)
                || scope.Types.IsFailureLoggerCall(invocation.TargetMethod),
            _ => false,
        });
}
