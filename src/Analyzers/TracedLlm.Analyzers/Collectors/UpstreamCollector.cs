using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2006's facts: upstream calls (HttpClient, its JSON extensions, IChatClient) made outside an attempt scope.</summary>
internal sealed class UpstreamCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is IInvocationOperation invocation
            && scope.Types.UpstreamCall(invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod) is { } call
            && !scope.InAttemptScope(invocation))
        {
            scope.Facts.UnscopedUpstreamCalls.Add(new Facts.UpstreamCallSite(call, invocation.Syntax.GetLocation()));
        }
    }
}
