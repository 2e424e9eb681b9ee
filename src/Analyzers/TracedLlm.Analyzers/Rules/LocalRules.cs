using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Rules;

/// <summary>
/// TLLM2003, TLLM2004 and TLLM2006: findings that are decided inside one method and become
/// diagnostics once the method is known to be traced (at once for a route or policy, at the end of
/// the compilation for what they call).
/// </summary>
internal static class LocalRules
{
    public static void ReportSpans(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report)
    {
        foreach (var problem in facts.SpanProblems)
        {
            report(Diagnostic.Create(descriptor, problem.Location, ImmutableDictionary<string, string?>.Empty.Add(DiagnosticIds.SpanProblemProperty, problem.Kind), problem.Message));
        }
    }

    /// <summary>
    /// The swallowing catches; one that turned the exception into the method's result is left out
    /// when <paramref name="callersFail"/> says every caller turns that result into a failure, and
    /// every catch of a method that runs <paramref name="detached"/> from the request, and every catch in the
    /// own run of a method that runs only <paramref name="whileHandling"/> another exception (every call of it is
    /// made from a catch clause): what it catches is a second exception.
    /// </summary>
    public static void ReportSwallows(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report, bool callersFail = false, bool detached = false, bool whileHandling = false)
    {
        foreach (var swallow in facts.Swallows)
        {
            if ((swallow.ReturnsResult && callersFail) || detached || (swallow.InBody && whileHandling))
            {
                continue;
            }

            report(Diagnostic.Create(descriptor, swallow.Location, swallow.CaughtType));
        }
    }

    public static void ReportUpstreamCalls(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report)
    {
        foreach (var upstream in facts.UnscopedUpstreamCalls)
        {
            report(Diagnostic.Create(descriptor, upstream.Location, upstream.Call));
        }
    }
}
