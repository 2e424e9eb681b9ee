namespace TracedLlm.Analyzers.Facts;

/// <summary>The values a string expression of one operation block may have.</summary>
/// <remarks>
/// Constants, interpolations and concatenations of known parts, conditionals and switches are computed here; a local
/// takes the values of its writes (of several constants, those Roslyn's value-content analysis says reach the use);
/// parameters, fields, properties and calls become references the call graph resolves at the end of the compilation.
/// <c>reaching</c>: what value-content analysis says a local's use may see (null where there is none).
/// </remarks>
internal sealed partial class ValueFlow(
    WellKnownTypes types, ISymbol owner, ImmutableArray<IOperation> blocks,
    Func<IOperation, (ImmutableHashSet<string> Literals, bool Other)?>? reaching,
    Func<IMethodSymbol, IOperation?>? bodyOf = null)
{
    private const int MaxValues = 8;
    private const int MaxNesting = 12;

    private readonly WellKnownTypes _types = types;
    private readonly ISymbol _owner = owner;
    private readonly ImmutableArray<IOperation> _blocks = blocks;
    private readonly Func<IOperation, (ImmutableHashSet<string> Literals, bool Other)?>? _reaching = reaching;
    private readonly Func<IMethodSymbol, IOperation?>? _bodyOf = bodyOf;
    private Dictionary<ILocalSymbol, List<IOperation?>>? _writes;
    private Dictionary<IMethodSymbol, IOperation?>? _localFunctions;

    public ImmutableArray<KeyValue> Values(IOperation operation) => Cap(ValuesOf(operation, 0));

    private IEnumerable<IOperation> Operations => _blocks.SelectMany(b => b.DescendantsAndSelf());

    /// <summary>The values a lambda or local function returns.</summary>
    public ImmutableArray<KeyValue> Returns(IOperation body) => Cap(ReturnsOf(body, 0));

    /// <summary>The operations <paramref name="operation"/> is in, innermost first.</summary>
    public static IEnumerable<IOperation> Ancestors(IOperation operation) =>
        Lists.Chain(operation.Parent, parent => parent.Parent);

    /// <summary>Each step up the tree from <paramref name="operation"/> to <paramref name="root"/> (or the top): the
    /// operation left and its parent.</summary>
    public static IEnumerable<(IOperation Child, IOperation Parent)> Steps(IOperation operation,
        IOperation? root = null)
    {
        for (var current = operation; current != root && current.Parent is { } parent; current = parent)
        {
            yield return (current, parent);
        }
    }

    /// <summary>The operations <paramref name="operation"/> is in, innermost first, within its lambda or local
    /// function.</summary>
    public static IEnumerable<IOperation> AncestorsInFunction(IOperation operation) =>
        Ancestors(operation)
            .TakeWhile(current => current is not (IAnonymousFunctionOperation or ILocalFunctionOperation));

    /// <summary>The outermost operation of the tree <paramref name="operation"/> is in.</summary>
    public static IOperation Root(IOperation operation) => Ancestors(operation).LastOrDefault() ?? operation;

    /// <summary>The value as what holds it sees it: through conversions, parentheses, a delegate's creation.</summary>
    public static IOperation Outer(IOperation value) =>
        value.Parent is IConversionOperation or IParenthesizedOperation or IDelegateCreationOperation
            ? Outer(value.Parent) : value;

    /// <summary>The value under the conversions and parentheses around it.</summary>
    public static IOperation Unwrap(IOperation operation) => operation switch
    {
        IConversionOperation conversion => Unwrap(conversion.Operand),
        IParenthesizedOperation parenthesized => Unwrap(parenthesized.Operand),
        _ => operation,
    };

    private static ImmutableArray<KeyValue> Cap(IEnumerable<KeyValue> values)
    {
        var distinct = values.Distinct().ToList();
        return distinct.Count > MaxValues * 4 ? ImmutableArray.Create(KeyValue.Unknown) : distinct.ToImmutableArray();
    }

    private IEnumerable<KeyValue> ValuesOf(IOperation operation, int nesting)
    {
        if (nesting > MaxNesting)
        {
            return new[] { KeyValue.Unknown };
        }

        operation = Unwrap(operation);
        if (operation.ConstantValue.HasValue)
        {
            return operation.ConstantValue.Value switch
            {
                string text => new[] { KeyValue.Of(text) },
                null => Array.Empty<KeyValue>(),
                _ => new[] { KeyValue.Unknown },
            };
        }

        return operation switch
        {
            IUtf8StringOperation utf8 => new[] { KeyValue.Of(utf8.Value) },
            IInterpolatedStringOperation interpolated => Concatenate(interpolated.Parts.Select(part => part switch
                    {
                        IInterpolatedStringTextOperation text => ValuesOf(text.Text, nesting + 1),
                        IInterpolationOperation { Alignment: null, FormatString: null } hole => ValuesOf(
                            hole.Expression, nesting + 1),
                        _ => new[] { KeyValue.Unknown },
                    })),
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } add
                when add.Type?.SpecialType == SpecialType.System_String => Concatenate(
                new[] { ValuesOf(add.LeftOperand, nesting + 1), ValuesOf(add.RightOperand, nesting + 1) }),
            IConditionalOperation { WhenFalse: { } whenFalse } conditional =>
                BranchValues(conditional.WhenTrue, nesting).Concat(BranchValues(whenFalse, nesting)),
            ICoalesceOperation coalesce => ValuesOf(coalesce.Value, nesting + 1)
                .Concat(BranchValues(coalesce.WhenNull, nesting)),
            ISwitchExpressionOperation @switch => @switch.Arms.SelectMany(arm => BranchValues(arm.Value, nesting))
                .ToList(),
            ILocalReferenceOperation local => LocalValues(local, nesting),
            // Awaiting a call of an async method gives what the method returns.
            IAwaitOperation { Operation: var awaited }
                when Unwrap(awaited) is IInvocationOperation { TargetMethod.IsAsync: true } call =>
                InvocationValues(call, nesting),
            // Only met as the write of a local given as an out or ref argument (see Writes).
            IArgumentOperation argument => ArgumentWrites(argument, nesting),
            // Only met as the write of a pattern's variable (see Writes): the value tested, when it matched.
            IDeclarationPatternOperation pattern => TestedValue(pattern) is { } tested ? ValuesOf(tested, nesting + 1)
                : new[] { KeyValue.Unknown },
            // The method's own parameter, or a primary constructor's captured by a member: the caller's argument.
            IParameterReferenceOperation parameter => new[]
                {
                Same(parameter.Parameter.ContainingSymbol, _owner)
                || IsCapturedPrimaryConstructorParameter(parameter.Parameter)
                    ? new KeyValue(KeyValueKind.Parameter, null, parameter.Parameter.OriginalDefinition)
                    : KeyValue.Unknown,
                },
            // The encoded name's text: what Encode was given (a name the encoder leaves as it is).
            IPropertyReferenceOperation
            {
                Property.Name: "EncodedUtf8Bytes" or "Value", Instance: { } encoded
            } bytes when Same(bytes.Property.ContainingType, _types.JsonEncodedText) => ValuesOf(encoded, nesting + 1),
            // Only met as the write of a loop's variable (see Writes): what the iterator it walks yields.
            IForEachLoopOperation loop => YieldedValues(loop, nesting),
            IPropertyReferenceOperation { Property.IsIndexer: true } indexer
                when InitializedElements(indexer.Instance) is { } elements => elements
                .SelectMany(e => ValuesOf(e, nesting + 1)).ToList(),
            IArrayElementReferenceOperation element when InitializedElements(element.ArrayReference) is { } elements =>
                elements.SelectMany(e => ValuesOf(e, nesting + 1)).ToList(),
            // default(T), default: null or a value that is not a string, so never a key that names a slot.
            IDefaultValueOperation => Array.Empty<KeyValue>(),
            IFieldReferenceOperation { Field.ContainingType.IsTupleType: true } element
                when TupleElement(element) is { } item => ValuesOf(item, nesting + 1),
            IFieldReferenceOperation field when IsInSource(field.Field) => new[]
            {
                new KeyValue(KeyValueKind.Member, null, field.Field.OriginalDefinition)
            },
            IPropertyReferenceOperation { Property.IsIndexer: false } property when IsInSource(property.Property) =>
                ObjectPropertyValues(property, nesting)
                    ?? new[] { new KeyValue(KeyValueKind.Member, null, property.Property.OriginalDefinition) },
            IInvocationOperation invocation => InvocationValues(invocation, nesting),
            _ => new[] { KeyValue.Unknown },
        };
    }

    /// <summary>The values of a branch of a conditional, a coalescence or a switch expression: a throw gives
    /// none.</summary>
    private IEnumerable<KeyValue> BranchValues(IOperation branch, int nesting) =>
        Unwrap(branch) is IThrowOperation ? Array.Empty<KeyValue>() : ValuesOf(branch, nesting + 1);

    /// <summary>The value a declaration pattern tests, which its variable holds when it matches.</summary>
    private static IOperation? TestedValue(IDeclarationPatternOperation pattern) => pattern.Parent switch
        {
            IIsPatternOperation test => test.Value,
            ISwitchExpressionArmOperation { Parent: ISwitchExpressionOperation @switch } => @switch.Value,
            IPatternCaseClauseOperation { Parent: ISwitchCaseOperation { Parent: ISwitchOperation @switch } } =>
                @switch.Value,
            _ => null,
        };

    private static IEnumerable<KeyValue> Concatenate(IEnumerable<IEnumerable<KeyValue>> parts)
    {
        var lists = parts.Select(part => part.ToList()).ToList();
        if (lists.Any(values =>
                values.Count == 0 || values.Any(v => v.Kind is KeyValueKind.Unknown or KeyValueKind.Parameter)))
        {
            return new[] { KeyValue.Unknown };
        }

        if (lists.Any(values => values.Any(v => v.Kind != KeyValueKind.Constant)))
        {
            // A part is a field, a property or a call: joined once each part is resolved.
            return new[] { KeyValue.Joined(lists.Select(values => values.ToImmutableArray()).ToImmutableArray()) };
        }

        return Join(lists.Select(values => values.Select(v => v.Constant!))) is { } joined
            ? joined.Select(KeyValue.Of).ToList()
            : new[] { KeyValue.Unknown };
    }

    /// <summary>Every way of joining the parts' strings, one from each part in order; null past
    /// <see cref="MaxValues"/>.</summary>
    public static List<string>? Join(IEnumerable<IEnumerable<string>> parts)
    {
        var results = new List<string> { string.Empty };
        foreach (var part in parts)
        {
            results = results.SelectMany(prefix => part.Select(value => prefix + value)).Distinct().ToList();
            if (results.Count > MaxValues)
            {
                return null;
            }
        }

        return results;
    }

    private static bool IsInSource(ISymbol symbol) => symbol.Locations.Any(l => l.IsInSource);
}
