using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

/// <summary>A place that decides from an exception's type whether a failure is logged, and the condition it applies.</summary>
internal sealed record FailureFilter(Location Location, TypePredicate Accepts);

/// <summary>
/// Every failure filter of the compilation, read once per compilation the first time a throw is
/// checked: methods marked <c>[FailureLoggingPath]</c>, methods with an exception parameter that
/// call a failure logger, and catch clauses that call one. Only source files that name a failure
/// logger method are read, so the table is cheap to build while typing; it is built the first
/// time a root throws (not at compilation start), complete before TLLM2002 is reported for any method. <c>LlmCall.RecordHandledFailure</c>
/// records a handled failure and makes nothing a filter.
/// </summary>
internal sealed class FailureFilters
{
    // Per tree, whether its text names one of a set of methods. Operation blocks build the table
    // concurrently, so an entry is only ever replaced whole (a reference write), never added twice.
    private static readonly ConditionalWeakTable<SyntaxTree, StrongBox<TreeMentions?>> Mentions = new();

    private readonly Compilation _compilation;
    private readonly WellKnownTypes _types;
    private readonly ConcurrentDictionary<IMethodSymbol, TypePredicate?> _predicates = new(SymbolEqualityComparer.Default);

    private FailureFilters(Compilation compilation, WellKnownTypes types)
    {
        _compilation = compilation;
        _types = types;
    }

    public ImmutableArray<FailureFilter> Filters { get; private set; } = ImmutableArray<FailureFilter>.Empty;

    public static FailureFilters Build(Compilation compilation, WellKnownTypes types, IEnumerable<IMethodSymbol> filterMethods, CancellationToken cancellationToken)
    {
        var table = new FailureFilters(compilation, types);
        var names = new SortedSet<string>(System.StringComparer.Ordinal) { "LogFailureAsync" };
        foreach (var method in filterMethods)
        {
            names.Add(method.Name);
        }

        var key = string.Join(",", names);
        var filters = new List<FailureFilter>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (IsGenerated(tree) || !MentionsAny(tree, names, key, cancellationToken))
            {
                continue;
            }

#pragma warning disable RS1030 // Only the few files that name a failure logger are bound, once per compilation: the filter table must be complete before any method is reported.
            var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes())
            {
                switch (node)
                {
                    case CatchClauseSyntax catchSyntax when model.GetOperation(catchSyntax, cancellationToken) is ICatchClauseOperation @catch && table.CallsLogger(@catch.Handler):
                        filters.Add(new FailureFilter(catchSyntax.CatchKeyword.GetLocation(), table.CatchPredicate(@catch)));
                        break;
                    case MethodDeclarationSyntax methodSyntax when model.GetDeclaredSymbol(methodSyntax, cancellationToken) is IMethodSymbol method && table.MethodPredicate(method) is { } predicate:
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

    /// <summary>The filter that rejects <paramref name="thrown"/>, when every filter certainly does; null when one may accept it or there is no filter.</summary>
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

    /// <summary>What a method accepts as a filter: [FailureLoggingPath] methods, and methods with an exception parameter that call a failure logger.</summary>
    private TypePredicate? MethodPredicate(IMethodSymbol method)
    {
        var marked = _types.IsFailureFilterMethod(method);
        var exception = method.Parameters.FirstOrDefault(p => _types.Exception is not null && WellKnownTypes.DerivesFrom(p.Type, _types.Exception));
        if (!marked && exception is null)
        {
            return null;
        }

        var body = Body(method);
        if (body is null || (!marked && !CallsLogger(body)))
        {
            return null;
        }

        return PredicateOf(method);
    }

    /// <summary>
    /// The condition under which a method accepts its exception: a bool method returns true; any
    /// other reaches a failure logger (or, with none, runs on). Reading a body does not read the
    /// filters it calls (they stay <see cref="TypePredicate.Call"/>, evaluated to a bounded depth),
    /// so a cycle needs no guard here, and threads checking throws at the same time all get the
    /// finished predicate.
    /// </summary>
    public TypePredicate? PredicateOf(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        if (_predicates.TryGetValue(method, out var known))
        {
            return known;
        }

        TypePredicate? result = null;
        var exception = method.Parameters.FirstOrDefault(p => _types.Exception is not null && WellKnownTypes.DerivesFrom(p.Type, _types.Exception));
        if (Body(method) is { } body && exception is not null)
        {
            var goal = method.ReturnType.SpecialType == SpecialType.System_Boolean ? FilterGoal.ReturnsTrue
                : CallsLogger(body) ? FilterGoal.ReachesLogger : FilterGoal.RunsOn;
            result = new FilterReader(_types, exception, goal).Read(body);
        }

        return _predicates.GetOrAdd(method, result);
    }

    private TypePredicate CatchPredicate(ICatchClauseOperation @catch)
    {
        var variable = (ISymbol?)@catch.Locals.FirstOrDefault();
        var reader = new FilterReader(_types, variable, FilterGoal.ReachesLogger);
        var caught = @catch.ExceptionType.SpecialType == SpecialType.System_Object || _types.Exception is null ? TypePredicate.True : TypePredicate.IsType(@catch.ExceptionType);
        var when = @catch.Filter is { } filter ? reader.Condition(filter) : TypePredicate.True;
        return TypePredicate.And(caught, TypePredicate.And(when, reader.Read(@catch.Handler)));
    }

    private bool CallsLogger(IOperation operation) =>
        operation.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => _types.IsFailureLoggerCall(i.TargetMethod));

    private IOperation? Body(IMethodSymbol method) => CompilationFacts.Body(_compilation, method);

    private static bool IsGenerated(SyntaxTree tree) =>
        tree.FilePath.EndsWith(".g.cs", System.StringComparison.OrdinalIgnoreCase)
        || tree.FilePath.EndsWith(".generated.cs", System.StringComparison.OrdinalIgnoreCase);

    private static bool MentionsAny(SyntaxTree tree, SortedSet<string> names, string key, CancellationToken cancellationToken)
    {
        // Unchanged trees are shared by the compilations an editor makes while typing: remember the answer.
        var box = Mentions.GetValue(tree, static _ => new StrongBox<TreeMentions?>());
        if (Volatile.Read(ref box.Value) is { } cached && cached.Names == key)
        {
            return cached.Mentions;
        }

        var text = tree.GetText(cancellationToken).ToString();
        var mentions = names.Any(name => text.IndexOf(name, System.StringComparison.Ordinal) >= 0);
        Volatile.Write(ref box.Value, new TreeMentions(key, mentions));
        return mentions;
    }

    /// <summary>Whether a tree's text names one of the methods in <see cref="Names"/> (their names joined).</summary>
    private sealed record TreeMentions(string Names, bool Mentions);
}

internal enum FilterGoal
{
    /// <summary>A bool filter: true means "log this failure".</summary>
    ReturnsTrue,

