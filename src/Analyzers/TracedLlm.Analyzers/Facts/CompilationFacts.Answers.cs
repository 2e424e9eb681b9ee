using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

// TLLM2004 and TLLM2007 part at a catch that answers the request itself (the failure path, which writes the route's error
// and ends its spans, never sees the failure the client is answered for) or gives up on an upstream call (an attempt's
// failure, the product's own concern, goes unseen).
internal sealed partial class CompilationFacts
{
    private const int MaxAnswerDepth = 3;

    private readonly ConcurrentDictionary<IMethodSymbol, bool> _responseWriters = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _upstreamReachers = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// Whether code (a catch's handler) makes the request's HTTP answer on some path through it: it returns from
    /// <paramref name="function"/> when that function's result is the answer (<see cref="WellKnownTypes.IsHttpAnswer"/>: an
    /// <c>IResult</c>, an <c>IActionResult</c>, an <c>ActionResult&lt;T&gt;</c>, a task of one), makes such a value
    /// (<c>Results.Problem()</c>, <c>StatusCode(500)</c>, <c>new ObjectResult(...)</c>, kept to be returned later), or writes
    /// the response (<c>HttpResponse</c>'s status, headers or body), itself or through a method of source that does, a few
    /// calls deep. Lambdas and local functions declared in the code run when they are called and are not read here.
    /// </summary>
    public bool AnswersRequest(IOperation code, IMethodSymbol? function) =>
        OwnOperations(code).Any(operation => operation switch
        {
            IReturnOperation { ReturnedValue: not null } => function is not null && Types.IsHttpAnswer(function.ReturnType),
            _ => WritesAnswer(operation, 0),
        });

    /// <summary>
    /// The calls a catch gives up on (TLLM2004 and TLLM2007 part at them): those of its <c>try</c>, and, when the <c>try</c> sits in
    /// a loop of its function, those of the whole loop (a fallback loop: the catch goes on to the next backend). Each is the
    /// called method, to be read at the end of the compilation (<see cref="ReachesUpstream(IMethodSymbol, CancellationToken)"/>), when interface dispatch is known.
    /// </summary>
    public static ImmutableArray<IMethodSymbol> GivenUpCalls(ITryOperation @try)
    {
        IOperation scope = @try;
        for (var current = @try.Parent; current is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                scope = loop;
                break;
            }
        }

        return OwnOperations(scope).OfType<IInvocationOperation>().Select(call => call.TargetMethod).Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();
    }

    /// <summary>
    /// Whether a call of <paramref name="method"/> reaches an upstream or model call (<see cref="WellKnownTypes.CallsModelOrUpstream"/>):
    /// the method is one (an <c>HttpClient</c> send, a model SDK's call, a typed client posting to a model), or a method of
    /// source, or a source implementation of an interface or virtual method, that makes one, three calls deep. Cached.
    /// </summary>
    public bool ReachesUpstream(IMethodSymbol method, CancellationToken cancellationToken) =>
        _upstreamReachers.GetOrAdd((method.ReducedFrom ?? method).OriginalDefinition, m => ReachesUpstream(m, 0, cancellationToken));

    private bool ReachesUpstream(IMethodSymbol method, int depth, CancellationToken cancellationToken)
    {
        if (Types.ModelSdkCall(method) || Types.UpstreamCall(method, null) is not null || Types.ReadsUpstreamBody(method))
        {
            return true;
        }

        if (depth > MaxAnswerDepth)
        {
            return false;
        }

        return (Body(_compilation, method) is { } body && body.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call =>
                Types.CallsModelOrUpstream(call) || ReachesUpstream((call.TargetMethod.ReducedFrom ?? call.TargetMethod).OriginalDefinition, depth + 1, cancellationToken)))
            || ((method.IsAbstract || method.IsVirtual || method.ContainingType?.TypeKind == TypeKind.Interface)
                && Implementations(method, cancellationToken).Any(implementation => ReachesUpstream(implementation.OriginalDefinition, depth + 1, cancellationToken)));
    }

    /// <summary>The function whose code <paramref name="operation"/> is: the innermost lambda or local function around it, or null for the member's own body.</summary>
    public static IMethodSymbol? EnclosingFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda:
                    return lambda.Symbol;
                case ILocalFunctionOperation local:
                    return local.Symbol;
            }
        }

        return null;
    }

    private bool WritesAnswer(IOperation operation, int depth) => operation switch
    {
        IObjectCreationOperation creation => Types.IsHttpAnswer(creation.Type),
        IInvocationOperation call => Types.IsHttpAnswer(call.TargetMethod.ReturnType)
            || (call.Instance is { } instance && (OnResponse(instance) || Types.IsHttpAnswer(instance.Type)))
            || (call.TargetMethod.IsExtensionMethod && call.Arguments.Length > 0 && OnResponse(call.Arguments[0].Value))
            || (depth < MaxAnswerDepth && call.TargetMethod.Locations.Any(location => location.IsInSource) && WritesResponse(call.TargetMethod, depth + 1)),
        IAssignmentOperation assignment => OnResponse(assignment.Target),
        _ => false,
    };

    /// <summary>A method of source whose body writes the request's answer (<see cref="WritesAnswer"/>), cached at the first level.</summary>
    private bool WritesResponse(IMethodSymbol method, int depth)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        bool Read(IMethodSymbol m) => Body(_compilation, m) is { } body && OwnOperations(body).Any(operation => WritesAnswer(operation, depth));
        return depth == 1 ? _responseWriters.GetOrAdd(method, Read) : Read(method);
    }

    /// <summary>A value that is the response or part of it: <c>HttpResponse</c> (or a type derived from it), or a member, item or call on one.</summary>
    private bool OnResponse(IOperation operation)
    {
        for (IOperation? current = ValueFlow.Unwrap(operation); current is not null;)
        {
            if (Types.HttpResponse is { } response && WellKnownTypes.DerivesFrom(current.Type, response))
            {
                return true;
            }

            current = current switch
            {
                IPropertyReferenceOperation property => property.Instance,
                IFieldReferenceOperation field => field.Instance,
                IInvocationOperation call => call.Instance,
                IArrayElementReferenceOperation element => element.ArrayReference,
                _ => null,
            };
            current = current is null ? null : ValueFlow.Unwrap(current);
        }

        return false;
    }

    /// <summary>The operations of <paramref name="code"/> that run as its own, not in a lambda or local function it declares.</summary>
    private static System.Collections.Generic.IEnumerable<IOperation> OwnOperations(IOperation code)
    {
        var pending = new System.Collections.Generic.Stack<IOperation>();
        pending.Push(code);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            yield return current;
            foreach (var child in current.ChildOperations)
            {
                if (child is not IAnonymousFunctionOperation and not ILocalFunctionOperation)
                {
                    pending.Push(child);
                }
            }
        }
    }
}
