using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a probe that decodes a value in memory.
internal sealed partial class SwallowCollector
{
    /// <summary>
    /// A decode probe, the TryParse idiom for any value decoded in memory: the <c>try</c> decodes (base64, a text encoding,
    /// JSON of System.Text.Json or Newtonsoft.Json, <c>IDataProtector.Unprotect</c>, a URI, a number, a GUID or a date, a JWT
    /// read but not validated) and does nothing else but compute in memory (<see cref="CompilationFacts.WorkOf(IOperation)"/>:
    /// no await, no call of code not known, methods of source that do only the same), the catch, with no filter, takes what
    /// a decoder throws (<see cref="TakesDecodeFailure"/>), and the handler is a probe's (<see cref="IsProbeHandler"/>) or
    /// keeps the value another way (<see cref="KeepsInMemory"/>: the JSON tried, the text kept). What fails there is the
    /// value, not the request: a client's token, cookie or URL that is not in its format is an answer ("none"), as
    /// <c>TryParse</c> returning <c>false</c> is. The typed form (<see cref="DecodesAmongOtherWork"/>) lets the <c>try</c> do
    /// other work that cannot throw what the catch takes.
    /// </summary>
    private static bool DecodesInMemory(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope) =>
        @catch.Filter is null && TakesDecodeFailure(@catch.ExceptionType, scope.Types)
        && ((scope.Compilation.WorkOf(@try.Body) == InMemoryWork.Decodes && (IsProbeHandler(@catch, scope) || KeepsInMemory(@catch, scope)))
            || DecodesAmongOtherWork(@catch, @try, scope));

    /// <summary>
    /// A catch typed to a decoder's documented failure (not <c>Exception</c>), with no filter, around a <c>try</c> that decodes
    /// in memory and whose other work cannot throw that type (<see cref="CompilationFacts.WorkOf(IOperation, ITypeSymbol)"/>: an
    /// await of <c>Task.Delay</c>, a set of an auto-property): only the decoders can reach the catch. Its handler is a probe's,
    /// or also sets a member of an object of source held in a local or a parameter to a value computed without calls (a
    /// function's answer to the model that its arguments do not parse: <see cref="SetsAnswer"/>). A decode of a stream or a
    /// response's body is no decoder in memory: its <c>JsonException</c> is an upstream's bad body.
    /// </summary>
    private static bool DecodesAmongOtherWork(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope) =>
        !AnyException(@catch.ExceptionType, scope.Types)
        && @catch.Handler.Operations.All(statement => IsProbeStatement(statement, scope) || SetsAnswer(statement, scope.Types))
        && scope.Compilation.WorkOf(@try.Body, @catch.ExceptionType) == InMemoryWork.Decodes;

    /// <summary>
    /// A handler that keeps the value another way (JSON tried, the text kept): it only works in memory
    /// (<see cref="CompilationFacts.WorkOf(IOperation)"/> not other work, no method of source called besides a log's; a log
    /// statement is taken as a probe's handler takes it, whatever it logs), and
    /// writes only locals, parameters, and members and items of what they hold when that is an object of a type of source or
    /// a library's collection (<see cref="IsHeld"/>), or of an object it creates; a library's instance method is called on
    /// such a value or on a string or a primitive (a <c>JObject</c> kept in a field is not mutated). Nothing of <c>HttpContext</c> or
    /// <c>HttpResponse</c>: a status, a header or a cookie written is an answer to the client, judged as usual.
    /// </summary>
    private static bool KeepsInMemory(ICatchClauseOperation @catch, MethodScope scope)
    {
        var types = scope.Types;
        return @catch.Handler.Operations.All(statement => IsLogStatement(statement, scope) || scope.Compilation.WorkOf(statement) != InMemoryWork.Other)
            && @catch.Handler.DescendantsAndSelf().All(o => o switch
        {
            IAssignmentOperation assignment => IsHeld(assignment.Target, types),
            IIncrementOrDecrementOperation increment => IsHeld(increment.Target, types),
            IInvocationOperation call when scope.Compilation.IsLogCall(call) => true,
            IInvocationOperation { TargetMethod: var method } call => !method.Locations.Any(location => location.IsInSource)
                && (method.IsStatic || method.ContainingType.SpecialType != SpecialType.None || (call.Instance is { } instance && IsHeld(instance, types))),
            _ => true,
        });
    }