    /// <summary>The failure is logged when a failure logger is reached.</summary>
    ReachesLogger,

    /// <summary>A marked filter with no logger call: it logs when it runs on instead of returning or throwing.</summary>
    RunsOn,
}

/// <summary>Reads the condition on the exception's type under which a body reaches its goal, statement by statement.</summary>
internal sealed class FilterReader
{
    private readonly WellKnownTypes _types;
    private readonly ISymbol? _exception;
    private readonly FilterGoal _goal;

    public FilterReader(WellKnownTypes types, ISymbol? exception, FilterGoal goal)
    {
        _types = types;
        _exception = exception;
        _goal = goal;
    }

    public TypePredicate Read(IOperation body) => Sequence(new[] { body }, 0, _goal == FilterGoal.RunsOn ? TypePredicate.True : TypePredicate.False, 0);

    private TypePredicate Sequence(IReadOnlyList<IOperation> statements, int index, TypePredicate after, int depth)
    {
        if (index >= statements.Count)
        {
            return after;
        }

        if (depth > 64)
        {
            return TypePredicate.Maybe;
        }

        var statement = statements[index];
        TypePredicate Rest() => Sequence(statements, index + 1, after, depth + 1);
        switch (statement)
        {
            case IBlockOperation block:
                return Sequence(block.Operations, 0, Rest(), depth + 1);
            case IConditionalOperation conditional when conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void:
            {
                var condition = Condition(conditional.Condition);
                var rest = Rest();
                var whenTrue = Sequence(new[] { conditional.WhenTrue }, 0, rest, depth + 1);
                var whenFalse = conditional.WhenFalse is { } otherwise ? Sequence(new[] { otherwise }, 0, rest, depth + 1) : rest;
                return TypePredicate.Or(TypePredicate.And(condition, whenTrue), TypePredicate.And(TypePredicate.Not(condition), whenFalse));
            }

            case ISwitchOperation @switch:
                return Switch(@switch, Rest(), depth);
            case IReturnOperation @return:
                return _goal switch
                {
                    FilterGoal.ReturnsTrue => @return.ReturnedValue is { } value ? Condition(value) : TypePredicate.False,
                    FilterGoal.ReachesLogger => @return.ReturnedValue is { } returned && Reaches(returned) ? TypePredicate.True : TypePredicate.False,
                    _ => TypePredicate.False,
                };
            case IThrowOperation @throw:
                return _goal == FilterGoal.ReachesLogger && @throw.Exception is { } thrown && Reaches(thrown) ? TypePredicate.True : TypePredicate.False;
            case IBranchOperation:
                return after;
            case ITryOperation @try:
                return @try.Finally is { } @finally && Reaches(@finally) ? TypePredicate.True : Sequence(new[] { @try.Body }, 0, Rest(), depth + 1);
            case IUsingOperation @using:
                return Sequence(new[] { @using.Body }, 0, Rest(), depth + 1);
            case ILockOperation @lock:
                return Sequence(new[] { @lock.Body }, 0, Rest(), depth + 1);
            case ILoopOperation loop:
                return Reaches(loop) ? TypePredicate.Or(TypePredicate.Maybe, Rest()) : Rest();
            case ILocalFunctionOperation:
                return Rest();
            default:
                return StatementReaches(statement, Rest);
        }
    }

