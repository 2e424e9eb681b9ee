using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

// Values of calls: encoders, identity helpers whose returns are their arguments, delegates and
// the returns of lambdas.
internal sealed partial class ValueFlow
{
    private IEnumerable<KeyValue> InvocationValues(IInvocationOperation invocation, int nesting)
    {
        var method = invocation.TargetMethod;
        if (((WellKnownTypes.Same(method.ContainingType, _types.JsonEncodedText) && method.Name == "Encode")
                || (_types.Encoding is not null && WellKnownTypes.DerivesFrom(method.ContainingType, _types.Encoding) && method.Name == "GetBytes"))
            && invocation.Arguments.Length >= 1)
        {
            // An encoded name is the text it was given only when the encoder leaves it as it is (letters, digits, '_', '-', '.').
            return ValuesOf(invocation.Arguments[0].Value, nesting + 1).Select(v => v.Kind == KeyValueKind.Constant && !v.Constant!.All(IsUnescaped) ? KeyValue.Unknown : v).ToList();
        }

        if (method.MethodKind == MethodKind.DelegateInvoke && invocation.Instance is { } target)
        {
            return DelegateValues(target, nesting);
        }

        if (IsInSource(method) && !method.IsAbstract)
        {
            return (IEnumerable<KeyValue>?)PassedThrough(invocation, nesting) ?? new[] { new KeyValue(KeyValueKind.Return, null, method.OriginalDefinition) };
        }

        return new[] { KeyValue.Unknown };
    }

