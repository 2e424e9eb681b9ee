using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Rules;

/// <summary>
/// TLLM2003 and TLLM2004: findings that are decided inside one method and become
/// diagnostics once the method is known to be traced (at once for a route or policy, at the end of
/// the compilation for what they call).
/// </summary>
internal static class LocalRules
{
    public static void ReportSpans(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report, FindingPath? path = null)
    {
        foreach (var problem in facts.SpanProblems)
        {
            report(Findings.Create(descriptor, problem.Location, path, null, ImmutableDictionary<string, string?>.Empty.Add(DiagnosticIds.SpanProblemProperty, problem.Kind), problem.Message));
        }
    }

    /// <summary>
    /// The swallowing catches. TLLM2004 (<paramref name="swallowed"/>) reports a catch whose failure the code shows is the
    /// request's: it gives up on a model call (<see cref="SwallowSite.GivesUpModel"/>, or through methods of source and the
    /// route's attempts' clients, read at the end of the compilation by <paramref name="givesUpModel"/>), or, in a route's own
    /// code (no <paramref name="path"/>; anywhere with the team's <see cref="DeclaredIntent.ThroughCallsOption"/>), it answers the
    /// request with an error by hand (<see cref="SwallowSite.AnswersError"/>, or through a method of source: <paramref name="answers"/>);
    /// TLLM2007 (<paramref name="handled"/>, off by default) every other one. While typing (<paramref name="handled"/> null, a
    /// route's own code) only what the method shows alone is reported; at the end of the compilation a route's own catches
    /// (<paramref name="rootAtEnd"/>) give the rest.
    /// </summary>
    /// <remarks>
    /// Left out: a catch that turned the exception into the method's result when <paramref name="callersFail"/> says every caller
    /// turns that result into a failure (the Try-pattern), every catch of a method that runs <paramref name="detached"/> from the
    /// request, every catch in the own run of a method that runs only <paramref name="whileHandling"/> another exception (what it
    /// catches is a second one); a catch of exception types only the compilation can create (<see cref="SwallowSite.Unthrown"/>)
    /// unless one of them is in <paramref name="created"/> (the types code creates, with their bases), and a catch whose try cannot
    /// throw but through interface or virtual calls (<see cref="SwallowSite.QuietIfHeld"/>) unless one of those methods has an
    /// implementation that can throw (<paramref name="holdsWhereDispatched"/> false): both wait for the end of the compilation.
    /// </remarks>
    public static void ReportSwallows(MethodFacts facts, DiagnosticDescriptor swallowed, DiagnosticDescriptor? handled, Action<Diagnostic> report, ISet<ITypeSymbol>? created,
        bool callersFail = false, bool detached = false, bool whileHandling = false, bool rootAtEnd = false, Func<SwallowSite, bool>? answers = null,
        Func<SwallowSite, bool>? givesUpModel = null, Func<IMethodSymbol, bool>? holdsWhereDispatched = null, FindingPath? path = null, DeclaredIntent? intent = null)
    {
        foreach (var swallow in facts.Swallows)
        {
            var unthrown = !swallow.Unthrown.IsDefault;
            var dispatched = !swallow.QuietIfHeld.IsDefault;
            var decidedAlone = !unthrown && !dispatched && (swallow.AnswersError || swallow.GivesUpModel);
            if ((swallow.ReturnsResult && callersFail) || detached || (swallow.InBody && whileHandling)
                || (handled is null ? !decidedAlone : rootAtEnd && decidedAlone)
                || (unthrown && !swallow.Unthrown.Any(created!.Contains))
                || (dispatched && holdsWhereDispatched is not null && swallow.QuietIfHeld.All(holdsWhereDispatched)))
            {
                continue;
            }

            var model = swallow.GivesUpModel || (givesUpModel is not null && givesUpModel(swallow));
            var answered = (path is null || (intent is not null && intent.ReportsThroughCalls(swallow.Location.SourceTree!)))
                && (swallow.AnswersError || (answers is not null && answers(swallow)));
            report(Findings.Create(model || answered ? swallowed : handled!, swallow.Location, path, null, null, swallow.CaughtType));
        }
    }
}
