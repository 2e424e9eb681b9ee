using System.Globalization;

namespace TracedLlm.Analyzers.Rules;

/// <summary>TLLM2003, TLLM2004, TLLM2008: findings decided inside one method, reported once it is traced.</summary>
internal static class LocalRules
{
    public static void ReportSpans(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report,
        FindingPath? path = null)
    {
        foreach (var problem in facts.SpanProblems)
        {
            report(Findings.Create(descriptor, problem.Location, path, null,
                    ImmutableDictionary<string, string?>.Empty.Add(DiagnosticIds.SpanProblemProperty, problem.Kind),
                    problem.Message));
        }
    }

    /// <summary>The swallowing catches: TLLM2004's where the code shows the failure is the request's, else
    /// TLLM2007's.</summary>
    /// <remarks>
    /// While typing only what the method shows alone is reported. Left out: a Try-pattern every caller fails on, work
    /// the request does not wait for, a second exception, and catches that wait on the end of the compilation.
    /// </remarks>
    public static void ReportSwallows(MethodFacts facts, DiagnosticDescriptor swallowed, DiagnosticDescriptor? handled,
        Action<Diagnostic> report, ISet<ITypeSymbol>? created, bool callersFail = false, bool detached = false,
        bool whileHandling = false, bool rootAtEnd = false, Func<SwallowSite, bool>? answers = null,
        Func<SwallowSite, bool>? givesUpModel = null, Func<IMethodSymbol, bool>? holdsWhereDispatched = null,
        FindingPath? path = null, DeclaredIntent? intent = null, bool answersRoute = false)
    {
        foreach (var swallow in facts.Swallows)
        {
            var unthrown = !swallow.Unthrown.IsDefault;
            var dispatched = !swallow.QuietIfHeld.IsDefault;
            var decidedAlone = !unthrown && !dispatched
                && (swallow.AnswersError || swallow.GivesUpModel || swallow.Heard);
            if ((swallow.ReturnsResult && callersFail) || detached || (swallow.InBody && whileHandling)
                || (handled is null ? !decidedAlone : rootAtEnd && decidedAlone)
                || (unthrown && !swallow.Unthrown.Any(created!.Contains))
                || (dispatched && holdsWhereDispatched is not null && swallow.QuietIfHeld.All(holdsWhereDispatched)))
            {
                continue;
            }

            var model = swallow.GivesUpModel || (givesUpModel is not null && givesUpModel(swallow));
            var answered =
                (path is null || answersRoute
                    || (intent is not null && intent.ReportsThroughCalls(swallow.Location.SourceTree!)))
                && (swallow.AnswersError || (answers is not null && answers(swallow)));
            // A shape a team must hear is a warning where the rest of TLLM2004 is a suggestion.
            var descriptor = model || answered || swallow.Heard ? swallowed : handled!;
            var severity = swallow.Heard ? DiagnosticSeverity.Warning : descriptor.DefaultSeverity;
            report(Findings.Create((descriptor, severity), swallow.Location, path, null, null, swallow.CaughtType));
        }
    }

    /// <summary>TLLM2008: the upstream failures no exception carries, answered without the failure path.</summary>
    /// <remarks>By default those that need no registration read: a failure dropped after a send through a named
    /// client waits for the end, where <paramref name="reported"/> decides.</remarks>
    public static void ReportUnthrown(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report,
        FindingPath? path = null, Func<UnthrownFailureSite, bool>? reported = null)
    {
        foreach (var site in facts.UnthrownFailures.Where(reported ?? (site => site.Sent is not { } sent
            || UpstreamCallRule.ReportedWhileTyping(sent))))
        {
            var properties = site.Thrown is null ? null : ImmutableDictionary<string, string?>.Empty
                .Add(DiagnosticIds.FailureBranchProperty, site.WhenTrue == true ? "true" : "false")
                .Add(DiagnosticIds.ThrowFromProperty, site.From?.ToString(CultureInfo.InvariantCulture))
                .Add(DiagnosticIds.ThrownProperty, site.Thrown);
            report(Findings.Create((descriptor, site.Suggested ? DiagnosticSeverity.Info : descriptor.DefaultSeverity),
                site.Location, path, null, properties, site.What, site.How));
        }
    }
}
