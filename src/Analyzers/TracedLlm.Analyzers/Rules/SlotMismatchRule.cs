namespace TracedLlm.Analyzers.Rules;

/// <summary>TLLM2001: a key that names a slot, used where a route with another slot reaches.</summary>
/// <remarks>A key that may be the route's own slot, or a value the analysis does not know, is not
/// reported.</remarks>
internal static class SlotMismatchRule
{
    public static void Report(ImmutableHashSet<string> constants, bool unknown, Location location,
        IReadOnlyList<TracedRoute> routes, CompilationFacts compilation, DiagnosticDescriptor descriptor,
        Action<Diagnostic> report, CancellationToken cancellationToken, FindingPath? path = null)
    {
        // Traced code of a library that declares no slot has no slot to mismatch.
        routes = routes.Where(r => r.Slot.Length > 0).ToList();
        if (unknown || routes.Count == 0)
        {
            return;
        }

        var slotKeys = constants.Where(compilation.SlotNames(cancellationToken).Contains)
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        var disagreeing = routes.Where(r => !constants.Contains(r.Slot)).Distinct()
            .OrderBy(r => r.Display, StringComparer.Ordinal).ToList();
        if (slotKeys.Count == 0 || disagreeing.Count == 0)
        {
            return;
        }

        // A mechanical fix exists only when every route reaching this code has one slot.
        var properties = routes.Select(r => r.Slot).Distinct().Count() == 1
            && disagreeing[0].SlotConstant is { } constant
                ? ImmutableDictionary<string, string?>.Empty.Add(DiagnosticIds.SlotConstantProperty, constant) : null;

        var described = string.Join(", ", disagreeing.Take(3).Select(r => $"{r.Named} (slot '{r.Slot}')"))
            + (disagreeing.Count > 3 ? $" and {disagreeing.Count - 3} more" : string.Empty);
        report(Findings.Create(descriptor, location, path, null, properties, slotKeys[0], described));
    }
}
