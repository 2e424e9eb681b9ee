using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers;

/// <summary>
/// TLLM2001–TLLM2004 and TLLM2006. "Traced code" is the bodies of traced handlers and of authenticator and
/// guardrail implementations, and every method of the compilation they call, transitively
/// (direct, interface, virtual, extension, lambda, local-function and async calls), up to
/// <see cref="MaxDepth"/> calls deep. Each method body is read once into <see cref="MethodFacts"/>;
/// at the end of the compilation the call graph decides which facts become diagnostics, and
/// which routes reach them.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TracedCodeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>How many calls deep from a route the analysis follows.</summary>
    public const int MaxDepth = 16;

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.SlotMismatch,
        DiagnosticDescriptors.FailurePathEscape,
        DiagnosticDescriptors.SpanLifecycle,
        DiagnosticDescriptors.SwallowedException,
        DiagnosticDescriptors.UnscopedUpstreamCall);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (WellKnownTypes.Create(start.Compilation) is not { } types)
            {
                return;
            }

            var state = new CompilationState(types);
            start.RegisterOperationBlockAction(block =>
            {
                if (block.OwningSymbol is IMethodSymbol method)
                {
                    state.Facts[method.OriginalDefinition] = MethodFactsCollector.Collect(types, method, block.OperationBlocks);
                }
            });
            start.RegisterSymbolAction(symbol => state.AddType((INamedTypeSymbol)symbol.Symbol), SymbolKind.NamedType);
            start.RegisterSymbolAction(symbol => state.AddRoute((IMethodSymbol)symbol.Symbol), SymbolKind.Method);
            start.RegisterCompilationEndAction(end => state.Report(end.ReportDiagnostic));
        });
    }

    private sealed class CompilationState
    {
        private readonly WellKnownTypes _types;
        private readonly ConcurrentDictionary<IMethodSymbol, ConcurrentBag<IMethodSymbol>> _implementations = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentBag<TracedRoute> _routes = new();
        private readonly ConcurrentBag<IMethodSymbol> _policyRoots = new();

        public CompilationState(WellKnownTypes types)
        {
            _types = types;
        }

        public ConcurrentDictionary<IMethodSymbol, MethodFacts> Facts { get; } = new(SymbolEqualityComparer.Default);

        public void AddRoute(IMethodSymbol method)
        {
            var attribute = method.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, _types.RouteAttribute));
            if (attribute is null)
            {
                return;
            }

            var data = RouteAttributeData.Read(attribute);
            var display = $"{data.HttpMethod?.ToUpperInvariant()} {data.Pattern}";
            _routes.Add(new TracedRoute(method.OriginalDefinition, display, data.Slot, $"global::TracedLlm.Generated.{HandlerBinding.GeneratedClassName(method)}.MetadataSlot"));
        }

        /// <summary>Records interface and virtual dispatch as edges, and authenticator/guardrail implementations as roots.</summary>
        public void AddType(INamedTypeSymbol type)
        {
            foreach (var member in type.GetMembers().OfType<IMethodSymbol>())
            {
                for (var overridden = member.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                {
                    AddImplementation(overridden, member);
                }
            }

            foreach (var @interface in type.AllInterfaces)
            {
                var isPolicy = SymbolEqualityComparer.Default.Equals(@interface, _types.Authenticator) || SymbolEqualityComparer.Default.Equals(@interface, _types.Guardrail);
                foreach (var interfaceMethod in @interface.GetMembers().OfType<IMethodSymbol>())
                {
                    if (type.FindImplementationForInterfaceMember(interfaceMethod) is IMethodSymbol implementation
                        && SymbolEqualityComparer.Default.Equals(implementation.ContainingType, type))
                    {
                        AddImplementation(interfaceMethod, implementation);
                        if (isPolicy)
                        {
                            _policyRoots.Add(implementation.OriginalDefinition);
                        }
                    }
                }
            }
        }

        private void AddImplementation(IMethodSymbol declared, IMethodSymbol implementation) =>
            _implementations.GetOrAdd(declared.OriginalDefinition, _ => new ConcurrentBag<IMethodSymbol>()).Add(implementation.OriginalDefinition);

        public void Report(System.Action<Diagnostic> report)
        {
            var routes = _routes.OrderBy(r => r.Display, System.StringComparer.Ordinal).ToList();
            if (routes.Count == 0)
            {
                return;
            }

            var reachedBy = Reach(routes);
            var filters = Facts.Values.SelectMany(f => f.Filters).ToList();
            var slots = new HashSet<string>(routes.Select(r => r.Slot)) { RouteConventions.MetadataSlot, RouteConventions.LiteLlmMetadataSlot };
            foreach (var pair in reachedBy)
            {
                if (!Facts.TryGetValue(pair.Key, out var facts))
                {
                    continue;
                }

                ReportSlotMismatches(facts, pair.Value, slots, report);
                ReportFailurePathEscapes(facts, filters, report);
                foreach (var problem in facts.SpanProblems)
                {
                    report(Diagnostic.Create(DiagnosticDescriptors.SpanLifecycle, problem.Location, ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.SpanProblemProperty, problem.Kind), problem.Message));
                }

                foreach (var swallow in facts.Swallows)
                {
                    report(Diagnostic.Create(DiagnosticDescriptors.SwallowedException, swallow.Location, swallow.CaughtType));
                }
            }

            foreach (var method in ReachOutsideAttempts(routes))
            {
                if (Facts.TryGetValue(method, out var facts))
                {
                    foreach (var upstream in facts.UnscopedUpstreamCalls)
                    {
                        report(Diagnostic.Create(DiagnosticDescriptors.UnscopedUpstreamCall, upstream.Location, upstream.Call));
                    }
                }
            }
        }

        /// <summary>The methods traced code reaches without passing through an attempt scope.</summary>
        private HashSet<IMethodSymbol> ReachOutsideAttempts(List<TracedRoute> routes)
        {
            var seen = new HashSet<IMethodSymbol>(routes.Select(r => r.Handler).Concat(_policyRoots), SymbolEqualityComparer.Default);
            var frontier = seen.ToList();
            for (var depth = 0; depth < MaxDepth && frontier.Count > 0; depth++)
            {
                var next = new List<IMethodSymbol>();
                foreach (var method in frontier)
                {
                    var callees = Facts.TryGetValue(method, out var facts) ? facts.UnscopedCalls : new List<IMethodSymbol>();
                    var dispatched = _implementations.TryGetValue(method, out var implementations) ? implementations : Enumerable.Empty<IMethodSymbol>();
                    next.AddRange(callees.Concat(dispatched).Where(seen.Add));
                }

                frontier = next;
            }

            return seen;
        }

        /// <summary>Which routes reach each method, breadth first from every route (policies are reached from all routes).</summary>
        private Dictionary<IMethodSymbol, List<TracedRoute>> Reach(List<TracedRoute> routes)
        {
            var reachedBy = new Dictionary<IMethodSymbol, List<TracedRoute>>(SymbolEqualityComparer.Default);
            foreach (var route in routes)
            {
                var roots = new List<IMethodSymbol> { route.Handler };
                roots.AddRange(_policyRoots);
                var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
                var frontier = roots.Where(seen.Add).ToList();
                for (var depth = 0; depth <= MaxDepth && frontier.Count > 0; depth++)
                {
                    var next = new List<IMethodSymbol>();
                    foreach (var method in frontier)
                    {
                        if (!reachedBy.TryGetValue(method, out var list))
                        {
                            reachedBy[method] = list = new List<TracedRoute>();
                        }

                        list.Add(route);
                        foreach (var callee in Callees(method))
                        {
                            if (seen.Add(callee))
                            {
                                next.Add(callee);
                            }
                        }
                    }

                    frontier = next;
                }
            }

            return reachedBy;
        }

        private IEnumerable<IMethodSymbol> Callees(IMethodSymbol method)
        {
            if (Facts.TryGetValue(method, out var facts))
            {
                foreach (var callee in facts.Calls)
                {
                    yield return callee;
                }
            }

            if (_implementations.TryGetValue(method, out var implementations))
            {
                foreach (var implementation in implementations)
                {
                    yield return implementation;
                }
            }
        }

        private static void ReportSlotMismatches(MethodFacts facts, List<TracedRoute> routes, HashSet<string> slots, System.Action<Diagnostic> report)
        {
            foreach (var key in facts.SlotKeys)
            {
                if (!slots.Contains(key.Key))
                {
                    continue;
                }

                var disagreeing = routes.Where(r => r.Slot != key.Key).Distinct().ToList();
                if (disagreeing.Count == 0)
                {
                    continue;
                }

                // A mechanical fix exists only when every route reaching this code has one slot.
                var properties = ImmutableDictionary<string, string?>.Empty;
                if (routes.Select(r => r.Slot).Distinct().Count() == 1)
                {
                    properties = properties.Add(DiagnosticDescriptors.SlotConstantProperty, disagreeing[0].SlotConstant);
                }

                var described = string.Join(", ", disagreeing.Take(3).Select(r => $"route '{r.Display}' (slot '{r.Slot}')"))
                    + (disagreeing.Count > 3 ? $" and {disagreeing.Count - 3} more" : string.Empty);
                report(Diagnostic.Create(DiagnosticDescriptors.SlotMismatch, key.Location, properties, key.Key, described));
            }
        }

        private static void ReportFailurePathEscapes(MethodFacts facts, List<FailureFilter> filters, System.Action<Diagnostic> report)
        {
            if (filters.Count == 0)
            {
                return;
            }

            foreach (var thrown in facts.Throws)
            {
                if (filters.Any(f => f.Accepted.Any(accepted => WellKnownTypes.DerivesFrom(thrown.Type, accepted))))
                {
                    continue;
                }

                var filter = filters[0];
                var position = filter.Location.GetLineSpan();
                var where = $"the failure filter at {System.IO.Path.GetFileName(position.Path)}({position.StartLinePosition.Line + 1},{position.StartLinePosition.Character + 1})";
                var accepted = string.Join(", ", filter.Accepted.Select(t => $"'{t.ToDisplayString()}'"));
                var properties = ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.AcceptedTypeProperty, filter.Accepted[0].ToDisplayString());
                report(Diagnostic.Create(DiagnosticDescriptors.FailurePathEscape, thrown.Location, new[] { filter.Location }, properties, thrown.Type.ToDisplayString(), where, accepted));
            }
        }
    }
}
