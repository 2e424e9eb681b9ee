namespace TracedLlm.Analyzers.Facts;

/// <summary>What one operation block (a method body, a field or property initializer) gives the analysis.</summary>
/// <remarks>Filled by one collector per concern, with only what may matter to a rule.</remarks>
internal sealed class MethodFacts
{
    /// <summary>Calls, property accesses, method references and delegate fields used: the call graph's edges.</summary>
    public List<CallEdge> Calls { get; } = new();

    /// <summary>Keys used on a metadata bag whose value may name a slot or comes from elsewhere.</summary>
    public List<KeyUse> Keys { get; } = new();

    /// <summary>Arguments of source methods whose value is a constant or comes from this method's parameters.</summary>
    public List<ArgumentFlow> Arguments { get; } = new();

    /// <summary>Values returned (methods, getters) or held (field and property initializers).</summary>
    public List<KeyValue> Values { get; } = new();

    /// <summary>For a static constructor: the values it gives the static readonly fields of its type.</summary>
    public List<(IFieldSymbol Field, ImmutableArray<KeyValue> Values)> FieldWrites { get; } = new();

    /// <summary>For an initializer that is a lambda: the values the lambda returns.</summary>
    public List<KeyValue> DelegateReturns { get; } = new();

    public List<ThrowSite> Throws { get; } = new();

    public List<SpanProblem> SpanProblems { get; } = new();

    public List<SwallowSite> Swallows { get; } = new();

    /// <summary>Calls of source methods that return a value, and how the caller uses it.</summary>
    public List<ResultUse> ResultUses { get; } = new();

    /// <summary>Exception types of source this block creates or names where a library could create one.</summary>
    /// <remarks><c>new T(...)</c>, <c>typeof(T)</c>, a type argument, a <c>new()</c> constraint: a catch of such a type
    /// can be reached.</remarks>
    public List<ITypeSymbol> Created { get; } = new();

    /// <summary>Upstream failures no exception carries, answered without the failure path (TLLM2008).</summary>
    public List<UnthrownFailureSite> UnthrownFailures { get; } = new();

    /// <summary>Upstream calls made outside any attempt scope of this method.</summary>
    public List<UpstreamCallSite> UnscopedUpstreamCalls { get; } = new();

    /// <summary>The clients (<see cref="SendInputs.Clients"/>) this block sends through in an attempt scope.</summary>
    public List<string> AttemptClients { get; } = new();

    /// <summary>What this block hands a source method that may send with it: a client, a request, an address.</summary>
    public List<SendArgument> SendArguments { get; } = new();

    /// <summary>The factory clients this block registers with <c>AddTracedLlmAttempts()</c>, as
    /// <c>attempt_clients</c> names them.</summary>
    public List<string> AttemptRegistrations { get; } = new();

    /// <summary>The Microsoft.Extensions.AI clients this block registers; true from the <c>UseTracedLlm()</c> that ends
    /// a registration's builder.</summary>
    public List<(string Client, SyntaxNode Site, bool Traced)> ServiceRegistrations { get; } = new();
}

/// <summary>An edge of the call graph, with where the call runs and the call as written.</summary>
/// <remarks>
/// <paramref name="Handling"/>: relative to exception handling (a method group's target may run at any time);
/// <paramref name="ByLibrary"/>: a referenced library makes the call later, not the request.
/// </remarks>
internal readonly record struct CallEdge(
    ISymbol Callee, bool InAttemptScope, Collectors.Handling Handling = Collectors.Handling.Anytime,
    bool ByLibrary = false, SyntaxNode? Site = null);

/// <summary>A key read or written on a metadata bag, every value it may have, and the route slots it is used
/// for.</summary>
internal sealed record KeyUse(ImmutableArray<KeyValue> Values, Location Location, SlotGuard Guard);

/// <summary>The slots a branch on the route's slot lets through: only <see cref="Only"/> when set, never
/// <see cref="Except"/>.</summary>
internal sealed record SlotGuard(ImmutableHashSet<string>? Only, ImmutableHashSet<string> Except)
{
    public static readonly SlotGuard None = new(null, ImmutableHashSet<string>.Empty);

    public bool Admits(string slot) => (Only is null || Only.Contains(slot)) && !Except.Contains(slot);
}

