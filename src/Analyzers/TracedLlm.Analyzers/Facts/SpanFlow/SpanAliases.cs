namespace TracedLlm.Analyzers.Facts.SpanFlow;

/// <summary>Locations that are one span: a fluent call's result and its receiver, a pattern's local and its
/// value.</summary>
internal sealed class SpanAliases(WellKnownTypes types)
{
    private readonly ConcurrentDictionary<AbstractLocation, AbstractLocation> _origins = new();
    private readonly ConcurrentDictionary<ILocalSymbol, IOperation> _patternLocals = new(
        SymbolEqualityComparer.Default);

    public WellKnownTypes Types { get; } = types;

    public void Add(PointsToAbstractValue alias, PointsToAbstractValue of)
    {
        if (of.Locations.Count == 1)
        {
            var origin = Origin(of.Locations.First());
            foreach (var location in alias.Locations)
            {
                if (!location.Equals(origin))
                {
                    _origins.TryAdd(location, origin);
                }
            }
        }
    }

    public void AddLocal(ILocalSymbol local, IOperation value) => _patternLocals.TryAdd(local, value);

    /// <summary>The operation whose points-to value an instance has: itself, or a pattern local's tested
    /// value.</summary>
    public IOperation Source(IOperation instance) =>
        instance is ILocalReferenceOperation reference && _patternLocals.TryGetValue(reference.Local, out var tested)
            ? tested : instance;

    public bool IsAlias(AbstractLocation location) => _origins.ContainsKey(location);

    /// <summary>The locations and every location that is the same span.</summary>
    public IEnumerable<AbstractLocation> Group(PointsToAbstractValue value) => Group(value.Locations);

    public IEnumerable<AbstractLocation> Group(IEnumerable<AbstractLocation> locations)
    {
        var origins = new HashSet<AbstractLocation>(locations.Select(Origin));
        return origins.Concat(_origins.Where(pair => origins.Contains(pair.Value)).Select(pair => pair.Key)).Distinct();
    }

    private AbstractLocation Origin(AbstractLocation location)
    {
        for (var depth = 0; depth < 8 && _origins.TryGetValue(location, out var origin); depth++)
        {
            location = origin;
        }

        return location;
    }
}
