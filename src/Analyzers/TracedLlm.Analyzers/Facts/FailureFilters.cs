using System.Runtime.CompilerServices;

namespace TracedLlm.Analyzers.Facts;

/// <summary>A place that decides from an exception's type whether a failure is logged, and its condition.</summary>
internal sealed record FailureFilter(Location Location, TypePredicate Accepts);

/// <summary>Every failure filter of the compilation, read once, the first time a root throws.</summary>
/// <remarks>
/// Methods marked <c>[FailureLoggingPath]</c>, methods with an exception parameter that call a failure logger, and
/// catch clauses that call one. Only files that name a failure logger are read, so it is cheap while typing.
/// </remarks>
internal sealed class FailureFilters(Compilation compilation, WellKnownTypes types)
{
    // Per tree, whether its text names one of a set of methods. Operation blocks build the table
    // concurrently, so an entry is only ever replaced whole (a reference write), never added twice.
    private static readonly ConditionalWeakTable<SyntaxTree, StrongBox<TreeMentions?>> Mentions = new();

    private readonly Compilation _compilation = compilation;
    private readonly WellKnownTypes _types = types;
    private readonly ConcurrentDictionary<IMethodSymbol, TypePredicate?> _predicates = new(
        SymbolEqualityComparer.Default);

    public ImmutableArray<FailureFilter> Filters { get; private set; } = ImmutableArray<FailureFilter>.Empty;

    public static FailureFilters Build(Compilation compilation, WellKnownTypes types,
        IEnumerable<IMethodSymbol> filterMethods, CancellationToken cancellationToken)
    {
        var table = new FailureFilters(compilation, types);
        var names = new SortedSet<string>(filterMethods.Select(m => m.Name).Append("LogFailureAsync"),
            StringComparer.Ordinal);

        var key = string.Join(",", names);
        var filters = new List<FailureFilter>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (GeneratedFiles.Is(tree) || !MentionsAny(tree, names, key, cancellationToken))
            {
                continue;
            }

#pragma warning disable RS1030 // Only the files that name a failure logger are bound, once per compilation.
            var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes())
            {
                switch (node)
                {
                    case CatchClauseSyntax catchSyntax
                        when model.GetOperation(catchSyntax, cancellationToken) is ICatchClauseOperation @catch
                            && table.CallsLogger(@catch.Handler):
                        filters.Add(
                            new FailureFilter(catchSyntax.CatchKeyword.GetLocation(), table.CatchPredicate(@catch)));
                        break;
                    case MethodDeclarationSyntax methodSyntax
                        when model.GetDeclaredSymbol(methodSyntax, cancellationToken) is IMethodSymbol method
                            && table.MethodPredicate(method) is { } predicate:
                        filters.Add(new FailureFilter(methodSyntax.Identifier.GetLocation(), predicate));
                        break;
                }
            }
        }

        filters.Sort((a, b) => a.Location.SourceTree == b.Location.SourceTree
            ? a.Location.SourceSpan.Start.CompareTo(b.Location.SourceSpan.Start)
            : string.CompareOrdinal(a.Location.SourceTree?.FilePath, b.Location.SourceTree?.FilePath));
        table.Filters = filters.ToImmutableArray();
        return table;
    }

    /// <summary>The filter that rejects <paramref name="thrown"/> when every filter certainly does, or null.</summary>
    public FailureFilter? Rejecting(ThrowSite thrown)
    {
        FailureFilter? first = null;
        foreach (var filter in Filters)
        {
            if (filter.Accepts.Evaluate(thrown.Type, thrown.Exact, PredicateOf, 0) != Truth.False)
            {
                return null;
            }

            first ??= filter;
        }

        return first;
    }

    /// <summary>What a method accepts as a filter: [FailureLoggingPath], or an exception parameter and a logger
    /// call.</summary>
    private TypePredicate? MethodPredicate(IMethodSymbol method)
    {
        var marked = _types.IsFailureFilterMethod(method);
        var exception = method.Parameters.FirstOrDefault(p =>
            _types.Exception is not null && DerivesFrom(p.Type, _types.Exception));
        return (!marked && exception is null) || Body(method) is not { } body || (!marked && !CallsLogger(body))
            ? null : PredicateOf(method);
    }

    /// <summary>The condition under which a method accepts its exception.</summary>
    /// <remarks>A bool method returns true; any other reaches a failure logger. The filters it calls stay
    /// <see cref="TypePredicate.Call"/>, so a cycle needs no guard.</remarks>
    public TypePredicate? PredicateOf(IMethodSymbol method) => _predicates.GetOrAdd(method.OriginalDefinition, m =>
        m.Parameters.FirstOrDefault(p => _types.Exception is not null && DerivesFrom(p.Type, _types.Exception))
            is { } exception && Body(m) is { } body
            ? new FilterReader(_types, exception, m.ReturnType.SpecialType == SpecialType.System_Boolean
                ? FilterGoal.ReturnsTrue : CallsLogger(body) ? FilterGoal.ReachesLogger : FilterGoal.RunsOn).Read(body)
            : null);

    private TypePredicate CatchPredicate(ICatchClauseOperation @catch)
    {
        var variable = (ISymbol?)@catch.Locals.FirstOrDefault();
        var reader = new FilterReader(_types, variable, FilterGoal.ReachesLogger);
        var caught = @catch.ExceptionType.SpecialType == SpecialType.System_Object || _types.Exception is null
                ? TypePredicate.True : TypePredicate.IsType(@catch.ExceptionType);
        var when = @catch.Filter is { } filter ? reader.Condition(filter) : TypePredicate.True;
        return TypePredicate.And(caught, TypePredicate.And(when, reader.Read(@catch.Handler)));
    }

    private bool CallsLogger(IOperation operation) => operation.DescendantsAndSelf().OfType<IInvocationOperation>()
            .Any(i => _types.IsFailureLoggerCall(i.TargetMethod));

    private IOperation? Body(IMethodSymbol method) => CompilationFacts.Body(_compilation, method);

    private static bool MentionsAny(SyntaxTree tree, SortedSet<string> names, string key,
        CancellationToken cancellationToken)
    {
        // Unchanged trees are shared by the compilations an editor makes while typing: remember the answer.
        var box = Mentions.GetValue(tree, static _ => new StrongBox<TreeMentions?>());
        if (Volatile.Read(ref box.Value) is { } cached && cached.Names == key)
        {
            return cached.Mentions;
        }

        var text = tree.GetText(cancellationToken).ToString();
        var mentions = names.Any(name => text.IndexOf(name, StringComparison.Ordinal) >= 0);
        Volatile.Write(ref box.Value, new TreeMentions(key, mentions));
        return mentions;
    }

    /// <summary>Whether a tree's text names one of the methods in <see cref="Names"/> (their names joined).</summary>
    private sealed record TreeMentions(string Names, bool Mentions);
}
