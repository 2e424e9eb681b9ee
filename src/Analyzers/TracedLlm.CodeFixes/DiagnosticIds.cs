namespace TracedLlm.CodeFixes;

/// <summary>The analyzer IDs and diagnostic properties the fixes read (kept in step with TracedLlm.Analyzers' descriptors).</summary>
internal static class DiagnosticIds
{
    public const string SlotMismatch = "TLLM2001";
    public const string FailurePathEscape = "TLLM2002";
    public const string SpanLifecycle = "TLLM2003";
    public const string SwallowedException = "TLLM2004";
    public const string SlotCollision = "TLLM2005";

    public const string SlotConstantProperty = "SlotConstant";
    public const string AcceptedTypeProperty = "AcceptedType";
    public const string SpanProblemProperty = "SpanProblem";
}
