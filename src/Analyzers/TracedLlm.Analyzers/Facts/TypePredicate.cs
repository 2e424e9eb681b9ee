namespace TracedLlm.Analyzers.Facts;

/// <summary>Three-valued truth: a condition not decided from the exception's type is <see cref="Maybe"/>.</summary>
internal enum Truth
{
    False,
    Maybe,
    True,
}

/// <summary>A condition on an exception's type, read from a failure filter.</summary>
/// <remarks>
/// Type tests, their negations and combinations, switch arms in order, calls of other filters. What does not depend on
/// the type is <see cref="Maybe"/>: a filter rejects a type only when it certainly does.
/// </remarks>
internal abstract class TypePredicate
{
    public static readonly TypePredicate True = new Constant(Truth.True);
    public static readonly TypePredicate False = new Constant(Truth.False);
    public static readonly TypePredicate Maybe = new Constant(Truth.Maybe);

    /// <summary>Whether an exception of <paramref name="thrown"/> passes (<paramref name="exact"/>: a new
    /// object's).</summary>
    public abstract Truth Evaluate(ITypeSymbol thrown, bool exact, Func<IMethodSymbol, TypePredicate?> filterOf,
        int depth);

    /// <summary>The types the filter names as accepted, for the message and the code fix: none unless it tests
    /// types.</summary>
    public virtual IEnumerable<ITypeSymbol> AcceptedTypes() => Enumerable.Empty<ITypeSymbol>();

    public abstract string Describe();

    public static TypePredicate IsType(ITypeSymbol type, bool exactly = false) => new TypeTest(type, exactly);

    public static TypePredicate Call(IMethodSymbol filter) => new FilterCall(filter.OriginalDefinition);

    public static TypePredicate Not(TypePredicate operand) => operand switch
    {
        Constant { Value: Truth.True } => False,
        Constant { Value: Truth.False } => True,
        Constant => Maybe,
        Negation negation => negation.Operand,
        _ => new Negation(operand),
    };

    public static TypePredicate And(TypePredicate left, TypePredicate right) => (left, right) switch
    {
        (Constant { Value: Truth.False }, _) or (_, Constant { Value: Truth.False }) => False,
        (Constant { Value: Truth.True }, _) => right,
        (_, Constant { Value: Truth.True }) => left,
        _ => new Combination(left, right, isAnd: true),
    };

    public static TypePredicate Or(TypePredicate left, TypePredicate right) => (left, right) switch
    {
        (Constant { Value: Truth.True }, _) or (_, Constant { Value: Truth.True }) => True,
        (Constant { Value: Truth.False }, _) => right,
        (_, Constant { Value: Truth.False }) => left,
        _ => new Combination(left, right, isAnd: false),
    };

    private sealed class Constant(Truth value) : TypePredicate
    {
        public Truth Value { get; } = value;

        public override Truth Evaluate(ITypeSymbol thrown, bool exact, Func<IMethodSymbol, TypePredicate?> filterOf,
            int depth) => Value;

        public override string Describe() => Value switch
        {
            Truth.True => "every type",
            Truth.False => "no type",
            _ => "some exceptions",
        };
    }

    private sealed class TypeTest(ITypeSymbol type, bool exactly) : TypePredicate
    {
        private readonly ITypeSymbol _type = type;
        private readonly bool _exactly = exactly;

        public override Truth Evaluate(ITypeSymbol thrown, bool exact, Func<IMethodSymbol, TypePredicate?> filterOf,
            int depth)
        {
            if (_exactly ? Same(thrown.OriginalDefinition, _type.OriginalDefinition) : DerivesFrom(thrown, _type))
            {
                return _exactly && !exact ? Truth.Maybe : Truth.True;
            }

            // Only the static type is known: at run time it may be the tested type or below it.
            if (!exact
                && (DerivesFrom(_type, thrown) || _type.TypeKind == TypeKind.Interface
                    || thrown.TypeKind == TypeKind.TypeParameter))
            {
                return Truth.Maybe;
            }

            return _type.TypeKind == TypeKind.Interface && thrown is INamedTypeSymbol named && !named.IsSealed
                ? Truth.Maybe : Truth.False;
        }

        public override IEnumerable<ITypeSymbol> AcceptedTypes() => new[] { _type };

        public override string Describe() => (_exactly ? "exactly " : string.Empty) + $"'{_type.ToDisplayString()}'";
    }

    private sealed class Negation(TypePredicate operand) : TypePredicate
    {
        public TypePredicate Operand { get; } = operand;

        public override Truth Evaluate(ITypeSymbol thrown, bool exact, Func<IMethodSymbol, TypePredicate?> filterOf,
            int depth) =>
            Operand.Evaluate(thrown, exact, filterOf, depth) switch
            {
                Truth.True => Truth.False,
                Truth.False => Truth.True,
                _ => Truth.Maybe,
            };

        public override string Describe() => "any type but " + Operand.Describe();
    }

    private sealed class Combination(TypePredicate left, TypePredicate right, bool isAnd) : TypePredicate
    {
        private readonly TypePredicate _left = left;
        private readonly TypePredicate _right = right;
        private readonly bool _isAnd = isAnd;

        public override Truth Evaluate(ITypeSymbol thrown, bool exact, Func<IMethodSymbol, TypePredicate?> filterOf,
            int depth)
        {
            var left = _left.Evaluate(thrown, exact, filterOf, depth);
            if (_isAnd ? left == Truth.False : left == Truth.True)
            {
                return left;
            }

            var right = _right.Evaluate(thrown, exact, filterOf, depth);
            return _isAnd ? (Truth)Math.Min((int)left, (int)right) : (Truth)Math.Max((int)left, (int)right);
        }

        public override IEnumerable<ITypeSymbol> AcceptedTypes() =>
            _isAnd ? Described().AcceptedTypes() : _left.AcceptedTypes().Concat(_right.AcceptedTypes());

        public override string Describe()
        {
            if (!_isAnd)
            {
                return $"{_left.Describe()}, {_right.Describe()}";
            }

            if (_right is Negation negation)
            {
                // Name only the exclusions that matter: types below an accepted one.
                var accepted = _left.AcceptedTypes().ToList();
                var excluded = negation.Operand.AcceptedTypes().Where(t => accepted.Any(a => DerivesFrom(t, a)))
                    .ToList();
                return excluded.Count == 0 ? _left.Describe()
                    : $"{_left.Describe()} except "
                        + string.Join(", ", excluded.Select(t => $"'{t.ToDisplayString()}'"));
            }

            return Described().Describe();
        }

        /// <summary>The side of a conjunction that says more: the narrower types, else the left.</summary>
        private TypePredicate Described()
        {
            if (_left is Negation)
            {
                return _right;
            }

            var left = _left.AcceptedTypes().ToList();
            var right = _right.AcceptedTypes().ToList();
            return right.Count > 0 && (left.Count == 0 || right.All(r => left.Any(l => DerivesFrom(r, l)))) ? _right
                : _left;
        }
    }

    private sealed class FilterCall(IMethodSymbol filter) : TypePredicate
    {
        private readonly IMethodSymbol _filter = filter;

        public override Truth Evaluate(ITypeSymbol thrown, bool exact, Func<IMethodSymbol, TypePredicate?> filterOf,
            int depth) =>
            depth < TracedCodeAnalyzer.MaxDepth && filterOf(_filter) is { } predicate
                ? predicate.Evaluate(thrown, exact, filterOf, depth + 1) : Truth.Maybe;

        public override string Describe() => $"what '{_filter.Name}' accepts";
    }
}
