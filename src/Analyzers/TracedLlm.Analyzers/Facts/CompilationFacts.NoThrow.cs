using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

// TLLM2004's reading of a try nothing in which can throw: what the language and the BCL's documented
// behaviour say cannot throw, and source methods made only of that (or that catch everything themselves).
internal sealed partial class CompilationFacts
{
    /// <summary>Code that cannot throw, by the language and the BCL's documentation, read four calls deep.</summary>
    /// <remarks>
    /// Reads of locals and constants, assignments, comparisons, unchecked arithmetic and conversions, a try that
    /// catches everything, a source method whose body cannot throw, a log line, ASP.NET Core's result factories,
    /// members of receivers that cannot be null. Anything else can throw: an interface or virtual call (unless
    /// deferred), other BCL members, an indexer, a throw, a loop. What the runtime raises anywhere (out of memory) is
    /// not read: no catch stands for it.
    /// </remarks>
    public bool CannotThrow(IOperation operation) => CannotThrow(operation, 0);

    /// <summary>As <see cref="CannotThrow(IOperation)"/>, interface and virtual calls deferred to the end of the
    /// compilation.</summary>
    public bool CannotThrow(IOperation operation, List<IMethodSymbol> dispatched) => CannotThrow(operation, 0, dispatched);

    private bool CannotThrow(IOperation operation, int depth, List<IMethodSymbol>? deferred = null)
    {
        if (operation.ConstantValue.HasValue)
        {
            return true;
        }

        switch (operation)
        {
            case IBlockOperation block:
                return block.Operations.All(statement => CannotThrow(statement, depth, deferred));
            case IEmptyOperation or IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue }:
                return true;
            case IExpressionStatementOperation statement:
                return CannotThrow(statement.Operation, depth, deferred);
            case IVariableDeclarationGroupOperation group:
                return group.Declarations.All(declaration => declaration.Initializer is null && declaration.Declarators.All(declarator =>
                    !declarator.Symbol.IsRef && (declarator.Initializer is null || CannotThrow(declarator.Initializer.Value, depth, deferred))));
            case IReturnOperation { Kind: OperationKind.Return } @return:
                return @return.ReturnedValue is null || CannotThrow(@return.ReturnedValue, depth, deferred);
            case IConditionalOperation conditional:
                return CannotThrow(conditional.Condition, depth, deferred) && CannotThrow(conditional.WhenTrue, depth, deferred)
                    && (conditional.WhenFalse is null || CannotThrow(conditional.WhenFalse, depth, deferred));
            case ISwitchOperation @switch:
                return CannotThrow(@switch.Value, depth, deferred) && @switch.Cases.All(@case =>
                    @case.Clauses.All(clause => clause is IDefaultCaseClauseOperation or ISingleValueCaseClauseOperation { Value.ConstantValue.HasValue: true }
                        or IPatternCaseClauseOperation { Guard: null, Pattern: IConstantPatternOperation { Value.ConstantValue.HasValue: true } or IDiscardPatternOperation })
                    && @case.Body.All(statement => CannotThrow(statement, depth, deferred)));
            case ITryOperation @try:
                return HoldsEverything(@try, depth, deferred);
            case ILocalReferenceOperation { Local.IsRef: false } or IParameterReferenceOperation or IInstanceReferenceOperation or ILiteralOperation or IDefaultValueOperation:
                return true;
            case IParenthesizedOperation parenthesized:
                return CannotThrow(parenthesized.Operand, depth, deferred);
            case ISimpleAssignmentOperation { IsRef: false } assignment:
                return IsLocalOrParameter(assignment.Target) && CannotThrow(assignment.Value, depth, deferred);
            case ICompoundAssignmentOperation compound:
                return IsLocalOrParameter(compound.Target) && compound.OperatorMethod is null && !compound.IsChecked
                    && compound.InConversion.MethodSymbol is null && compound.OutConversion.MethodSymbol is null
                    && Arithmetic(compound.OperatorKind, compound.Target.Type) && Arithmetic(compound.OperatorKind, compound.Value.Type) && CannotThrow(compound.Value, depth, deferred);
            case IIncrementOrDecrementOperation increment:
                return IsLocalOrParameter(increment.Target) && increment.OperatorMethod is null && !increment.IsChecked && IsIntegralOrFloating(increment.Target.Type);
            case IDeconstructionAssignmentOperation deconstruction:
                return deconstruction.Value.Type?.IsTupleType == true && deconstruction.Target is ITupleOperation targets
                    && targets.Elements.All(IsLocalOrParameter) && CannotThrow(deconstruction.Value, depth, deferred);
            case ITupleOperation tuple:
                return tuple.Elements.All(element => CannotThrow(element, depth, deferred));
            case IBinaryOperation binary:
                return binary.OperatorMethod is null && (Compares(binary.OperatorKind) || (!binary.IsChecked && Arithmetic(binary.OperatorKind, binary.LeftOperand.Type) && Arithmetic(binary.OperatorKind, binary.RightOperand.Type)))
                    && CannotThrow(binary.LeftOperand, depth, deferred) && CannotThrow(binary.RightOperand, depth, deferred);
            case IUnaryOperation unary:
                return unary.OperatorMethod is null && !unary.IsChecked && (unary.OperatorKind == UnaryOperatorKind.Not || IsIntegralOrFloating(unary.Operand.Type))
                    && CannotThrow(unary.Operand, depth, deferred);
            case IConversionOperation conversion:
                return Converts(conversion) && CannotThrow(conversion.Operand, depth, deferred);
            case IObjectCreationOperation creation:
                return creation.Constructor is { } constructor && creation.Arguments.All(argument => CannotThrow(argument, depth, deferred))
                    && ((creation.Initializer is null && IsTupleOrException(constructor))
                        || (HoldsValuesOnly(constructor) && (creation.Initializer is null || creation.Initializer.Initializers.All(member => SetsAutoProperty(member, depth, deferred)))));
            case IAnonymousObjectCreationOperation anonymous:
                // An anonymous object's constructor only stores its values.
                return anonymous.Initializers.All(member => member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation } assignment && CannotThrow(assignment.Value, depth, deferred));
            case IInterpolatedStringOperation interpolated:
                return interpolated.Parts.All(part => part switch
                {
                    IInterpolatedStringTextOperation => true,
                    IInterpolationOperation { Alignment: null, FormatString: null } hole => Formats(hole.Expression.Type) && CannotThrow(hole.Expression, depth, deferred),
                    _ => false,
                });
            case IFieldReferenceOperation { Instance: IInstanceReferenceOperation }:
                // An instance field of this object read (a static one may run the type's initializer first).
                return true;
            case IArgumentOperation argument:
                return argument.ArgumentKind is ArgumentKind.Explicit or ArgumentKind.DefaultValue && argument.Parameter is { RefKind: RefKind.None }
                    && argument.InConversion.MethodSymbol is null && CannotThrow(argument.Value, depth, deferred);
            case IInvocationOperation call:
                return CallCannotThrow(call, depth, deferred);
            case IAwaitOperation { Operation: IInvocationOperation call }:
                // An async method's exceptions are all its task can hold: awaited, it throws only what its body throws.
                return (call.TargetMethod.IsAsync && IsTask(call.TargetMethod.ReturnType) && CallCannotThrow(call, depth, deferred))
                    || (IsTask(call.TargetMethod.ReturnType) && call.Arguments.All(argument => CannotThrow(argument, depth, deferred)) && Defers(call, depth, deferred));
            case IPropertyReferenceOperation { Property.Name: "Message", Instance: ILocalReferenceOperation { Local: var caught } } message
                when WellKnownTypes.Same(message.Property.ContainingType, Types.Exception) && IsCaught(caught) && !MessageOverridden():
                // The caught exception's message, when no exception of source overrides Message: the failure read, not a failure.
                return true;
            case IPropertyReferenceOperation property:
                return !property.Property.IsIndexer && !property.Property.IsStatic && property.Instance is { } instance
                    && (IsTupleItem(property.Property) || (IsAutoProperty(property.Property) && HasAutoGetter(property.Property)))
                    && NotNull(instance) && CannotThrow(instance, depth, deferred);
            default:
                return false;
        }
    }

    /// <summary>A try with an unfiltered catch of everything: it cannot throw when no handler and no finally
    /// can.</summary>
    private bool HoldsEverything(ITryOperation @try, int depth, List<IMethodSymbol>? deferred) =>
        @try.Catches.Any(clause => clause.Filter is null && (clause.ExceptionType.SpecialType == SpecialType.System_Object || WellKnownTypes.Same(clause.ExceptionType, Types.Exception)))
        && @try.Catches.All(clause => CannotThrow(clause.Handler, depth, deferred))
        && (@try.Finally is null || CannotThrow(@try.Finally, depth, deferred));

    private bool CallCannotThrow(IInvocationOperation call, int depth, List<IMethodSymbol>? deferred = null)
    {
        var method = call.TargetMethod;
        if (WritesLogLine(call, depth, deferred))
        {
            // A log line: what it writes is beside the request, and a logger's own failure is not the request's.
            return true;
        }

        if (!call.Arguments.All(argument => CannotThrow(argument, depth, deferred)))
        {
            return false;
        }

        if (NeverThrows(method) || MakesResult(call))
        {
            return true;
        }

        if (!IsTask(method.ReturnType) && Defers(call, depth, deferred))
        {
            return true;
        }

        // A source method whose body is the one that runs (not virtual, abstract or an override, not an interface's),
        // static or called on this (no receiver to be null).
        if (!IsHelper(method) || (call.Instance is not null && call.Instance is not IInstanceReferenceOperation))
        {
            return false;
        }

        return depth == 0
            ? _quietMethods.GetOrAdd(method.OriginalDefinition, m => BodyCannotThrow(m, 1))
            : BodyCannotThrow(method.OriginalDefinition, depth + 1);
    }

    private bool BodyCannotThrow(IMethodSymbol method, int depth) =>
        depth <= MaxHelperDepth && Body(_compilation, method) is { } body && CannotThrow(body, depth);

    /// <summary>An interface or virtual call of source whose implementations the compilation holds all of: read at its
    /// end.</summary>
    private bool Defers(IInvocationOperation call, int depth, List<IMethodSymbol>? deferred)
    {
        var method = call.TargetMethod.OriginalDefinition;
        if (deferred is null || !Dispatches(method) || call.Instance is not { } receiver || !NotNull(receiver) || !CannotThrow(receiver, depth, deferred)
            || method.ContainingType is not { } owner || !owner.Locations.Any(l => l.IsInSource) || !OnlyHere(owner))
        {
            return false;
        }

        deferred.Add(method);
        return true;
    }

    /// <summary>An exception type of source overrides <c>Exception.Message</c> (read once from the
    /// declarations).</summary>
    private bool MessageOverridden()
    {
        var known = Volatile.Read(ref _messageOverridden);
        if (known == 0)
        {
            var overridden = Types.Exception is { } exception && _compilation.GetSymbolsWithName("Message", SymbolFilter.Member)
                .Any(symbol => symbol is IPropertySymbol { IsOverride: true } property && WellKnownTypes.DerivesFrom(property.ContainingType, exception));
            known = overridden ? 1 : -1;
            Volatile.Write(ref _messageOverridden, known);
        }

        return known == 1;
    }

    /// <summary>Every implementation a call of <paramref name="method"/> may run is of source and cannot
    /// throw.</summary>
    public bool HoldsWhereDispatched(IMethodSymbol method, CancellationToken cancellationToken)
    {
        // The implementations and overrides recorded, their own overrides in turn, and the method itself when it has a body.
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

        // What a type of source runs for an interface's method it inherits from a base that does not declare the interface.
        foreach (var implemented in InheritedImplementations(method, cancellationToken))
        {
            if (run.Add(implemented.OriginalDefinition))
            {
                foreach (var implementation in Implementations(implemented, cancellationToken))
                {
                    run.Add(implementation.OriginalDefinition);
                }
            }
        }

        var task = IsTask(method.ReturnType);
        return run.Count > 0 && run.All(implementation => implementation.Locations.Any(l => l.IsInSource) && !implementation.IsExtern
            && implementation.IsAsync == task && BodyCannotThrow(implementation.OriginalDefinition, 1));
    }

    /// <summary>A log line the logging library writes, on a logger that cannot be null, with arguments that cannot
    /// throw.</summary>
    private bool WritesLogLine(IInvocationOperation call, int depth, List<IMethodSymbol>? deferred)
    {
        var method = call.TargetMethod;
        var ownBody = method.Locations.Any(l => l.IsInSource)
            && !(Types.LoggerMessageAttribute is { } generated && WellKnownTypes.HasAttribute(method.OriginalDefinition, generated));
        if (ownBody || !IsLogCall(call))
        {
            return false;
        }

        var extension = (method.ReducedFrom ?? method).IsExtensionMethod && call.Instance is null;
        var logger = extension ? call.Arguments.FirstOrDefault()?.Value : call.Instance;
        return (logger is null || (NotNull(logger) && CannotThrow(logger, depth, deferred)))
            && call.Arguments.Skip(extension ? 1 : 0).All(argument => LogArgumentCannotThrow(argument.Value, depth, deferred));
    }

    /// <summary>A log call's argument that cannot throw, or the array a <c>params</c> argument is made of
    /// such.</summary>
    private bool LogArgumentCannotThrow(IOperation value, int depth, List<IMethodSymbol>? deferred) => value switch
    {
        IArrayCreationOperation { Initializer: { } elements } array when array.IsImplicit => elements.ElementValues.All(element => LogArgumentCannotThrow(element, depth, deferred)),
        _ => CannotThrow(value, depth, deferred),
    };

    /// <summary>A value an interpolation formats without running code of its own: a string, an integer, a <c>bool</c>, a <c>char</c>, an enum.</summary>
    private static bool Formats(ITypeSymbol? type) => type is not null
        && (type.TypeKind == TypeKind.Enum || type.SpecialType is SpecialType.System_String or SpecialType.System_Boolean or SpecialType.System_Char
            or SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt16 or SpecialType.System_UInt32
            or SpecialType.System_UInt64 or SpecialType.System_Byte or SpecialType.System_SByte);

    /// <summary>An object initializer's member set: an auto-property of source (its setter written by the compiler) given a value that cannot throw.</summary>
    private bool SetsAutoProperty(IOperation member, int depth, List<IMethodSymbol>? deferred) =>
        member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property: var property, Instance: IInstanceReferenceOperation } } assignment
        && IsAutoProperty(property) && HasAutoSetter(property) && CannotThrow(assignment.Value, depth, deferred);

    /// <summary>A local declared by a catch clause for its exception (null only if code assigns it so, which nullable analysis warns of).</summary>
    private static bool IsCaught(ILocalSymbol local) =>
        local.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax() is CatchDeclarationSyntax);

    /// <summary>A result ASP.NET Core makes without running anything; it executes after the action, outside its
    /// try.</summary>
    private static bool MakesResult(IInvocationOperation call)
    {
        var method = call.TargetMethod;
        if (method.Name is not ("Ok" or "BadRequest" or "NotFound" or "Conflict" or "NoContent" or "StatusCode" or "Accepted" or "Created"
            or "CreatedAtAction" or "CreatedAtRoute" or "Unauthorized" or "UnprocessableEntity" or "Content" or "Json"))
        {
            return false;
        }

        var owner = method.ContainingType?.ToDisplayString();
        return (owner is "Microsoft.AspNetCore.Mvc.ControllerBase" or "Microsoft.AspNetCore.Mvc.Controller" && call.Instance is IInstanceReferenceOperation)
            || (method.IsStatic && owner is "Microsoft.AspNetCore.Http.Results" or "Microsoft.AspNetCore.Http.TypedResults");
    }

    /// <summary>BCL members documented to throw nothing (<c>string.IsNullOrEmpty</c>, <c>Math.Max</c>, a floating
    /// <c>Math.Abs</c>).</summary>
    private static bool NeverThrows(IMethodSymbol method)
    {
        if (!method.IsStatic)
        {
            return false;
        }

        switch (method.ContainingType?.SpecialType)
        {
            case SpecialType.System_String:
                return method.Name is "IsNullOrEmpty" or "IsNullOrWhiteSpace"
                    || (method.Name == "Equals" && method.Parameters.Length == 2 && method.Parameters.All(p => p.Type.SpecialType == SpecialType.System_String));
        }

        if (method.ContainingType?.ToDisplayString() != "System.Math")
        {
            return false;
        }

        return method.Name is "Max" or "Min" or "Ceiling" or "Floor"
            || (method.Name == "Abs" && method.Parameters.Length == 1 && method.Parameters[0].Type.SpecialType is SpecialType.System_Single or SpecialType.System_Double);
    }

    private bool IsTupleOrException(IMethodSymbol constructor)
    {
        var type = constructor.ContainingType.OriginalDefinition;
        return IsSystemTuple(type)
            || (WellKnownTypes.Same(type, Types.Exception) && constructor.Parameters.All(p => p.Type.SpecialType == SpecialType.System_String || WellKnownTypes.Same(p.Type, Types.Exception)));
    }

    private static bool IsSystemTuple(INamedTypeSymbol type) =>
        type.Name is "Tuple" or "ValueTuple" && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true };

    private static bool IsTupleItem(IPropertySymbol property) =>
        IsSystemTuple(property.ContainingType.OriginalDefinition) && (property.Name.StartsWith("Item", System.StringComparison.Ordinal) || property.Name == "Rest");

    /// <summary>An auto-property's getter, written without a body (a positional record's property too): it reads its field and nothing else.</summary>
    private static bool HasAutoGetter(IPropertySymbol property) => IsAutoAccessor(property.GetMethod);

    /// <summary>An auto-property's setter (or <c>init</c>), written without a body (a positional record's too): it writes its field and nothing else.</summary>
    private static bool HasAutoSetter(IPropertySymbol property) => IsAutoAccessor(property.SetMethod);

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

    private static bool Compares(BinaryOperatorKind kind) => kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan
        or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual
        or BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr;

    /// <summary>Built-in arithmetic that throws nothing outside a checked context: integer division and remainder throw on zero.</summary>
    private static bool Arithmetic(BinaryOperatorKind kind, ITypeSymbol? type) => kind switch
    {
        BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply or BinaryOperatorKind.LeftShift or BinaryOperatorKind.RightShift
            or BinaryOperatorKind.UnsignedRightShift => IsIntegralOrFloating(type),
        BinaryOperatorKind.And or BinaryOperatorKind.Or or BinaryOperatorKind.ExclusiveOr => IsIntegralOrFloating(type) || Underlying(type)?.SpecialType == SpecialType.System_Boolean,
        BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder => Underlying(type)?.SpecialType is SpecialType.System_Single or SpecialType.System_Double,
        _ => false,
    };

    private static bool IsIntegralOrFloating(ITypeSymbol? type) => Underlying(type)?.SpecialType is SpecialType.System_SByte or SpecialType.System_Byte
        or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64
        or SpecialType.System_UInt64 or SpecialType.System_Char or SpecialType.System_Single or SpecialType.System_Double;

    /// <summary>The type itself, or T of a <c>Nullable&lt;T&gt;</c> (lifted operators throw nothing more).</summary>
    private static ITypeSymbol? Underlying(ITypeSymbol? type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;

    /// <summary>A conversion that throws nothing: implicit, or explicit unchecked and numeric, never to or from
    /// decimal.</summary>
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
            return Underlying(operation.Type)?.SpecialType != SpecialType.System_Decimal && Underlying(operation.Operand.Type)?.SpecialType != SpecialType.System_Decimal;
        }

        return conversion.IsImplicit && (conversion.IsReference || conversion.IsBoxing || conversion.IsNullable);
    }

    /// <summary>A receiver that cannot be null, by nullable analysis and the declarations its value comes
    /// from.</summary>
    private bool NotNull(IOperation receiver)
    {
        receiver = Unwrap(receiver);
        if (receiver is IInstanceReferenceOperation || receiver.Type is { IsValueType: true, OriginalDefinition.SpecialType: not SpecialType.System_Nullable_T })
        {
            return true;
        }

        if (receiver is IFieldReferenceOperation { Field: { IsReadOnly: true, NullableAnnotation: NullableAnnotation.NotAnnotated } readonlyField, Instance: null or IInstanceReferenceOperation } field
            && field.SemanticModel is { } fieldModel && fieldModel.GetTypeInfo(field.Syntax).Nullability.FlowState == NullableFlowState.NotNull
            && !readonlyField.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } }))
        {
            // A readonly field declared not null in a nullable-enabled declaration (the compiler warns, CS8618, when a constructor leaves it unset).
            return true;
        }

        if (receiver is ILocalReferenceOperation { Local: var caughtLocal } && IsCaught(caughtLocal))
        {
            return true;
        }

        if (receiver is not (ILocalReferenceOperation or IParameterReferenceOperation) || receiver.SemanticModel is not { } model
            || model.GetTypeInfo(receiver.Syntax).Nullability.FlowState != NullableFlowState.NotNull)
        {
            return false;
        }

        if (receiver is IParameterReferenceOperation { Parameter: var parameter })
        {
            return parameter.RefKind == RefKind.None && parameter.NullableAnnotation == NullableAnnotation.NotAnnotated;
        }

        var local = ((ILocalReferenceOperation)receiver).Local;
        var root = receiver;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        var declared = false;
        foreach (var operation in root.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when WellKnownTypes.Same(declarator.Symbol, local):
                    declared = true;
                    var written = declarator.Parent switch
                    {
                        IForEachLoopOperation loop => ElementsNotNull(loop, model),
                        IVariableDeclarationOperation => declarator.GetVariableInitializer() is not { } initializer || DeclaredNotNull(initializer.Value),
                        _ => false,
                    };
                    if (!written)
                    {
                        return false;
                    }

                    break;
                case ILocalReferenceOperation reference when WellKnownTypes.Same(reference.Local, local) && !Read(reference):
                    return false;
            }
        }

        return declared;
    }

    /// <summary>A reference to a local that only reads it, or writes it a value declared not null.</summary>
    private bool Read(ILocalReferenceOperation reference) => reference.Parent switch
    {
        ISimpleAssignmentOperation assignment when assignment.Target == reference => !assignment.IsRef && DeclaredNotNull(assignment.Value),
        IArgumentOperation argument => argument.Parameter is null or { RefKind: RefKind.None or RefKind.In },
        ICompoundAssignmentOperation or ICoalesceAssignmentOperation or IIncrementOrDecrementOperation or ITupleOperation or IDeclarationExpressionOperation => false,
        IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol.IsRef: true } } => false,
        _ => true,
    };

    /// <summary>A value its declaration says is not null: an object created, or a call, awaited call, field, property or parameter whose type is not annotated <c>?</c> in a nullable-enabled declaration.</summary>
    private bool DeclaredNotNull(IOperation value)
    {
        value = Unwrap(value);
        if (value.Type is { IsValueType: true, OriginalDefinition.SpecialType: not SpecialType.System_Nullable_T })
        {
            return true;
        }

        return value switch
        {
            IObjectCreationOperation or IAnonymousObjectCreationOperation or IArrayCreationOperation or IInstanceReferenceOperation => true,
            ILiteralOperation literal => literal.ConstantValue is { HasValue: true, Value: not null },
            IInvocationOperation call => call.TargetMethod.ReturnNullableAnnotation == NullableAnnotation.NotAnnotated,
            IAwaitOperation { Operation: IInvocationOperation call } => TaskResult(call.TargetMethod.ReturnType) is { NullableAnnotation: NullableAnnotation.NotAnnotated },
            IPropertyReferenceOperation property => property.Property.NullableAnnotation == NullableAnnotation.NotAnnotated,
            IFieldReferenceOperation field => field.Field.NullableAnnotation == NullableAnnotation.NotAnnotated,
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind == RefKind.None && parameter.Parameter.NullableAnnotation == NullableAnnotation.NotAnnotated,
            _ => false,
        };
    }

    /// <summary>A <c>foreach</c> over an <c>IEnumerable&lt;T&gt;</c> whose T is declared not null (nullable analysis's own reading of the collection).</summary>
    private static bool ElementsNotNull(IForEachLoopOperation loop, SemanticModel model)
    {
        if (loop.IsAsynchronous || loop.Syntax is not ForEachStatementSyntax statement || model.GetTypeInfo(statement.Expression).Type is not INamedTypeSymbol collection)
        {
            return false;
        }

        var sequence = collection.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T
            ? collection
            : collection.AllInterfaces.FirstOrDefault(i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T);
        return sequence?.TypeArguments[0] is { } element && (element.IsValueType || element.NullableAnnotation == NullableAnnotation.NotAnnotated);
    }

    /// <summary>The value under parentheses and conversions that keep it as it is (not an <c>as</c>, which gives null for another type).</summary>
    private static IOperation Unwrap(IOperation value)
    {
        while (value is IParenthesizedOperation or IConversionOperation { IsTryCast: false })
        {
            value = value is IParenthesizedOperation parenthesized ? parenthesized.Operand : ((IConversionOperation)value).Operand;
        }

        return value;
    }

    private ITypeSymbol? TaskResult(ITypeSymbol type) =>
        type is INamedTypeSymbol { TypeArguments.Length: 1 } named && (WellKnownTypes.Same(named.OriginalDefinition, Types.TaskOfT) || WellKnownTypes.Same(named.OriginalDefinition, Types.ValueTaskOfT))
            ? named.TypeArguments[0]
            : null;

    private bool IsTask(ITypeSymbol type) => TaskResult(type) is not null || WellKnownTypes.Same(type, Types.Task) || WellKnownTypes.Same(type, Types.ValueTask);
}