    private TypePredicate StatementReaches(IOperation statement, System.Func<TypePredicate> rest)
    {
        switch (_goal)
        {
            case FilterGoal.RunsOn:
                return statement.IsImplicit && statement is IReturnOperation ? rest() : TypePredicate.True;
            case FilterGoal.ReachesLogger:
                var calls = statement.DescendantsAndSelf().OfType<IInvocationOperation>().Where(i => _types.IsFailureLoggerCall(i.TargetMethod)).ToList();
                if (calls.Count == 0)
                {
                    return rest();
                }

                // A call of another filter with this exception decides as that filter does; a logger call decides "yes".
                var predicate = TypePredicate.False;
                foreach (var call in calls)
                {
                    predicate = TypePredicate.Or(predicate, _types.IsFailureFilterMethod(call.TargetMethod) && call.Arguments.Any(a => RefersToException(a.Value))
                        ? TypePredicate.Call(call.TargetMethod)
                        : IsConditional(call, statement) ? TypePredicate.Maybe : TypePredicate.True);
                }

                return TypePredicate.Or(predicate, rest());
            default:
                return rest();
        }
    }

    private static bool IsConditional(IOperation call, IOperation statement)
    {
        for (var current = call.Parent; current is not null && current != statement; current = current.Parent)
        {
            if (current is IConditionalOperation or ICoalesceOperation or IConditionalAccessOperation or ISwitchExpressionOperation)
            {
                return true;
            }
        }

        return false;
    }

    private bool Reaches(IOperation operation) => _goal switch
    {
        FilterGoal.ReachesLogger => operation.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => _types.IsFailureLoggerCall(i.TargetMethod)),
        FilterGoal.ReturnsTrue => operation.DescendantsAndSelf().OfType<IReturnOperation>().Any(),
        _ => true,
    };

    private TypePredicate Switch(ISwitchOperation @switch, TypePredicate rest, int depth)
    {
        var onException = RefersToException(@switch.Value);
        var earlier = TypePredicate.False;
        var result = TypePredicate.False;
        var hasDefault = false;
        foreach (var section in @switch.Cases)
        {
            var matches = TypePredicate.False;
            foreach (var clause in section.Clauses)
            {
                matches = TypePredicate.Or(matches, clause switch
                {
                    IDefaultCaseClauseOperation => TypePredicate.True,
                    IPatternCaseClauseOperation pattern when onException => TypePredicate.And(Pattern(pattern.Pattern), pattern.Guard is { } guard ? Condition(guard) : TypePredicate.True),
                    _ => TypePredicate.Maybe,
                });
                hasDefault |= clause is IDefaultCaseClauseOperation;
            }

            var taken = TypePredicate.And(matches, TypePredicate.Not(earlier));
            result = TypePredicate.Or(result, TypePredicate.And(taken, Sequence(section.Body, 0, rest, depth + 1)));
            earlier = TypePredicate.Or(earlier, matches);
        }

        return hasDefault ? result : TypePredicate.Or(result, TypePredicate.And(TypePredicate.Not(earlier), rest));
    }

