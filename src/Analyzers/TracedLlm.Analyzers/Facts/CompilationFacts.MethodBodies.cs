namespace TracedLlm.Analyzers.Facts;

// The few method bodies the rules read beyond the block being analysed.
internal sealed partial class CompilationFacts
{
    private const int MaxHelperDepth = 4;

    /// <summary>The operations of a source method's or local function's body, bound from its own tree.</summary>
    /// <remarks>For the few methods a rule reads beyond the block being analysed, once each per compilation.</remarks>
    public static IOperation? Body(Compilation compilation, IMethodSymbol method)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            var body = syntax switch
            {
                BaseMethodDeclarationSyntax declaration => (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody,
                LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
                _ => null,
            };
            // A method of another project's source (an IDE's project reference) is read where that project is analyzed.
            if (body is not null && compilation.ContainsSyntaxTree(reference.SyntaxTree))
            {
#pragma warning disable RS1030 // A method's body, bound once per compilation (see the summary).
                var operation = compilation.GetSemanticModel(reference.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
                return operation switch
                {
                    IMethodBodyOperation methodBody => (IOperation?)methodBody.BlockBody ?? methodBody.ExpressionBody,
                    ILocalFunctionOperation localFunction => localFunction.Body,
                    _ => operation,
                };
            }
        }

        return null;
    }

    /// <summary>The operations of a small source method's body, cached; null for a longer one.</summary>
    public IOperation? BodyOf(IMethodSymbol method) => _smallBodies.GetOrAdd(method,
            m => m.DeclaringSyntaxReferences.Length == 1 && m.DeclaringSyntaxReferences[0].Span.Length <= 400
                    ? Body(_compilation, m) : null);

    /// <summary>A source method that starts an Activity and returns it: its caller owns the span and must end
    /// it.</summary>
    public bool IsSpanFactory(IMethodSymbol method) => IsSpanFactory(method.OriginalDefinition, 0);

    private bool IsSpanFactory(IMethodSymbol method, int depth) =>
        Same(method.ReturnType, Types.Activity) && method.Locations.Any(l => l.IsInSource) && !method.IsAbstract
        && (depth == 0 ? _spanFactories.GetOrAdd(method, m => ReturnsStarted(m, 0)) : ReturnsStarted(method, depth));

    private bool ReturnsStarted(IMethodSymbol method, int depth) => depth < 4 && Body(_compilation, method) is { } body
        && ValueFlow.OwnReturns(body).Any(r => r.ReturnedValue is { } value && StartsHere(value, body, depth));

    private bool StartsHere(IOperation value, IOperation body, int depth)
    {
        value = ValueFlow.Unwrap(value);
        if (value is ILocalReferenceOperation local)
        {
            // The local's initializer or assignments in the body.
            return ValueFlow.Assigned(local.Local, body.DescendantsAndSelf()).Any(v => StartsHere(v, body, depth));
        }

        return value is IInvocationOperation call
            && (Collectors.SpanCollector.IsStart(call.TargetMethod, Types)
                || IsSpanFactory(call.TargetMethod.OriginalDefinition, depth + 1));
    }

    /// <summary>A call that only logs, read a few calls deep.</summary>
    /// <remarks>A member of <c>ILogger</c> or an extension, a <c>[LoggerMessage]</c> method, the delegate a
    /// <c>LoggerMessage.Define</c> returned, or a source method whose every statement is such a call.</remarks>
    public bool IsLogCall(IInvocationOperation call) => IsLogCall(call, 0);

    private bool IsLogCall(IInvocationOperation call, int depth)
    {
        var method = call.TargetMethod;
        if (Types.IsLogging(method)
            || (Types.LoggerMessageAttribute is { } generated
                && WellKnownTypes.HasAttribute(method.OriginalDefinition, generated)))
        {
            return true;
        }

        return method.MethodKind == MethodKind.DelegateInvoke
            ? call.Instance is { } instance && DefinedLogger(ValueFlow.Unwrap(instance))
            : IsHelper(method)
            && (depth == 0 ? _logHelpers.GetOrAdd(method.OriginalDefinition, m => OnlyLogs(m, 0))
                    : OnlyLogs(method.OriginalDefinition, depth));
    }

