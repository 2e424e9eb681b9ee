using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// One destination as the export uses it, read once from its options: name, what it receives, the
/// channel it is sent through and the route its spans carry there.
/// </summary>
internal sealed class DestinationDefinition
{
    private DestinationChannel? _channel;

    private DestinationDefinition(string name, TraceDestinationOptions options, ChannelKey key, SpanRoute route)
    {
        Name = name;
        Kind = options.Kind;
        SamplingRatio = options.SamplingRatio;
        Scope = options.Scope;
        Key = key;
        Route = route;
    }

    public string Name { get; }

    public TraceDestinationKind Kind { get; }

    public double SamplingRatio { get; }

    public ExportScope Scope { get; }

    /// <summary>Where its spans go: shared by every destination sending to its endpoint with its credentials.</summary>
    public ChannelKey Key { get; }

    /// <summary>What its spans carry in the channel: its name, and its translation.</summary>
    public SpanRoute Route { get; }

    /// <summary>The channel it last sent through (a closed one refuses: the router finds the open one).</summary>
    public DestinationChannel? Channel
    {
        get => Volatile.Read(ref _channel);
        set => Volatile.Write(ref _channel, value);
    }

    /// <summary>A definition standing alone: a channel of its own, a translation of its own.</summary>
    /// <exception cref="InvalidOperationException">The options have no address (they failed their checks).</exception>
    public static DestinationDefinition From(string name, TraceDestinationOptions options)
    {
        var address = AddressOf(name, options);
        var key = new ChannelKey(address, options.TimeoutMilliseconds, name, destinations: 1);
        return new DestinationDefinition(name, options, key, new SpanRoute(name, Rewriter(options)));
    }

    /// <summary>
    /// Every destination of <paramref name="options"/>: those with one endpoint and the same
    /// credentials share a key, those translating alike a rewriter.
    /// </summary>
    // Optimized from the first call, as the routing's other start and reload code: it runs once per
    // reload, over thousands of destinations, so tiered compilation would run it unoptimized (a profile
    // of reloading ten thousand showed it there).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Dictionary<string, DestinationDefinition> AllOf(TraceRoutingOptions options)
    {
        // Grouped by address, each group's key named for its first destination by name.
        var addresses = new Dictionary<(string Url, string Headers, int Timeout), List<Addressed>>();
        foreach (var (name, destination) in options.Destinations)
        {
            var address = AddressOf(name, destination);
            var headers = ChannelKey.Text(address.Headers);
            var at = (address.Endpoint.AbsoluteUri, headers, Timeout: destination.TimeoutMilliseconds);
            if (!addresses.TryGetValue(at, out var group))
            {
                addresses[at] = group = new();
            }

            group.Add(new Addressed(name, destination, address));
        }

        var rewriters = new Dictionary<(TraceDestinationKind, bool, string?), OtlpRewriter?>();
        var all = new Dictionary<string, DestinationDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var (at, group) in addresses)
        {
            var first = group.MinBy(d => d.Name, StringComparer.OrdinalIgnoreCase);
            var key = new ChannelKey(first.Address, at.Timeout, first.Name, group.Count, at.Headers);
            foreach (var (name, destination, _) in group)
            {
                var route = new SpanRoute(name, SharedRewriter(rewriters, destination));
                all[name] = new DestinationDefinition(name, destination, key, route);
            }
        }

        return all;
    }

    /// <summary>Its name and address: what logs may show.</summary>
    public override string ToString() => $"{Name} ({Kind} at {OtlpResponses.Address(Key.Endpoint)})";

    private static DestinationAddress AddressOf(string name, TraceDestinationOptions options) =>
        DestinationAddress.TryCreate(options, out var address, out var problem)
            ? address
            : throw new InvalidOperationException($"{TraceRoutingOptions.SectionName}:Destinations:{name}: {problem}");

    private static OtlpRewriter? Rewriter(TraceDestinationOptions options) =>
        SpanTranslation.For(options.Kind, options.CaptureContent, Project(options)) is { } translation
            ? new OtlpRewriter(translation)
            : null;

    // One rewriter per translation (a Phoenix project, content stripped or not): the spans of the
    // destinations translated alike are serialized together.
    private static OtlpRewriter? SharedRewriter(
        Dictionary<(TraceDestinationKind, bool, string?), OtlpRewriter?> rewriters, TraceDestinationOptions options)
    {
        // Langfuse and OTLP destinations get the spans as recorded: one translation.
        var kind = options.Kind is TraceDestinationKind.Phoenix or TraceDestinationKind.LangSmith
            ? options.Kind
            : TraceDestinationKind.Otlp;
        var translation = (kind, options.CaptureContent, kind == TraceDestinationKind.Otlp ? null : Project(options));
        if (!rewriters.TryGetValue(translation, out var rewriter))
        {
            rewriters[translation] = rewriter = Rewriter(options);
        }

        return rewriter;
    }

    private static string? Project(TraceDestinationOptions options) =>
        string.IsNullOrWhiteSpace(options.Project) ? null : options.Project.Trim();

    private readonly record struct Addressed(string Name, TraceDestinationOptions Options, DestinationAddress Address);
}