    /// <summary>A boolean expression as a condition on the exception's type.</summary>
    public TypePredicate Condition(IOperation operation)
    {
        operation = ValueFlow.Unwrap(operation);
        if (operation.ConstantValue is { HasValue: true, Value: bool constant })
        {
            return constant ? TypePredicate.True : TypePredicate.False;
        }

        switch (operation)
        {
            case IIsTypeOperation isType when RefersToException(isType.ValueOperand):
                var test = TypePredicate.IsType(isType.TypeOperand);
                return isType.IsNegated ? TypePredicate.Not(test) : test;
            case IIsPatternOperation isPattern when RefersToException(isPattern.Value):
                return Pattern(isPattern.Pattern);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return TypePredicate.Not(Condition(not.Operand));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.And } and:
                return TypePredicate.And(Condition(and.LeftOperand), Condition(and.RightOperand));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr or BinaryOperatorKind.Or } or:
                return TypePredicate.Or(Condition(or.LeftOperand), Condition(or.RightOperand));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } equality when ExactTypeTest(equality) is { } exact:
                return equality.OperatorKind == BinaryOperatorKind.Equals ? exact : TypePredicate.Not(exact);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                var condition = Condition(conditional.Condition);
                return TypePredicate.Or(TypePredicate.And(condition, Condition(conditional.WhenTrue)), TypePredicate.And(TypePredicate.Not(condition), Condition(whenFalse)));
            case ISwitchExpressionOperation @switch when RefersToException(@switch.Value):
                var earlier = TypePredicate.False;
                var result = TypePredicate.False;
                foreach (var arm in @switch.Arms)
                {
                    var matches = TypePredicate.And(Pattern(arm.Pattern), arm.Guard is { } guard ? Condition(guard) : TypePredicate.True);
                    result = TypePredicate.Or(result, TypePredicate.And(TypePredicate.And(matches, TypePredicate.Not(earlier)), Condition(arm.Value)));
                    earlier = TypePredicate.Or(earlier, matches);
                }

                return result;
            case IInvocationOperation call when call.TargetMethod.ReturnType.SpecialType == SpecialType.System_Boolean
                && call.TargetMethod.Locations.Any(l => l.IsInSource) && call.Arguments.Any(a => RefersToException(a.Value)):
                return TypePredicate.Call(call.TargetMethod);
            default:
                return TypePredicate.Maybe;
        }
    }

    private static TypePredicate Pattern(IPatternOperation pattern) => pattern switch
    {
        ITypePatternOperation type => TypePredicate.IsType(type.MatchedType),
        IDeclarationPatternOperation { MatchedType: { } matched } declaration => declaration.MatchesNull ? TypePredicate.True : TypePredicate.IsType(matched),
        IDeclarationPatternOperation => TypePredicate.True,
        IRecursivePatternOperation recursive => TypePredicate.And(
            recursive.MatchedType is { } matched ? TypePredicate.IsType(matched) : TypePredicate.True,
            recursive.PropertySubpatterns.IsEmpty && recursive.DeconstructionSubpatterns.IsEmpty ? TypePredicate.True : TypePredicate.Maybe),
        INegatedPatternOperation negated => TypePredicate.Not(Pattern(negated.Pattern)),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.And } and => TypePredicate.And(Pattern(and.LeftPattern), Pattern(and.RightPattern)),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or => TypePredicate.Or(Pattern(or.LeftPattern), Pattern(or.RightPattern)),
        IDiscardPatternOperation => TypePredicate.True,
        IConstantPatternOperation constant when constant.Value.ConstantValue is { HasValue: true, Value: null } => TypePredicate.False,
        _ => TypePredicate.Maybe,
    };

    /// <summary><c>e.GetType() == typeof(T)</c>, either way round.</summary>
    private TypePredicate? ExactTypeTest(IBinaryOperation equality)
    {
        ITypeSymbol? Tested(IOperation side, IOperation other) =>
            ValueFlow.Unwrap(side) is IInvocationOperation { TargetMethod.Name: "GetType", Instance: { } instance } && RefersToException(instance)
            && ValueFlow.Unwrap(other) is ITypeOfOperation typeOf ? typeOf.TypeOperand : null;
        var type = Tested(equality.LeftOperand, equality.RightOperand) ?? Tested(equality.RightOperand, equality.LeftOperand);
        return type is null ? null : TypePredicate.IsType(type, exactly: true);
    }

    private bool RefersToException(IOperation operation) => ValueFlow.Unwrap(operation) switch
    {
        ILocalReferenceOperation local => WellKnownTypes.Same(local.Local, _exception),
        IParameterReferenceOperation parameter => WellKnownTypes.Same(parameter.Parameter.OriginalDefinition, _exception?.OriginalDefinition),
        _ => false,
    };
}
