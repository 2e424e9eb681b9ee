using Microsoft.CodeAnalysis.CSharp;

namespace TracedLlm.Analyzers.Facts;

// TLLM2004's reading of a try nothing in which can throw.
internal sealed partial class CompilationFacts
{
    /// <summary>Code that cannot throw, by the language and the BCL's documentation, read four calls deep.</summary>
    /// <remarks>
    /// Anything else can throw: an interface or virtual call (unless deferred), other BCL members, an indexer, a loop.
    /// What the runtime raises anywhere (out of memory) is not read: no catch stands for it.
    /// </remarks>
    public bool CannotThrow(IOperation operation) => CannotThrow(operation, 0);

    /// <summary>As <see cref="CannotThrow(IOperation)"/>, interface and virtual calls deferred to the end.</summary>
    public bool CannotThrow(IOperation operation, List<IMethodSymbol> dispatched) =>
        CannotThrow(operation, 0, dispatched);

    private bool CannotThrow(IOperation operation, int depth, List<IMethodSymbol>? deferred = null)
    {
        return operation.ConstantValue.HasValue || operation switch
        {
            IBlockOperation block => block.Operations.All(statement => CannotThrow(statement, depth, deferred)),
            IEmptyOperation or IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue } => true,
            IExpressionStatementOperation statement => CannotThrow(statement.Operation, depth, deferred),
            IVariableDeclarationGroupOperation group => group.Declarations.All(declaration =>
                declaration.Initializer is null
                && declaration.Declarators.All(declarator => !declarator.Symbol.IsRef
                    && (declarator.Initializer is null || CannotThrow(declarator.Initializer.Value, depth, deferred)))),
            IReturnOperation { Kind: OperationKind.Return } @return => @return.ReturnedValue is null
                || CannotThrow(@return.ReturnedValue, depth, deferred),
            IConditionalOperation conditional => CannotThrow(conditional.Condition, depth, deferred)
                && CannotThrow(conditional.WhenTrue, depth, deferred)
                && (conditional.WhenFalse is null || CannotThrow(conditional.WhenFalse, depth, deferred)),
            ISwitchOperation @switch => CannotThrow(@switch.Value, depth, deferred)
                && @switch.Cases.All(@case => @case.Clauses.All(clause =>
                        clause
                            is IDefaultCaseClauseOperation
                                or ISingleValueCaseClauseOperation { Value.ConstantValue.HasValue: true }
                                or IPatternCaseClauseOperation
                                {
                                    Guard: null,
                                    Pattern: IConstantPatternOperation { Value.ConstantValue.HasValue: true }
                                        or IDiscardPatternOperation
                                }
                    ) && @case.Body.All(statement => CannotThrow(statement, depth, deferred))),
            ITryOperation @try => HoldsEverything(@try, depth, deferred),
            ILocalReferenceOperation { Local.IsRef: false }
            or IParameterReferenceOperation or IInstanceReferenceOperation or ILiteralOperation
            or IDefaultValueOperation => true,
            IParenthesizedOperation parenthesized => CannotThrow(parenthesized.Operand, depth, deferred),
            ISimpleAssignmentOperation { IsRef: false } assignment => IsLocalOrParameter(assignment.Target)
                && CannotThrow(assignment.Value, depth, deferred),
            ICompoundAssignmentOperation compound => IsLocalOrParameter(compound.Target)
                && compound.OperatorMethod is null && !compound.IsChecked && compound.InConversion.MethodSymbol is null
                && compound.OutConversion.MethodSymbol is null
                && Arithmetic(compound.OperatorKind, compound.Target.Type)
                && Arithmetic(compound.OperatorKind, compound.Value.Type)
                && CannotThrow(compound.Value, depth, deferred),
            IIncrementOrDecrementOperation increment => IsLocalOrParameter(increment.Target)
                && increment.OperatorMethod is null && !increment.IsChecked
                && IsIntegralOrFloating(increment.Target.Type),
            IDeconstructionAssignmentOperation deconstruction => deconstruction.Value.Type?.IsTupleType == true
                && deconstruction.Target is ITupleOperation targets && targets.Elements.All(IsLocalOrParameter)
                && CannotThrow(deconstruction.Value, depth, deferred),
            ITupleOperation tuple => tuple.Elements.All(element => CannotThrow(element, depth, deferred)),
            IBinaryOperation binary => binary.OperatorMethod is null
                && (Compares(binary.OperatorKind)
                    || (!binary.IsChecked && Arithmetic(binary.OperatorKind, binary.LeftOperand.Type)
                        && Arithmetic(binary.OperatorKind, binary.RightOperand.Type)))
                && CannotThrow(binary.LeftOperand, depth, deferred)
                && CannotThrow(binary.RightOperand, depth, deferred),
            IUnaryOperation unary => unary.OperatorMethod is null && !unary.IsChecked
                && (unary.OperatorKind == UnaryOperatorKind.Not || IsIntegralOrFloating(unary.Operand.Type))
                && CannotThrow(unary.Operand, depth, deferred),
            IConversionOperation conversion => Converts(conversion) && CannotThrow(conversion.Operand, depth, deferred),
            IObjectCreationOperation creation => creation.Constructor is { } constructor
                && creation.Arguments.All(argument => CannotThrow(argument, depth, deferred))
                && ((creation.Initializer is null && IsTupleOrException(constructor))
                    || (HoldsValuesOnly(constructor)
                        && (creation.Initializer is null
                            || creation.Initializer.Initializers.All(member =>
                                SetsAutoProperty(member, depth, deferred))))),
            // An anonymous object's constructor only stores its values.
            IAnonymousObjectCreationOperation anonymous => anonymous.Initializers.All(member =>
                member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation } assignment
                && CannotThrow(assignment.Value, depth, deferred)),
            IInterpolatedStringOperation interpolated => interpolated.Parts.All(part => part switch
                {
                    IInterpolatedStringTextOperation => true,
                    IInterpolationOperation { Alignment: null, FormatString: null } hole => Formats(
                        hole.Expression.Type
                    ) && CannotThrow(hole.Expression, depth, deferred),
                    _ => false,
                }),
            // An instance field of this object read (a static one may run the type's initializer first).
            IFieldReferenceOperation { Instance: IInstanceReferenceOperation } => true,
            IArgumentOperation argument => argument.ArgumentKind is ArgumentKind.Explicit or ArgumentKind.DefaultValue
                && argument.Parameter is { RefKind: RefKind.None } && argument.InConversion.MethodSymbol is null
                && CannotThrow(argument.Value, depth, deferred),
            IInvocationOperation call => CallCannotThrow(call, depth, deferred),
            // An async method's exceptions are all its task can hold: awaited, it throws only what its body throws.
            IAwaitOperation { Operation: IInvocationOperation call } => (call.TargetMethod.IsAsync
                && IsTask(call.TargetMethod.ReturnType) && CallCannotThrow(call, depth, deferred))
                || (IsTask(call.TargetMethod.ReturnType)
                    && call.Arguments.All(argument => CannotThrow(argument, depth, deferred))
                    && Defers(call, depth, deferred)),
            // The caught exception's message, when no source exception overrides Message: a read, not a failure.
            IPropertyReferenceOperation
            {
                Property.Name: "Message", Instance: ILocalReferenceOperation { Local: var caught }
            } message
                when Same(message.Property.ContainingType, Types.Exception) && IsCaught(caught)
                    && !MessageOverridden() => true,
            IPropertyReferenceOperation property => !property.Property.IsIndexer && !property.Property.IsStatic
                && property.Instance is { } instance
                && (IsTupleItem(property.Property)
                    || (IsAutoProperty(property.Property) && IsAutoAccessor(property.Property.GetMethod)))
                && NotNull(instance) && CannotThrow(instance, depth, deferred),
            _ => false,
        };
    }

    /// <summary>A try with an unfiltered catch of everything, whose handlers and finally cannot throw.</summary>
    private bool HoldsEverything(ITryOperation @try, int depth, List<IMethodSymbol>? deferred) =>
        @try.Catches.Any(clause => clause.Filter is null
            && (clause.ExceptionType.SpecialType == SpecialType.System_Object
                || Same(clause.ExceptionType, Types.Exception)))
        && @try.Catches.All(clause => CannotThrow(clause.Handler, depth, deferred)
            || WorkOf(clause.Handler, depth, null, true) == InMemoryWork.Computes)
        && (@try.Finally is null || CannotThrow(@try.Finally, depth, deferred));

    private bool CallCannotThrow(IInvocationOperation call, int depth, List<IMethodSymbol>? deferred = null)
    {
        // A log line: what it writes is beside the request, and a logger's own failure is not the request's. Else a
        // source method whose body is the one that runs, static or called on this (no receiver to be null).
        var method = call.TargetMethod;
        return WritesLogLine(call, depth, deferred)
            || (call.Arguments.All(argument => CannotThrow(argument, depth, deferred))
                && (NeverThrows(method) || MakesResult(call)
                    || (!IsTask(method.ReturnType) && Defers(call, depth, deferred))
                    || (IsHelper(method) && call.Instance is null or IInstanceReferenceOperation && (depth == 0
                        ? _quietMethods.GetOrAdd(method.OriginalDefinition, m => BodyCannotThrow(m, 1))
                        : BodyCannotThrow(method.OriginalDefinition, depth + 1)))));
    }

    private bool BodyCannotThrow(IMethodSymbol method, int depth) =>
        depth <= MaxHelperDepth && Body(_compilation, method) is { } body && CannotThrow(body, depth);

    /// <summary>An interface or virtual call whose implementations are all of source: read at the end.</summary>
    private bool Defers(IInvocationOperation call, int depth, List<IMethodSymbol>? deferred)
    {
        var method = call.TargetMethod.OriginalDefinition;
        if (deferred is null || !Dispatches(method) || call.Instance is not { } receiver || !NotNull(receiver)
            || !CannotThrow(receiver, depth, deferred) || method.ContainingType is not { } owner
            || !owner.Locations.Any(l => l.IsInSource) || !OnlyHere(owner))
        {
            return false;
        }

        deferred.Add(method);
        return true;
    }

    /// <summary>An exception type of source overrides <c>Exception.Message</c>.</summary>
    private bool MessageOverridden() => Decided(ref _messageOverridden, () => Types.Exception is { } exception
        && _compilation.GetSymbolsWithName("Message", SymbolFilter.Member)
            .Any(symbol => symbol is IPropertySymbol { IsOverride: true } property
                && DerivesFrom(property.ContainingType, exception)));

    /// <summary>Every implementation a call of <paramref name="method"/> may run is of source and cannot
    /// throw.</summary>
    public bool HoldsWhereDispatched(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var run = RunBy(method, cancellationToken);
        var task = IsTask(method.ReturnType);
        return run.Count > 0
            && run.All(implementation => implementation.Locations.Any(l => l.IsInSource) && !implementation.IsExtern
                && implementation.IsAsync == task && BodyCannotThrow(implementation.OriginalDefinition, 1));
    }

    /// <summary>The methods a call of <paramref name="method"/> may run: its implementations and overrides, theirs in
    /// turn, those inherited from a base, and the method itself when it has a body.</summary>
    private HashSet<IMethodSymbol> RunBy(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var run = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var pending = new Stack<IMethodSymbol>();
        pending.Push(method);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (!next.IsAbstract && !run.Add(next.OriginalDefinition))
            {
                continue;
            }

            foreach (var implementation in Implementations(next, cancellationToken))
            {
                pending.Push(implementation);
            }
        }

        // What a type runs for an interface's method it inherits from a base that does not declare the interface.
        foreach (var implemented in InheritedImplementations(method, cancellationToken))
        {
            if (run.Add(implemented.OriginalDefinition))
            {
                run.UnionWith(Implementations(implemented, cancellationToken).Select(i => i.OriginalDefinition));
            }
        }

        return run;
    }

    /// <summary>A log line the logging library writes, on a logger that cannot be null.</summary>
    private bool WritesLogLine(IInvocationOperation call, int depth, List<IMethodSymbol>? deferred)
    {
        var method = call.TargetMethod;
        var ownBody = method.Locations.Any(l => l.IsInSource)
            && !(Types.LoggerMessageAttribute is { } generated
                && WellKnownTypes.HasAttribute(method.OriginalDefinition, generated));
        if (ownBody || !IsLogCall(call))
        {
            return false;
        }

        var extension = (method.ReducedFrom ?? method).IsExtensionMethod && call.Instance is null;
        var logger = extension ? call.Arguments.FirstOrDefault()?.Value : call.Instance;
        return (logger is null || (NotNull(logger) && CannotThrow(logger, depth, deferred)))
            && call.Arguments.Skip(extension ? 1 : 0)
                .All(argument => LogArgumentCannotThrow(argument.Value, depth, deferred));
    }

    /// <summary>A log call's argument that cannot throw, or a <c>params</c> array of such.</summary>
    private bool LogArgumentCannotThrow(IOperation value, int depth, List<IMethodSymbol>? deferred) => value switch
        {
            IArrayCreationOperation { Initializer: { } elements } array when array.IsImplicit =>
                elements.ElementValues.All(element => LogArgumentCannotThrow(element, depth, deferred)),
            _ => CannotThrow(value, depth, deferred),
        };

    /// <summary>A value an interpolation formats without code of its own: a string, an integer, a bool, an
    /// enum.</summary>
    private static bool Formats(ITypeSymbol? type) => type is not null
        && (type.TypeKind == TypeKind.Enum
            || type.SpecialType
                is SpecialType.System_String or SpecialType.System_Boolean or SpecialType.System_Char
                    or SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64
                    or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64
                    or SpecialType.System_Byte or SpecialType.System_SByte);

    /// <summary>An initializer's set of an auto-property of source, with a value that cannot throw.</summary>
    private bool SetsAutoProperty(IOperation member, int depth, List<IMethodSymbol>? deferred) => member
            is ISimpleAssignmentOperation
            {
                Target: IPropertyReferenceOperation { Property: var property, Instance: IInstanceReferenceOperation }
            } assignment
        && IsAutoProperty(property) && IsAutoAccessor(property.SetMethod)
        && CannotThrow(assignment.Value, depth, deferred);

    /// <summary>A local declared by a catch clause for its exception.</summary>
    private static bool IsCaught(ILocalSymbol local) =>
        local.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax() is CatchDeclarationSyntax);

    /// <summary>A result ASP.NET Core makes without running anything; it executes after the action.</summary>
    private static bool MakesResult(IInvocationOperation call)
    {
        var method = call.TargetMethod;
        if (method.Name
            is not ("Ok" or "BadRequest" or "NotFound" or "Conflict" or "NoContent" or "StatusCode" or "Accepted"
                or "Created" or "CreatedAtAction" or "CreatedAtRoute" or "Unauthorized" or "UnprocessableEntity"
                or "Content" or "Json"))
        {
            return false;
        }

        var owner = method.ContainingType?.ToDisplayString();
        return (owner is "Microsoft.AspNetCore.Mvc.ControllerBase" or "Microsoft.AspNetCore.Mvc.Controller"
                && call.Instance is IInstanceReferenceOperation)
            || (method.IsStatic
                && owner is "Microsoft.AspNetCore.Http.Results" or "Microsoft.AspNetCore.Http.TypedResults");
    }

    /// <summary>BCL members documented to throw nothing (<c>string.IsNullOrEmpty</c>, <c>Math.Max</c>).</summary>
    private static bool NeverThrows(IMethodSymbol method) => method.IsStatic
        && (method.ContainingType?.SpecialType == SpecialType.System_String
            ? method.Name is "IsNullOrEmpty" or "IsNullOrWhiteSpace" || (method.Name == "Equals"
                && method.Parameters.Length == 2
                && method.Parameters.All(p => p.Type.SpecialType == SpecialType.System_String))
            : method.ContainingType?.ToDisplayString() == "System.Math"
                && (method.Name is "Max" or "Min" or "Ceiling" or "Floor" || (method.Name == "Abs"
                    && method.Parameters.Length == 1 && method.Parameters[0].Type.SpecialType
                        is SpecialType.System_Single or SpecialType.System_Double)));

    private bool IsTupleOrException(IMethodSymbol constructor)
    {
        var type = constructor.ContainingType.OriginalDefinition;
        return IsSystemTuple(type)
            || (Same(type, Types.Exception)
                && constructor.Parameters.All(p =>
                    p.Type.SpecialType == SpecialType.System_String || Same(p.Type, Types.Exception)));
    }

    private static bool IsSystemTuple(INamedTypeSymbol type) => type.Name is "Tuple" or "ValueTuple"
        && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true };

    private static bool IsTupleItem(IPropertySymbol property) =>
        IsSystemTuple(property.ContainingType.OriginalDefinition)
        && (property.Name.StartsWith("Item", StringComparison.Ordinal) || property.Name == "Rest");

    /// <summary>An auto-property's accessor (<c>get</c>, <c>set</c>, <c>init</c>) written without a body: it reads or
    /// writes its field only.</summary>
    private static bool IsAutoAccessor(IMethodSymbol? accessor) =>
        accessor is not null && accessor.DeclaringSyntaxReferences.All(reference => reference.GetSyntax() switch
        {
            AccessorDeclarationSyntax declared => declared.Body is null && declared.ExpressionBody is null,
            ParameterSyntax => true,
            _ => false,
        });

    private static bool IsLocalOrParameter(IOperation target) =>
        target is ILocalReferenceOperation { Local.IsRef: false } or IParameterReferenceOperation
        || (target is IDeclarationExpressionOperation { Expression: ILocalReferenceOperation { Local.IsRef: false } });

    private static bool Compares(BinaryOperatorKind kind) => kind
            is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan
                or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan
                or BinaryOperatorKind.GreaterThanOrEqual or BinaryOperatorKind.ConditionalAnd
                or BinaryOperatorKind.ConditionalOr;

    /// <summary>Built-in arithmetic that throws nothing unchecked: integer division and remainder throw on
    /// zero.</summary>
    private static bool Arithmetic(BinaryOperatorKind kind, ITypeSymbol? type) => kind switch
        {
            BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply
            or BinaryOperatorKind.LeftShift or BinaryOperatorKind.RightShift
            or BinaryOperatorKind.UnsignedRightShift => IsIntegralOrFloating(type),
            BinaryOperatorKind.And or BinaryOperatorKind.Or or BinaryOperatorKind.ExclusiveOr => IsIntegralOrFloating(
                type) || Underlying(type)?.SpecialType == SpecialType.System_Boolean,
            BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder => Underlying(type)?.SpecialType
                is SpecialType.System_Single or SpecialType.System_Double,
            _ => false,
        };

    private static bool IsIntegralOrFloating(ITypeSymbol? type) => Underlying(type)?.SpecialType
            is SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16
                or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
                or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Char
                or SpecialType.System_Single or SpecialType.System_Double;

    /// <summary>The type itself, or T of a <c>Nullable&lt;T&gt;</c> (lifted operators throw nothing more).</summary>
    private static ITypeSymbol? Underlying(ITypeSymbol? type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0] : type;

    /// <summary>A conversion that throws nothing: implicit, or explicit unchecked and numeric, never decimal.</summary>
    private static bool Converts(IConversionOperation operation)
    {
        if (operation.OperatorMethod is not null || operation.IsChecked)
        {
            return false;
        }

        var conversion = operation.GetConversion();
        if (conversion.IsNullable && conversion.IsExplicit)
        {
            // (int)nullable throws InvalidOperationException when it holds no value.
            return false;
        }

        if (conversion.IsIdentity || conversion.IsNullLiteral || conversion.IsDefaultLiteral)
        {
            return true;
        }

        if (conversion.IsNumeric || conversion.IsEnumeration)
        {
            return Underlying(operation.Type)?.SpecialType != SpecialType.System_Decimal
                && Underlying(operation.Operand.Type)?.SpecialType != SpecialType.System_Decimal;
        }

        return conversion.IsImplicit && (conversion.IsReference || conversion.IsBoxing || conversion.IsNullable);
    }

    /// <summary>A receiver that cannot be null, by nullable analysis and the declarations its value comes
    /// from.</summary>
    private bool NotNull(IOperation receiver)
    {
        receiver = Unwrap(receiver);
        // A readonly field declared not null (the compiler warns, CS8618, when a constructor leaves it unset) and not
        // initialized with '!', or a local a catch declares.
        if (receiver is IInstanceReferenceOperation
            || receiver.Type is { IsValueType: true, OriginalDefinition.SpecialType: not SpecialType.System_Nullable_T }
            || (receiver is IFieldReferenceOperation { Field: { IsReadOnly: true, NullableAnnotation:
                    NullableAnnotation.NotAnnotated } readonlyField, Instance: null or IInstanceReferenceOperation }
                    field
                && field.SemanticModel?.GetTypeInfo(field.Syntax).Nullability.FlowState == NullableFlowState.NotNull
                && !readonlyField.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax() is
                    VariableDeclaratorSyntax { Initializer.Value: PostfixUnaryExpressionSyntax
                        { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } }))
            || (receiver is ILocalReferenceOperation { Local: var caughtLocal } && IsCaught(caughtLocal)))
        {
            return true;
        }

        if (receiver is not (ILocalReferenceOperation or IParameterReferenceOperation)
            || receiver.SemanticModel is not { } model
            || model.GetTypeInfo(receiver.Syntax).Nullability.FlowState != NullableFlowState.NotNull)
        {
            return false;
        }

        if (receiver is IParameterReferenceOperation { Parameter: var parameter })
        {
            return parameter.RefKind == RefKind.None && parameter.NullableAnnotation == NullableAnnotation.NotAnnotated;
        }

        var local = ((ILocalReferenceOperation)receiver).Local;
        var declared = false;
        foreach (var operation in ValueFlow.Root(receiver).DescendantsAndSelf())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when Same(declarator.Symbol, local):
                    declared = true;
                    var written = declarator.Parent switch
                    {
                        IForEachLoopOperation loop => ElementsNotNull(loop, model),
                        IVariableDeclarationOperation => declarator.GetVariableInitializer() is not { } initializer
                            || DeclaredNotNull(initializer.Value),
                        _ => false,
                    };
                    if (!written)
                    {
                        return false;
                    }

                    break;
                case ILocalReferenceOperation reference when Same(reference.Local, local) && !Read(reference):
                    return false;
            }
        }

        return declared;
    }

    /// <summary>A reference to a local that only reads it, or writes it a value declared not null.</summary>
    private bool Read(ILocalReferenceOperation reference) => reference.Parent switch
        {
            ISimpleAssignmentOperation assignment when assignment.Target == reference => !assignment.IsRef
                && DeclaredNotNull(assignment.Value),
            IArgumentOperation argument => argument.Parameter is null or { RefKind: RefKind.None or RefKind.In },
            ICompoundAssignmentOperation or ICoalesceAssignmentOperation or IIncrementOrDecrementOperation
            or ITupleOperation or IDeclarationExpressionOperation => false,
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol.IsRef: true } } => false,
            _ => true,
        };

    /// <summary>A value its declaration says is not null (a creation, or a member not annotated <c>?</c>).</summary>
    private bool DeclaredNotNull(IOperation value)
    {
        value = Unwrap(value);
        return value.Type is { IsValueType: true, OriginalDefinition.SpecialType: not SpecialType.System_Nullable_T }
            || value switch
            {
                IObjectCreationOperation or IAnonymousObjectCreationOperation or IArrayCreationOperation
                or IInstanceReferenceOperation => true,
                ILiteralOperation literal => literal.ConstantValue is { HasValue: true, Value: not null },
                IInvocationOperation call => call.TargetMethod.ReturnNullableAnnotation
                    == NullableAnnotation.NotAnnotated,
                IAwaitOperation { Operation: IInvocationOperation call } => Types.TaskResult(
                    call.TargetMethod.ReturnType) is { NullableAnnotation: NullableAnnotation.NotAnnotated },
                IPropertyReferenceOperation property => property.Property.NullableAnnotation
                    == NullableAnnotation.NotAnnotated,
                IFieldReferenceOperation field => field.Field.NullableAnnotation == NullableAnnotation.NotAnnotated,
                IParameterReferenceOperation parameter => parameter.Parameter.RefKind == RefKind.None
                    && parameter.Parameter.NullableAnnotation == NullableAnnotation.NotAnnotated,
                _ => false,
            };
    }

    /// <summary>A <c>foreach</c> over an <c>IEnumerable&lt;T&gt;</c> whose T is declared not null.</summary>
    private static bool ElementsNotNull(IForEachLoopOperation loop, SemanticModel model)
    {
        if (loop.IsAsynchronous || loop.Syntax is not ForEachStatementSyntax statement
            || model.GetTypeInfo(statement.Expression).Type is not INamedTypeSymbol collection)
        {
            return false;
        }

        var sequence = collection.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T
                ? collection
                : collection.AllInterfaces.FirstOrDefault(i =>
                    i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T);
        return sequence?.TypeArguments[0] is { } element
            && (element.IsValueType || element.NullableAnnotation == NullableAnnotation.NotAnnotated);
    }

    /// <summary>The value under parentheses and conversions that keep it (not an <c>as</c>).</summary>
    private static IOperation Unwrap(IOperation value) => value switch
    {
        IParenthesizedOperation parenthesized => Unwrap(parenthesized.Operand),
        IConversionOperation { IsTryCast: false } conversion => Unwrap(conversion.Operand),
        _ => value,
    };

    private bool IsTask(ITypeSymbol type) =>
        Types.TaskResult(type) is not null || Same(type, Types.Task) || Same(type, Types.ValueTask);
}
