using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

/// <summary>
/// The values a string expression of one operation block may have. Constants, UTF-8 literals,
/// interpolations and concatenations of known parts, conditionals and switch expressions are
/// computed here; a local takes the values of its writes, and of several constants the ones that
/// reach the use as Roslyn's value-content analysis sees them (so a reassigned local has the value
/// it was last given); parameters, fields, properties and calls become references that the call
/// graph resolves at the end of the compilation.
/// </summary>
internal sealed partial class ValueFlow
{
    private const int MaxValues = 8;
    private const int MaxNesting = 12;

    private readonly WellKnownTypes _types;
    private readonly ISymbol _owner;
    private readonly ImmutableArray<IOperation> _blocks;
    private readonly Func<IOperation, (ImmutableHashSet<string> Literals, bool Other)?>? _reaching;
    private Dictionary<ILocalSymbol, List<IOperation?>>? _writes;
    private Dictionary<IMethodSymbol, IOperation?>? _localFunctions;

    private readonly Func<IMethodSymbol, IOperation?>? _bodyOf;

    // reaching: what value-content analysis says a local's use may see (null where there is none).
    public ValueFlow(WellKnownTypes types, ISymbol owner, ImmutableArray<IOperation> blocks,
        Func<IOperation, (ImmutableHashSet<string> Literals, bool Other)?>? reaching,
        Func<IMethodSymbol, IOperation?>? bodyOf = null)
    {
        _bodyOf = bodyOf;
        _types = types;
        _owner = owner;
        _blocks = blocks;
        _reaching = reaching;
    }

    public ImmutableArray<KeyValue> Values(IOperation operation) => Cap(ValuesOf(operation, 0));

    /// <summary>The values a lambda or local function returns.</summary>
    public ImmutableArray<KeyValue> Returns(IOperation body) => Cap(ReturnsOf(body, 0));

    public static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

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

