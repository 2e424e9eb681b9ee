using System;

namespace TracedLlm;

/// <summary>
/// Marks a hand-written failure filter: a method that decides, from the exception's type, whether
/// a failure is logged. Analyzer TLLM2002 computes the exception types it accepts and flags every
/// exception type thrown in traced code that no filter accepts (the way LiteLLM lost guardrail
/// failures behind an <c>isinstance(e, HTTPException)</c> check). The generated pipeline needs no
/// filter: its failure path accepts every exception.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class FailureLoggingPathAttribute : Attribute
{
}
