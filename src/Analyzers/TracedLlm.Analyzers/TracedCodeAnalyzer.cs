using TracedLlm.Analyzers.Collectors;
using TracedLlm.Analyzers.Rules;

namespace TracedLlm.Analyzers;

/// <summary>The rules over traced code: route handlers, authenticators, guardrails and what they call.</summary>
/// <remarks>
/// Each operation block is read once by one collector per concern. A root's own findings are reported per method, so an
/// editor shows them while typing; findings through calls need the call graph and come at the end of the compilation.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TracedCodeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>How many calls deep from a route the analysis follows.</summary>
    public const int MaxDepth = CallGraph.MaxDepth;

    private static readonly IFactCollector[] Collectors =
    {
        new CallCollector(), new KeyCollector(), new ThrowCollector(), new SpanCollector(), new SwallowCollector(),
        new UpstreamCollector(), new UnthrownFailureCollector(),
    };

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.SlotMismatch, DiagnosticDescriptors.SlotMismatchThroughCalls,
        DiagnosticDescriptors.FailurePathEscape, DiagnosticDescriptors.FailurePathEscapeThroughCalls,
        DiagnosticDescriptors.SpanLifecycle, DiagnosticDescriptors.SpanLifecycleThroughCalls,
        DiagnosticDescriptors.SwallowedException, DiagnosticDescriptors.SwallowedExceptionThroughCalls,
        DiagnosticDescriptors.HandledWithoutRecordThroughCalls, DiagnosticDescriptors.UnscopedUpstreamCall,
        DiagnosticDescriptors.UnthrownFailure, DiagnosticDescriptors.UnthrownFailureThroughCalls,
        DiagnosticDescriptors.UnscopedUpstreamCallThroughCalls);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var options = start.Options.AnalyzerConfigOptionsProvider;
            if (CompilationFacts.Create(start.Compilation, start.CancellationToken, options)
                is not { MayHaveRoutes: true } compilation)
            {
                return;
            }

            var state = new State(start.Compilation, compilation);
            start.RegisterOperationBlockAction(block => state.Read(block));
            start.RegisterCompilationEndAction(end =>
                state.ReportThroughCalls(end.ReportDiagnostic, end.CancellationToken));
        });
    }

    private sealed class State(Compilation compilation, CompilationFacts facts)
    {
        private readonly Compilation _compilation = compilation;
        private readonly CompilationFacts _facts = facts;
        private readonly ConcurrentDictionary<ISymbol, MethodFacts> _methods = new(SymbolEqualityComparer.Default);
        private readonly Once<FailureFilters> _filters = new();

        /// <summary>A method and every method a call may name to reach it: what it overrides and implements.</summary>
        private HashSet<ISymbol> Declarations(ISymbol callee, CancellationToken cancellationToken)
        {
            var declared = new HashSet<ISymbol>(SymbolEqualityComparer.Default) { callee };
            if (callee is IMethodSymbol method)
            {
                declared.UnionWith(SelfAndDeclared(method).Select(m => m.OriginalDefinition));
                declared.UnionWith(_facts.InheritedInterfaceMembers(method, cancellationToken));
            }

            return declared;
        }

        private FailureFilters Filters(CancellationToken cancellationToken) => _filters.Get(() =>
                FailureFilters.Build(_compilation, _facts.Types, _facts.FilterMethods(cancellationToken),
                    cancellationToken));

        public void Read(OperationBlockAnalysisContext context)
        {
            var owner = context.OwningSymbol;
            if (owner is not (IMethodSymbol or IFieldSymbol or IPropertySymbol))
            {
                return;
            }

            var scope = new MethodScope(_facts, owner, context.OperationBlocks, context.GetControlFlowGraph,
                context.Options, context.CancellationToken);
            foreach (var operation in scope.Operations)
            {
                foreach (var collector in Collectors)
                {
                    collector.Visit(operation, scope);
                }
            }

            SpanCollector.Complete(scope);

            var facts = scope.Facts;
            _methods[owner.OriginalDefinition] = facts;

            if (!_facts.IsRoot(owner, context.CancellationToken))
            {
                return;
            }

            foreach (var key in facts.Keys.Where(k => k.Values.All(v => v.IsLocal)))
            {
                var constants = key.Values.Where(v => v.Kind == KeyValueKind.Constant).Select(v => v.Constant!)
                    .ToImmutableHashSet(StringComparer.Ordinal);
                var unknown = key.Values.Any(v => v.Kind == KeyValueKind.Unknown);

                // The routes (a guardrail: every route) are read only for a key that names a slot.
                if (!unknown && constants.Overlaps(_facts.SlotNames(context.CancellationToken)))
                {
                    SlotMismatchRule.Report(constants, unknown, key.Location,
                        _facts.RoutesOfRoot(owner, context.CancellationToken).Where(r => key.Guard.Admits(r.Slot))
                            .ToList(),
                        _facts, DiagnosticDescriptors.SlotMismatch, context.ReportDiagnostic,
                        context.CancellationToken);
                }
            }

            if (facts.Throws.Count > 0)
            {
                var filters = Filters(context.CancellationToken);
                foreach (var thrown in facts.Throws)
                {
                    FailurePathRule.Report(thrown, filters, DiagnosticDescriptors.FailurePathEscape,
                        context.ReportDiagnostic);
                }
            }

            LocalRules.ReportSpans(facts, DiagnosticDescriptors.SpanLifecycle, context.ReportDiagnostic);
            LocalRules.ReportSwallows(facts, DiagnosticDescriptors.SwallowedException, null, context.ReportDiagnostic,
                created: null);
            LocalRules.ReportUnthrown(facts, DiagnosticDescriptors.UnthrownFailure, context.ReportDiagnostic);
            UpstreamCallRule.ReportWhileTyping(
                facts, DiagnosticDescriptors.UnscopedUpstreamCall, context.ReportDiagnostic);
        }

        public void ReportThroughCalls(System.Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            if (_facts.Routes(cancellationToken).IsEmpty && _facts.Entries(cancellationToken).IsEmpty)
            {
                return;
            }

            var graph = CallGraph.Walk(_facts, _methods, cancellationToken);

            // How every source call uses each method's result, for the Try-pattern.
            var resultUses = _methods.Values.SelectMany(f => f.ResultUses)
                .ToLookup(use => (ISymbol)use.Callee, SymbolEqualityComparer.Default);

            // Every use of the method's result is so (a call of an interface or base method: of what it reaches).
            bool Callers(ISymbol method, Func<ResultUse, bool> all) => Declarations(method, cancellationToken)
                .SelectMany(declared => resultUses[declared]).ToList() is { Count: > 0 } uses && uses.All(all);

            // Every call site of each method with its caller, built when first asked (a caught cancellation asks).
            var callSites = new Lazy<ILookup<ISymbol, (ISymbol Caller, CallEdge Edge)>>(() => _methods
                .SelectMany(pair => pair.Value.Calls.Select(edge => (Caller: pair.Key, Edge: edge)))
                .ToLookup(site => site.Edge.Callee, SymbolEqualityComparer.Default));
            List<(ISymbol Caller, CallEdge Edge)> CallsOf(ISymbol method) =>
                Declarations(method, cancellationToken).SelectMany(declared => callSites.Value[declared]).ToList();

            // No request waits: every caller discards the task, or is itself run only so (two calls up).
            bool Detached(ISymbol method, int depth) => Callers(method, use => use.Detached) || (depth < 2
                && CallsOf(method) is { Count: > 0 } calls && calls.All(call => Detached(call.Caller, depth + 1)));

            // The route hands its answer to the method (a handler class): every call is a root's, its value returned.
            bool AnswersRoute(ISymbol method) => CallsOf(method) is { Count: > 0 } sites
                && sites.All(site => _facts.IsRoot(site.Caller, cancellationToken) && Returned(site.Edge.Site));

            // What the function returns: through await, ConfigureAwait, parentheses, casts and '!'.
            static bool Returned(SyntaxNode? call) => call?.Parent switch
            {
                AwaitExpressionSyntax or ParenthesizedExpressionSyntax or CastExpressionSyntax
                    or PostfixUnaryExpressionSyntax => Returned(call.Parent),
                MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Parent: { } configured } =>
                    Returned(configured),
                var parent => parent is ReturnStatementSyntax or ArrowExpressionClauseSyntax,
            };

            // TLLM2002: a type thrown in a method reached through calls escapes unless every call of the method is made
            // in a try whose unfiltered catch takes the type and does not rethrow it, or by a method of which that
            // holds, a few calls up. A root of traced code never holds.
            bool CaughtOnEveryPath(ISymbol method, ITypeSymbol type, int depth) => depth <= 3
                && !_facts.IsRoot(method, cancellationToken)
                && !_facts.Entries(cancellationToken).Any(entry => Same(entry.Handler, method))
                && CallsOf(method) is { Count: > 0 } sites
                && sites.All(site => FailurePathRule.CaughtAt(site.Caller, site.Edge.Site, type, _facts)
                    || CaughtOnEveryPath(site.Caller, type, depth + 1));

            var whileHandling = new Dictionary<ISymbol, bool>(SymbolEqualityComparer.Default);

            // Every call of the method is made in a catch's handler, or in the own run of a method of which that holds.
            bool WhileHandling(ISymbol method) => whileHandling.GetOrAdd(method, false, _ =>
                CallsOf(method) is { Count: > 0 } sites && !_facts.IsRoot(method, cancellationToken)
                && sites.All(site => site.Edge.Handling == Handling.InCatch
                    || (site.Edge.Handling == Handling.InBody && WhileHandling(site.Caller))));

            var upstream = new UpstreamCallRule(_facts, _methods, graph, CallsOf, cancellationToken);

            // A catch that answers the request through a method of source, and one that gives up on a model call: a
            // method it calls makes one (a few calls deep, through dispatch), or a send goes through an attempts'
            // client.
            bool Answers(SwallowSite swallow) => swallow.AnswerCalls.Any(_facts.WritesResponse);
            var modelReach = new Dictionary<ISymbol, bool>(SymbolEqualityComparer.Default);
            bool ReachesModel(IMethodSymbol method, int depth)
            {
                method = (method.ReducedFrom ?? method).OriginalDefinition;
                // Past the depth, no more than a reading already made; every implementation is read (|, not ||).
                return (_facts.Types.UpstreamCall(method) is not null
                        && !UpstreamCollector.IsHttpSend(method, _facts.Types)) || _facts.Types.ModelSdkCall(method)
                    || (depth > 3 ? modelReach.TryGetValue(method, out var known) && known
                        : modelReach.GetOrAdd(method, false, _ => _facts.Implementations(method, cancellationToken)
                            .Prepend(method).Aggregate(false, (reaches, target) => reaches
                                | (_methods.TryGetValue(target, out var reached)
                                    && (reached.AttemptClients.Count > 0
                                        || reached.UnscopedUpstreamCalls.Any(site =>
                                            upstream.IsModelCall(target, site))
                                        || reached.Calls.Any(call => call.Callee is IMethodSymbol callee
                                            && !_facts.Types.Caches(callee) && ReachesModel(callee, depth + 1)))))));
            }

            // A send whose callers hand it its client or address gives up a model call where one way up is one.
            // A cache's own work, or a model call reached only through one, is a shortcut: its failure is a miss.
            bool GivesUpModel(ISymbol at, SwallowSite swallow) => !_facts.Types.Caches(at) && (swallow.GivenUpClients
                .Any(upstream.AttemptClients.Contains) || swallow.GivenUp.Any(method => !_facts.Types.Caches(method)
                    && ReachesModel(method, 1)) || (swallow.Waiting is { } waiting && upstream.Unwatched(at, waiting)));

            // The exception types of source that code creates, for the catches of types only source can create.
            var created = SwallowCollector.CreatedWithBases(_methods.Values);

            var keys = new KeyResolver(_facts, _methods, cancellationToken);
            var omitted = new Dictionary<
                    Location,
                    (HashSet<TracedRoute> Routes, ImmutableArray<KeyValue> Values, FindingPath? Path)
                >();
            FailureFilters? filters = null;
            foreach (var (symbol, routes) in graph.Reached)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!_methods.TryGetValue(symbol, out var facts))
                {
                    continue;
                }

                var isRoot = !_facts.RoutesOfRoot(symbol, cancellationToken).IsDefault;
                var path = isRoot ? null : graph.PathTo(symbol);
                foreach (var key in facts.Keys.Where(k => !isRoot || !k.Values.All(v => v.IsLocal)))
                {
                    var (constants, unknown) = keys.Resolve(key.Values);
                    SlotMismatchRule.Report(constants, unknown, key.Location,
                        routes.Where(r => key.Guard.Admits(r.Slot)).ToList(), _facts,
                        DiagnosticDescriptors.SlotMismatchThroughCalls, report, cancellationToken, path);
                }

                // Arguments that fill a key parameter of the method they call are keys where they are written.
                foreach (var argument in facts.Arguments)
                {
                    if (argument.Omitted)
                    {
                        // A default left out by several calls: reported once at the default, for every route.
                        if (keys.IsKeyParameter(argument.Callee, argument.Ordinal))
                        {
                            var seen = omitted.GetOrAdd(argument.Location, _ =>
                                (Routes: new HashSet<TracedRoute>(), argument.Values, graph.PathTo(argument.Callee)));
                            seen.Routes.UnionWith(routes);
                        }
                    }
                    else if (keys.IsKeyParameter(argument.Callee, argument.Ordinal)
                        && !argument.Values.Any(v => v.Kind == KeyValueKind.Parameter))
                    {
                        var (constants, unknown) = keys.Resolve(argument.Values);
                        SlotMismatchRule.Report(constants, unknown, argument.Location, routes, _facts,
                            DiagnosticDescriptors.SlotMismatchThroughCalls, report, cancellationToken, path);
                    }
                }

                if (isRoot)
                {
                    // A root's catches that waited for the end: types only source creates, tries quiet but for
                    // dispatch.
                    LocalRules.ReportSwallows(facts, DiagnosticDescriptors.SwallowedExceptionThroughCalls,
                        DiagnosticDescriptors.HandledWithoutRecordThroughCalls, report, created, rootAtEnd: true,
                        answers: Answers, givesUpModel: swallow => GivesUpModel(symbol, swallow),
                        holdsWhereDispatched: method => _facts.HoldsWhereDispatched(method, cancellationToken));
                    upstream.Report(symbol, facts, root: true, DiagnosticDescriptors.UnscopedUpstreamCallThroughCalls,
                        report);
                    LocalRules.ReportUnthrown(facts, DiagnosticDescriptors.UnthrownFailureThroughCalls, report,
                        reported: site => site.Sent is { } sent && !UpstreamCallRule.ReportedWhileTyping(sent)
                            && upstream.Unwatched(symbol, sent));
                    continue;
                }

                // An open span is a fault wherever it runs; a failure or upstream call only where the request runs it.
                LocalRules.ReportSpans(facts, DiagnosticDescriptors.SpanLifecycleThroughCalls, report, path);
                if (!graph.ReachedInRequest(symbol))
                {
                    continue;
                }

                if (facts.Throws.Count > 0)
                {
                    filters ??= Filters(cancellationToken);
                    foreach (var thrown in facts.Throws.Where(thrown => !CaughtOnEveryPath(symbol, thrown.Type, 0)))
                    {
                        FailurePathRule.Report(thrown, filters, DiagnosticDescriptors.FailurePathEscapeThroughCalls,
                            report, path);
                    }
                }

                var detached = facts.Swallows.Count > 0 && Detached(symbol, 0);
                LocalRules.ReportSwallows(facts, DiagnosticDescriptors.SwallowedExceptionThroughCalls,
                    DiagnosticDescriptors.HandledWithoutRecordThroughCalls, report, created,
                    Callers(symbol, use => use.TurnsIntoFailure != false), detached,
                    facts.Swallows.Any(s => s.InBody) && WhileHandling(symbol), answers: Answers,
                    givesUpModel: swallow => GivesUpModel(symbol, swallow),
                    holdsWhereDispatched: method => _facts.HoldsWhereDispatched(method, cancellationToken), path: path,
                    intent: _facts.Intent, answersRoute: facts.Swallows.Count > 0 && AnswersRoute(symbol));
                // A model call's failure is the product's in work no request waits for too (a generation pushed over
                // SignalR): TLLM2008 reads it there, where TLLM2004 leaves a background job's catches.
                LocalRules.ReportUnthrown(facts, DiagnosticDescriptors.UnthrownFailureThroughCalls, report, path,
                    site => site.Sent is not { } sent || (graph.ReachedOutsideAttempts(symbol)
                        && upstream.Unwatched(symbol, sent) && !(UnthrownFailureCollector.Dropped(site)
                            && Callers(symbol, use => use.TurnsIntoFailure == true))));

                if (graph.ReachedOutsideAttempts(symbol))
                {
                    upstream.Report(symbol, facts, root: false,
                        DiagnosticDescriptors.UnscopedUpstreamCallThroughCalls, report);
                }
            }

            foreach (var pair in omitted)
            {
                var (constants, unknown) = keys.Resolve(pair.Value.Values);
                SlotMismatchRule.Report(constants, unknown, pair.Key,
                    pair.Value.Routes.OrderBy(r => r.Display, StringComparer.Ordinal).ToList(), _facts,
                    DiagnosticDescriptors.SlotMismatchThroughCalls, report, cancellationToken, pair.Value.Path);
            }
        }
    }
}
