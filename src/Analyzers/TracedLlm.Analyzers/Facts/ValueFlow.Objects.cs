namespace TracedLlm.Analyzers.Facts;

// Values read from objects the block makes itself: their properties, tuple elements, and whether one is its own.
internal sealed partial class ValueFlow
{
    /// <summary>An object this block makes from nothing that came in: the code's own, not the request's.</summary>
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
                return creation.Arguments.All(a =>
                    a.ArgumentKind == ArgumentKind.DefaultValue || IsOwnValue(a.Value, depth + 1));
            case ICollectionExpressionOperation or IArrayCreationOperation:
                return true;
            case ILocalReferenceOperation local:
                var writes = Writes(local.Local);
                return writes.Count > 0 && writes.All(w => w is not null && IsOwnObject(w, depth + 1));
            default:
                return false;
        }
    }

    private bool IsOwnValue(IOperation value, int depth) => Unwrap(value) is var unwrapped
        && (unwrapped.ConstantValue.HasValue
            || unwrapped is IDelegateCreationOperation or IAnonymousFunctionOperation or IDefaultValueOperation
            || IsOwnObject(unwrapped, depth));

    /// <summary>The object an instance is: made right there, or the one value of a local.</summary>
    private IOperation? MadeHere(IOperation instance) => Unwrap(instance) switch
    {
        var made when made is IObjectCreationOperation or IWithOperation => made,
        ILocalReferenceOperation local when Writes(local.Local) is { Count: 1 } writes && writes[0] is { } written =>
            Unwrap(written) is IObjectCreationOperation or IWithOperation ? Unwrap(written) : null,
        _ => null,
    };

    /// <summary><c>(x, y).Item1</c>: the element of a tuple literal (made there, or a local's one value).</summary>
    private IOperation? TupleElement(IFieldReferenceOperation element)
    {
        // A tuple is a value of its own: a local written once, none of whose elements is written.
        var tuple = element.Instance is null ? null : Unwrap(element.Instance) is ILocalReferenceOperation local
            ? Writes(local.Local) is { Count: 1 } writes && writes[0] is { } written && !ElementWritten(local.Local)
                ? Unwrap(written) : null
            : Unwrap(element.Instance);
        if (tuple is not ITupleOperation literal || element.Field.ContainingType is not { } type)
        {
            return null;
        }

        // A named element (pair.Key) and ItemN name the same position, ItemN's.
        var name = (element.Field.CorrespondingTupleField ?? element.Field).Name;
        var index = type.TupleElements.Select(e => (e.CorrespondingTupleField ?? e).Name).ToList().IndexOf(name);
        return index >= 0 && index < literal.Elements.Length ? literal.Elements[index] : null;
    }

    /// <summary>An element of the tuple local is written, or taken by reference, somewhere in the block.</summary>
    private bool ElementWritten(ILocalSymbol local) => Operations.OfType<IFieldReferenceOperation>()
            .Any(field => IsWritten(field) && Root(field) is ILocalReferenceOperation root && Same(root.Local, local));

    private static IOperation? Root(IFieldReferenceOperation field) =>
        field.Instance is not { } instance ? null
        : Unwrap(instance) is IFieldReferenceOperation inner ? Root(inner) : Unwrap(instance);

    /// <summary>A variable written (assigned, incremented, deconstructed into) or taken by a writable
    /// reference.</summary>
    public static bool IsWritten(IOperation reference) => reference.Parent switch
        {
            ISimpleAssignmentOperation assignment => assignment.Target == reference || assignment.IsRef,
            ICompoundAssignmentOperation compound => compound.Target == reference,
            ICoalesceAssignmentOperation coalesce => coalesce.Target == reference,
            IIncrementOrDecrementOperation => true,
            IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Out or RefKind.Ref,
            ITupleOperation => true,
            IVariableInitializerOperation initializer => initializer.Parent
                is IVariableDeclaratorOperation { Symbol.IsRef: true },
            _ => false,
        };

    /// <summary>The element values of a collection a local holds, made once with its elements and then only
    /// read.</summary>
    /// <remarks>Null for any other collection or use (a call on it, an element written, the collection passed
    /// on).</remarks>
    private List<IOperation>? InitializedElements(IOperation? instance)
    {
        if (instance is null || Unwrap(instance) is not ILocalReferenceOperation local
            || Writes(local.Local) is not { Count: 1 } writes || writes[0] is not { } made)
        {
            return null;
        }

        var elements = new List<IOperation>();
        switch (Unwrap(made))
        {
            case IArrayCreationOperation { DimensionSizes.Length: 1, Initializer: { } array }:
                elements.AddRange(array.ElementValues);
                break;
            case ICollectionExpressionOperation collection
                when collection.Type is IArrayTypeSymbol { Rank: 1 } || IsListOrDictionary(collection.Type):
                elements.AddRange(collection.Elements);
                break;
            case IObjectCreationOperation { Initializer: { } initializer } creation
                when IsListOrDictionary(creation.Type):
                foreach (var element in initializer.Initializers)
                {
                    switch (element)
                    {
                        case IInvocationOperation
                        {
                            TargetMethod: { Name: "Add", IsExtensionMethod: false } target, Arguments.Length: > 0
                        } add when IsListOrDictionary(target.ContainingType):
                            // List.Add(item), Dictionary.Add(key, value): the last argument is the element.
                            elements.Add(add.Arguments[add.Arguments.Length - 1].Value);
                            break;
                        case ISimpleAssignmentOperation
                        {
                            Target: IPropertyReferenceOperation { Property.IsIndexer: true }
                        } assignment:
                            elements.Add(assignment.Value);
                            break;
                        default:
                            return null;
                    }
                }

                break;
            default:
                return null;
        }

        var onlyRead = !elements.Any(e => e is ISpreadOperation or IArrayInitializerOperation)
            && Operations.OfType<ILocalReferenceOperation>().Where(use => Same(use.Local, local.Local))
            .All(use => use.Parent switch
            {
                IPropertyReferenceOperation { Property.IsIndexer: true } indexer => indexer.Instance == use
                    && !IsWritten(indexer),
                IArrayElementReferenceOperation element => element.ArrayReference == use && !IsWritten(element),
                _ => false,
            });
        return onlyRead ? elements : null;
    }

    private static bool IsListOrDictionary(ITypeSymbol? type) =>
        type is INamedTypeSymbol { MetadataName: "List`1" or "Dictionary`2" } named
        && named.ContainingNamespace.ToDisplayString() == "System.Collections.Generic";

    private bool IsCapturedPrimaryConstructorParameter(IParameterSymbol parameter) =>
        parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
        && Same(constructor.ContainingType, _owner.ContainingType)
        && constructor.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax);

    /// <summary>A property read from a local that holds an object made in this block: what it was given.</summary>
    /// <remarks>Its initializer's or <c>with</c>'s value, or a positional record's constructor argument; null when
    /// the object is not made here.</remarks>
    private IEnumerable<KeyValue>? ObjectPropertyValues(IPropertyReferenceOperation property, int nesting)
    {
        if (property.Instance is not { } instance || MadeHere(instance) is not { } made)
        {
            return null;
        }

        // Made here: a creation, or a 'with' copy (whose record's constructor arguments are not read).
        var creation = made as IObjectCreationOperation;
        var initializer = made is IWithOperation with ? with.Initializer : creation?.Initializer;
        foreach (var member in initializer?.Initializers ?? ImmutableArray<IOperation>.Empty)
        {
            if (member is ISimpleAssignmentOperation { Target: IMemberReferenceOperation target } assignment
                && Same(target.Member, property.Property))
            {
                return ValuesOf(assignment.Value, nesting + 1);
            }
        }

        var argument = creation?.Arguments.FirstOrDefault(a =>
            a.Parameter?.Name == property.Property.Name && property.Property.ContainingType.IsRecord);
        return argument is null ? null : ValuesOf(argument.Value, nesting + 1);
    }
}