/// <summary>
/// Which destinations an authenticated caller's requests go to, compiled from <see
/// cref="TraceRoutingOptions"/>.
/// </summary>
/// <remarks>
/// The code hook's names when it gives some, else the most specific rule that names the caller (its
/// key, then its user, team, organisation: a destination's, or <see
/// cref="TraceRoutingOptions.Nowhere"/>'s, which names none), else the default destinations (none under
/// <see cref="TraceRoutingOptions.DenyUnmatched"/>).
/// </remarks>
internal sealed class DestinationRoutes
{
    private readonly Dictionary<string, DestinationDefinition> _byName;
    private readonly Dictionary<string, DestinationDefinition[]> _keys;
    private readonly Dictionary<string, DestinationDefinition[]> _users;
    private readonly Dictionary<string, DestinationDefinition[]> _teams;
    private readonly Dictionary<string, DestinationDefinition[]> _organizations;
    private readonly Func<LlmCaller, IEnumerable<string>?>? _select;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DestinationRoutes(TraceRoutingOptions options)
    {
        _byName = DestinationDefinition.AllOf(options);
        var nowhere = options.Nowhere;
        _keys = Index(options, static d => d.Keys, nowhere.Keys);
        _users = Index(options, static d => d.Users, nowhere.Users);
        _teams = Index(options, static d => d.Teams, nowhere.Teams);
        _organizations = Index(options, static d => d.Organizations, nowhere.Organizations);
        Defaults = options.DenyUnmatched
            ? Array.Empty<DestinationDefinition>()
            : options.Destinations.Where(d => d.Value.Default).Select(d => _byName[d.Key]).ToArray();
        _select = options.SelectDestinations;
        Channels = _byName.Values.Select(d => d.Key).Distinct().ToArray();
    }

    /// <summary>Where the requests no rule names go: the default destinations, or none.</summary>
    public DestinationDefinition[] Defaults { get; }

    /// <summary>Every destination, by name.</summary>
    public IReadOnlyDictionary<string, DestinationDefinition> ByName => _byName;

    /// <summary>Every channel the destinations send through (one per endpoint and credentials).</summary>
    public IReadOnlyCollection<ChannelKey> Channels { get; }

    /// <summary>
    /// The destinations of <paramref name="caller"/>'s requests (the defaults for none); a name the
    /// code hook gives that no destination has is left out and told to <paramref name="unknown"/>.
    /// A hook that throws counts as naming none, and is told too.
    /// </summary>
    public DestinationDefinition[] For(LlmCaller? caller, Action<string> unknown)
    {
        if (caller is null)
        {
            return Defaults;
        }

        if (_select is not null)
        {
            IEnumerable<string>? names;
            try
            {
                names = _select(caller);
            }
            catch (Exception exception)
            {
                unknown($"TracedLlm routing: SelectDestinations threw {exception.GetType().Name}; "
                    + "the caller's spans go nowhere.");
                return Array.Empty<DestinationDefinition>();
            }

            if (names is not null)
            {
                return Chosen(names, unknown);
            }
        }

        return Match(_keys, caller.KeyAlias) ?? Match(_keys, caller.KeyHash) ?? Match(_users, caller.UserId)
            ?? Match(_teams, caller.TeamId) ?? Match(_organizations, caller.OrganizationId) ?? Defaults;
    }

    private DestinationDefinition[] Chosen(IEnumerable<string> names, Action<string> unknown)
    {
        var chosen = new List<DestinationDefinition>();
        foreach (var name in names)
        {
            if (name is not null && _byName.TryGetValue(name, out var destination))
            {
                if (!chosen.Contains(destination))
                {
                    chosen.Add(destination);
                }
            }
            else
            {
                unknown("TracedLlm routing: SelectDestinations named a destination that is not configured; "
                    + "it is left out.");
            }
        }

        return chosen.ToArray();
    }

    private static DestinationDefinition[]? Match(Dictionary<string, DestinationDefinition[]> index, string? value) =>
        value is not null && index.TryGetValue(value, out var destinations) ? destinations : null;

    // The callers a kind of rule names, each to its destinations; those the nowhere rule names to none.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Dictionary<string, DestinationDefinition[]> Index(
        TraceRoutingOptions options, Func<TraceDestinationOptions, List<string>> names, List<string> nowhere)
    {
        var index = new Dictionary<string, List<DestinationDefinition>>(StringComparer.Ordinal);
        foreach (var (name, destination) in options.Destinations)
        {
            var named = names(destination);
            if (named.Count == 0)
            {
                continue;
            }

            foreach (var value in Values(named))
            {
                if (!index.TryGetValue(value, out var list))
                {
                    index[value] = list = new List<DestinationDefinition>();
                }

                list.Add(_byName[name]);
            }
        }

        var compiled = index.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
        foreach (var value in Values(nowhere))
        {
            compiled.TryAdd(value, Array.Empty<DestinationDefinition>());
        }

        return compiled;
    }

    private static IEnumerable<string> Values(List<string> values) =>
        values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).Distinct(StringComparer.Ordinal);
}