    /// <summary>
    /// A small method whose every return is one of its parameters, a constant, or a value computed from them in
    /// its body (an identity helper, a generic <c>Of&lt;T&gt;(T value) =&gt; value</c>, a local starting from
    /// <c>default(T)</c> given the argument with <c>??=</c>): the values are this call's arguments. Null for any other method.
    /// </summary>
    private List<KeyValue>? PassedThrough(IInvocationOperation invocation, int nesting)
    {
        var method = invocation.TargetMethod;
        if (method.IsVirtual || method.IsOverride || _bodyOf is null || _bodyOf(method.OriginalDefinition) is not { } body
            || body.DescendantsAndSelf().Any(o => o is IParameterReferenceOperation && IsWritten(o)))
        {
            // A parameter the body writes is not the caller's argument any more.
            return null;
        }

        var values = new List<KeyValue>();
        ValueFlow? callee = null;
        foreach (var @return in OwnReturns(body))
        {
            switch (@return.ReturnedValue is { } returned ? Unwrap(returned) : null)
            {
                case IParameterReferenceOperation parameter when WellKnownTypes.Same(parameter.Parameter.ContainingSymbol, method.OriginalDefinition)
                    && invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Parameter.Ordinal) is { } argument:
                    values.AddRange(ValuesOf(argument.Value, nesting + 1));
                    break;
                case IParameterReferenceOperation captured when captured.Parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor }
                    && invocation.Instance is { } instance && MadeHere(instance) is IObjectCreationOperation creation
                    && creation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == captured.Parameter.Ordinal && WellKnownTypes.Same(a.Parameter.ContainingSymbol, creation.Constructor)) is { } constructorArgument:
                    // A primary constructor's parameter the method returns: the argument the object was made with.
                    values.AddRange(ValuesOf(constructorArgument.Value, nesting + 1));
                    break;
                case { ConstantValue: { HasValue: true, Value: string constant } }:
                    values.Add(KeyValue.Of(constant));
                    break;
                case { } other:
                    // Anything else the helper returns (a local it computes, default(T) and its argument mixed):
                    // its values in the helper, its parameters being this call's arguments.
                    callee ??= new ValueFlow(_types, method.OriginalDefinition, ImmutableArray.Create(body), _ => null);
                    foreach (var value in callee.ValuesOf(other, nesting + 1))
                    {
                        if (value.Kind == KeyValueKind.Parameter && value.Symbol is IParameterSymbol parameter
                            && invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Ordinal && a.ArgumentKind != ArgumentKind.DefaultValue) is { } argument)
                        {
                            values.AddRange(ValuesOf(argument.Value, nesting + 1));
                        }
                        else if (value.Kind is KeyValueKind.Constant)
                        {
                            values.Add(value);
                        }
                        else
                        {
                            return null;
                        }
                    }

                    break;
                default:
                    return null;
            }
        }

        return values.Count == 0 ? null : values;
    }

    private IEnumerable<KeyValue> DelegateValues(IOperation target, int nesting)
    {
        target = Unwrap(target);
        switch (target)
        {
            case IFieldReferenceOperation field when IsInSource(field.Field):
                return new[] { new KeyValue(KeyValueKind.DelegateReturn, null, field.Field.OriginalDefinition) };
            case IPropertyReferenceOperation property when IsInSource(property.Property):
                return new[] { new KeyValue(KeyValueKind.DelegateReturn, null, property.Property.OriginalDefinition) };
            case ILocalReferenceOperation local:
                var writes = Writes(local.Local);
                return writes.Count == 0 || writes.Any(w => w is null)
                    ? new[] { KeyValue.Unknown }
                    : writes.SelectMany(w => Unwrap(w!) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } ? ReturnsOf(lambda.Body, nesting + 1) : new List<KeyValue> { KeyValue.Unknown }).ToList();
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda }:
                return ReturnsOf(lambda.Body, nesting + 1);
            case IPropertyReferenceOperation { Property.IsIndexer: true } indexer when InitializedElements(indexer.Instance) is { } elements:
                // A delegate kept in a collection of this block's own: what any of its lambdas returns.
                return elements.SelectMany(e => DelegateValues(e, nesting + 1)).ToList();
            case IArrayElementReferenceOperation element when InitializedElements(element.ArrayReference) is { } elements:
                return elements.SelectMany(e => DelegateValues(e, nesting + 1)).ToList();
            case IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation flow }
                when _blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IAnonymousFunctionOperation>().FirstOrDefault(l => l.Syntax == flow.Syntax) is { } original:
                // The same lambda met through a control-flow graph.
                return ReturnsOf(original.Body, nesting + 1);
            default:
                return new[] { KeyValue.Unknown };
        }
    }

    private static bool IsUnescaped(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.';

    /// <summary>
    /// The loop variable of a <c>foreach</c> / <c>await foreach</c> over a call of a source iterator (a small,
    /// non-virtual method whose every <c>yield return</c> is a constant): the constants it yields. Unknown otherwise.
    /// </summary>
    private IEnumerable<KeyValue> YieldedValues(IForEachLoopOperation loop, int nesting)
    {
        if (Unwrap(loop.Collection) is not IInvocationOperation { TargetMethod: { IsVirtual: false, IsOverride: false, IsAbstract: false } method }
            || !IsInSource(method) || _bodyOf?.Invoke(method.OriginalDefinition) is not { } body)
        {
            return new[] { KeyValue.Unknown };
        }

        var values = new List<KeyValue>();
        foreach (var yielded in body.DescendantsAndSelf().OfType<IReturnOperation>())
        {
            if (yielded.Kind != OperationKind.YieldReturn || InNestedFunction(yielded, body))
            {
                continue;
            }

            if (yielded.ReturnedValue is not { } value || Unwrap(value).ConstantValue is not { HasValue: true, Value: string constant })
            {
                return new[] { KeyValue.Unknown };
            }

            values.Add(KeyValue.Of(constant));
        }

        return values.Count == 0 ? new[] { KeyValue.Unknown } : values;
    }

    private static bool InNestedFunction(IOperation operation, IOperation body)
    {
        for (var parent = operation.Parent; parent is not null && parent != body; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    private List<KeyValue> ReturnsOf(IOperation body, int nesting) =>
        OwnReturns(body).SelectMany(r => r.ReturnedValue is { } value ? ValuesOf(value, nesting + 1) : Array.Empty<KeyValue>()).ToList();

    /// <summary>The returns of a body, not those of lambdas or local functions inside it.</summary>
    public static IEnumerable<IReturnOperation> OwnReturns(IOperation body)
    {
        var stack = new Stack<IOperation>();
        stack.Push(body);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (current is IReturnOperation { Kind: OperationKind.Return } @return)
            {
                yield return @return;
            }

            foreach (var child in current.ChildOperations)
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    stack.Push(child);
                }
            }
        }
    }
}
