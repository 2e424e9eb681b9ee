using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

/// <summary>
/// The values a string expression of one operation block may have. Constants, UTF-8 literals,
/// interpolations and concatenations of known parts, conditionals and switch expressions are
/// computed here; a local takes the values of the assignments that reach the use (reaching
/// definitions on the block's control-flow graph, so a reassigned local has the value it was last
/// given); parameters, fields, properties and calls become references that the call graph resolves
/// at the end of the compilation.
/// </summary>
internal sealed class ValueFlow
{
    private const int MaxValues = 8;
    private const int MaxNesting = 12;

    private readonly WellKnownTypes _types;
    private readonly ISymbol _owner;
    private readonly ImmutableArray<IOperation> _blocks;
    private readonly Func<IOperation, ControlFlowGraph?> _graphOf;
    private Dictionary<ILocalSymbol, List<IOperation?>>? _writes;
    private Dictionary<SyntaxNode, FlowPosition>? _positions;

    private readonly Func<IMethodSymbol, IOperation?>? _bodyOf;

    public ValueFlow(WellKnownTypes types, ISymbol owner, ImmutableArray<IOperation> blocks, Func<IOperation, ControlFlowGraph?> graphOf, Func<IMethodSymbol, IOperation?>? bodyOf = null)
    {
        _bodyOf = bodyOf;
        _types = types;
        _owner = owner;
        _blocks = blocks;
        _graphOf = graphOf;
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
                return ValuesOf(conditional.WhenTrue, nesting + 1).Concat(ValuesOf(whenFalse, nesting + 1));
            case ICoalesceOperation coalesce:
                return ValuesOf(coalesce.Value, nesting + 1).Concat(ValuesOf(coalesce.WhenNull, nesting + 1));
            case ISwitchExpressionOperation @switch:
                return @switch.Arms.SelectMany(arm => ValuesOf(arm.Value, nesting + 1)).ToList();
            case ILocalReferenceOperation local:
                return LocalValues(local, nesting);
            case IParameterReferenceOperation parameter:
                // The method's own parameter, or a primary constructor's parameter captured by a member: the caller's argument.
                return new[]
                {
                    WellKnownTypes.Same(parameter.Parameter.ContainingSymbol, _owner) || IsCapturedPrimaryConstructorParameter(parameter.Parameter)
                        ? new KeyValue(KeyValueKind.Parameter, null, parameter.Parameter.OriginalDefinition)
                        : KeyValue.Unknown,
                };
            case IFieldReferenceOperation { Field.ContainingType.IsTupleType: true } element when TupleElement(element) is { } item:
                return ValuesOf(item, nesting + 1);
            case IFieldReferenceOperation field when IsInSource(field.Field):
                return new[] { new KeyValue(KeyValueKind.Member, null, field.Field.OriginalDefinition) };
            case IPropertyReferenceOperation { Property.IsIndexer: false } property when IsInSource(property.Property):
                return ObjectPropertyValues(property, nesting) ?? new[] { new KeyValue(KeyValueKind.Member, null, property.Property.OriginalDefinition) };
            case IInvocationOperation invocation:
                return InvocationValues(invocation, nesting);
            case IFlowCaptureReferenceOperation:
                // Only met through a control-flow graph; see FlowValues.
                return new[] { KeyValue.Unknown };
            default:
                return new[] { KeyValue.Unknown };
        }
    }

    /// <summary>
    /// An object this block makes from nothing that came in (constants, lambdas and other such
    /// objects): a dictionary, a JSON object or a writer of the code's own, not the request's
    /// metadata bag. Made from a parameter, a field or the request, it may be the request's.
    /// </summary>
    public bool IsOwnObject(IOperation operation) => IsOwnObject(operation, 0);

    private bool IsOwnObject(IOperation operation, int depth)
    {
        if (depth > 4)
        {
            return false;
        }

        switch (Unwrap(operation))
        {
            case IObjectCreationOperation creation:
                return creation.Arguments.All(a => a.ArgumentKind == ArgumentKind.DefaultValue || IsOwnValue(a.Value, depth + 1));
            case ICollectionExpressionOperation or IArrayCreationOperation:
                return true;
            case ILocalReferenceOperation local:
                var writes = Writes(local.Local);
                return writes.Count > 0 && writes.All(w => w is not null && IsOwnObject(w, depth + 1));
            default:
                return false;
        }
    }

    private bool IsOwnValue(IOperation value, int depth) =>
        Unwrap(value) is var unwrapped && (unwrapped.ConstantValue.HasValue || unwrapped is IDelegateCreationOperation or IAnonymousFunctionOperation or IDefaultValueOperation || IsOwnObject(unwrapped, depth));

    /// <summary>The object an instance is: made right there, or the one value of a local.</summary>
    private IOperation? MadeHere(IOperation instance)
    {
        switch (Unwrap(instance))
        {
            case IObjectCreationOperation or IWithOperation:
                return Unwrap(instance);
            case ILocalReferenceOperation local when Writes(local.Local) is { Count: 1 } writes && writes[0] is { } made:
                return Unwrap(made) is IObjectCreationOperation or IWithOperation ? Unwrap(made) : null;
            default:
                return null;
        }
    }

    /// <summary><c>(x, y).Item1</c>: the element of a tuple literal (made right there or the one value of a local).</summary>
    private IOperation? TupleElement(IFieldReferenceOperation element)
    {
        var tuple = element.Instance is { } instance ? Unwrap(instance) : null;
        if (tuple is ILocalReferenceOperation local && Writes(local.Local) is { Count: 1 } writes && writes[0] is { } written)
        {
            tuple = Unwrap(written);
        }

        if (tuple is not ITupleOperation literal || element.Field.ContainingType is not { } type)
        {
            return null;
        }

        var index = type.TupleElements.IndexOf(element.Field.CorrespondingTupleField ?? element.Field, SymbolEqualityComparer.Default);
        return index >= 0 && index < literal.Elements.Length ? literal.Elements[index] : null;
    }

    private bool IsCapturedPrimaryConstructorParameter(IParameterSymbol parameter) =>
        parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
        && WellKnownTypes.Same(constructor.ContainingType, _owner.ContainingType)
        && constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax);

    /// <summary>
    /// A property read from a local that holds an object made in this block: the value its
    /// initializer or <c>with</c> expression gave it, or, for a positional record made without one,
    /// the constructor argument of the same name. Null when the object is not made here.
    /// </summary>
    private IEnumerable<KeyValue>? ObjectPropertyValues(IPropertyReferenceOperation property, int nesting)
    {
        if (property.Instance is not { } instance || MadeHere(instance) is not { } made)
        {
            return null;
        }

        IObjectOrCollectionInitializerOperation? initializer;
        IObjectCreationOperation? creation;
        switch (Unwrap(made))
        {
            case IWithOperation with:
                initializer = with.Initializer;
                creation = null;
                break;
            case IObjectCreationOperation created:
                initializer = created.Initializer;
                creation = created;
                break;
            default:
                return null;
        }

        foreach (var member in initializer?.Initializers ?? ImmutableArray<IOperation>.Empty)
        {
            if (member is ISimpleAssignmentOperation { Target: IMemberReferenceOperation target } assignment && WellKnownTypes.Same(target.Member, property.Property))
            {
                return ValuesOf(assignment.Value, nesting + 1);
            }
        }

        var argument = creation?.Arguments.FirstOrDefault(a => a.Parameter?.Name == property.Property.Name && property.Property.ContainingType.IsRecord);
        return argument is null ? null : ValuesOf(argument.Value, nesting + 1);
    }

    private IEnumerable<KeyValue> InvocationValues(IInvocationOperation invocation, int nesting)
    {
        var method = invocation.TargetMethod;
        if (((WellKnownTypes.Same(method.ContainingType, _types.JsonEncodedText) && method.Name == "Encode")
                || (_types.Encoding is not null && WellKnownTypes.DerivesFrom(method.ContainingType, _types.Encoding) && method.Name == "GetBytes"))
            && invocation.Arguments.Length >= 1)
        {
            return ValuesOf(invocation.Arguments[0].Value, nesting + 1);
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
    /// A method whose every return is one of its parameters or a constant (an identity helper, a
    /// generic <c>Of&lt;T&gt;(T value) =&gt; value</c>): the values are this call's arguments. Null for any other method.
    /// </summary>
    private List<KeyValue>? PassedThrough(IInvocationOperation invocation, int nesting)
    {
        var method = invocation.TargetMethod;
        if (method.IsVirtual || method.IsOverride || _bodyOf is null || _bodyOf(method.OriginalDefinition) is not { } body)
        {
            return null;
        }

        var values = new List<KeyValue>();
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
            case IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation flow }
                when _blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IAnonymousFunctionOperation>().FirstOrDefault(l => l.Syntax == flow.Syntax) is { } original:
                // The same lambda met through a control-flow graph.
                return ReturnsOf(original.Body, nesting + 1);
            default:
                return new[] { KeyValue.Unknown };
        }
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

    private static IEnumerable<KeyValue> Concatenate(IEnumerable<IEnumerable<KeyValue>> parts)
    {
        var results = new List<string> { string.Empty };
        foreach (var part in parts)
        {
            var values = part.ToList();
            if (values.Count == 0 || values.Any(v => v.Kind != KeyValueKind.Constant))
            {
                return new[] { KeyValue.Unknown };
            }

            results = results.SelectMany(prefix => values.Select(v => prefix + v.Constant)).Distinct().ToList();
            if (results.Count > MaxValues)
            {
                return new[] { KeyValue.Unknown };
            }
        }

        return results.Select(KeyValue.Of).ToList();
    }

    private static bool IsInSource(ISymbol symbol) => symbol.Locations.Any(l => l.IsInSource);

    // ---- locals: every write in the block; reaching definitions when there is more than one ----

    private IEnumerable<KeyValue> LocalValues(ILocalReferenceOperation use, int nesting)
    {
        var writes = Writes(use.Local);
        if (writes.Count == 0 || writes.Any(w => w is null))
        {
            return new[] { KeyValue.Unknown };
        }

        if (writes.Count == 1)
        {
            return ValuesOf(writes[0]!, nesting + 1);
        }

        return FlowValues(use, nesting) ?? writes.SelectMany(w => ValuesOf(w!, nesting + 1)).ToList();
    }

    /// <summary>Writes of each local in the block: the assigned value, or null when it is written some other way (out, ref, deconstruction, +=, a pattern, a loop).</summary>
    private List<IOperation?> Writes(ILocalSymbol local)
    {
        if (_writes is null)
        {
            var writes = new Dictionary<ILocalSymbol, List<IOperation?>>(SymbolEqualityComparer.Default);
            void Add(ILocalSymbol symbol, IOperation? value)
            {
                if (!writes.TryGetValue(symbol, out var list))
                {
                    writes[symbol] = list = new List<IOperation?>();
                }

                list.Add(value);
            }

            foreach (var operation in _blocks.SelectMany(b => b.DescendantsAndSelf()))
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when declarator.GetVariableInitializer() is { } initializer:
                        Add(declarator.Symbol, initializer.Value);
                        break;
                    case ILocalReferenceOperation reference when IsWrittenOtherwise(reference):
                        Add(reference.Local, null);
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        Add(target.Local, assignment.Value);
                        break;
                    case IDeconstructionAssignmentOperation deconstruction when Elements(deconstruction.Target) is { } targets && Elements(deconstruction.Value) is { } values && targets.Length == values.Length:
                        // (a, b) = (x, y): each local takes its element.
                        for (var i = 0; i < targets.Length; i++)
                        {
                            if (Unwrap(targets[i]) is ILocalReferenceOperation element)
                            {
                                Add(element.Local, values[i]);
                            }
                        }

                        break;
                    case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol declared }:
                        Add(declared, null);
                        break;
                    case IForEachLoopOperation loop:
                        foreach (var loopLocal in loop.Locals)
                        {
                            Add(loopLocal, null);
                        }

                        break;
                    case ICatchClauseOperation @catch:
                        foreach (var caught in @catch.Locals)
                        {
                            Add(caught, null);
                        }

                        break;
                }
            }

            _writes = writes;
        }

        return _writes.TryGetValue(local, out var found) ? found : new List<IOperation?>();
    }

    private static bool IsWrittenOtherwise(ILocalReferenceOperation reference) => reference.Parent switch
    {
        ICompoundAssignmentOperation compound => compound.Target == reference,
        IIncrementOrDecrementOperation => true,
        ICoalesceAssignmentOperation coalesce => coalesce.Target == reference,
        IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Out or RefKind.Ref,
        IDeclarationExpressionOperation => true,
        ITupleOperation tuple => IsDeconstructedWithoutElements(tuple),
        _ => false,
    };

    /// <summary>The elements of a tuple literal, past conversions and a declaration (<c>var (a, b)</c>).</summary>
    private static ImmutableArray<IOperation>? Elements(IOperation operation) => Unwrap(operation) switch
    {
        ITupleOperation tuple => tuple.Elements,
        IDeclarationExpressionOperation { Expression: ITupleOperation declared } => declared.Elements,
        _ => null,
    };

    /// <summary>A local written by a deconstruction whose value is not a tuple literal of the same size: it may be anything.</summary>
    private static bool IsDeconstructedWithoutElements(ITupleOperation tuple)
    {
        var parent = tuple.Parent is IDeclarationExpressionOperation declaration ? declaration.Parent : tuple.Parent;
        return parent is IDeconstructionAssignmentOperation deconstruction
            && (Elements(deconstruction.Value) is not { } values || values.Length != tuple.Elements.Length);
    }

    private readonly record struct FlowPosition(ControlFlowGraph Graph, BasicBlock Block, int Index);

    /// <summary>The values of the definitions of a local that reach its use, from the control-flow graph; null when no graph is available.</summary>
    private List<KeyValue>? FlowValues(ILocalReferenceOperation use, int nesting)
    {
        var positions = Positions();
        if (!positions.TryGetValue(use.Syntax, out var position))
        {
            return null;
        }

        var values = new List<KeyValue>();
        foreach (var (value, at) in Reaching(position, operation => LocalWrite(operation, use.Local)))
        {
            if (value is null)
            {
                // The start of a lambda's graph for a local of the enclosing method, or a write we cannot follow.
                values.AddRange(at is null ? Writes(use.Local).SelectMany(w => w is null ? new[] { KeyValue.Unknown } : ValuesOf(w, nesting + 1)) : new[] { KeyValue.Unknown });
            }
            else
            {
                values.AddRange(GraphValues(value, at!.Value, nesting + 1));
            }
        }

        return values;
    }

    private IEnumerable<KeyValue> GraphValues(IOperation value, FlowPosition at, int nesting)
    {
        if (nesting > MaxNesting)
        {
            return new[] { KeyValue.Unknown };
        }

        switch (Unwrap(value))
        {
            case IFlowCaptureReferenceOperation capture:
                return Reaching(at, operation => operation is IFlowCaptureOperation flow && flow.Id.Equals(capture.Id) ? (true, flow.Value) : (false, null))
                    .SelectMany(found => found.Value is null || found.At is null ? new[] { KeyValue.Unknown } : GraphValues(found.Value, found.At.Value, nesting + 1))
                    .ToList();
            case ILocalReferenceOperation local:
                return Reaching(at, operation => LocalWrite(operation, local.Local))
                    .SelectMany(found => found.Value is null || found.At is null ? new[] { KeyValue.Unknown } : GraphValues(found.Value, found.At.Value, nesting + 1))
                    .ToList();
            default:
                return ValuesOf(value, nesting);
        }
    }

    private static (bool Found, IOperation? Value) LocalWrite(IOperation operation, ILocalSymbol local)
    {
        (bool, IOperation?) last = (false, null);
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            switch (descendant)
            {
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when WellKnownTypes.Same(target.Local, local):
                    last = (true, assignment.Value);
                    break;
                case ILocalReferenceOperation reference when WellKnownTypes.Same(reference.Local, local) && IsWrittenOtherwise(reference):
                    last = (true, null);
                    break;
            }
        }

        return last;
    }

    /// <summary>
    /// Walks the graph backwards from a position to the nearest operation on each path for which
    /// <paramref name="writeOf"/> finds a write. A path that reaches the graph's entry yields (null, null).
    /// </summary>
    private static List<(IOperation? Value, FlowPosition? At)> Reaching(FlowPosition from, Func<IOperation, (bool Found, IOperation? Value)> writeOf)
    {
        var results = new List<(IOperation?, FlowPosition?)>();
        var visited = new HashSet<BasicBlock>();
        var pending = new Stack<(BasicBlock Block, int Index)>();
        pending.Push((from.Block, from.Index));
        while (pending.Count > 0)
        {
            var (block, index) = pending.Pop();
            var found = false;
            for (var i = index - 1; i >= 0 && !found; i--)
            {
                var operation = i < block.Operations.Length ? block.Operations[i] : block.BranchValue;
                if (operation is not null && writeOf(operation) is { Found: true } write)
                {
                    results.Add((write.Value, new FlowPosition(from.Graph, block, i)));
                    found = true;
                }
            }

            if (found)
            {
                continue;
            }

            if (block.Kind == BasicBlockKind.Entry || block.Predecessors.IsEmpty)
            {
                results.Add((null, null));
                continue;
            }

            foreach (var predecessor in block.Predecessors)
            {
                if (visited.Add(predecessor.Source))
                {
                    pending.Push((predecessor.Source, predecessor.Source.Operations.Length + (predecessor.Source.BranchValue is null ? 0 : 1)));
                }
            }
        }

        return results;
    }

    /// <summary>Where each local reference of the block stands in its control-flow graph (lambdas and local functions included).</summary>
    private Dictionary<SyntaxNode, FlowPosition> Positions()
    {
        if (_positions is not null)
        {
            return _positions;
        }

        var positions = new Dictionary<SyntaxNode, FlowPosition>();
        var graphs = new Stack<ControlFlowGraph>();
        foreach (var block in _blocks)
        {
            if (block.Kind is OperationKind.Block or OperationKind.MethodBody or OperationKind.ConstructorBody or OperationKind.FieldInitializer or OperationKind.PropertyInitializer
                && TryGraph(block) is { } graph)
            {
                graphs.Push(graph);
            }
        }

        while (graphs.Count > 0)
        {
            var graph = graphs.Pop();
            foreach (var localFunction in graph.LocalFunctions)
            {
                graphs.Push(graph.GetLocalFunctionControlFlowGraph(localFunction));
            }

            foreach (var block in graph.Blocks)
            {
                var count = block.Operations.Length + (block.BranchValue is null ? 0 : 1);
                for (var i = 0; i < count; i++)
                {
                    var operation = i < block.Operations.Length ? block.Operations[i] : block.BranchValue!;
                    foreach (var descendant in operation.DescendantsAndSelf())
                    {
                        if (descendant is ILocalReferenceOperation && !positions.ContainsKey(descendant.Syntax))
                        {
                            positions[descendant.Syntax] = new FlowPosition(graph, block, i);
                        }
                        else if (descendant is IFlowAnonymousFunctionOperation lambda)
                        {
                            graphs.Push(graph.GetAnonymousFunctionControlFlowGraph(lambda));
                        }
                    }
                }
            }
        }

        _positions = positions;
        return positions;
    }

    private ControlFlowGraph? TryGraph(IOperation block)
    {
        try
        {
            return _graphOf(block);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
