using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// Team- and key-based trace destinations (<c>AddTracedLlmDestinations</c>): which destinations exist,
/// and which authenticated callers' requests each receives. Only the authenticated caller chooses
/// (<see cref="LlmCaller"/>): nothing a request sends can name a destination or raise what one gets.
/// Bound from <c>TracedLlm:Routing</c>, reloaded when the configuration changes.
/// </summary>
public sealed class TraceRoutingOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm:Routing";

    /// <summary>
    /// The destinations, by name (<c>TracedLlm:Routing:Destinations:{name}</c>); names compare without case.
    /// </summary>
    public Dictionary<string, TraceDestinationOptions> Destinations { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// When true, a request no destination names (no rule matches its caller, or it has none) is
    /// exported nowhere; no destination may then be <see cref="TraceDestinationOptions.Default"/>.
    /// When false (the default), one destination at least must be the default.
    /// </summary>
    public bool DenyUnmatched { get; set; }

    /// <summary>
    /// The callers whose requests are exported nowhere, even where default destinations exist: a
    /// team, key, user or organisation that logs nothing (<c>TracedLlm:Routing:Nowhere:Teams</c>, ...).
    /// </summary>
    /// <remarks>
    /// It is a rule like a destination's, in the same order: a more specific rule naming the caller
    /// (its key's destination, for a team named here) still wins, and a caller may not be named here
    /// and by a destination's rule of the same kind. The request's metrics still count it.
    /// </remarks>
    public TraceCallers Nowhere { get; } = new();

    /// <summary>
    /// The endpoints (with their credentials) exported to at once: destinations that send to the same
    /// endpoint with the same credentials share one, whatever their number. Default 4,096.
    /// </summary>
    /// <remarks>
    /// Each open one holds its queue, batch and deliveries; past the limit the sixteenth used longest
    /// ago close, their spans delivered first within the shut-down bound. An idle one holds a few
    /// kilobytes, so the default fits thousands of teams with credentials of their own
    /// (bench/results/2026-11-29-destinations-scale.md).
    /// </remarks>
    public int MaxLiveDestinations { get; set; } = 4096;

    /// <summary>
    /// A destination that received no span for this long is closed (its queue delivered first). Default 5 minutes.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The share of the export's memory bounds one destination may hold, above 0 and at most 1; default 0.25.
    /// </summary>
    /// <remarks>
    /// The bounds are <c>TracedLlm:Export</c>'s: queued spans and bytes, buffered batches, the disk buffer; all
    /// destinations together hold at most the bounds themselves. With 0.25 a destination whose backend hangs or refuses
    /// keeps at most a quarter, and each destination keeps room for a few batches of its own whatever the others hold
    /// (docs/configuration.md). With fewer destinations configured than the share divides the bounds into, each gets an
    /// equal part instead (one alone gets them all): there are fewer others to keep room for.
    /// </remarks>
    public double DestinationShare { get; set; } = 0.25;

    /// <summary>
    /// A code hook that names the destinations of an authenticated caller, instead of the rules of
    /// <see cref="TraceDestinationOptions"/>.
    /// </summary>
    /// <remarks>
    /// It replaces the <c>Keys</c>, <c>Users</c>, <c>Teams</c> and <c>Organizations</c> rules: return the names of
    /// configured destinations (empty: nowhere), or null to let the rules decide. Called once per request, off the
    /// request path. Not bound from configuration.
    /// </remarks>
    public Func<LlmCaller, IEnumerable<string>?>? SelectDestinations { get; set; }

    /// <summary>Every problem, each one sentence naming its configuration key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (name, destination) in Destinations)
        {
            if (destination is null)
            {
                problems.Add($"{SectionName}:Destinations:{name} is empty.");
                continue;
            }

            destination.AddProblems(name, problems);
        }

        NowhereProblems(problems);
        var defaults = Destinations.Where(d => d.Value?.Default == true).Select(d => d.Key).ToList();
        if (DenyUnmatched && defaults.Count > 0)
        {
            problems.Add(
                $"{SectionName}:DenyUnmatched is true, but {string.Join(", ", defaults)} "
                + $"{(defaults.Count == 1 ? "is" : "are")} marked Default: choose one.");
        }
        else if (!DenyUnmatched && defaults.Count == 0)
        {
            problems.Add(
                $"{SectionName} names no default destination: mark one Default (Destinations:{{name}}:Default) for the "
                + $"requests no destination names, or set DenyUnmatched to export nothing for them.");
        }

        if (MaxLiveDestinations < 1)
        {
            problems.Add($"{SectionName}:MaxLiveDestinations must be at least 1 (it is {MaxLiveDestinations}).");
        }

        if (IdleTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:IdleTimeout must be positive (it is {IdleTimeout}).");
        }

        if (double.IsNaN(DestinationShare) || DestinationShare is <= 0 or > 1)
        {
            problems.Add($"{SectionName}:DestinationShare must be above 0 and at most 1 (it is {DestinationShare}).");
        }

        return problems;
    }

    // A caller named both here and by a destination's rule of the same kind would go two ways: said,
    // naming the caller and the first destination (a configured name: never a credential).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void NowhereProblems(List<string> problems)
    {
        foreach (var (kind, nowhere, named) in new (string, List<string>, Func<TraceDestinationOptions, List<string>>)[]
        {
            (nameof(TraceCallers.Teams), Nowhere.Teams, static d => d.Teams),
            (nameof(TraceCallers.Organizations), Nowhere.Organizations, static d => d.Organizations),
            (nameof(TraceCallers.Keys), Nowhere.Keys, static d => d.Keys),
            (nameof(TraceCallers.Users), Nowhere.Users, static d => d.Users),
        })
        {
            if (nowhere.Count == 0)
            {
                continue;
            }

            if (nowhere.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"{SectionName}:Nowhere:{kind} must not hold an empty entry.");
            }

            var byValue = new Dictionary<string, string>(StringComparer.Ordinal);
            var configured = Destinations.Where(d => d.Value is not null)
                .OrderBy(d => d.Key, StringComparer.OrdinalIgnoreCase);
            foreach (var (name, destination) in configured)
            {
                foreach (var value in named(destination))
                {
                    byValue.TryAdd(value?.Trim() ?? string.Empty, name);
                }
            }

            var callers = nowhere.Where(v => !string.IsNullOrWhiteSpace(v))
                .Select(v => v.Trim())
                .Distinct(StringComparer.Ordinal);
            foreach (var value in callers)
            {
                if (byValue.TryGetValue(value, out var destination))
                {
                    problems.Add($"{SectionName}:Nowhere:{kind} names {value}, "
                        + $"which Destinations:{destination}:{kind} names too: choose one.");
                }
            }
        }
    }
}

/// <summary>
/// Checks <see cref="TraceRoutingOptions"/> when the host starts: a problem stops it. Once they have
/// passed, a reload is checked by the router instead, which keeps the routing it has and says why:
/// a validator failing then would throw from the configuration's change callback, on a thread no
/// one catches on.
/// </summary>
internal sealed class TraceRoutingOptionsValidator : IValidateOptions<TraceRoutingOptions>
{
    private int _passed;

    public ValidateOptionsResult Validate(string? name, TraceRoutingOptions options)
    {
        if (System.Threading.Volatile.Read(ref _passed) == 1)
        {
            return ValidateOptionsResult.Skip;
        }

        if (options.Problems() is { Count: > 0 } problems)
        {
            return ValidateOptionsResult.Fail(problems);
        }

        System.Threading.Volatile.Write(ref _passed, 1);
        return ValidateOptionsResult.Success;
    }
}
