using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers.Facts;

/// <summary>
/// What one operation block (a method body, or a field / property initializer) contributes to the
/// analysis, filled by one collector per concern. Facts hold only what may matter: keys that may
/// name a slot, throws, span and catch problems, upstream calls, and the edges of the call graph.
/// </summary>
internal sealed class MethodFacts
{
    /// <summary>Calls, property accesses, method references and delegate fields used: the edges of the call graph.</summary>
    public List<CallEdge> Calls { get; } = new();

    /// <summary>Key uses on a metadata bag whose value may name a slot, or comes from elsewhere (a field, a parameter, a call).</summary>
    public List<KeyUse> Keys { get; } = new();

    /// <summary>Arguments passed to source methods whose value is known (a constant) or comes from this method's parameters.</summary>
    public List<ArgumentFlow> Arguments { get; } = new();

    /// <summary>Values returned (methods, getters) or held (field and property initializers).</summary>
    public List<KeyValue> Values { get; } = new();

    /// <summary>For a static constructor: the values it gives the static readonly fields of its type (unknown for a write other than an assignment).</summary>
    public List<(IFieldSymbol Field, ImmutableArray<KeyValue> Values)> FieldWrites { get; } = new();

    /// <summary>For an initializer that is a lambda: the values the lambda returns.</summary>
    public List<KeyValue> DelegateReturns { get; } = new();

    public List<ThrowSite> Throws { get; } = new();

    public List<SpanProblem> SpanProblems { get; } = new();

    public List<SwallowSite> Swallows { get; } = new();

    /// <summary>Calls of source methods that return a value, and whether the caller fails when that value signals a failure.</summary>
    public List<ResultUse> ResultUses { get; } = new();

    /// <summary>
    /// Exception types declared in source that this block creates (<c>new T(...)</c>, target-typed <c>new</c>) or names
    /// where a library could create one (<c>typeof(T)</c>, a type argument: <c>Activator.CreateInstance&lt;T&gt;()</c>, a
    /// <c>new()</c> constraint): a catch of such a type can be reached.
    /// </summary>
    public List<ITypeSymbol> Created { get; } = new();

    /// <summary>Upstream failures no exception carries, answered without the failure path (TLLM2008).</summary>
    public List<UnthrownFailureSite> UnthrownFailures { get; } = new();

    /// <summary>Upstream calls made outside any attempt scope of this method.</summary>
    public List<UpstreamCallSite> UnscopedUpstreamCalls { get; } = new();

    /// <summary>The clients (<see cref="SendInputs.Clients"/>) this block sends through in an attempt scope.</summary>
    public List<string> AttemptClients { get; } = new();

    /// <summary>What this block hands a source method that may send with it: a client, a request, an address.</summary>
    public List<SendArgument> SendArguments { get; } = new();

    /// <summary>
    /// The factory clients this block registers with <c>AddTracedLlmAttempts()</c>, every send of which is an attempt:
    /// a named client's name, or <c>T:</c> and a typed client's type (as <c>attempt_clients</c> takes them).
    /// </summary>
    public List<string> AttemptRegistrations { get; } = new();
}

/// <summary>
/// An edge of the call graph; <paramref name="InAttemptScope"/> when the call is made inside an attempt scope;
/// <paramref name="Handling"/>, where the call runs relative to exception handling (a method group's target may
/// run at any time); <paramref name="ByLibrary"/> when a referenced library makes the call later, not the request
/// (see <see cref="Collectors.MethodScope.RunsAsLibraryCallback"/>: a method group or lambda subscribed to a library's event);
/// <paramref name="Site"/> the call as written, for the path a finding shows.
/// </summary>
internal readonly record struct CallEdge(ISymbol Callee, bool InAttemptScope, Collectors.Handling Handling = Collectors.Handling.Anytime, bool ByLibrary = false, SyntaxNode? Site = null);

/// <summary>
/// A key read or written on a metadata bag, with every value it may have, and the route slots it is
/// used for: inside a branch on the route's own slot (<c>call.Route.MetadataSlot == "metadata"</c>)
/// only routes of that slot reach it.
/// </summary>
internal sealed record KeyUse(ImmutableArray<KeyValue> Values, Location Location, SlotGuard Guard);

/// <summary>The slots a branch on the route's slot lets through: only <see cref="Only"/> when set, never <see cref="Except"/>.</summary>
internal sealed record SlotGuard(ImmutableHashSet<string>? Only, ImmutableHashSet<string> Except)
{
    public static readonly SlotGuard None = new(null, ImmutableHashSet<string>.Empty);

    public bool Admits(string slot) => (Only is null || Only.Contains(slot)) && !Except.Contains(slot);
}

/// <summary>
/// An argument of a call to a source method: which parameter it fills and the values it may have. <paramref name="Omitted"/>
/// when the call leaves it out: the value is the parameter's default, and <paramref name="Location"/> is that default's.
/// </summary>
internal sealed record ArgumentFlow(IMethodSymbol Callee, int Ordinal, ImmutableArray<KeyValue> Values, Location Location, bool Omitted = false);

/// <summary>A thrown exception: its type and whether that type is exact (a new object) or only the static type.</summary>
internal readonly record struct ThrowSite(ITypeSymbol Type, bool Exact, Location Location);

/// <summary>An Activity started in a way that can leave it open or orphaned.</summary>
internal readonly record struct SpanProblem(Location Location, string Message, string Kind);

