using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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
    /// made from a catch clause): what it catches is a second exception. A catch of exception types only the compilation
    /// can create (<see cref="SwallowSite.Unthrown"/>) waits for the end of the compilation: with <paramref name="created"/>
    /// null (a root's findings while typing) it is left out, and at the end it is reported only when one of its types is in
    /// <paramref name="created"/> (the types code creates, with their bases); so does a catch whose try cannot throw but
    /// through interface or virtual calls (<see cref="SwallowSite.QuietIfHeld"/>), reported at the end only when one of those
    /// methods has an implementation that can throw (<paramref name="holdsWhereDispatched"/> false); <paramref name="onlyWaiting"/>
    /// reports those alone (a root's, whose other findings were reported while typing).
    /// </summary>
    /// <remarks>
    /// In code a route reaches through calls (<paramref name="sideWork"/> given), a catch that neither answers the request
    /// itself nor, by <paramref name="requests"/>, through the methods its handler calls, nor gives up on an upstream call,
    /// is reported with <paramref name="sideWork"/> (TLLM2007, off by default); every other catch with <paramref name="descriptor"/>
    /// (a root's catches: TLLM2004 whatever they do).
    /// </remarks>
    public static void ReportSwallows(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report, ISet<ITypeSymbol>? created, bool callersFail = false, bool detached = false, bool whileHandling = false, bool onlyWaiting = false, DiagnosticDescriptor? sideWork = null, Func<SwallowSite, bool>? requests = null, Func<IMethodSymbol, bool>? holdsWhereDispatched = null)
    {
        foreach (var swallow in facts.Swallows)
        {
            var unthrown = !swallow.Unthrown.IsDefault;
            var dispatched = !swallow.QuietIfHeld.IsDefault;
            if ((swallow.ReturnsResult && callersFail) || detached || (swallow.InBody && whileHandling) || (onlyWaiting && !unthrown && !dispatched)
                || ((unthrown || dispatched) && created is null)
                || (unthrown && !swallow.Unthrown.Any(created!.Contains))
                || (dispatched && holdsWhereDispatched is not null && swallow.QuietIfHeld.All(holdsWhereDispatched)))
            {
                continue;
            }

            var requestsOwn = sideWork is null || swallow.RequestsOwn || (requests is not null && requests(swallow));
            report(Diagnostic.Create(requestsOwn ? descriptor : sideWork!, swallow.Location, swallow.CaughtType));
        }
    }

    /// <summary>
    /// Reports the upstream calls made outside an attempt; with <paramref name="quietWhereCalled"/> (known at the end of the
    /// compilation), not a call whose message or content is handed in by a parameter that every call of the method the
    /// request makes reads as no model call (<see cref="UpstreamCallSite.HandedIn"/>).
    /// </summary>
    public static void ReportUpstreamCalls(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report, Func<int, bool>? quietWhereCalled = null)
    {
        foreach (var upstream in facts.UnscopedUpstreamCalls)
        {
            if (upstream.HandedIn >= 0 && quietWhereCalled is not null && quietWhereCalled(upstream.HandedIn))
            {
                continue;
            }

            report(Diagnostic.Create(descriptor, upstream.Location, upstream.Call));
        }
    }
}
