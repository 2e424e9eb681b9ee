using Analyzer.Utilities;

namespace TracedLlm.Analyzers.Facts.SpanFlow;

/// <summary>What is known of one started Activity (an abstract location) at a point of the graph.</summary>
internal enum SpanStateKind
{
    /// <summary>Not a span this analysis tracks (the lattice's bottom).</summary>
    NotSpan,

    /// <summary>On a path where the span is known to be null (the branch of a null check): nothing to end.</summary>
    Invalid,

    /// <summary>Started and not ended.</summary>
    Open,

    /// <summary>Handed on (returned, stored, passed to code not analysed, captured): its new owner ends it.</summary>
    Escaped,

    /// <summary>Open on some paths, handed on on the others.</summary>
    OpenOrEscaped,

    /// <summary>Stopped or disposed.</summary>
    Ended,

    /// <summary>Ended on some paths, open on others.</summary>
    MaybeEnded,

    /// <summary>Nothing known.</summary>
    Unknown,
}

/// <summary>The abstract value of <see cref="SpanAnalysis"/>: one of <see cref="SpanStateKind"/>.</summary>
internal sealed class SpanState : CacheBasedEquatable<SpanState>
{
    public static readonly SpanState NotSpan = new(SpanStateKind.NotSpan);
    public static readonly SpanState Invalid = new(SpanStateKind.Invalid);
    public static readonly SpanState Open = new(SpanStateKind.Open);
    public static readonly SpanState Escaped = new(SpanStateKind.Escaped);
    public static readonly SpanState OpenOrEscaped = new(SpanStateKind.OpenOrEscaped);
    public static readonly SpanState Ended = new(SpanStateKind.Ended);
    public static readonly SpanState MaybeEnded = new(SpanStateKind.MaybeEnded);
    public static readonly SpanState Unknown = new(SpanStateKind.Unknown);

    private SpanState(SpanStateKind kind) => Kind = kind;

    public SpanStateKind Kind { get; }

    /// <summary>Left open on some path: started and, on that path, neither ended nor handed on.</summary>
    public bool MayBeLeftOpen => Kind is SpanStateKind.Open or SpanStateKind.OpenOrEscaped or SpanStateKind.MaybeEnded;

    protected override void ComputeHashCodeParts(ref RoslynHashCode hashCode) => hashCode.Add((int)Kind);

    protected override bool ComputeEqualsByHashCodeParts(CacheBasedEquatable<SpanState> obj) =>
        ((SpanState)obj).Kind == Kind;
}

/// <summary>Merges the states of two paths (the join of the lattice) and orders them for the fixed point.</summary>
internal sealed class SpanStateDomain : AbstractValueDomain<SpanState>
{
    public static readonly SpanStateDomain Instance = new();

    private SpanStateDomain()
    {
    }

    public override SpanState Bottom => SpanState.NotSpan;

    public override SpanState UnknownOrMayBeValue => SpanState.Unknown;

    public override int Compare(SpanState oldValue, SpanState newValue, bool assertMonotonicity) =>
        oldValue.Kind == newValue.Kind ? 0
        : oldValue.Kind < newValue.Kind || newValue.Kind is SpanStateKind.Invalid or SpanStateKind.Ended ? -1
        : 1;

    public override SpanState Merge(SpanState value1, SpanState value2)
    {
        // A path where the span is null (Invalid) has nothing to end: the other path decides.
        if (value1?.Kind is null or SpanStateKind.Invalid || value2?.Kind is null or SpanStateKind.Invalid)
        {
            return value1?.Kind is null or SpanStateKind.Invalid ? value2! : value1;
        }

        var (a, b) = value1.Kind <= value2.Kind ? (value1.Kind, value2.Kind) : (value2.Kind, value1.Kind);
        return (a, b) switch
        {
            _ when a == b => value1,
            (SpanStateKind.NotSpan, _) => SpanState.NotSpan,
            (_, SpanStateKind.Unknown) => SpanState.Unknown,
            (SpanStateKind.Open, SpanStateKind.Escaped or SpanStateKind.OpenOrEscaped)
                or (SpanStateKind.Escaped, SpanStateKind.OpenOrEscaped) => SpanState.OpenOrEscaped,
            (SpanStateKind.Escaped, SpanStateKind.Ended) => SpanState.Ended,
            _ => SpanState.MaybeEnded,
        };
    }
}