/// <summary>An argument of a call to a source method: the parameter it fills and the values it may have.</summary>
/// <remarks><paramref name="Omitted"/>: the call leaves it out, and <paramref name="Location"/> is the
/// default's.</remarks>
internal sealed record ArgumentFlow(
    IMethodSymbol Callee, int Ordinal, ImmutableArray<KeyValue> Values, Location Location, bool Omitted = false);

/// <summary>A thrown exception: its type, exact (a new object) or only the static type.</summary>
internal readonly record struct ThrowSite(ITypeSymbol Type, bool Exact, Location Location);

/// <summary>An Activity started in a way that can leave it open or orphaned.</summary>
internal readonly record struct SpanProblem(Location Location, string Message, string Kind);

/// <summary>A catch that neither throws nor reports, with what the end of the compilation decides of it.</summary>
/// <remarks>
/// <paramref name="Unthrown"/>: the exception types only source creates it waits on; <paramref name="QuietIfHeld"/>:
/// the dispatched calls it waits on; <paramref name="Heard"/>: a shape a team must hear wherever it is;
/// <paramref name="Waiting"/>: a send given up whose callers decide whether it is a model call.
/// </remarks>
internal readonly record struct SwallowSite(
    Location Location, string CaughtType, bool ReturnsResult, bool AnswersError, bool GivesUpModel,
    ImmutableArray<IMethodSymbol> AnswerCalls, ImmutableArray<IMethodSymbol> GivenUp,
    ImmutableArray<string> GivenUpClients, bool InBody = false, ImmutableArray<ITypeSymbol> Unthrown = default,
    ImmutableArray<IMethodSymbol> QuietIfHeld = default, bool Heard = false, UpstreamCallSite? Waiting = null);

/// <summary>An upstream failure no exception carries, answered on its path the way <paramref name="How"/>
/// says.</summary>
/// <remarks>For the code fix: the branch it is in, the first statement a throw replaces, what it throws.
/// <paramref name="Sent"/>: where the failure is dropped or its send waits for its callers, the send no attempt is
/// known to watch; <paramref name="Suggested"/>: a judgement reported as a suggestion.</remarks>
internal readonly record struct UnthrownFailureSite(Location Location, string What, string How, bool? WhenTrue,
    int? From, string? Thrown, UpstreamCallSite? Sent, bool Suggested = false);

/// <summary>A call whose result the caller uses.</summary>
/// <remarks>
/// <paramref name="TurnsIntoFailure"/>: a failure value (false, null) makes the caller fail or report (true), try again
/// (null) or go on (false);
/// <paramref name="Detached"/>: the caller discards the task, so nothing in it reaches the request's failure path.
/// </remarks>
internal readonly record struct ResultUse(IMethodSymbol Callee, bool? TurnsIntoFailure, bool Detached);

/// <summary>A model call outside an attempt, named as it is made.</summary>
/// <remarks><paramref name="Evident"/>: the code shows it is one; otherwise its inputs settle it at the end of the
/// compilation.</remarks>
internal readonly record struct UpstreamCallSite(string Call, Location Location, bool Evident, SendInputs Inputs);

/// <summary>Where a send's client and address come from, as far as one method shows.</summary>
/// <remarks>
/// The clients it names, the constant text of its address, and the method's parameters whose arguments decide the rest
/// (<see cref="Names"/>: those that name a factory client).
/// </remarks>
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

    /// <summary>A field or property: the values of its initializer (and a property's getter's returns).</summary>
    Member,

    /// <summary>A call to a source method: the values it returns.</summary>
    Return,

    /// <summary>A call of a delegate held in a field or property: the values its lambda returns.</summary>
    DelegateReturn,

    /// <summary>Anything else: the key may be any string.</summary>
    Unknown,

    /// <summary>A concatenation with a reference among its parts: joined once each part is resolved.</summary>
    Concatenation,
}

/// <summary>One value a key may have: a constant, or a reference to where the value comes from.</summary>
internal readonly record struct KeyValue(
    KeyValueKind Kind, string? Constant, ISymbol? Symbol, ImmutableArray<ImmutableArray<KeyValue>> Parts = default)
{
    public static readonly KeyValue Unknown = new(KeyValueKind.Unknown, null, null);

    public static KeyValue Of(string constant) => new(KeyValueKind.Constant, constant, null);

    public static KeyValue Joined(ImmutableArray<ImmutableArray<KeyValue>> parts) =>
        new(KeyValueKind.Concatenation, null, null, parts);

    public bool IsLocal => Kind is KeyValueKind.Constant or KeyValueKind.Unknown;
}
