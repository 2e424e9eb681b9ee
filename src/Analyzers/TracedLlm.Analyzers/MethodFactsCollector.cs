using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers;

/// <summary>Turns one method's operations into <see cref="MethodFacts"/>; lambdas and local functions count as part of the method.</summary>
internal sealed class MethodFactsCollector
{
    private static readonly HashSet<string> KeyedMethods = new()
    {
        "TryGetValue", "ContainsKey", "Remove", "Add", "TryAdd", "GetValueOrDefault", "GetProperty", "TryGetProperty",
    };

    private readonly WellKnownTypes _types;
    private readonly MethodFacts _facts = new();
    private readonly bool _ownerInAttempt;

    private MethodFactsCollector(WellKnownTypes types, bool ownerInAttempt)
    {
        _types = types;
        _ownerInAttempt = ownerInAttempt;
    }

    public static MethodFacts Collect(WellKnownTypes types, IMethodSymbol owner, ImmutableArray<IOperation> blocks)
    {
        // A method handed an LlmAttempt, or one that starts its own, runs inside an attempt scope.
        var ownerInAttempt = owner.Parameters.Any(p => SymbolEqualityComparer.Default.Equals(p.Type, types.LlmAttempt))
            || blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>().Any(i =>
                i.TargetMethod.Name == "StartAttempt" && SymbolEqualityComparer.Default.Equals(i.TargetMethod.ContainingType, types.LlmCall));
        var collector = new MethodFactsCollector(types, ownerInAttempt);
        foreach (var block in blocks)
        {
            collector.Visit(block);
        }

        if (types.IsFailureFilterMethod(owner))
        {
            var tested = blocks.SelectMany(collector.TypeTests).Distinct<ITypeSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();
            var location = owner.Locations.FirstOrDefault() ?? Location.None;
            collector._facts.Filters.Add(new FailureFilter(location, tested.IsEmpty && types.Exception is not null ? ImmutableArray.Create<ITypeSymbol>(types.Exception) : tested));
        }

        return collector._facts;
    }

