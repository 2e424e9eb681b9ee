using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TracedLlm.Generators;

/// <summary>
/// The tracked telemetry contract file, as the generator reads it from the project's additional files.
/// </summary>
internal readonly record struct TrackedContract(string Path, string Text);

/// <summary>
/// One route whose emitted telemetry differs from the tracked file: where, what differs, its part of the file as
/// emitted, and the stale routes its fix drops.
/// </summary>
internal readonly record struct ContractDrift(
    LocationInfo Location,
    string Route,
    string Differences,
    string Path,
    string Block,
    string StaleRoutes);

/// <summary>
/// The telemetry contract a consumer tracks in <c>TracedLlm.Telemetry.txt</c>, one item a line so a change is a
/// one-line diff.
/// </summary>
/// <remarks>
/// Per route the convention mode, the spans with their kinds and attribute keys, and the metrics with their
/// instruments. It is written from <see cref="TelemetryManifest"/>'s model, never a second list. When the file is
/// present (opt-in), every route whose part of it differs gets TLLM1011 naming the difference.
/// </remarks>
internal static class TelemetryContract
{
    public const string FileName = "TracedLlm.Telemetry.txt";

    /// <summary>The convention mode in force: today one; the field lets a mode switch show as a difference.</summary>
    public const string Mode = "default";

    public const string Header =
        "# TracedLlm telemetry contract: what each traced route emits. Tracked like PublicAPI.*.txt:\n"
        + "# a change to a route's spans, attributes, metrics or convention mode is TLLM1011 "
        + "until this file is updated.\n";

    private const int MaxNamed = 6;

    private static readonly string[] RouteBody = BuildRouteBody();

    /// <summary>The whole file the routes emit, routes ordered by path then method.</summary>
    public static string Write(IEnumerable<RouteKey> routes)
    {
        var text = new StringBuilder(Header);
        foreach (var route in Order(routes).Select(RouteName).Distinct())
        {
            text.Append('\n').Append(Block(route));
        }

        return text.ToString();
    }

    /// <summary>
    /// One route's part of the file, from its <c>route</c> line on; what the code fix writes for that route.
    /// </summary>
    public static string Block(string route)
    {
        var text = new StringBuilder("route ").Append(route).Append('\n')
            .Append("  mode ").Append(ModeLine()).Append('\n');
        foreach (var line in RouteBody)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The drift of every route from <paramref name="tracked"/>; none when no file is tracked.</summary>
    public static EquatableArray<ContractDrift> Check(EquatableArray<RouteKey> routes, TrackedContract? tracked)
    {
        if (tracked is not { } file || routes.Count == 0)
        {
            return EquatableArray<ContractDrift>.Empty;
        }

        var have = new Dictionary<string, List<Item>>(StringComparer.Ordinal);
        foreach (var part in ContractFile.Split(file.Text).Routes)
        {
            have[part.Key] = Items(part.Value);
        }

        var drifts = new List<ContractDrift>();
        var ordered = Order(routes).Select(route => (Route: route, Name: RouteName(route))).ToList();
        var declared = new HashSet<string>(ordered.Select(r => r.Name), StringComparer.Ordinal);
        var stale = have.Keys.Where(route => !declared.Contains(route)).ToList();

        // Every route emits the same items (only its route line differs): read once, compared per route.
        var want = Items(Block(ordered[0].Name));

        // Every diagnostic carries the stale routes, so fixing any one route drops them, and each names them:
        // the one a reader opens says what its fix will drop. With no other difference only the first route
        // is reported for them (one diagnostic, not one a route).
        var staleRoutes = string.Join("\n", stale);
        var staleSummary =
            stale.Count == 0
                ? string.Empty
                : Summary(stale.Select(gone => $"route '{gone}' is in the file but no longer declared").ToList());
        var named = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ordered.Count; i++)
        {
            var (route, name) = ordered[i];
            if (!named.Add(name))
            {
                continue;
            }

            var differences = new List<string>();
            if (!have.TryGetValue(name, out var items))
            {
                differences.Add("the route is not in the file");
            }
            else
            {
                Describe(want, items, differences);
            }

            // Each diagnostic carries its own route's block (a few KB), not the whole file: a stale
            // file on 1,000 routes would otherwise put the whole file into every one of them. Its own
            // differences are summed up apart from the stale routes, so that a long list of its own
            // never hides what its fix drops.
            if (differences.Count > 0 || (i == 0 && stale.Count > 0))
            {
                var summary = string.Join(
                    "; ",
                    new[] { Summary(differences), staleSummary }.Where(part => part.Length > 0));
                drifts.Add(new ContractDrift(route.Location, name, summary, file.Path, Block(name), staleRoutes));
            }
        }

        return drifts.ToEquatableArray();
    }

