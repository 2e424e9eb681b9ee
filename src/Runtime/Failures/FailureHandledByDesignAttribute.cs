using System;

namespace TracedLlm;

/// <summary>Vouches that the failures caught in a method are handled by design.</summary>
/// <remarks>
/// A skip, a fallback or a "not found" answer the author chose, said with the reason, instead of <c>#pragma warning
/// disable</c>. Analyzers TLLM2004 and TLLM2007 do not report the method's catches (its lambdas and local functions
/// included); the code fix of both adds it. It has no effect at run time: such a failure reaches no span unless the
/// code records it (<c>LlmCall.RecordHandledFailure</c>).
/// </remarks>
/// <example>
/// <code>
/// [FailureHandledByDesign("a profile that does not exist answers 404")]
/// public static async Task&lt;IResult&gt; GetProfile(string id, IProfiles profiles) { ... }
/// </code>
/// </example>
[AttributeUsage(
    AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property,
    AllowMultiple = false,
    Inherited = false
)]
public sealed class FailureHandledByDesignAttribute : Attribute
{
    /// <param name="reason">Why the failure is handled here and needs no record: read in review, never at run
    /// time.</param>
    public FailureHandledByDesignAttribute(string reason)
    {
        Reason = reason;
    }

    /// <summary>Why the failure is handled here.</summary>
    public string Reason { get; }
}