    private bool OnlyLogs(IMethodSymbol method, int depth) => depth < MaxHelperDepth
        && Body(_compilation, method) is { } body
        && Statements(body)
            .All(statement => statement switch
                {
                    IExpressionStatementOperation { Operation: IInvocationOperation call } => IsLogCall(call,
                        depth + 1),
                    IReturnOperation { ReturnedValue: null } => true,
                    _ => false,
                });

    /// <summary>A readonly field whose initializer is a call of <c>LoggerMessage.Define</c>.</summary>
    private bool DefinedLogger(IOperation instance) =>
        instance is IFieldReferenceOperation { Field: { IsReadOnly: true } field }
        && Types.LoggerMessage is { } loggerMessage && Initializer(field) is { } value
        && _compilation.ContainsSyntaxTree(value.SyntaxTree)
#pragma warning disable RS1030 // A log helper's field, bound once per compilation (see Body).
        && _compilation.GetSemanticModel(value.SyntaxTree).GetSymbolInfo(value).Symbol is IMethodSymbol define
#pragma warning restore RS1030
        && Same(define.ContainingType, loggerMessage) && define.Name.StartsWith("Define", StringComparison.Ordinal);

    /// <summary>What code does with data in memory (TLLM2004's decode probe): decodes, only computes, or other
    /// work.</summary>
    public InMemoryWork WorkOf(IOperation operation) => WorkOf(operation, 0, null);

    /// <summary>As <see cref="WorkOf(IOperation)"/>, a call that cannot throw <paramref name="unthrown"/> counting as
    /// computing.</summary>
    public InMemoryWork WorkOf(IOperation operation, ITypeSymbol unthrown) => WorkOf(operation, 0, unthrown);

    /// <summary>Code only a programming error makes throw: in-memory work, read as strictly as the no-throw reading
    /// reads throws, receivers, log lines, interpolations and static fields.</summary>
    public bool OnlyInMemory(IOperation operation) => WorkOf(operation, 0, null, true) == InMemoryWork.Computes;

    // The operation's own steps are read first, and the methods of source it calls only when none of those steps is
    // other work: most code a catch guards awaits or calls something else, and is told apart without binding a body.
    private InMemoryWork WorkOf(IOperation operation, int depth, ITypeSymbol? unthrown = null, bool strict = false)
    {
        // Strictly, a value the code says may be null (x!) may be the request's missing one.
        if (strict && operation.Syntax.DescendantNodesAndSelf()
                .Any(n => n.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression)))
        {
            return InMemoryWork.Other;
        }

