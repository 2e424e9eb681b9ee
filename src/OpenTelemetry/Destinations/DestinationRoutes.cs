using System;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm;

/// <summary>
/// One destination as the export uses it, read once from its options: name, address, translation
/// and what it receives. Two definitions are equal when a live destination built from one could
/// serve the other (so a reload that changes nothing about it keeps it open); its headers (the
/// credentials) are compared through a digest and never shown.
/// </summary>
internal sealed class DestinationDefinition : IEquatable<DestinationDefinition>
{
    private DestinationDefinition(string name, TraceDestinationOptions options, DestinationAddress address)
    {
        Name = name;
        Kind = options.Kind;
        Endpoint = address.Endpoint;
        Headers = address.Headers;
        HeaderDigest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join("\n", address.Headers.Select(h => h.Name + "\u0001" + h.Value)))));
        TimeoutMilliseconds = options.TimeoutMilliseconds;
        CaptureContent = options.CaptureContent;
        SamplingRatio = options.SamplingRatio;
        Scope = options.Scope;
        Project = string.IsNullOrWhiteSpace(options.Project) ? null : options.Project.Trim();
    }

    public string Name { get; }

    public TraceDestinationKind Kind { get; }

    public Uri Endpoint { get; }

    /// <summary>The request headers, credentials among them.</summary>
    public (string Name, string Value)[] Headers { get; }

    public int TimeoutMilliseconds { get; }

    public bool CaptureContent { get; }

    public double SamplingRatio { get; }

    public ExportScope Scope { get; }

    public string? Project { get; }

    private string HeaderDigest { get; }

    /// <exception cref="InvalidOperationException">The options have no address (they failed their checks).</exception>
    public static DestinationDefinition From(string name, TraceDestinationOptions options) =>
        DestinationAddress.TryCreate(options, out var address, out var problem)
            ? new DestinationDefinition(name, options, address)
            : throw new InvalidOperationException($"{TraceRoutingOptions.SectionName}:Destinations:{name}: {problem}");

    public bool Equals(DestinationDefinition? other) =>
        other is not null && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase) && Kind == other.Kind && Endpoint == other.Endpoint
        && HeaderDigest == other.HeaderDigest && TimeoutMilliseconds == other.TimeoutMilliseconds && CaptureContent == other.CaptureContent
        && SamplingRatio.Equals(other.SamplingRatio) && Scope == other.Scope && Project == other.Project;

    public override bool Equals(object? obj) => Equals(obj as DestinationDefinition);

    public override int GetHashCode() => HashCode.Combine(Name.ToUpperInvariant(), Kind, Endpoint, HeaderDigest);

    /// <summary>Its name, kind and address: what logs may show.</summary>
    public override string ToString() => $"{Name} ({Kind} at {OtlpResponses.Address(Endpoint)})";
}

/// <summary>
/// Which destinations an authenticated caller's requests go to, compiled from
/// <see cref="TraceRoutingOptions"/>: the code hook's names when it gives some, else the most
/// specific rule that names the caller (its key, then its user, team, organisation), else the
/// default destinations (none under <see cref="TraceRoutingOptions.DenyUnmatched"/>).
/// </summary>
internal sealed class DestinationRoutes
{
    private readonly Dictionary<string, DestinationDefinition> _byName;
    private readonly Dictionary<string, DestinationDefinition[]> _keys;
    private readonly Dictionary<string, DestinationDefinition[]> _users;
    private readonly Dictionary<string, DestinationDefinition[]> _teams;
    private readonly Dictionary<string, DestinationDefinition[]> _organizations;
    private readonly Func<LlmCaller, IEnumerable<string>?>? _select;

    public DestinationRoutes(TraceRoutingOptions options)
    {
        _byName = options.Destinations.ToDictionary(d => d.Key, d => DestinationDefinition.From(d.Key, d.Value), StringComparer.OrdinalIgnoreCase);
        _keys = Index(options, static d => d.Keys);
        _users = Index(options, static d => d.Users);
        _teams = Index(options, static d => d.Teams);
        _organizations = Index(options, static d => d.Organizations);
        Defaults = options.DenyUnmatched ? Array.Empty<DestinationDefinition>() : options.Destinations.Where(d => d.Value.Default).Select(d => _byName[d.Key]).ToArray();
        _select = options.SelectDestinations;
    }

    /// <summary>Where the requests no rule names go: the default destinations, or none.</summary>
    public DestinationDefinition[] Defaults { get; }

    /// <summary>Every destination, by name.</summary>
    public IReadOnlyDictionary<string, DestinationDefinition> ByName => _byName;

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
                unknown($"TracedLlm routing: SelectDestinations threw {exception.GetType().Name}; the caller's spans go nowhere.");
                return Array.Empty<DestinationDefinition>();
            }

            if (names is not null)
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
                        unknown($"TracedLlm routing: SelectDestinations named a destination that is not configured; it is left out.");
                    }
                }

                return chosen.ToArray();
            }
        }

        return Match(_keys, caller.KeyAlias) ?? Match(_keys, caller.KeyHash) ?? Match(_users, caller.UserId)
            ?? Match(_teams, caller.TeamId) ?? Match(_organizations, caller.OrganizationId) ?? Defaults;
    }

    private static DestinationDefinition[]? Match(Dictionary<string, DestinationDefinition[]> index, string? value) =>
        value is not null && index.TryGetValue(value, out var destinations) ? destinations : null;

    private Dictionary<string, DestinationDefinition[]> Index(TraceRoutingOptions options, Func<TraceDestinationOptions, List<string>> names)
    {
        var index = new Dictionary<string, List<DestinationDefinition>>(StringComparer.Ordinal);
        foreach (var (name, destination) in options.Destinations)
        {
            foreach (var value in names(destination).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).Distinct(StringComparer.Ordinal))
            {
                if (!index.TryGetValue(value, out var list))
                {
                    index[value] = list = new List<DestinationDefinition>();
                }

                list.Add(_byName[name]);
            }
        }

        return index.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }
}
