using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2006's facts: upstream calls (see <see cref="WellKnownTypes.UpstreamCall"/>) made outside an attempt scope, named as they are made.
/// A method whose body is in this compilation is judged by that body, never by its signature: a service's own
/// wrapper that returns the SDK's <c>ClientResult</c>, a type derived from <c>HttpClient</c> or a source
/// <c>IChatClient</c> is an ordinary call, followed through the call graph to the SDK call it makes (and to the
/// attempt it may start around it). Only a method without a body here (from a referenced assembly, or abstract)
/// is taken for an upstream call by its signature.
/// </summary>
internal sealed class UpstreamCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is not IInvocationOperation invocation)
        {
            return;
        }

        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        if (!HasBodyInSource(method)
            && scope.Types.UpstreamCall(method, MethodScope.Receiver(invocation) is { } receiver ? Facts.ValueFlow.Unwrap(receiver).Type : null) is { } call
            && !scope.InAttemptScope(invocation))
        {
            scope.Facts.UnscopedUpstreamCalls.Add(new Facts.UpstreamCallSite(call, invocation.Syntax.GetLocation()));
        }
    }

    private static bool HasBodyInSource(IMethodSymbol method) =>
        !method.IsAbstract && !method.IsExtern && method.Locations.Any(l => l.IsInSource);
}
