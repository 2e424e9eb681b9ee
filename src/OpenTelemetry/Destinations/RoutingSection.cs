using System.Collections.Generic;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace TracedLlm;

/// <summary>
/// The <c>TracedLlm:Routing</c> section as the options binder reads it, except that a destination's
/// lists (<c>Teams</c>, <c>Keys</c>, ...) are read by index, from 0 to the first missing one.
/// </summary>
/// <remarks>
/// A configuration provider answers a request for a section's children by going over every key it
/// holds: binding 10,000 destinations asked that of their 40,000 lists, over 50,000 keys each
/// (36 s to start; bench/results/2026-11-29-destinations-scale.md). Read by index, a list costs a
/// look-up per entry. JSON arrays, environment variables (<c>__0</c>, <c>__1</c>) and the
/// configuration binder's own output all number entries from 0 without a gap; an entry after a gap
/// is not read. Everything else is read through the section as it is.
/// </remarks>
internal sealed class RoutingSection(IConfigurationSection inner, int depth = 0) : IConfigurationSection
{
    // Routing (0) > Destinations (1) > a destination (2) > its list (3).
    private const int ListDepth = 3;

    public string Key => inner.Key;

    public string Path => inner.Path;

    public string? Value
    {
        get => inner.Value;
        set => inner.Value = value;
    }

    public string? this[string key]
    {
        get => inner[key];
        set => inner[key] = value;
    }

    public IConfigurationSection GetSection(string key) => new RoutingSection(inner.GetSection(key), depth + 1);

    // Read once: the binder asks whether there are children, then for them (each time over every key).
    private List<IConfigurationSection>? _children;

    public IEnumerable<IConfigurationSection> GetChildren() =>
        _children ??= depth == ListDepth && IsDestinationList() ? ByIndex() : Wrapped();

    private List<IConfigurationSection> Wrapped()
    {
        var children = new List<IConfigurationSection>();
        foreach (var child in inner.GetChildren())
        {
            children.Add(new RoutingSection(child, depth + 1));
        }

        return children;
    }

    private List<IConfigurationSection> ByIndex()
    {
        var entries = new List<IConfigurationSection>();
        for (var index = 0; ; index++)
        {
            var entry = inner.GetSection(index.ToString(CultureInfo.InvariantCulture));
            if (entry.Value is null)
            {
                return entries;
            }

            entries.Add(entry);
        }
    }

    public IChangeToken GetReloadToken() => inner.GetReloadToken();

    // Under Destinations:{name}: the lists a destination has.
    private bool IsDestinationList() =>
        System.Array.Exists(Lists, list => string.Equals(list, Key, System.StringComparison.OrdinalIgnoreCase));

    private static readonly string[] Lists =
    [
        nameof(TraceDestinationOptions.Teams), nameof(TraceDestinationOptions.Keys),
        nameof(TraceDestinationOptions.Users), nameof(TraceDestinationOptions.Organizations),
    ];
}
