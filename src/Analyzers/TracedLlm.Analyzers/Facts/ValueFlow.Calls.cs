namespace TracedLlm.Analyzers.Facts;

// Values of calls: encoders, identity helpers, delegates and the returns of lambdas.
internal sealed partial class ValueFlow
{
    private IEnumerable<KeyValue> InvocationValues(IInvocationOperation invocation, int nesting)
    {
        var method = invocation.TargetMethod;
        if ((
                (Same(method.ContainingType, _types.JsonEncodedText) && method.Name == "Encode")
                || (_types.Encoding is not null && DerivesFrom(method.ContainingType, _types.Encoding)
                    && method.Name == "GetBytes"))
            && invocation.Arguments.Length >= 1)
        {
            // An encoded name is the text given only when the encoder leaves it as it is (letters, digits, '_-.').
            return ValuesOf(invocation.Arguments[0].Value, nesting + 1)
                .Select(v => v.Kind == KeyValueKind.Constant && !v.Constant!.All(IsUnescaped) ? KeyValue.Unknown : v)
                .ToList();
        }

        if (method.MethodKind == MethodKind.DelegateInvoke && invocation.Instance is { } target)
        {
            return DelegateValues(target, nesting);
        }

        if (method.MethodKind == MethodKind.LocalFunction && LocalFunctionBody(method) is { } local)
        {
            // A local function of this block: what it returns, read here (its parameters may be anything).
            return ReturnsOf(local, nesting);
        }

        if (IsInSource(method) && !method.IsAbstract)
        {
            return (IEnumerable<KeyValue>?)PassedThrough(invocation, nesting)
                ?? new[] { new KeyValue(KeyValueKind.Return, null, method.OriginalDefinition) };
        }

        return new[] { KeyValue.Unknown };
    }

