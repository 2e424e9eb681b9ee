namespace TracedLlm.Analyzers.Rules;

/// <summary>Resolves the references in key values at the end of the compilation.</summary>
/// <remarks>
/// Fields and properties to their initializers, calls to what they return, delegate fields to their lambda's returns;
/// and the parameters that are keys inside their method, so the arguments that fill them are keys too.
/// </remarks>
internal sealed class KeyResolver
{
    private readonly ConcurrentDictionary<ISymbol, MethodFacts> _facts;
    private readonly CompilationFacts _compilation;
    private readonly Dictionary<(ISymbol, KeyValueKind), (ImmutableHashSet<string> Constants, bool Unknown)> _memo =
        new();
    private readonly HashSet<(ISymbol Method, int Ordinal)> _keyParameters = new();
    private readonly Dictionary<ISymbol, List<KeyValue>> _fieldWrites = new(SymbolEqualityComparer.Default);
    private readonly CancellationToken _cancellationToken;

    public KeyResolver(CompilationFacts compilation, ConcurrentDictionary<ISymbol, MethodFacts> facts,
        CancellationToken cancellationToken)
    {
        (_compilation, _cancellationToken, _facts) = (compilation, cancellationToken, facts);
        FindKeyParameters();
        foreach (var (field, values) in _facts.Values.SelectMany(f => f.FieldWrites))
        {
            _fieldWrites.For(field).AddRange(values);
        }
    }

    /// <summary>The constants the values may be, and whether they may also be anything else.</summary>
    public (ImmutableHashSet<string> Constants, bool Unknown) Resolve(IEnumerable<KeyValue> values) =>
        Resolve(values, 0);

    /// <summary>True when the parameter is used as a key inside the method (or one it may dispatch to).</summary>
    public bool IsKeyParameter(IMethodSymbol method, int ordinal) =>
        _keyParameters.Contains((method.OriginalDefinition, ordinal))
        || _compilation.Implementations(method, _cancellationToken).Any(i => _keyParameters.Contains((i, ordinal)));

    private (ImmutableHashSet<string>, bool) Resolve(IEnumerable<KeyValue> values, int depth)
    {
        var constants = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var unknown = false;
        foreach (var value in values)
        {
            switch (value.Kind)
            {
                case KeyValueKind.Constant:
                    constants.Add(value.Constant!);
                    break;
                case KeyValueKind.Concatenation when depth < CallGraph.MaxDepth:
                    var (joined, joinedUnknown) = Join(value.Parts, depth);
                    constants.UnionWith(joined);
                    unknown |= joinedUnknown;
                    break;
                case KeyValueKind.Member
                or KeyValueKind.Return
                or KeyValueKind.DelegateReturn when depth < CallGraph.MaxDepth:
                    var (resolved, resolvedUnknown) = ResolveReference(value, depth);
                    constants.UnionWith(resolved);
                    unknown |= resolvedUnknown;
                    break;
                default:
                    unknown = true;
                    break;
            }
        }

        return (constants.ToImmutable(), unknown);
    }

    /// <summary>A concatenation: every way of joining its parts' resolved values, or unknown.</summary>
    private (ImmutableHashSet<string>, bool) Join(ImmutableArray<ImmutableArray<KeyValue>> parts, int depth)
    {
        var resolvedParts = new List<ImmutableHashSet<string>>(parts.Length);
        foreach (var part in parts)
        {
            var (resolved, unknown) = Resolve(part, depth + 1);
            if (unknown || resolved.IsEmpty)
            {
                return (ImmutableHashSet<string>.Empty, true);
            }

            resolvedParts.Add(resolved);
        }

        return ValueFlow.Join(resolvedParts) is { } joined
            ? (joined.ToImmutableHashSet(StringComparer.Ordinal), false)
            : (ImmutableHashSet<string>.Empty, true);
    }

    // A cycle resolves to "anything".
    private (ImmutableHashSet<string>, bool) ResolveReference(KeyValue value, int depth) =>
        _memo.GetOrAdd((value.Symbol!, value.Kind), (ImmutableHashSet<string>.Empty, true), _ => Read(value, depth));

    private (ImmutableHashSet<string>, bool) Read(KeyValue value, int depth)
    {
        var sources = new List<KeyValue>();
        var found = false;
        void From(ISymbol? symbol, bool delegateReturns)
        {
            if (symbol is not null && _facts.TryGetValue(symbol.OriginalDefinition, out var facts))
            {
                var list = delegateReturns ? facts.DelegateReturns : facts.Values;
                found |= list.Count > 0;
                sources.AddRange(list);
            }
        }

        switch (value.Kind)
        {
            case KeyValueKind.Member:
                From(value.Symbol, delegateReturns: false);

                // A static readonly field: its initializer and what its type's static constructor assigns.
                if (_fieldWrites.TryGetValue(value.Symbol!, out var written))
                {
                    found = true;
                    sources.AddRange(written);
                }

                if (value.Symbol is IPropertySymbol { GetMethod: { } getter })
                {
                    From(getter, delegateReturns: false);

                    // An abstract or interface property: what its implementations return.
                    foreach (var implementation in _compilation.Implementations(getter, _cancellationToken))
                    {
                        From(implementation, delegateReturns: false);
                        From(implementation.AssociatedSymbol, delegateReturns: false);
                    }
                }

                break;
            case KeyValueKind.Return:
                From(value.Symbol, delegateReturns: false);
                break;
            case KeyValueKind.DelegateReturn:
                From(value.Symbol, delegateReturns: true);
                break;
        }

        return found ? Resolve(sources, depth + 1) : (ImmutableHashSet<string>.Empty, true);
    }

    private void FindKeyParameters()
    {
        _keyParameters.UnionWith(_facts.Values.SelectMany(f => f.Keys).SelectMany(use => Parameters(use.Values)));

        // A parameter passed on to a key parameter is a key parameter too.
        for (var round = 0; round < CallGraph.MaxDepth; round++)
        {
            var added = false;
            foreach (var argument in _facts.Values.SelectMany(f => f.Arguments)
                .Where(argument => IsKeyParameter(argument.Callee, argument.Ordinal)))
            {
                foreach (var parameter in Parameters(argument.Values))
                {
                    added |= _keyParameters.Add(parameter);
                }
            }

            if (!added)
            {
                break;
            }
        }
    }

    /// <summary>The parameters among the values, as (method, ordinal).</summary>
    private static IEnumerable<(ISymbol Method, int Ordinal)> Parameters(IEnumerable<KeyValue> values) => values
        .Where(v => v.Kind == KeyValueKind.Parameter)
        .Select(v => v.Symbol).OfType<IParameterSymbol>()
        .Where(parameter => parameter.ContainingSymbol is IMethodSymbol)
        .Select(parameter => ((ISymbol)parameter.ContainingSymbol.OriginalDefinition, parameter.Ordinal));
}
