namespace TracedLlm.Analyzers.Rules;

/// <summary>Every TLLM2001-TLLM2008 diagnostic is made here, so each shows where it was decided the same way.</summary>
/// <remarks>
/// A finding in a route's own code is in tier <c>handler</c>; one reached through calls ends its message with its
/// path, lists those calls as additional locations, and is in tier <c>calls</c> or <c>dispatch</c>.
/// </remarks>
internal static class Findings
{
    public static Diagnostic Create(DiagnosticDescriptor descriptor, Location location, FindingPath? path,
        IEnumerable<Location>? additional, ImmutableDictionary<string, string?>? properties, params object[] arguments)
        => Create((descriptor, descriptor.DefaultSeverity), location, path, additional, properties, arguments);

    /// <summary>A finding shown at <paramref name="rule"/>'s severity, above its descriptor's default where a shape of
    /// the rule must be heard.</summary>
    public static Diagnostic Create((DiagnosticDescriptor Descriptor, DiagnosticSeverity Severity) rule,
        Location location, FindingPath? path, IEnumerable<Location>? additional,
        ImmutableDictionary<string, string?>? properties, params object[] arguments)
    {
        var descriptor = rule.Descriptor;
        properties = (properties ?? ImmutableDictionary<string, string?>.Empty).SetItem(DiagnosticIds.TierProperty,
            path?.Tier ?? DiagnosticIds.TierHandler);
        if (path is { Calls.Count: > 0 })
        {
            properties = properties.SetItem(DiagnosticIds.PathCallsProperty,
                path.Calls.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var suffix = path is null ? string.Empty : descriptor.Id == DiagnosticIds.SlotMismatch ? path.Chain()
            : path.Describe();
        var locations = (additional ?? Enumerable.Empty<Location>()).Concat(
            path?.Calls ?? Enumerable.Empty<Location>());
        return Diagnostic.Create(descriptor, location, rule.Severity, locations, properties,
            arguments.Append(suffix).ToArray());
    }
}