    /// <summary>The values of a call of a small method whose every return comes from its parameters, or null.</summary>
    /// <remarks>An identity helper, a generic <c>Of&lt;T&gt;(T value) =&gt; value</c>, a local starting from
    /// <c>default(T)</c> given the argument with <c>??=</c>.</remarks>
    private List<KeyValue>? PassedThrough(IInvocationOperation invocation, int nesting)
    {
        var method = invocation.TargetMethod;
        if (method.IsVirtual || method.IsOverride || _bodyOf is null
            || _bodyOf(method.OriginalDefinition) is not { } body
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
                case IParameterReferenceOperation parameter
                    when Same(parameter.Parameter.ContainingSymbol, method.OriginalDefinition)
                        && invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Parameter.Ordinal)
                            is { } argument:
                    values.AddRange(ValuesOf(argument.Value, nesting + 1));
                    break;
                case IParameterReferenceOperation captured
                    when captured.Parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor }
                        && invocation.Instance is { } instance
                        && MadeHere(instance) is IObjectCreationOperation creation
                        && creation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == captured.Parameter.Ordinal
                            && Same(a.Parameter.ContainingSymbol, creation.Constructor)) is { } constructorArgument:
                    // A primary constructor's parameter the method returns: the argument the object was made with.
                    values.AddRange(ValuesOf(constructorArgument.Value, nesting + 1));
                    break;
                case { ConstantValue: { HasValue: true, Value: string constant } }:
                    values.Add(KeyValue.Of(constant));
                    break;
                case { } other:
                    // Anything else the helper returns (a local it computes, default(T) and its argument mixed):
                    // its values in the helper, its parameters being this call's arguments.
                    callee ??= new ValueFlow(_types, method.OriginalDefinition, ImmutableArray.Create(body),
                        null, _bodyOf);
                    foreach (var value in callee.ValuesOf(other, nesting + 1))
                    {
                        if (value.Kind == KeyValueKind.Parameter && value.Symbol is IParameterSymbol parameter
                            && invocation.Arguments.FirstOrDefault(a =>
                                a.Parameter?.Ordinal == parameter.Ordinal && a.ArgumentKind != ArgumentKind.DefaultValue
                            )
                                is { } argument)
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
            case IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member
                when IsInSource(member.Member):
                return new[] { new KeyValue(KeyValueKind.DelegateReturn, null, member.Member.OriginalDefinition) };
            case ILocalReferenceOperation delegateLocal:
                var writes = Writes(delegateLocal.Local);
                return writes.Count == 0 || writes.Any(w => w is null) || nesting > MaxNesting
                    ? new[] { KeyValue.Unknown }
                    : writes.SelectMany(w => DelegateValues(w!, nesting + 1)).ToList();
            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda }:
                return ReturnsOf(lambda.Body, nesting + 1);
            case IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: { } method } }:
                // A method group: calling the delegate calls the method.
                return method.MethodKind == MethodKind.LocalFunction && LocalFunctionBody(method) is { } local
                    ? ReturnsOf(local, nesting + 1)
                    : IsInSource(method) && !method.IsAbstract && !method.IsVirtual && !method.IsOverride
                        ? new[] { new KeyValue(KeyValueKind.Return, null, method.OriginalDefinition) }
                    : new[] { KeyValue.Unknown };
            case IPropertyReferenceOperation { Property.IsIndexer: true } indexer
                when InitializedElements(indexer.Instance) is { } elements:
                // A delegate kept in a collection of this block's own: what any of its lambdas returns.
                return elements.SelectMany(e => DelegateValues(e, nesting + 1)).ToList();
            case IArrayElementReferenceOperation element
                when InitializedElements(element.ArrayReference) is { } elements:
                return elements.SelectMany(e => DelegateValues(e, nesting + 1)).ToList();
            default:
                return new[] { KeyValue.Unknown };
        }
    }

    private static bool IsUnescaped(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.';

    /// <summary>The loop variable of a <c>foreach</c> over a call of a source iterator: what its
    /// <c>yield return</c>s give.</summary>
    private IEnumerable<KeyValue> YieldedValues(IForEachLoopOperation loop, int nesting)
    {
        if (Unwrap(loop.Collection) is not IInvocationOperation
                {
                    TargetMethod: { IsVirtual: false, IsOverride: false, IsAbstract: false } method
                } call
            || !IsInSource(method))
        {
            return new[] { KeyValue.Unknown };
        }

        var local = method.MethodKind == MethodKind.LocalFunction ? LocalFunctionBody(method) : null;
        if ((local ?? _bodyOf?.Invoke(method.OriginalDefinition)) is not { } body)
        {
            return new[] { KeyValue.Unknown };
        }

        var yielded = body.DescendantsAndSelf().OfType<IReturnOperation>()
            .Where(y => y.Kind == OperationKind.YieldReturn && !InNestedFunction(y, body)).ToList();
        if (yielded.Count == 0 || yielded.Any(y => y.ReturnedValue is null))
        {
            return new[] { KeyValue.Unknown };
        }

        return local is not null
            ? yielded.SelectMany(y => ValuesOf(y.ReturnedValue!, nesting + 1)).ToList()
            : InCallee(method, body, yielded.Select(y => y.ReturnedValue!), call.Arguments, nesting);
    }

    /// <summary>Values of a source method's body read there, its parameters being the call's arguments.</summary>
    private List<KeyValue> InCallee(IMethodSymbol method, IOperation body, IEnumerable<IOperation> operations,
        ImmutableArray<IArgumentOperation> arguments, int nesting)
    {
        var callee = new ValueFlow(_types, method.OriginalDefinition, ImmutableArray.Create(body), null, _bodyOf);
        return Mapped(operations.SelectMany(o => callee.ValuesOf(o, nesting + 1)).ToList(), method, arguments, nesting);
    }

    /// <summary>A callee's values, its by-value parameters replaced by the call's arguments' values.</summary>
    private List<KeyValue> Mapped(IEnumerable<KeyValue> values, IMethodSymbol method,
        ImmutableArray<IArgumentOperation> arguments, int nesting)
    {
        var result = new List<KeyValue>();
        foreach (var value in values)
        {
            if (value.Kind != KeyValueKind.Parameter)
            {
                result.Add(value);
            }
            else if (value.Symbol is IParameterSymbol { RefKind: RefKind.None or RefKind.In } parameter
                && Same(parameter.ContainingSymbol, method.OriginalDefinition)
                && arguments.FirstOrDefault(a =>
                    a.Parameter?.Ordinal == parameter.Ordinal && a.ArgumentKind != ArgumentKind.DefaultValue)
                    is { } argument)
            {
                result.AddRange(ValuesOf(argument.Value, nesting + 1));
            }
            else
            {
                result.Add(KeyValue.Unknown);
            }
        }

        return result;
    }

    /// <summary>The values a source method assigns a local given as its out or ref argument; unknown
    /// otherwise.</summary>
    /// <remarks>A ref one is held only when the body assigns it unconditionally, else the local may keep what it
    /// had.</remarks>
    private IEnumerable<KeyValue> ArgumentWrites(IArgumentOperation argument, int nesting)
    {
        if (argument
                is not {
                    Parameter: { RefKind: RefKind.Out or RefKind.Ref } parameter,
                    Parent: IInvocationOperation call
                }
            || call.TargetMethod is not { IsVirtual: false, IsOverride: false, IsAbstract: false } method
            || !IsInSource(method) || _bodyOf?.Invoke(method.OriginalDefinition) is not { } body)
        {
            return new[] { KeyValue.Unknown };
        }

        var assigned = new List<IOperation>();
        var unconditional = false;
        var returnsEarly = body.DescendantsAndSelf().OfType<IReturnOperation>()
            .Any(r => !r.IsImplicit && !InNestedFunction(r, body));
        foreach (var reference in body.DescendantsAndSelf().OfType<IParameterReferenceOperation>()
                .Where(r => Same(r.Parameter.OriginalDefinition, parameter.OriginalDefinition)))
        {
            if (reference.Parent is ISimpleAssignmentOperation { IsRef: false } assignment
                && assignment.Target == reference)
            {
                assigned.Add(assignment.Value);
                unconditional |=
                    assignment.Parent is IExpressionStatementOperation { Parent: { } statementOf }
                    && statementOf == body;
            }
            else if (IsWritten(reference) || reference.Parent is IArgumentOperation)
            {
                return new[] { KeyValue.Unknown };
            }
        }

        return assigned.Count == 0 || (parameter.RefKind == RefKind.Ref && (!unconditional || returnsEarly))
            ? new[] { KeyValue.Unknown }
            : InCallee(method, body, assigned, call.Arguments, nesting);
    }

    /// <summary>The body of a local function declared in this block, or null.</summary>
    private IOperation? LocalFunctionBody(IMethodSymbol method)
    {
        if (_localFunctions is null)
        {
            _localFunctions = new Dictionary<IMethodSymbol, IOperation?>(SymbolEqualityComparer.Default);
            foreach (var function in Operations.OfType<ILocalFunctionOperation>())
            {
                _localFunctions[function.Symbol] = function.Body ?? function.IgnoredBody;
            }
        }

        return _localFunctions.TryGetValue(method, out var body) ? body : null;
    }

    /// <summary><paramref name="operation"/> is in a lambda or local function below <paramref name="body"/>.</summary>
    internal static bool InNestedFunction(IOperation operation, IOperation? body = null) =>
        NestedFunctions(operation, body).Any();

    /// <summary>The innermost lambda or local function around <paramref name="operation"/>, whose code it is, or
    /// null.</summary>
    internal static IMethodSymbol? NestedFunction(IOperation operation, IOperation? body = null) =>
        NestedFunctions(operation, body).FirstOrDefault();

    /// <summary>The lambdas and local functions around <paramref name="operation"/> below <paramref name="body"/>,
    /// innermost first.</summary>
    internal static IEnumerable<IMethodSymbol> NestedFunctions(IOperation operation, IOperation? body = null) =>
        Ancestors(operation).TakeWhile(parent => parent != body).Select(parent => parent switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            ILocalFunctionOperation local => local.Symbol,
            _ => null,
        }).OfType<IMethodSymbol>();

    private List<KeyValue> ReturnsOf(IOperation body, int nesting) => OwnReturns(body)
            .SelectMany(r => r.ReturnedValue is { } value ? ValuesOf(value, nesting + 1) : Array.Empty<KeyValue>())
            .ToList();

    /// <summary>The returns of a body, not those of lambdas or local functions inside it.</summary>
    public static IEnumerable<IReturnOperation> OwnReturns(IOperation body) =>
        Own(body).OfType<IReturnOperation>().Where(r => r.Kind == OperationKind.Return);

    /// <summary>A body and the operations in it, not those of lambdas or local functions inside it.</summary>
    public static IEnumerable<IOperation> Own(IOperation body)
    {
        var stack = new Stack<IOperation>();
        stack.Push(body);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            yield return current;
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