        var work = InMemoryWork.Computes;
        List<IMethodSymbol>? helpers = null;
        foreach (var o in operation.DescendantsAndSelf())
        {
            var step = o switch
            {
                IInvocationOperation call => CallWork(call, ref helpers, strict) is var called
                && called == InMemoryWork.Other
                && unthrown is not null
                && CannotThrow(call, unthrown) ? InMemoryWork.Computes : called,
                // An await of a method of source rethrows what its body throws, read below as the call's.
                IAwaitOperation { Operation: IInvocationOperation awaited } when unthrown is not null
                    || (strict && awaited.TargetMethod.Locations.Any(l => l.IsInSource)) => InMemoryWork.Computes,
                IThrowOperation or IInterpolationOperation { FormatString: not null }
                    or IBinaryOperation { IsChecked: true }
                    or IUnaryOperation { IsChecked: true } or ICompoundAssignmentOperation { IsChecked: true }
                    or IIncrementOrDecrementOperation { IsChecked: true } when strict => InMemoryWork.Other,
                IBinaryOperation { OperatorKind: BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder } division
                    when strict && !Arithmetic(division.OperatorKind, division.RightOperand.Type) => InMemoryWork.Other,
                IConversionOperation { OperatorMethod: null } conversion when strict && !Converts(conversion) =>
                    InMemoryWork.Other,
                IInterpolationOperation hole when strict && !Formats(hole.Expression.Type) => InMemoryWork.Other,
                IFieldReferenceOperation { Field: { IsStatic: true, IsConst: false } field } when strict
                    && field.ContainingType.Locations.Any(l => l.IsInSource) => InMemoryWork.Other,
                IForEachLoopOperation loop when Types.Decoders.EnumeratesInMemory(loop) => InMemoryWork.Computes,
                IObjectCreationOperation { Constructor: { } constructor } => Decodes(constructor) ? InMemoryWork.Decodes
                : Types.IsInMemory(constructor) || Types.Decoders.Computes(constructor)
                || IsLibraryException(constructor.ContainingType)
                || HoldsValuesOnly(constructor) ? InMemoryWork.Computes : InMemoryWork.Other,
                IObjectCreationOperation => InMemoryWork.Other,
                IPropertyReferenceOperation property => property.Property.ContainingType.IsAnonymousType
                || Types.IsInMemory(property.Property) || Types.Decoders.Computes(property.Property)
                || IsAutoProperty(property.Property)
                || (strict && Same(property.Property.ContainingType, Types.Exception) && !MessageOverridden())
                    ? InMemoryWork.Computes : InMemoryWork.Other,
                IBinaryOperation { OperatorMethod: { } binary } => OperatorWork(binary),
                IUnaryOperation { OperatorMethod: { } unary } => OperatorWork(unary),
                IConversionOperation { OperatorMethod: { } conversion } => OperatorWork(conversion),
                IAnonymousFunctionOperation or IDelegateCreationOperation when GivenToLinq(o) => InMemoryWork.Computes,
                IAwaitOperation or IAnonymousFunctionOperation or ILocalFunctionOperation or IDelegateCreationOperation
                or IMethodReferenceOperation or IDynamicInvocationOperation or IDynamicMemberReferenceOperation
                or IDynamicObjectCreationOperation or IDynamicIndexerAccessOperation or IUsingOperation
                or IUsingDeclarationOperation or IForEachLoopOperation
                or IInterpolatedStringHandlerCreationOperation or IEventReferenceOperation
                or IDeconstructionAssignmentOperation => InMemoryWork.Other,
                _ => InMemoryWork.Computes,
            };
            if (step == InMemoryWork.Other)
            {
                return InMemoryWork.Other;
            }

            work = step == InMemoryWork.Decodes ? step : work;
        }

        foreach (var step in (helpers ?? Enumerable.Empty<IMethodSymbol>()).Select(helper => depth == 0 && !strict
            ? _inMemoryHelpers.GetOrAdd(helper, m => HelperWork(m, 0)) : HelperWork(helper, depth, strict)))
        {
            if (step == InMemoryWork.Other)
            {
                return InMemoryWork.Other;
            }

            work = step == InMemoryWork.Decodes ? step : work;
        }

