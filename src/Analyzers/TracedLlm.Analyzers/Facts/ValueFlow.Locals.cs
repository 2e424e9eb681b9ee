namespace TracedLlm.Analyzers.Facts;

// Values of locals: every write in the block; of several constants, those value-content analysis says reach the use.
internal sealed partial class ValueFlow
{
    private IEnumerable<KeyValue> LocalValues(ILocalReferenceOperation use, int nesting)
    {
        var writes = Writes(use.Local);
        if (writes.Count < 2 || writes.Any(w => w is null))
        {
            return writes.Count == 1 && writes[0] is { } one ? ValuesOf(one, nesting + 1) : new[] { KeyValue.Unknown };
        }

        var written = writes.Select(w => (Write: w!, Values: ValuesOf(w!, nesting + 1).ToList())).ToList();
        var all = written.SelectMany(w => w.Values).Distinct().ToList();
        if (all.Count < 2 || !all.Any(v => v.Kind == KeyValueKind.Constant) || _reaching?.Invoke(use) is not { } seen)
        {
            return all;
        }

        // Which writes reach the use is value-content analysis's answer: the constants it lists; any other value, and a
        // constant of a write it may not follow (an out argument's, a pattern's, a call's, a tuple's element, a
        // record's property), where it says the use may be another.
        bool Reaches(IOperation write, KeyValue value) => value.Kind != KeyValueKind.Constant
            ? seen.Other
            : seen.Other && (write is IArgumentOperation or IDeclarationPatternOperation or IForEachLoopOperation
                || Unwrap(write) is IInvocationOperation or IPropertyReferenceOperation
                    or IFieldReferenceOperation { Instance.Type.IsTupleType: true });
        return written.SelectMany(w => w.Values.Where(v => Reaches(w.Write, v)))
            .Concat(seen.Literals.Select(KeyValue.Of)).Distinct().ToList();
    }

    /// <summary>Writes of each local in the block: the value, or null when written some other way (out, a
    /// loop).</summary>
    internal List<IOperation?> Writes(ILocalSymbol local)
    {
        if (_writes is null)
        {
            var writes = new Dictionary<ILocalSymbol, List<IOperation?>>(SymbolEqualityComparer.Default);
            void Add(ILocalSymbol symbol, IOperation? value) => writes.For(symbol).Add(value);

            foreach (var operation in Operations)
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator
                        when declarator.GetVariableInitializer() is { } initializer:
                        Add(declarator.Symbol, initializer.Value);
                        break;
                    case ILocalReferenceOperation reference
                        when IsWrittenOtherwise(reference) && reference.Parent is not ICoalesceAssignmentOperation:
                        // An out or ref argument: what the method it is given to writes (see ArgumentWrites).
                        Add(reference.Local, WritingArgument(reference));
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        Add(target.Local, assignment.Value);
                        break;
                    case ICoalesceAssignmentOperation { Target: ILocalReferenceOperation target } coalesce:
                        // k ??= v: k keeps a value it had or takes v; the values it had are its other writes.
                        Add(target.Local, coalesce.Value);
                        break;
                    case IDeconstructionAssignmentOperation deconstruction
                        when Elements(deconstruction.Target) is { } targets
                            && Elements(deconstruction.Value) is { } values && targets.Length == values.Length:
                        // (a, b) = (x, y): each local takes its element.
                        for (var i = 0; i < targets.Length; i++)
                        {
                            if (Unwrap(targets[i]) is ILocalReferenceOperation element)
                            {
                                Add(element.Local, values[i]);
                            }
                        }

                        break;
                    case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol declared } pattern:
                        Add(declared, TestedValue(pattern) is null ? null : pattern);
                        break;
                    case IForEachLoopOperation loop:
                        // The one variable of a loop over a call (see YieldedValues); any other loop's may be anything.
                        var single = loop.Locals.Length == 1 && loop.LoopControlVariable is IVariableDeclaratorOperation
                            && Unwrap(loop.Collection) is IInvocationOperation;
                        foreach (var loopLocal in loop.Locals)
                        {
                            Add(loopLocal, single ? loop : null);
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

    /// <summary>The values a local is declared with or assigned among <paramref name="operations"/> (no other
    /// writes).</summary>
    public static IEnumerable<IOperation> Assigned(ILocalSymbol local, IEnumerable<IOperation> operations) =>
        operations.Select(o => o switch
        {
            IVariableDeclaratorOperation declarator when Same(declarator.Symbol, local) =>
                declarator.GetVariableInitializer()?.Value,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                when Same(target.Local, local) => assignment.Value,
            _ => null,
        }).OfType<IOperation>();

    /// <summary>The out or ref argument a local is (<c>M(out k)</c>, <c>M(ref k)</c>), or null.</summary>
    private static IArgumentOperation? WritingArgument(ILocalReferenceOperation reference) =>
        (reference.Parent is IDeclarationExpressionOperation declaration ? declaration.Parent : reference.Parent)
            is IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument ? argument : null;

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

    /// <summary>A local written by a deconstruction of something other than a tuple literal of the same size.</summary>
    private static bool IsDeconstructedWithoutElements(ITupleOperation tuple)
    {
        var parent = tuple.Parent is IDeclarationExpressionOperation declaration ? declaration.Parent : tuple.Parent;
        return parent is IDeconstructionAssignmentOperation deconstruction
            && (Elements(deconstruction.Value) is not { } values || values.Length != tuple.Elements.Length);
    }
}