        switch (operation)
        {
            case IUtf8StringOperation utf8:
                return new[] { KeyValue.Of(utf8.Value) };
            case IInterpolatedStringOperation interpolated:
                return Concatenate(interpolated.Parts.Select(part => part switch
                {
                    IInterpolatedStringTextOperation text => ValuesOf(text.Text, nesting + 1),
                    IInterpolationOperation { Alignment: null, FormatString: null } hole => ValuesOf(hole.Expression, nesting + 1),
                    _ => new[] { KeyValue.Unknown },
                }));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } add when add.Type?.SpecialType == SpecialType.System_String:
                return Concatenate(new[] { ValuesOf(add.LeftOperand, nesting + 1), ValuesOf(add.RightOperand, nesting + 1) });
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return BranchValues(conditional.WhenTrue, nesting).Concat(BranchValues(whenFalse, nesting));
            case ICoalesceOperation coalesce:
                return ValuesOf(coalesce.Value, nesting + 1).Concat(BranchValues(coalesce.WhenNull, nesting));
            case ISwitchExpressionOperation @switch:
                return @switch.Arms.SelectMany(arm => BranchValues(arm.Value, nesting)).ToList();
            case ILocalReferenceOperation local:
                return LocalValues(local, nesting);
            case IAwaitOperation { Operation: var awaited } when Unwrap(awaited) is IInvocationOperation { TargetMethod.IsAsync: true } call:
                // Awaiting a call of an async method gives what the method returns.
                return InvocationValues(call, nesting);
            case IArgumentOperation argument:
                // Only met as the write of a local given as an out or ref argument (see Writes).
                return ArgumentWrites(argument, nesting);
            case IDeclarationPatternOperation pattern:
                // Only met as the write of a pattern's variable (see Writes): the value the pattern tested, when it matched.
                return TestedValue(pattern) is { } tested ? ValuesOf(tested, nesting + 1) : new[] { KeyValue.Unknown };
            case IParameterReferenceOperation parameter:
                // The method's own parameter, or a primary constructor's parameter captured by a member: the caller's argument.
                return new[]
                {
                    WellKnownTypes.Same(parameter.Parameter.ContainingSymbol, _owner) || IsCapturedPrimaryConstructorParameter(parameter.Parameter)
                        ? new KeyValue(KeyValueKind.Parameter, null, parameter.Parameter.OriginalDefinition)
                        : KeyValue.Unknown,
                };
            case IPropertyReferenceOperation { Property.Name: "EncodedUtf8Bytes" or "Value", Instance: { } encoded } bytes when WellKnownTypes.Same(bytes.Property.ContainingType, _types.JsonEncodedText):
                // The encoded name's text: what Encode was given (only names the encoder leaves as they are, see InvocationValues).
                return ValuesOf(encoded, nesting + 1);
            case IForEachLoopOperation loop:
                // Only met as the write of a loop's variable (see Writes): what the iterator it walks yields.
                return YieldedValues(loop, nesting);
            case IPropertyReferenceOperation { Property.IsIndexer: true } indexer when InitializedElements(indexer.Instance) is { } elements:
                return elements.SelectMany(e => ValuesOf(e, nesting + 1)).ToList();
            case IArrayElementReferenceOperation element when InitializedElements(element.ArrayReference) is { } elements:
                return elements.SelectMany(e => ValuesOf(e, nesting + 1)).ToList();
            case IDefaultValueOperation:
                // default(T), default: null or a value that is not a string, so never a key that names a slot.
                return Array.Empty<KeyValue>();
            case IFieldReferenceOperation { Field.ContainingType.IsTupleType: true } element when TupleElement(element) is { } item:
                return ValuesOf(item, nesting + 1);
            case IFieldReferenceOperation field when IsInSource(field.Field):
                return new[] { new KeyValue(KeyValueKind.Member, null, field.Field.OriginalDefinition) };
            case IPropertyReferenceOperation { Property.IsIndexer: false } property when IsInSource(property.Property):
                return ObjectPropertyValues(property, nesting) ?? new[] { new KeyValue(KeyValueKind.Member, null, property.Property.OriginalDefinition) };
            case IInvocationOperation invocation:
                return InvocationValues(invocation, nesting);
            default:
                return new[] { KeyValue.Unknown };
        }
    }

    /// <summary>The values of a branch of a conditional, a coalescence or a switch expression: none for a throw, which gives no value.</summary>
    private IEnumerable<KeyValue> BranchValues(IOperation branch, int nesting) =>
        Unwrap(branch) is IThrowOperation ? Array.Empty<KeyValue>() : ValuesOf(branch, nesting + 1);

    /// <summary>The value a declaration pattern tests (<c>value is string k</c>, a switch arm's or case's pattern), which its variable holds when it matches.</summary>
    private static IOperation? TestedValue(IDeclarationPatternOperation pattern) => pattern.Parent switch
    {
        IIsPatternOperation test => test.Value,
        ISwitchExpressionArmOperation { Parent: ISwitchExpressionOperation @switch } => @switch.Value,
        IPatternCaseClauseOperation { Parent: ISwitchCaseOperation { Parent: ISwitchOperation @switch } } => @switch.Value,
        _ => null,
    };

    private static IEnumerable<KeyValue> Concatenate(IEnumerable<IEnumerable<KeyValue>> parts)
    {
        var lists = parts.Select(part => part.ToList()).ToList();
        if (lists.Any(values => values.Count == 0 || values.Any(v => v.Kind is KeyValueKind.Unknown or KeyValueKind.Parameter)))
        {
            return new[] { KeyValue.Unknown };
        }

        if (lists.Any(values => values.Any(v => v.Kind != KeyValueKind.Constant)))
        {
            // A part is a field, a property or a call (a constant prefix and a helper's suffix): joined once each part is resolved.
            return new[] { KeyValue.Joined(lists.Select(values => values.ToImmutableArray()).ToImmutableArray()) };
        }

        return Join(lists.Select(values => values.Select(v => v.Constant!))) is { } joined
            ? joined.Select(KeyValue.Of).ToList()
            : new[] { KeyValue.Unknown };
    }

    /// <summary>
    /// Every way of joining the parts' strings, one from each part in order; null when there are more than a key is
    /// followed with. The value flow joins constants with it in place, the key resolver a concatenation's parts once resolved.
    /// </summary>
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