/// <summary>A catch that neither throws nor reports, with what other methods decide about it at the end of the
/// compilation.</summary>
/// <remarks>
/// What its handler answers and gives up on (<see cref="CompilationFacts.GivenUpScope"/>), the methods and clients read
/// later for an answer or a model call, whether it runs in the method's own run, the exception types only source
/// creates (<paramref name="Unthrown"/>) and the dispatched calls (<paramref name="QuietIfHeld"/>) it waits on, and
/// whether it is a shape a team must hear wherever it is (<paramref name="Heard"/>).
/// </remarks>
internal readonly record struct SwallowSite(
    Location Location, string CaughtType, bool ReturnsResult, bool AnswersError, bool GivesUpModel,
    ImmutableArray<IMethodSymbol> AnswerCalls, ImmutableArray<IMethodSymbol> GivenUp,
    ImmutableArray<string> GivenUpClients, bool InBody = false, ImmutableArray<ITypeSymbol> Unthrown = default,
    ImmutableArray<IMethodSymbol> QuietIfHeld = default, bool Heard = false);

/// <summary>
/// An upstream failure no exception carries (<paramref name="What"/>), answered on its path the way
/// <paramref name="How"/> says; where a code fix can replace the answer by a throw, the branch it is in
/// (<paramref name="WhenTrue"/>), the index of its first statement the throw replaces (<paramref name="From"/>) and
/// what it throws (<paramref name="Thrown"/>).
/// </summary>
internal readonly record struct UnthrownFailureSite(
    Location Location, string What, string How, bool? WhenTrue, int? From, string? Thrown);

/// <summary>
/// A call whose result the caller uses; <paramref name="TurnsIntoFailure"/> when a failure value
/// (false, null) makes the caller fail, report or try again; <paramref name="Detached"/> when the
/// caller discards the task it returns (<c>_ = LogAsync(...)</c>): the request never waits for it,
/// so nothing that happens in it can reach the request's failure path.
/// </summary>
internal readonly record struct ResultUse(IMethodSymbol Callee, bool TurnsIntoFailure, bool Detached);

/// <summary>
/// A model call outside an attempt, named as it is made. <paramref name="Evident"/> when the code shows it is one (an SDK's
/// call, an address that names a model API, a declared client); otherwise an HTTP send that is a model call only when the
/// route's own attempts use its client too, run the method it is in, or its callers hand it a model API's client or
/// address (<see cref="SendInputs.Parameters"/>): settled at the end of the compilation.
/// </summary>
internal readonly record struct UpstreamCallSite(string Call, Location Location, bool Evident, SendInputs Inputs);

/// <summary>
/// Where a send's client and address come from, as far as one method shows: the clients it names (a named client's
/// name, a field, a property, a typed client's constructor parameter), the constant text of its address, and the
/// method's parameters whose arguments decide the rest (<see cref="Names"/>: those that name a factory client).
/// </summary>
internal readonly record struct SendInputs(
    ImmutableArray<string> Clients, ImmutableArray<string> Text, ImmutableArray<int> Parameters,
    ImmutableArray<int> Names)
{
    public static readonly SendInputs None = new(ImmutableArray<string>.Empty, ImmutableArray<string>.Empty,
        ImmutableArray<int>.Empty, ImmutableArray<int>.Empty);

    public bool IsEmpty => Clients.IsEmpty && Text.IsEmpty && Parameters.IsEmpty && Names.IsEmpty;

    public SendInputs With(SendInputs other) => new(
        Clients.Union(other.Clients).ToImmutableArray(),
        Text.Union(other.Text).ToImmutableArray(),
        Parameters.Union(other.Parameters).ToImmutableArray(),
        Names.Union(other.Names).ToImmutableArray());

    /// <summary>These inputs given where a client's name is taken: their text names clients.</summary>
    public SendInputs AsNames() => new(Clients.Union(Text).ToImmutableArray(), ImmutableArray<string>.Empty,
        ImmutableArray<int>.Empty, Parameters.Union(Names).ToImmutableArray());
}

/// <summary>What a call of a source method (<paramref name="Site"/>) gives one of its parameters.</summary>
internal readonly record struct SendArgument(SyntaxNode Site, int Ordinal, SendInputs Inputs);

internal enum KeyValueKind
{
    /// <summary>A string known at compile time.</summary>
    Constant,

    /// <summary>A parameter of the method: the value is the caller's argument.</summary>
    Parameter,

    /// <summary>A field or property: the values of its initializer (and, for a property, its getter's returns).</summary>
    Member,

    /// <summary>A call to a source method: the values it returns.</summary>
    Return,

    /// <summary>A call of a delegate held in a field or property: the values its lambda returns.</summary>
    DelegateReturn,

    /// <summary>Anything else: the key may be any string.</summary>
    Unknown,

    /// <summary>
    /// A concatenation or interpolation of parts one of which is a reference (<c>Prefix + Keys.Suffix</c>): each
    /// part's values are resolved at the end of the compilation, then joined.
    /// </summary>
    Concatenation,
}

/// <summary>One value a key may have: a constant, or a reference to where the value comes from (<see cref="Parts"/>: a concatenation's parts, each with its values).</summary>
internal readonly record struct KeyValue(KeyValueKind Kind, string? Constant, ISymbol? Symbol, ImmutableArray<ImmutableArray<KeyValue>> Parts = default)
{
    public static readonly KeyValue Unknown = new(KeyValueKind.Unknown, null, null);

    public static KeyValue Of(string constant) => new(KeyValueKind.Constant, constant, null);

    public static KeyValue Joined(ImmutableArray<ImmutableArray<KeyValue>> parts) => new(KeyValueKind.Concatenation, null, null, parts);

    public bool IsLocal => Kind is KeyValueKind.Constant or KeyValueKind.Unknown;
}
