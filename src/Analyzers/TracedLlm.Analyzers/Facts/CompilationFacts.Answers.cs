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
    /// the response (<c>HttpResponse</c>'s status, headers or body, the response handed to a writer, <c>IProblemDetailsService</c>),
    /// itself or through a method of source that does, three calls deep (an interface's implementations are not followed). Lambdas and local functions declared in the code run when they are called and are not read here.
    /// </summary>
    /// <remarks>
    /// Read in two steps: here, while a method is analysed, only the code itself (no other method's body is bound, so an
    /// editor's per-document analysis stays local); the methods of source it calls (<see cref="AnswerCalls"/>) are read at
    /// the end of the compilation, when a catch reached through calls is reported (<see cref="WritesResponse(IMethodSymbol)"/>).
    /// </remarks>
    public bool AnswersRequest(IOperation code, IMethodSymbol? function) =>
        ValueFlow.Own(code).Any(operation => operation switch
        {
            IReturnOperation { ReturnedValue: not null } => function is not null && Types.IsHttpAnswer(function.ReturnType),
            _ => WritesAnswer(operation, MaxAnswerDepth),
        });

    /// <summary>The methods of source <paramref name="code"/> calls as its own (not in a lambda or local function it declares).</summary>
    public static ImmutableArray<IMethodSymbol> AnswerCalls(IOperation code) =>
        ValueFlow.Own(code).OfType<IInvocationOperation>().Select(call => call.TargetMethod)
            .Where(method => method.Locations.Any(location => location.IsInSource)).Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();

    /// <summary>A method of source whose body writes the request's answer (<see cref="AnswersRequest"/>'s reading of a call), three calls deep; cached.</summary>
    public bool WritesResponse(IMethodSymbol method) => WritesResponse(method, 1);

    /// <summary>
    /// The calls a catch gives up on (TLLM2004 and TLLM2007 part at them): those of its <c>try</c> block (lambdas and method groups
    /// it hands on included), and, when the <c>try</c> sits in a loop of its function, those of the whole loop (a fallback loop:
    /// the catch goes on to the next backend). Each is the
    /// called method, to be read at the end of the compilation (<see cref="ReachesUpstream(IMethodSymbol, CancellationToken)"/>), when interface dispatch is known.
    /// </summary>
    public static ImmutableArray<IMethodSymbol> GivenUpCalls(ITryOperation @try)
    {
        IOperation scope = @try.Body;
        for (var current = @try.Parent; current is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                scope = loop;
                break;
            }
        }

        // What runs in the try includes the lambdas and method groups it hands on (a fan-out, Task.Run, a retry helper's delegate).
        return scope.DescendantsAndSelf().Select(operation => operation switch
            {
                IInvocationOperation call => call.TargetMethod,
                IMethodReferenceOperation group => group.Method,
                _ => null,
            })
            .OfType<IMethodSymbol>().Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();
    }

    /// <summary>
    /// Whether a call of <paramref name="method"/> reaches an upstream or model call (<see cref="WellKnownTypes.CallsModelOrUpstream"/>):
    /// the method is one (an <c>HttpClient</c> send, a model SDK's call, a typed client posting to a model), or a method of
    /// source, or a source implementation of an interface or virtual method, that makes one, three calls deep. Cached.
    /// </summary>
    public bool ReachesUpstream(IMethodSymbol method, CancellationToken cancellationToken) =>
        _upstreamReachers.GetOrAdd((method.ReducedFrom ?? method).OriginalDefinition, m =>
            IsUpstream(m) || CallsUpstream(m, 0, deepest: MaxAnswerDepth - 1, dispatch: called => Implementations(called, cancellationToken)));

    /// <summary>A method that is itself an upstream call: a model SDK's call, a send (<see cref="WellKnownTypes.UpstreamCall"/>), a read of an upstream's body.</summary>
    private bool IsUpstream(IMethodSymbol method) =>
        Types.ModelSdkCall(method) || Types.UpstreamCall(method) is not null || Types.ReadsUpstreamBody(method);

    /// <summary>A call that dispatches to implementations of source: of an interface's, abstract, virtual or unsealed override method, not one every type has (<see cref="IsEverywhere"/>).</summary>
    private static bool Dispatches(IMethodSymbol method) =>
        (method.IsAbstract || method.IsVirtual || (method.IsOverride && !method.IsSealed) || method.ContainingType?.TypeKind == TypeKind.Interface) && !IsEverywhere(method);

    /// <summary>
    /// A member every type has or many implement for their own reasons (<c>ToString</c>, <c>Equals</c>, <c>GetHashCode</c>,
    /// <c>Dispose</c>, <c>DisposeAsync</c>): its overrides are not the call's work, and are not followed.
    /// </summary>
    private static bool IsEverywhere(IMethodSymbol method) =>
        method.Name is "ToString" or "Equals" or "GetHashCode" or "Dispose" or "DisposeAsync" or "Finalize";

    private bool WritesAnswer(IOperation operation, int depth) => operation switch
    {
        IObjectCreationOperation creation => Types.IsHttpAnswer(creation.Type),
        IInvocationOperation call => Types.IsHttpAnswer(call.TargetMethod.ReturnType)
            || (call.Instance is { } instance && (OnResponse(instance) || Types.IsHttpAnswer(instance.Type)))
            || call.Arguments.Any(argument => OnResponse(argument.Value))
            || WellKnownTypes.WritesProblemDetails(call.TargetMethod)
            || (depth < MaxAnswerDepth && call.TargetMethod.Locations.Any(location => location.IsInSource) && WritesResponse(call.TargetMethod, depth + 1)),
        IAssignmentOperation assignment => OnResponse(assignment.Target),
        _ => false,
    };

    /// <summary>A method of source whose body writes the request's answer (<see cref="WritesAnswer"/>), cached at the first level.</summary>
    private bool WritesResponse(IMethodSymbol method, int depth)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        bool Read(IMethodSymbol m) => Body(_compilation, m) is { } body && ValueFlow.Own(body).Any(operation => WritesAnswer(operation, depth));
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
}
