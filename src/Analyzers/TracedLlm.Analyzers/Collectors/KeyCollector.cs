using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2001's facts: string keys read or written on a metadata bag (see
/// <see cref="WellKnownTypes.IsKeyedBag"/>) through indexers, instance methods and extension
/// methods (<c>TryAdd</c>, <c>GetValueOrDefault</c>, ...); arguments that carry a possible key into
/// a source method; and the values methods return and initializers hold, so keys kept in fields,
/// properties, lambdas and helper methods are followed.
/// </summary>
internal sealed class KeyCollector : IFactCollector
{
    // The key parameter of a keyed member, by the name the BCL gives it.
    private static readonly ImmutableHashSet<string> KeyParameterNames = ImmutableHashSet.Create(
        System.StringComparer.Ordinal, "key", "propertyName", "utf8PropertyName", "text", "utf8Text");

    public void Visit(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case IPropertyReferenceOperation { Property.IsIndexer: true } indexer when scope.Types.IsKeyedBag(indexer.Instance?.Type):
                if (indexer.Arguments.FirstOrDefault(a => a.Parameter is { } p && KeyParameterNames.Contains(p.Name)) is { } indexKey)
                {
                    AddKey(indexKey.Value, scope);
                }

                break;
            case IInvocationOperation invocation:
                VisitInvocation(invocation, scope);
                break;
            case IReturnOperation { ReturnedValue: { } returned } @return when IsOwnReturn(@return, scope):
                AddValues(scope.Facts.Values, returned, scope);
                break;
            case IFieldInitializerOperation or IPropertyInitializerOperation:
                var value = ((ISymbolInitializerOperation)operation).Value;
                if (ValueFlow.Unwrap(value) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
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
        if (scope.Types.IsKeyedBag(receiver?.Type))
        {
            var key = invocation.Arguments.FirstOrDefault(a => a.Parameter is { } p && (!method.IsExtensionMethod || p.Ordinal > 0) && KeyParameterNames.Contains(p.Name));
            if (key is not null)
            {
                AddKey(key.Value, scope);
                return;
            }
        }

        // A source method's parameter may be a key inside it: keep what the arguments may be.
        if (method.Locations.Any(l => l.IsInSource) || method.IsAbstract || method.IsVirtual)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { } parameter && argument.ArgumentKind != ArgumentKind.DefaultValue)
                {
                    var values = scope.Flow.Values(argument.Value);
                    if (Matters(values, scope))
                    {
                        scope.Facts.Arguments.Add(new ArgumentFlow(method.OriginalDefinition, parameter.Ordinal, values, argument.Value.Syntax.GetLocation()));
                    }
                }
            }
        }
    }

    private static void AddKey(IOperation key, MethodScope scope)
    {
        var values = scope.Flow.Values(key);
        if (Matters(values, scope))
        {
            scope.Facts.Keys.Add(new KeyUse(values, key.Syntax.GetLocation()));
        }
    }

    private static void AddValues(System.Collections.Generic.List<KeyValue> target, IOperation value, MethodScope scope)
    {
        if (value.Type is { SpecialType: SpecialType.System_String } || value.Type?.TypeKind == TypeKind.Struct || value.Type?.SpecialType == SpecialType.System_Object)
        {
            target.AddRange(Relevant(scope.Flow.Values(value), scope));
        }
    }

    /// <summary>Values worth keeping: a slot name, or a reference resolved later.</summary>
    private static bool Matters(ImmutableArray<KeyValue> values, MethodScope scope) =>
        values.Any(v => v.Kind is not (KeyValueKind.Constant or KeyValueKind.Unknown) || (v.Kind == KeyValueKind.Constant && scope.Compilation.SlotNames(scope.CancellationToken).Contains(v.Constant!)));

    private static ImmutableArray<KeyValue> Relevant(ImmutableArray<KeyValue> values, MethodScope scope) =>
        Matters(values, scope) ? values : ImmutableArray.Create(KeyValue.Unknown);

    private static bool IsOwnReturn(IReturnOperation @return, MethodScope scope)
    {
        for (var parent = @return.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return scope.Owner is IMethodSymbol;
    }
}
