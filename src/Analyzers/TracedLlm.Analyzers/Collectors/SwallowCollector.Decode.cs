namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a probe that decodes a value in memory.
internal sealed partial class SwallowCollector
{
    /// <summary>A decode probe, TryParse for a value decoded in memory: what fails is the value, not the
    /// request.</summary>
    private static bool DecodesInMemory(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope) =>
        @catch.Filter is null && TakesDecodeFailure(@catch.ExceptionType, scope.Types)
        && ((
                scope.Compilation.WorkOf(@try.Body) == InMemoryWork.Decodes
                && (IsProbeHandler(@catch, scope) || KeepsInMemory(@catch, scope))
            ) || DecodesAmongOtherWork(@catch, @try, scope));

    /// <summary>A catch of a decoder's documented failure around a try whose other work cannot throw it.</summary>
    private static bool DecodesAmongOtherWork(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope) =>
        !AnyException(@catch.ExceptionType, scope.Types)
        && @catch.Handler.Operations.All(statement =>
            IsProbeStatement(statement, scope) || SetsAnswer(statement, scope.Types))
        && scope.Compilation.WorkOf(@try.Body, @catch.ExceptionType) == InMemoryWork.Decodes;

    /// <summary>A handler that keeps the value another way (the JSON tried, the text kept), writing no
    /// answer.</summary>
    private static bool KeepsInMemory(ICatchClauseOperation @catch, MethodScope scope)
    {
        var types = scope.Types;
        return @catch.Handler.Operations.All(statement =>
                IsLogStatement(statement, scope) || scope.Compilation.WorkOf(statement) != InMemoryWork.Other)
            && @catch.Handler.DescendantsAndSelf()
                .All(o => o switch
                    {
                        IAssignmentOperation assignment => IsHeld(assignment.Target, types),
                        IIncrementOrDecrementOperation increment => IsHeld(increment.Target, types),
                        IInvocationOperation call when scope.Compilation.IsLogCall(call) => true,
                        IInvocationOperation { TargetMethod: var method } call => !method.Locations.Any(location =>
                            location.IsInSource)
                            && (method.IsStatic || method.ContainingType.SpecialType != SpecialType.None
                                || (call.Instance is { } instance && IsHeld(instance, types))),
                        _ => true,
                    });
    }

    /// <summary>A local, a parameter, or a member or item of one, of source or a collection, never HTTP's.</summary>
    private static bool IsHeld(IOperation target, WellKnownTypes types) => ValueFlow.Unwrap(target) switch
        {
            ILocalReferenceOperation or IParameterReferenceOperation => true,
            IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } => true,
            IPropertyReferenceOperation { Instance: { } instance } property => HoldsValues(
                property.Property.ContainingType, types
            ) && IsHeld(instance, types),
            IFieldReferenceOperation { Instance: { } instance } field => HoldsValues(field.Field.ContainingType, types)
                && IsHeld(instance, types),
            IArrayElementReferenceOperation element => IsHeld(element.ArrayReference, types),
            _ => false,
        };

    private static bool HoldsValues(ITypeSymbol type, WellKnownTypes types) => !IsHttp(type)
        && (type.IsAnonymousType || type.Locations.Any(location => location.IsInSource)
            || types.Decoders.IsCollection(type));

    /// <summary>Sets a member of a local of source to a value computed without calls.</summary>
    private static bool SetsAnswer(IOperation statement, WellKnownTypes types) => statement
            is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: var target } assignment }
        && ValueFlow.Unwrap(target) switch
        {
            IPropertyReferenceOperation
            {
                Instance: ILocalReferenceOperation or IParameterReferenceOperation, Property: var property
            } => !property.IsIndexer && CompilationFacts.IsAutoProperty(property) && OfSource(property.ContainingType),
            IFieldReferenceOperation
            {
                Instance: ILocalReferenceOperation or IParameterReferenceOperation, Field: var field
            } => OfSource(field.ContainingType),
            _ => false,
        }
        && ComputedWithoutCalls(assignment.Value, types);

    private static bool OfSource(ITypeSymbol type) =>
        !IsHttp(type) && type.Locations.Any(location => location.IsInSource);

    /// <summary>A type of ASP.NET Core's HTTP abstractions (<c>HttpContext</c>...) or one derived from it.</summary>
    private static bool IsHttp(ITypeSymbol type) =>
        AndBases(type).Any(current => current.ContainingNamespace?.ToDisplayString() == "Microsoft.AspNetCore.Http");

    private static bool AnyException(ITypeSymbol caught, WellKnownTypes types) =>
        caught.SpecialType == SpecialType.System_Object || Same(caught, types.Exception);

    /// <summary>A caught type a decode failure is: any exception, or one the decoders document.</summary>
    private static bool TakesDecodeFailure(ITypeSymbol caught, WellKnownTypes types) => AnyException(caught, types)
        || new[]
        {
            types.FormatException, types.JsonException, types.Decoders.NewtonsoftJsonException, types.ArgumentException,
            types.CryptographicException, types.OverflowException
        }.Any(documented => documented is not null && DerivesFrom(caught, documented));
}
