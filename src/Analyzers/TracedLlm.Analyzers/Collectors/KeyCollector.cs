namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2001's facts: string keys read or written on a metadata bag, and where their values come
/// from.</summary>
/// <remarks>
/// Keys through indexers and methods (<c>TryAdd</c>, <c>GetValueOrDefault</c>...); arguments that carry a possible key
/// into a source method; the values methods return and initializers hold.
/// </remarks>
internal sealed class KeyCollector : IFactCollector
{
    // The key parameter of a keyed member, by the name the BCL gives it.
    private static readonly ImmutableHashSet<string> KeyParameterNames = ImmutableHashSet.Create(
        StringComparer.Ordinal, "key", "propertyName", "utf8PropertyName", "text", "utf8Text");

    public void Visit(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case IPropertyReferenceOperation { Property.IsIndexer: true } indexer
                when scope.Types.IsKeyedBag(indexer.Instance?.Type) && !IsOwnBag(indexer.Instance, scope):
                if (indexer.Arguments.FirstOrDefault(a => a.Parameter is { } p && KeyParameterNames.Contains(p.Name)) is
                    { } indexKey)
                {
                    AddKey(indexKey.Value, scope);
                }

                break;
            case IInvocationOperation invocation:
                VisitInvocation(invocation, scope);
                break;
            case IObjectCreationOperation { Constructor: { } constructor } creation
                when constructor.Locations.Any(l => l.IsInSource):
                // A constructor's parameter may be a key in a member (a primary constructor's parameter it captures).
                AddArguments(constructor, creation.Arguments, scope);
                break;
            case IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true } field } reference
                when scope.Owner is IMethodSymbol { MethodKind: MethodKind.StaticConstructor } constructor
                    && Same(field.ContainingType, constructor.ContainingType):
                // A static readonly field is written only by its initializer and static constructor: keep this one's.
                if (reference.Parent is ISimpleAssignmentOperation { IsRef: false } assignment
                    && assignment.Target == reference)
                {
                    scope.Facts.FieldWrites.Add(
                        (field.OriginalDefinition, Relevant(scope.Flow.Values(assignment.Value), scope)));
                }
                else if (ValueFlow.IsWritten(reference))
                {
                    scope.Facts.FieldWrites.Add((field.OriginalDefinition, ImmutableArray.Create(KeyValue.Unknown)));
                }

                break;
            case IReturnOperation { ReturnedValue: { } returned } @return when IsOwnReturn(@return, scope):
                AddValues(scope.Facts.Values, returned, scope);
                break;
            case IFieldInitializerOperation or IPropertyInitializerOperation:
                var value = ((ISymbolInitializerOperation)operation).Value;
                if (ValueFlow.Unwrap(value)
                    is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
                {
                    scope.Facts.DelegateReturns.AddRange(Relevant(scope.Flow.Returns(lambda.Body), scope));
                }
                else
                {
                    AddValues(scope.Facts.Values, value, scope);
                }

                break;
        }
    }

    private static void VisitInvocation(IInvocationOperation invocation, MethodScope scope)
    {
        var method = invocation.TargetMethod;
        var receiver = MethodScope.Receiver(invocation);
        if (scope.Types.IsKeyedBag(receiver?.Type) && !IsOwnBag(receiver, scope))
        {
            var key = invocation.Arguments.FirstOrDefault(a => a.Parameter is { } p
                && (!method.IsExtensionMethod || p.Ordinal > 0) && KeyParameterNames.Contains(p.Name));
            if (key is not null)
            {
                AddKey(key.Value, scope);
                return;
            }
        }

        // A source method's parameter may be a key inside it: keep what the arguments may be.
        if (method.Locations.Any(l => l.IsInSource) || method.IsAbstract || method.IsVirtual)
        {
            AddArguments(method, invocation.Arguments, scope);
        }
    }

    private static void AddArguments(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments,
        MethodScope scope)
    {
        foreach (var argument in arguments)
        {
            if (argument.Parameter is not { } parameter)
            {
                continue;
            }

            if (argument.ArgumentKind != ArgumentKind.DefaultValue)
            {
                var values = scope.Flow.Values(argument.Value);
                if (Matters(values, scope))
                {
                    scope.Facts.Arguments.Add(new ArgumentFlow(method.OriginalDefinition, parameter.Ordinal, values,
                            argument.Value.Syntax.GetLocation()));
                }
            }
            else if (parameter is { HasExplicitDefaultValue: true, ExplicitDefaultValue: string constant }
                && DefaultValueSyntax(parameter) is { } written
                && Matters(ImmutableArray.Create(KeyValue.Of(constant)), scope))
            {
                // Left out: the parameter's default, reported at the default for the routes reaching this call.
                scope.Facts.Arguments.Add(new ArgumentFlow(method.OriginalDefinition, parameter.Ordinal,
                        ImmutableArray.Create(KeyValue.Of(constant)), written.GetLocation(), Omitted: true));
            }
        }
    }

    /// <summary>The value written as a parameter's default (<c>string key = "metadata"</c>), in source.</summary>
    private static ExpressionSyntax? DefaultValueSyntax(IParameterSymbol parameter) =>
        parameter.DeclaringSyntaxReferences.Length == 1
        && parameter.DeclaringSyntaxReferences[0].GetSyntax() is ParameterSyntax { Default.Value: { } value } ? value
            : null;

    private static void AddKey(IOperation key, MethodScope scope)
    {
        var values = KeyContent.Values(key, scope);
        if (Matters(values, scope))
        {
            scope.Facts.Keys.Add(new KeyUse(values, key.Syntax.GetLocation(), Guard(key, scope)));
        }
    }

    private static void AddValues(List<KeyValue> target, IOperation value, MethodScope scope)
    {
        if (value.Type is { SpecialType: SpecialType.System_String } || value.Type?.TypeKind == TypeKind.Struct
            || value.Type?.SpecialType == SpecialType.System_Object)
        {
            target.AddRange(Relevant(scope.Flow.Values(value), scope));
        }
    }

    /// <summary>A bag the method made itself (an upstream body, a JSON writer): not the request's metadata.</summary>
    /// <remarks>Inside an object or collection initializer, the bag is the object being made.</remarks>
    private static bool IsOwnBag(IOperation? bag, MethodScope scope) => bag is not null && scope.Flow.IsOwnObject(
        bag is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver }
        && ValueFlow.Ancestors(bag).OfType<IObjectCreationOperation>().FirstOrDefault() is { } creation ? creation
            : bag);

    /// <summary>The branches on the route's own slot (<c>TracedRouteInfo.MetadataSlot</c>) the key is inside.</summary>
    private static SlotGuard Guard(IOperation key, MethodScope scope)
    {
        ImmutableHashSet<string>? only = null;
        var except = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
        foreach (var (current, parent) in ValueFlow.Steps(key))
        {
            switch (parent)
            {
                case IConditionalOperation conditional when current != conditional.Condition
                    && SlotTest(conditional.Condition, scope) is (var slot, var equal):
                    var inTrue = current == conditional.WhenTrue;
                    (only, except) = equal == inTrue ? (Narrow(only, slot), except) : (only, except.Add(slot));
                    break;
                case ISwitchExpressionArmOperation
                {
                    Pattern: IConstantPatternOperation
                    {
                        Value.ConstantValue: { HasValue: true, Value: string armSlot }
                    }
                } arm
                    when current == arm.Value && arm.Parent is ISwitchExpressionOperation @switch
                        && IsRouteSlot(@switch.Value, scope):
                    only = Narrow(only, armSlot);
                    break;
            }
        }

        return only is null && except.IsEmpty ? SlotGuard.None : new SlotGuard(only, except);
    }

    private static ImmutableHashSet<string> Narrow(ImmutableHashSet<string>? only, string slot) =>
        only is null ? ImmutableHashSet.Create(StringComparer.Ordinal, slot) : only.Intersect(new[] { slot });

    /// <summary><c>slot == "x"</c>, <c>slot is "x"</c> on the route's slot: the constant, and whether
    /// equality.</summary>
    private static (string Slot, bool Equal)? SlotTest(IOperation condition, MethodScope scope)
    {
        condition = ValueFlow.Unwrap(condition);
        switch (condition)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
                var constant = binary.RightOperand.ConstantValue is { HasValue: true, Value: string right }
                    && IsRouteSlot(binary.LeftOperand, scope) ? right
                    : binary.LeftOperand.ConstantValue is { HasValue: true, Value: string left }
                    && IsRouteSlot(binary.RightOperand, scope) ? left : null;
                return constant is null ? null : (constant, binary.OperatorKind == BinaryOperatorKind.Equals);
            case IIsPatternOperation { Pattern: var pattern } test when IsRouteSlot(test.Value, scope)
                && (pattern is INegatedPatternOperation { Pattern: var negated } ? negated : pattern)
                    is IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: string tested } }:
                return (tested, pattern is not INegatedPatternOperation);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not
                when SlotTest(not.Operand, scope) is { } inner:
                return (inner.Slot, !inner.Equal);
            default:
                return null;
        }
    }

    private static bool IsRouteSlot(IOperation operation, MethodScope scope) =>
        ValueFlow.Unwrap(operation) is IPropertyReferenceOperation { Property.Name: "MetadataSlot" } property
        && Same(property.Property.ContainingType, scope.Types.TracedRouteInfo);

    /// <summary>Values worth keeping: a slot name, or a reference resolved later.</summary>
    private static bool Matters(ImmutableArray<KeyValue> values, MethodScope scope) => values.Any(v =>
            v.Kind is not (KeyValueKind.Constant or KeyValueKind.Unknown)
            || (v.Kind == KeyValueKind.Constant
                && scope.Compilation.SlotNames(scope.CancellationToken).Contains(v.Constant!)));

    /// <summary>The values a member or method keeps for the keys that read it.</summary>
    /// <remarks>All of them when they matter; else its constants when each is a piece of a slot name
    /// (<c>"_metadata"</c>); else unknown.</remarks>
    private static ImmutableArray<KeyValue> Relevant(ImmutableArray<KeyValue> values, MethodScope scope) =>
        Matters(values, scope)
        || (!values.IsEmpty
            && values.All(v => v.Kind == KeyValueKind.Constant && IsPieceOfASlotName(v.Constant!, scope))) ? values
            : ImmutableArray.Create(KeyValue.Unknown);

    private static bool IsPieceOfASlotName(string constant, MethodScope scope) => constant.Length > 0
        && scope.Compilation.SlotNames(scope.CancellationToken)
            .Any(slot => slot.IndexOf(constant, StringComparison.Ordinal) >= 0);

    // A return of the method itself, not of a lambda or local function in it.
    private static bool IsOwnReturn(IReturnOperation @return, MethodScope scope) =>
        !ValueFlow.InNestedFunction(@return) && scope.Owner is IMethodSymbol;
}
