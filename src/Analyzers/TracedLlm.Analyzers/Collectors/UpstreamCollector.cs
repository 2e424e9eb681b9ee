using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2006's facts: upstream calls (see <see cref="WellKnownTypes.UpstreamCall"/>) made outside an attempt scope, named as they are made.</summary>
internal sealed class UpstreamCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is IInvocationOperation invocation
            && scope.Types.UpstreamCall(invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod, MethodScope.Receiver(invocation) is { } receiver ? Facts.ValueFlow.Unwrap(receiver).Type : null) is { } call
            && !scope.InAttemptScope(invocation))
        {
            scope.Facts.UnscopedUpstreamCalls.Add(new Facts.UpstreamCallSite(call, invocation.Syntax.GetLocation()));
        }
    }
}