    /// <summary>
    /// A local, a parameter, an object being created (an initializer's member), or a member or an item of one of these
    /// whose type is of source or a library's collection (never an ASP.NET Core HTTP type's).
    /// </summary>
    private static bool IsHeld(IOperation target, WellKnownTypes types) => ValueFlow.Unwrap(target) switch
    {
        ILocalReferenceOperation or IParameterReferenceOperation => true,
        IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } => true,
        IPropertyReferenceOperation { Instance: { } instance } property => HoldsValues(property.Property.ContainingType, types) && IsHeld(instance, types),
        IFieldReferenceOperation { Instance: { } instance } field => HoldsValues(field.Field.ContainingType, types) && IsHeld(instance, types),
        IArrayElementReferenceOperation element => IsHeld(element.ArrayReference, types),
        _ => false,
    };

    private static bool HoldsValues(ITypeSymbol type, WellKnownTypes types) =>
        !IsHttp(type) && (type.IsAnonymousType || type.Locations.Any(location => location.IsInSource) || types.Decoders.IsCollection(type));

    /// <summary>
    /// A statement that sets a member of a local or a parameter whose type is of source (a field, an auto-property) to a value
    /// computed without calls (<see cref="ComputedWithoutCalls"/>): <c>message.Content = "Invalid function arguments format."</c>.
    /// </summary>
    private static bool SetsAnswer(IOperation statement, WellKnownTypes types) =>
        statement is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: var target } assignment }
        && ValueFlow.Unwrap(target) switch
        {
            IPropertyReferenceOperation { Instance: ILocalReferenceOperation or IParameterReferenceOperation, Property: var property } =>
                !property.IsIndexer && CompilationFacts.IsAutoProperty(property) && OfSource(property.ContainingType),
            IFieldReferenceOperation { Instance: ILocalReferenceOperation or IParameterReferenceOperation, Field: var field } => OfSource(field.ContainingType),
            _ => false,
        }
        && ComputedWithoutCalls(assignment.Value, types);

    private static bool OfSource(ITypeSymbol type) => !IsHttp(type) && type.Locations.Any(location => location.IsInSource);

    /// <summary>A type of ASP.NET Core's HTTP abstractions (<c>HttpContext</c>, <c>HttpResponse</c>...) or one derived from it.</summary>
    private static bool IsHttp(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.ContainingNamespace?.ToDisplayString() == "Microsoft.AspNetCore.Http")
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyException(ITypeSymbol caught, WellKnownTypes types) =>
        caught.SpecialType == SpecialType.System_Object || WellKnownTypes.Same(caught, types.Exception);

    /// <summary>
    /// A caught type a decode failure is: any exception (a bare <c>catch</c>, <c>Exception</c>: the <c>try</c> can throw
    /// nothing else than its decoders' failures and the errors of its own computation), or a type derived from one the
    /// decoders document: <c>FormatException</c> (base64, a number, a GUID, a date; <c>UriFormatException</c>),
    /// <c>JsonException</c> (System.Text.Json's, and Newtonsoft.Json's: <c>JsonReaderException</c>, <c>JsonSerializationException</c>), <c>ArgumentException</c> (an encoding's <c>DecoderFallbackException</c>, a JWT's
    /// <c>SecurityTokenMalformedException</c>, a null or empty argument), <c>CryptographicException</c> (a payload that
    /// does not decrypt) and <c>OverflowException</c> (a number out of range).
    /// </summary>
    private static bool TakesDecodeFailure(ITypeSymbol caught, WellKnownTypes types) =>
        AnyException(caught, types)
        || new[] { types.FormatException, types.JsonException, types.Decoders.NewtonsoftJsonException, types.ArgumentException, types.CryptographicException, types.OverflowException }
            .Any(documented => documented is not null && WellKnownTypes.DerivesFrom(caught, documented));
}