        return work;
    }

    /// <summary>A call's own work; a method of source is kept in <paramref name="helpers"/>, read after the
    /// rest.</summary>
    private InMemoryWork CallWork(IInvocationOperation call, ref List<IMethodSymbol>? helpers, bool strict)
    {
        var method = call.TargetMethod;
        if (Decodes(method))
        {
            return InMemoryWork.Decodes;
        }

        // Strictly, a log line as the no-throw reading reads one, a console line, a result; an interface's dispatch.
        if (Types.IsInMemory(method) || Types.Decoders.Computes(method) || ReadsAsLinq(call)
            || (strict ? WritesLogLine(call, MaxHelperDepth, null) || MakesResult(call)
                || (method.ContainingType?.ToDisplayString() == "System.Console"
                    && method.Name is "Write" or "WriteLine")
                : IsLogCall(call)))
        {
            return InMemoryWork.Computes;
        }

        var run = IsHelper(method)
            ? new HashSet<IMethodSymbol>(new[] { method.OriginalDefinition }, SymbolEqualityComparer.Default)
            : strict && Dispatches(method.OriginalDefinition) && method.ContainingType is { } owner
                && owner.Locations.Any(l => l.IsInSource) && OnlyHere(owner) && call.Instance is { } receiver
                && NotNull(receiver) ? RunBy(method.OriginalDefinition, CancellationToken.None) : null;
        if (run is not { Count: > 0 } || run.Any(m => m.IsExtern || !m.Locations.Any(l => l.IsInSource)))
        {
            return InMemoryWork.Other;
        }

        (helpers ??= new List<IMethodSymbol>()).AddRange(run);
        return InMemoryWork.Computes;
    }

    /// <summary>An operator of a library's value type that computes in memory; any other may run any code.</summary>
    private InMemoryWork OperatorWork(IMethodSymbol method) =>
        Types.Decoders.Computes(method) ? InMemoryWork.Computes : InMemoryWork.Other;

    /// <summary>A lambda written as the argument of LINQ read as work in memory: it runs on the items.</summary>
    private bool GivenToLinq(IOperation function) => function switch
    {
        IAnonymousFunctionOperation { Parent: IDelegateCreationOperation creation } => GivenToLinq(creation),
        IDelegateCreationOperation { Target: IAnonymousFunctionOperation } or IAnonymousFunctionOperation =>
            function.Parent is IArgumentOperation { Parent: IInvocationOperation call } && ReadsAsLinq(call),
        _ => false,
    };

    /// <summary>LINQ to Objects over a sequence in memory whose every delegate is a lambda written in place.</summary>
    private bool ReadsAsLinq(IInvocationOperation call) =>
        Types.Decoders.Enumerates(call)
        && call.Arguments.All(argument => argument.Value.Type?.TypeKind != TypeKind.Delegate
            || ValueFlow.Unwrap(argument.Value)
                is IDelegateCreationOperation { Target: IAnonymousFunctionOperation } or IAnonymousFunctionOperation);

    private bool Decodes(IMethodSymbol method) =>
        Types.Decoders.Decodes(method, Types.IsJsonParsing(method), Types.IsUnprotect(method));

    // A helper that catches every exception itself (a file write logged and dropped) fails no caller.
    private InMemoryWork HelperWork(IMethodSymbol method, int depth, bool strict = false) =>
        depth < MaxHelperDepth && Body(_compilation, method) is { } body
            ? WorkOf(body, depth + 1, null, strict) is var work
            && work == InMemoryWork.Other && BodyCannotThrow(method, depth + 1) ? InMemoryWork.Computes : work
            : InMemoryWork.Other;

    /// <summary>The constructor of an object of source that only holds values (a record, a DTO).</summary>
    private bool HoldsValuesOnly(IMethodSymbol constructor) =>
        _valueHolders.GetOrAdd(constructor.OriginalDefinition, ReadHoldsValuesOnly);

    private bool ReadHoldsValuesOnly(IMethodSymbol constructor)
    {
        if (!constructor.IsImplicitlyDeclared && !IsPrimary(constructor))
        {
            return false;
        }

        for (var type = constructor.ContainingType;
            type is not null && type.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType);
            type = type.BaseType)
        {
            var primary = type.InstanceConstructors.FirstOrDefault(IsPrimary);
            var written = !Same(type, constructor.ContainingType)
                && type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared && !IsPrimary(c));
            if (!type.Locations.Any(location => location.IsInSource) || written || !BaseGivenValues(type, primary)
                || type.StaticConstructors.Any(c => !c.IsImplicitlyDeclared)
                || type.GetMembers().OfType<IFieldSymbol>()
                    .Any(field => !field.IsConst
                        && (field.IsStatic ? Initializer(field) is not null : !InitializedWithValue(field, primary))))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPrimary(IMethodSymbol constructor) => constructor.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax() is TypeDeclarationSyntax { ParameterList: not null });

    // The value a field (or an auto-property's backing field) is given at its declaration, if any.
    private static ExpressionSyntax? Initializer(IFieldSymbol field) => (field.AssociatedSymbol ?? field)
        .DeclaringSyntaxReferences.Select(reference => ServiceClients.Initializer(reference.GetSyntax()))
        .FirstOrDefault(value => value is not null);

    // A base list's arguments (`record Derived(string Path) : Base(Path)`): primary constructor parameters, literals.
    private static bool BaseGivenValues(INamedTypeSymbol type, IMethodSymbol? primary) => type.DeclaringSyntaxReferences
            .Select(reference => reference.GetSyntax()).OfType<TypeDeclarationSyntax>()
            .SelectMany(declaration => declaration.BaseList?.Types.OfType<PrimaryConstructorBaseTypeSyntax>()
                ?? Enumerable.Empty<PrimaryConstructorBaseTypeSyntax>())
            .SelectMany(@base => @base.ArgumentList.Arguments)
            .All(argument => argument.Expression is LiteralExpressionSyntax or DefaultExpressionSyntax
                || (argument.Expression is IdentifierNameSyntax name
                    && primary?.Parameters.Any(p => p.Name == name.Identifier.ValueText) == true));

    // A field's (or auto-property's) initializer at its declaration, when it has one: a value, not a call.
    private bool InitializedWithValue(IFieldSymbol field, IMethodSymbol? primary)
    {
        var ofLibrary = !field.Type.Locations.Any(location => location.IsInSource);
        switch (Initializer(field))
        {
            case null:
                return true;
            case LiteralExpressionSyntax or DefaultExpressionSyntax:
                return ofLibrary;
            case IdentifierNameSyntax name:
                return primary?.Parameters.FirstOrDefault(p => p.Name == name.Identifier.ValueText) is { } parameter
                    && (Same(parameter.Type, field.Type)
                        || (ofLibrary && !parameter.Type.Locations.Any(location => location.IsInSource)));
            case MemberAccessExpressionSyntax access:
                return access.ToString() is "string.Empty" or "String.Empty"
                    && field.Type.SpecialType == SpecialType.System_String;
            case CollectionExpressionSyntax { Elements.Count: 0 }:
                return Types.Decoders.IsCollection(field.Type) || field.Type is IArrayTypeSymbol;
            case ImplicitObjectCreationExpressionSyntax { Initializer: null } created:
                return created.ArgumentList.Arguments.Count == 0 && Types.Decoders.IsCollection(field.Type);
            case ObjectCreationExpressionSyntax { Initializer: null } created:
#pragma warning disable RS1030 // A field initializer's created type, bound once per constructor (cached).
                return (created.ArgumentList?.Arguments.Count ?? 0) == 0
                    && _compilation.ContainsSyntaxTree(created.SyntaxTree)
                    && Types.Decoders.IsCollection(
                        _compilation.GetSemanticModel(created.SyntaxTree).GetTypeInfo(created).Type);
#pragma warning restore RS1030
            default:
                return false;
        }
    }

    /// <summary>An exception type of a referenced library: its constructor only keeps a message.</summary>
    private bool IsLibraryException(INamedTypeSymbol type) => Types.Exception is { } exception
        && DerivesFrom(type, exception) && !type.Locations.Any(location => location.IsInSource);

    /// <summary>A source method whose body is the one that runs: not abstract, virtual or an override, not
    /// extern.</summary>
    private static bool IsHelper(IMethodSymbol method) =>
        method.MethodKind is MethodKind.Ordinary or MethodKind.LocalFunction && !method.IsAbstract && !method.IsVirtual
        && !method.IsOverride && !method.IsExtern && method.Locations.Any(l => l.IsInSource);

    internal static bool IsAutoProperty(IPropertySymbol property) => property.Locations.Any(l => l.IsInSource)
        && !property.IsAbstract && !property.IsVirtual && !property.IsOverride
        && property.ContainingType.GetMembers().OfType<IFieldSymbol>()
            .Any(field => Same(field.AssociatedSymbol, property));

    /// <summary>The statements of a body or branch: a block's, or the one statement it is.</summary>
    internal static IReadOnlyList<IOperation> Statements(IOperation body) =>
        body is IBlockOperation block ? block.Operations : new[] { body };
}