    private void Visit(IOperation root)
    {
        foreach (var operation in root.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    AddCall(invocation.TargetMethod, invocation);
                    CheckUpstreamCall(invocation);
                    CheckKeyedCall(invocation);
                    CheckSpanStart(invocation, root);
                    break;
                case IPropertyReferenceOperation property:
                    AddCall(property.Property.GetMethod, property);
                    AddCall(property.Property.SetMethod, property);
                    CheckIndexer(property);
                    break;
                case IObjectCreationOperation creation:
                    AddCall(creation.Constructor, creation);
                    break;
                case IMethodReferenceOperation reference:
                    AddCall(reference.Method, reference);
                    break;
                case IThrowOperation { Exception: { } thrown } @throw:
                    if (Unwrap(thrown).Type is { } type)
                    {
                        _facts.Throws.Add(new ThrowSite(type, @throw.Syntax.GetLocation()));
                    }

                    break;
                case ICatchClauseOperation @catch:
                    CheckCatch(@catch);
                    break;
                case IConditionalOperation conditional when conditional.WhenTrue is not null && ReportsFailure(conditional.WhenTrue):
                    AddFilter(conditional.Syntax.GetLocation(), TypeTests(conditional.Condition));
                    break;
                case ISwitchCaseOperation switchCase when switchCase.Body.Any(ReportsFailure):
                    AddFilter(switchCase.Syntax.GetLocation(), switchCase.Clauses.OfType<IPatternCaseClauseOperation>().SelectMany(c => PatternTypes(c.Pattern)));
                    break;
            }
        }
    }

    private void AddCall(IMethodSymbol? method, IOperation site)
    {
        if (method is null)
        {
            return;
        }

        method = (method.ReducedFrom ?? method).OriginalDefinition;
        _facts.Calls.Add(method);
        if (!InAttemptScope(site))
        {
            _facts.UnscopedCalls.Add(method);
        }
    }

    // ---- TLLM2006: upstream calls and attempt scopes ----

    private void CheckUpstreamCall(IInvocationOperation invocation)
    {
        if (_types.UpstreamCall(invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod) is { } call && !InAttemptScope(invocation))
        {
            _facts.UnscopedUpstreamCalls.Add(new UpstreamCallSite(call, invocation.Syntax.GetLocation()));
        }
    }

    /// <summary>Inside a method with an attempt, or inside the operation handed to LlmCall.ExecuteAsync / StreamAsync.</summary>
    private bool InAttemptScope(IOperation operation)
    {
        if (_ownerInAttempt)
        {
            return true;
        }

        for (var current = operation; current.Parent is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or IMethodReferenceOperation
                && current.Parent is IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation runner } }
                && _types.RunsAttempts(runner.TargetMethod))
            {
                return true;
            }
        }

        return false;
    }

    // ---- TLLM2001: keys on dictionaries, JSON objects and HttpContext.Items ----

    private void CheckIndexer(IPropertyReferenceOperation property)
    {
        if (property.Property.IsIndexer && property.Arguments.Length == 1 && IsKeyed(property.Property.ContainingType))
        {
            AddKey(property.Arguments[0].Value);
        }
    }

    private void CheckKeyedCall(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (KeyedMethods.Contains(method.Name) && invocation.Arguments.Length > 0 && IsKeyed(method.ContainingType))
        {
            AddKey(invocation.Arguments.First(a => a.Parameter?.Ordinal == 0).Value);
        }
    }

    private bool IsKeyed(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (SymbolEqualityComparer.Default.Equals(type, _types.JsonElement) || (_types.JsonNode is not null && WellKnownTypes.DerivesFrom(type, _types.JsonNode)))
        {
            return true;
        }

        return IsDictionary(type) || type.AllInterfaces.Any(IsDictionary);
    }

    private bool IsDictionary(ITypeSymbol type) =>
        SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _types.Dictionary)
        || SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _types.ReadOnlyDictionary);

    private void AddKey(IOperation key)
    {
        key = Unwrap(key);
        var value = key.ConstantValue;

        // A local holding the key: follow it to its initializer.
        if (!value.HasValue && key is ILocalReferenceOperation local)
        {
            value = LocalInitializer(local.Local, key)?.ConstantValue ?? default;
        }

        if (value.HasValue && value.Value is string text)
        {
            _facts.SlotKeys.Add(new SlotKeyUse(text, key.Syntax.GetLocation()));
        }
    }

    private static IOperation? LocalInitializer(ILocalSymbol local, IOperation use)
    {
        var root = use;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        var declarator = root.DescendantsAndSelf().OfType<IVariableDeclaratorOperation>().FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local));
        return declarator?.Initializer?.Value is { } value ? Unwrap(value) : null;
    }

    // ---- TLLM2002 and TLLM2004: catches, filters, failure reports ----

    private void CheckCatch(ICatchClauseOperation @catch)
    {
        var caught = @catch.ExceptionType;
        if (ReportsFailure(@catch.Handler))
        {
            var accepted = @catch.Filter is { } filter ? TypeTests(filter).ToList() : new List<ITypeSymbol>();
            if (accepted.Count == 0)
            {
                accepted.Add(caught);
            }

            AddFilter(@catch.Syntax.GetLocation(), accepted);
            return;
        }

        if (!@catch.Handler.DescendantsAndSelf().OfType<IThrowOperation>().Any())
        {
            var keyword = @catch.Syntax is CatchClauseSyntax syntax ? syntax.CatchKeyword.GetLocation() : @catch.Syntax.GetLocation();
            // A bare catch (typed as object) swallows any exception.
            var caughtName = caught.SpecialType == SpecialType.System_Object ? "System.Exception" : caught.ToDisplayString();
            _facts.Swallows.Add(new SwallowSite(keyword, caughtName));
        }
    }

    private bool ReportsFailure(IOperation operation) =>
        operation.DescendantsAndSelf().OfType<IInvocationOperation>().Any(i => _types.IsFailureReport(i.TargetMethod));

    private void AddFilter(Location location, IEnumerable<ITypeSymbol> accepted)
    {
        var types = accepted.Where(t => _types.Exception is not null && WellKnownTypes.DerivesFrom(t, _types.Exception)).Distinct<ITypeSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();
        if (!types.IsEmpty)
        {
            _facts.Filters.Add(new FailureFilter(location, types));
        }
    }

    private IEnumerable<ITypeSymbol> TypeTests(IOperation condition) =>
        condition.DescendantsAndSelf().SelectMany(operation => operation switch
        {
            IIsTypeOperation isType when !isType.IsNegated => new[] { isType.TypeOperand },
            IIsPatternOperation isPattern => PatternTypes(isPattern.Pattern),
            _ => Enumerable.Empty<ITypeSymbol>(),
        });

    private static IEnumerable<ITypeSymbol> PatternTypes(IPatternOperation pattern) => pattern switch
    {
        ITypePatternOperation type => new[] { type.MatchedType },
        IDeclarationPatternOperation { MatchedType: { } matched } => new[] { matched },
        IRecursivePatternOperation { MatchedType: { } matched } => new[] { matched },
        IBinaryPatternOperation binary => PatternTypes(binary.LeftPattern).Concat(PatternTypes(binary.RightPattern)),
        _ => Enumerable.Empty<ITypeSymbol>(),
    };

    // ---- TLLM2003: Activity lifecycle and parents ----

    private void CheckSpanStart(IInvocationOperation invocation, IOperation root)
    {
        var method = invocation.TargetMethod;
        var isStart = (method.Name == "StartActivity" && SymbolEqualityComparer.Default.Equals(method.ContainingType, _types.ActivitySource))
            || (method.Name == "Start" && SymbolEqualityComparer.Default.Equals(method.ContainingType, _types.Activity));
        if (!isStart)
        {
            return;
        }

        var location = invocation.Syntax.GetLocation();
        var parentArgument = invocation.Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter?.Type, _types.ActivityContext));
        if (parentArgument is not null && !parentArgument.IsImplicit && IsEmptyContext(parentArgument.Value))
        {
            _facts.SpanProblems.Add(new SpanProblem(location, "This Activity is started with an empty parent context: it becomes the root of a new trace, an orphan; pass the request span's context", "orphan"));
        }
        else if (parentArgument is null or { IsImplicit: true } && ClearsCurrentBefore(root, invocation))
        {
            _facts.SpanProblems.Add(new SpanProblem(location, "This Activity is started after Activity.Current was set to null and without an explicit parent: it becomes an orphan; pass the request span's context", "orphan"));
        }

        var (consumer, value) = Consumer(invocation);
        switch (consumer)
        {
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                if (!IsUsing(declarator) && !IsEndedInFinally(root, declarator.Symbol) && !Escapes(root, declarator.Symbol))
                {
                    _facts.SpanProblems.Add(new SpanProblem(location, $"The Activity in '{declarator.Symbol.Name}' is not ended on every path: declare it with 'using', or Stop or Dispose it in a finally block", "lifecycle"));
                }

                break;
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == value:
                if (!IsEndedInFinally(root, local.Local) && !Escapes(root, local.Local))
                {
                    _facts.SpanProblems.Add(new SpanProblem(location, $"The Activity in '{local.Local.Name}' is not ended on every path: Stop or Dispose it in a finally block", "lifecycle"));
                }

                break;
            case IExpressionStatementOperation:
                _facts.SpanProblems.Add(new SpanProblem(location, "This Activity is started and never ended: keep it in a 'using' variable", "lifecycle"));
                break;

            // Returned, passed on, stored in a field or used in 'using (...)': ended by whoever owns it now.
        }
    }

    private static (IOperation? Consumer, IOperation Value) Consumer(IOperation value)
    {
        var current = value;
        while (current.Parent is IConversionOperation or IParenthesizedOperation or IConditionalAccessOperation
            || (current.Parent is IInvocationOperation fluent && fluent.Instance == current && fluent.Type is not null && fluent.Type.Name == "Activity"))
        {
            current = current.Parent!;
        }

        return (current.Parent, current);
    }

    private bool IsEmptyContext(IOperation value)
    {
        value = Unwrap(value);
        return value is IDefaultValueOperation
            || (value is IObjectCreationOperation creation && creation.Arguments.Length == 0 && SymbolEqualityComparer.Default.Equals(creation.Type, _types.ActivityContext));
    }

    private bool ClearsCurrentBefore(IOperation root, IOperation start) =>
        root.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(assignment =>
            assignment.Syntax.SpanStart < start.Syntax.SpanStart
            && assignment.Target is IPropertyReferenceOperation { Property.Name: "Current" } property
            && SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, _types.Activity)
            && Unwrap(assignment.Value).ConstantValue is { HasValue: true, Value: null });

    private static bool IsUsing(IVariableDeclaratorOperation declarator)
    {
        for (var parent = declarator.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IUsingDeclarationOperation or IUsingOperation)
            {
                return true;
            }

            if (parent is IBlockOperation)
            {
                return false;
            }
        }

        return false;
    }

    private static bool IsEndedInFinally(IOperation root, ILocalSymbol local) =>
        root.DescendantsAndSelf().OfType<ITryOperation>().Any(@try => @try.Finally is { } @finally
            && @finally.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call =>
                call.TargetMethod.Name is "Stop" or "Dispose" && RefersTo(call.Instance, local)));

    private static bool RefersTo(IOperation? instance, ILocalSymbol local)
    {
        if (instance is IConditionalAccessInstanceOperation)
        {
            for (var parent = instance.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IConditionalAccessOperation access)
                {
                    return Unwrap(access.Operation) is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);
                }
            }
        }

        return instance is not null && Unwrap(instance) is ILocalReferenceOperation direct && SymbolEqualityComparer.Default.Equals(direct.Local, local);
    }

    /// <summary>The local is returned, passed as an argument, or stored elsewhere: its owner ends it.</summary>
    private static bool Escapes(IOperation root, ILocalSymbol local)
    {
        foreach (var reference in root.DescendantsAndSelf().OfType<ILocalReferenceOperation>())
        {
            if (!SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            var (consumer, value) = Consumer(reference);
            if (consumer is IReturnOperation or IArgumentOperation
                || (consumer is ISimpleAssignmentOperation assignment && assignment.Value == value && assignment.Target is not ILocalReferenceOperation))
            {
                return true;
            }
        }

        return false;
    }

    private static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } or IParenthesizedOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
        }

        return operation;
    }
}
