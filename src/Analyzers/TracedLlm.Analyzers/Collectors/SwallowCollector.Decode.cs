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
    /// JSON, <c>IDataProtector.Unprotect</c>, a URI, a number, a GUID or a date, a JWT read but not validated) and does
    /// nothing else but compute in memory (<see cref="CompilationFacts.WorkOf(IOperation)"/>: no await, no call of code not
    /// known, methods of source that do only the same), the catch, with no filter, takes what a decoder throws
    /// (<see cref="TakesDecodeFailure"/>), and the handler is a probe's (<see cref="IsProbeHandler"/>). What fails there
    /// is the value, not the request: a client's token, cookie or URL that is not in its format is an answer ("none"),
    /// as <c>TryParse</c> returning <c>false</c> is.
    /// </summary>
    private static bool DecodesInMemory(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope) =>
        @catch.Filter is null && TakesDecodeFailure(@catch.ExceptionType, scope.Types) && IsProbeHandler(@catch, scope)
        && scope.Compilation.WorkOf(@try.Body) == InMemoryWork.Decodes;

    /// <summary>
    /// A caught type a decode failure is: any exception (a bare <c>catch</c>, <c>Exception</c>: the <c>try</c> can throw
    /// nothing else than its decoders' failures and the errors of its own computation), or a type derived from one the
    /// decoders document: <c>FormatException</c> (base64, a number, a GUID, a date; <c>UriFormatException</c>),
    /// <c>JsonException</c>, <c>ArgumentException</c> (an encoding's <c>DecoderFallbackException</c>, a JWT's
    /// <c>SecurityTokenMalformedException</c>, a null or empty argument), <c>CryptographicException</c> (a payload that
    /// does not decrypt) and <c>OverflowException</c> (a number out of range).
    /// </summary>
    private static bool TakesDecodeFailure(ITypeSymbol caught, WellKnownTypes types) =>
        caught.SpecialType == SpecialType.System_Object || WellKnownTypes.Same(caught, types.Exception)
        || new[] { types.FormatException, types.JsonException, types.ArgumentException, types.CryptographicException, types.OverflowException }
            .Any(documented => documented is not null && WellKnownTypes.DerivesFrom(caught, documented));
}