    /// <summary>
    /// The first few differences, then how many more: the message stays readable when a whole file is stale.
    /// </summary>
    private static string Summary(List<string> differences) =>
        differences.Count <= MaxNamed
            ? string.Join("; ", differences)
            : string.Join("; ", differences.Take(MaxNamed)) + $"; and {differences.Count - MaxNamed} more";

    private static IEnumerable<RouteKey> Order(IEnumerable<RouteKey> routes) =>
        routes.OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.HttpMethod, StringComparer.Ordinal);

    private static string RouteName(RouteKey route) => route.HttpMethod + " " + route.Pattern;

    private static string ModeLine() => Mode + " semconv " + TelemetryManifest.SemanticConventions;

    private static string[] BuildRouteBody()
    {
        var lines = new List<string>();
        foreach (var (name, kind, _, attributes) in TelemetryManifest.Spans)
        {
            lines.Add("  span " + name + " [" + kind + "]");
            lines.AddRange(attributes.Select(attribute => "    attribute " + attribute));
        }

        lines.AddRange(
            TelemetryManifest.Metrics.Select(m => "  metric " + m.Name + " [" + m.Instrument + " " + m.Unit + "]"));
        return lines.ToArray();
    }

    /// <summary>
    /// One route's items, from its part of the file (<see cref="ContractFile.Split"/>): its mode, spans, attributes
    /// (qualified by their span) and metrics.
    /// </summary>
    private static List<Item> Items(string part)
    {
        var items = new List<Item>();
        var span = string.Empty;
        foreach (var raw in part.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || ContractFile.RouteOf(line) is not null)
            {
                continue;
            }

            var space = line.IndexOf(' ');
            var word = space < 0 ? line : line.Substring(0, space);
            var rest = space < 0 ? string.Empty : line.Substring(space + 1).Trim();
            if (word == "span")
            {
                var bracket = rest.LastIndexOf(" [", StringComparison.Ordinal);
                span = bracket < 0 ? rest : rest.Substring(0, bracket);
                items.Add(
                    new Item("span", string.Empty, span, bracket < 0 ? string.Empty : rest.Substring(bracket + 1)));
            }
            else
            {
                items.Add(new Item(word, word == "attribute" ? span : string.Empty, rest, string.Empty));
            }
        }

        return items;
    }

    /// <summary>
    /// Names what <paramref name="have"/> lacks and has too many of; one removal and one addition in one place read as
    /// a rename.
    /// </summary>
    private static void Describe(List<Item> want, List<Item> have, List<string> differences)
    {
        var haveSet = new HashSet<Item>(have);
        var wantSet = new HashSet<Item>(want);
        if (haveSet.SetEquals(wantSet))
        {
            return;
        }

        var added = want.Where(item => !haveSet.Contains(item)).ToList();
        var removed = have.Where(item => !wantSet.Contains(item)).ToList();
        foreach (var group in added.Concat(removed).GroupBy(item => (item.Kind, item.Span)))
        {
            var plus = group.Where(added.Contains).ToList();
            var minus = group.Where(removed.Contains).ToList();
            if (plus.Count == 1 && minus.Count == 1)
            {
                differences.Add(group.Key.Kind == "mode"
                    ? $"convention mode switched from '{minus[0].Name}' to '{plus[0].Name}'"
                    : $"{plus[0].Kind} '{minus[0].Label}' renamed to '{plus[0].Label}'{plus[0].Where}");
                continue;
            }

            differences.AddRange(plus.Select(item => $"{item.Kind} '{item.Label}' added{item.Where}"));
            differences.AddRange(minus.Select(item => $"{item.Kind} '{item.Label}' removed{item.Where}"));
        }
    }

    private readonly record struct Item(string Kind, string Span, string Name, string Detail)
    {
        public string Label => Detail.Length == 0 ? Name : Name + " " + Detail;

        public string Where => Span.Length == 0 ? string.Empty : $" on span '{Span}'";
    }
}
