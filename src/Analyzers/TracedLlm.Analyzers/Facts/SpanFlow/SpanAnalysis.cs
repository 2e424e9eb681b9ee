using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Analyzer.Utilities;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.CopyAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.PointsToAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.ValueContentAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts.SpanFlow;

using SpanData = DictionaryAnalysisData<AbstractLocation, SpanState>;

/// <summary>
/// "Started but not ended on every path" for <c>Activity</c>, on Roslyn's dataflow framework
/// (Microsoft.CodeAnalysis.AnalyzerUtilities): CA2000's model (DisposeAnalysis) with a started
/// Activity as the resource. Points-to analysis follows the span through locals, aliases, tuples
/// and captures; a forward analysis over the control-flow graph keeps each started span's state
/// (open, ended, handed on) per path; calls of source methods that take or return a span, and of
/// lambdas and local functions, are analysed in their caller's context (a helper that only tags
/// the span does not end it; one that returns a started span hands it to the caller); the paths an
/// exception takes are followed from awaited calls, throws, and calls of source methods that throw.
/// </summary>
internal sealed class SpanAnalysis : ForwardDataFlowAnalysis<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanBlockResult, SpanState>
{
    private static readonly MapAbstractDomain<AbstractLocation, SpanState> Domain = new(SpanStateDomain.Instance);

    // The rule whose .editorconfig options (dotnet_code_quality.TLLM2003.*) tune the interprocedural analysis.
    private static readonly DiagnosticDescriptor Rule = DiagnosticDescriptors.SpanLifecycle;

    private SpanAnalysis(Visitor visitor)
        : base(Domain, visitor)
    {
    }

    /// <summary>
    /// The starts (the syntax of the start, or of the call in <paramref name="root"/> that led to it)
    /// of the spans left open on some path of the graph, of its lambdas and of its local functions.
    /// </summary>
    public static IReadOnlyCollection<SyntaxNode> OpenSpans(ControlFlowGraph root, ISymbol owner, AnalyzerOptions options, WellKnownTypes types, System.Threading.CancellationToken cancellationToken)
    {
        var open = new HashSet<SyntaxNode>();
        var pending = new Stack<(ControlFlowGraph Graph, ISymbol Owner)>();
        pending.Push((root, owner));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (graph, symbol) = pending.Pop();
            foreach (var localFunction in graph.LocalFunctions)
            {
                pending.Push((graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken), localFunction));
            }

            foreach (var lambda in graph.Blocks.SelectMany(b => b.Operations.Concat(b.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { b.BranchValue })).SelectMany(o => o.DescendantsAndSelf()).OfType<IFlowAnonymousFunctionOperation>())
            {
                pending.Push((graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol));
            }

            if (!StartsOrTakesSpans(graph, types))
            {
                continue;
            }

            foreach (var node in Run(graph, symbol, options, types, root.OriginalOperation.Syntax))
            {
                open.Add(node);
            }
        }

        return open;
    }

    /// <summary>Only graphs with a call that starts, returns or takes an Activity are analysed.</summary>
    private static bool StartsOrTakesSpans(ControlFlowGraph graph, WellKnownTypes types) =>
        graph.Blocks.SelectMany(b => b.Operations).SelectMany(o => o.DescendantsAndSelf()).OfType<IInvocationOperation>().Any(call =>
            IsSpan(call.TargetMethod.ReturnType, types) || call.TargetMethod.Parameters.Any(p => p.RefKind is RefKind.Out or RefKind.Ref && IsSpan(p.Type, types)));

    private static IEnumerable<SyntaxNode> Run(ControlFlowGraph graph, ISymbol owner, AnalyzerOptions options, WellKnownTypes types, SyntaxNode root)
    {
        var provider = WellKnownTypeProvider.GetOrCreate(graph.OriginalOperation.SemanticModel!.Compilation);
        var configuration = InterproceduralAnalysisConfiguration.Create(options, Rule, graph, provider.Compilation, InterproceduralAnalysisKind.ContextSensitive);
        var predicate = new InterproceduralAnalysisPredicate(method => !MayHandleSpans(method, types), null, null);
        var pointsTo = PointsToAnalysis.TryGetOrComputeResult(graph, owner, options, provider, PointsToAnalysisKind.PartialWithoutTrackingFieldsAndProperties, configuration, predicate, pessimisticAnalysis: false, performCopyAnalysis: false, exceptionPathsAnalysis: true);
        if (pointsTo is null)
        {
            yield break;
        }

        var context = new SpanAnalysisContext(provider, graph, owner, options, configuration, pointsTo, Compute, parentControlFlowGraph: null, interproceduralAnalysisData: null, predicate, new SpanAliases(types));
        var visitor = new Visitor(context);
        if (new SpanAnalysis(visitor).TryGetOrComputeResultCore(context, cacheResult: false) is not { } result)
        {
            yield break;
        }

        var states = result.ExitBlockOutput.Data
            .Concat(result.ExceptionPathsExitBlockOutput?.Data ?? ImmutableDictionary<AbstractLocation, SpanState>.Empty)
            .Concat(result.MergedStateForUnhandledThrowOperations?.Data ?? ImmutableDictionary<AbstractLocation, SpanState>.Empty)
            .Concat(visitor.LeavingTheMethod);

        foreach (var pair in states)
        {
            var (location, state) = (pair.Key, pair.Value);
            if (state.MayBeLeftOpen && location.Creation is not null && !context.Aliases.IsAlias(location) && ReportedAt(location, root) is { } node)
            {
                yield return node;
            }
        }
    }

    /// <summary>Where a span's start is reported: the start itself when it is written in the analysed method, else the call there that led to it.</summary>
    private static SyntaxNode? ReportedAt(AbstractLocation location, SyntaxNode root)
    {
        foreach (var operation in new[] { location.Creation! }.Concat(location.CreationCallStack))
        {
            if (operation.Syntax.SyntaxTree == root.SyntaxTree && root.Span.Contains(operation.Syntax.Span))
            {
                return operation.Syntax;
            }
        }

        return null;
    }

    /// <summary>Calls worth following into: those that may start, return, end or keep a span (CA2000's predicate, for Activity).</summary>
    private static bool MayHandleSpans(IMethodSymbol method, WellKnownTypes types) =>
        IsSpan(method.ReturnType, types) || method.Parameters.Any(p => IsSpan(p.Type, types) || p.Type.SpecialType == SpecialType.System_Object || p.Type.TypeKind == TypeKind.Delegate);

    internal static bool IsSpan(ITypeSymbol? type, WellKnownTypes types) => type is not null && WellKnownTypes.Same(type.OriginalDefinition, types.Activity);

    private static SpanAnalysisResult? Compute(SpanAnalysisContext context) => new SpanAnalysis(new Visitor(context)).TryGetOrComputeResultCore(context, cacheResult: false);

    protected override SpanAnalysisResult ToResult(SpanAnalysisContext analysisContext, DataFlowAnalysisResult<SpanBlockResult, SpanState> dataFlowAnalysisResult) => new(dataFlowAnalysisResult);

    protected override SpanBlockResult ToBlockResult(BasicBlock basicBlock, SpanData blockAnalysisData) => new(basicBlock, blockAnalysisData);

    private sealed class Visitor : AbstractLocationDataFlowOperationVisitor<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanState>
    {
        public Visitor(SpanAnalysisContext context)
            : base(context)
        {
        }

        private WellKnownTypes Types => DataFlowAnalysisContext.Aliases.Types;

        protected override SpanState GetAbstractDefaultValue(ITypeSymbol? type) => SpanState.NotSpan;

        protected override SpanState GetAbstractValue(AbstractLocation location) => CurrentAnalysisData.TryGetValue(location, out var value) ? value : ValueDomain.UnknownOrMayBeValue;

        protected override bool HasAnyAbstractValue(SpanData data) => data.Count > 0;

        protected override void SetAbstractValue(AbstractLocation location, SpanState value)
        {
            if (!location.IsNull && IsSpan(location.LocationType, Types))
            {
                CurrentAnalysisData[location] = value;
            }
        }

        protected override void StopTrackingAbstractValue(AbstractLocation location) => CurrentAnalysisData.Remove(location);

        protected override void ResetCurrentAnalysisData() => ResetAnalysisData(CurrentAnalysisData);

        // An Activity made with 'new' is not started yet: Start() starts it.
        protected override SpanState HandleInstanceCreation(IOperation creation, PointsToAbstractValue instanceLocation, SpanState defaultValue) => SpanState.NotSpan;

        private GraphIndex? _index;

        private GraphIndex Index => _index ??= new GraphIndex(DataFlowAnalysisContext.ControlFlowGraph);

        /// <summary>
        /// The spans an operation may be. Where points-to analysis has no locations for it (a flow
        /// capture inside a catch, say), the locations of every other reference to the same local or
        /// parameter in the graph: a span's location is its allocation site, the same on every path.
        /// </summary>
        private IEnumerable<AbstractLocation> Locations(IOperation instance)
        {
            instance = DataFlowAnalysisContext.Aliases.Source(instance);
            var value = GetPointsToAbstractValue(instance);
            if (value.Kind == PointsToAbstractValueKind.KnownLocations && value.Locations.Any(l => !l.IsNull))
            {
                return DataFlowAnalysisContext.Aliases.Group(value);
            }

            return Index.Symbol(instance) is { } symbol ? SymbolLocations(symbol) : Enumerable.Empty<AbstractLocation>();
        }

        private IEnumerable<AbstractLocation> SymbolLocations(ISymbol symbol) =>
            DataFlowAnalysisContext.Aliases.Group(Index.References(symbol).Select(GetPointsToAbstractValue).Where(v => v.Kind == PointsToAbstractValueKind.KnownLocations).SelectMany(v => v.Locations).Where(l => !l.IsNull).Distinct());

        /// <summary>Sets the state of every span the operation may be (and of the fluent calls' results that are the same span).</summary>
        private void Transition(IOperation? instance, Func<SpanState, SpanState?> change)
        {
            if (instance is not null)
            {
                Transition(Locations(instance), change);
            }
        }

        private void Transition(IEnumerable<AbstractLocation> locations, Func<SpanState, SpanState?> change)
        {
            foreach (var location in locations)
            {
                if (CurrentAnalysisData.TryGetValue(location, out var current) && change(current) is { } next)
                {
                    SetAbstractValue(location, next);
                }
            }
        }

        public override SpanState Visit(IOperation? operation, object? argument)
        {
            var value = base.Visit(operation, argument);
            if (operation is not null)
            {
                foreach (var escaped in DataFlowAnalysisContext.Aliases.Group(GetEscapedLocations(operation)))
                {
                    if (CurrentAnalysisData.TryGetValue(escaped, out var current) && current.Kind is SpanStateKind.Open or SpanStateKind.OpenOrEscaped or SpanStateKind.MaybeEnded)
                    {
                        SetAbstractValue(escaped, current.Kind == SpanStateKind.MaybeEnded ? SpanState.Ended : SpanState.Escaped);
                    }
                }
            }

            return value;
        }

        public override SpanState VisitInvocation_NonLambdaOrDelegateOrLocalFunction(IMethodSymbol method, IOperation? visitedInstance, ImmutableArray<IArgumentOperation> visitedArguments, bool invokedAsDelegate, IOperation originalOperation, SpanState defaultValue)
        {
            var value = base.VisitInvocation_NonLambdaOrDelegateOrLocalFunction(method, visitedInstance, visitedArguments, invokedAsDelegate, originalOperation, defaultValue);
            var receiver = visitedInstance ?? (method.IsExtensionMethod && visitedArguments.Length > 0 ? visitedArguments[0].Value : null);
            if (method.Name is "Stop" or "Dispose" && receiver is not null && IsSpan(receiver.Type, Types))
            {
                Transition(receiver, _ => SpanState.Ended);
                return value;
            }

            if (method.Name == "Dispose" && method.Parameters.IsEmpty && receiver is not null)
            {
                // IDisposable.Dispose on a capture of the span: the end of a 'using'.
                Transition(receiver, _ => SpanState.Ended);
                return value;
            }

            if (IsCurrentBlockReachable() && Collectors.SpanCollector.IsStart(method, Types))
            {
                var started = GetPointsToAbstractValue(originalOperation);
                if (method.Name == "Start" && receiver is not null)
                {
                    // 'new Activity(...)' and what Start() returns are one span.
                    DataFlowAnalysisContext.Aliases.Add(GetPointsToAbstractValue(receiver), started);
                }

                SetAbstractValue(started, SpanState.Open);
                return SpanState.Open;
            }

            // A span given to code this analysis does not follow (a library method: RegisterForDispose,
            // a collection's Add...) belongs to that code now; so do the spans a lambda given there captures.
            if (!TryGetInterproceduralAnalysisResult(originalOperation, out _) && !IsSpan(method.ContainingType, Types))
            {
                foreach (var argument in visitedArguments)
                {
                    if (IsSpan(Unconverted(argument.Value).Type, Types))
                    {
                        Transition(argument.Value, HandedOn);
                    }

                    foreach (var captured in Index.CapturedBy(argument.Value).Where(symbol => IsSpan(symbol is ILocalSymbol local ? local.Type : ((IParameterSymbol)symbol).Type, Types)))
                    {
                        Transition(SymbolLocations(captured), HandedOn);
                    }
                }
            }

            // SetTag, SetStatus, AddEvent...: the result is the receiver.
            if (!method.IsStatic && receiver is not null && IsSpan(receiver.Type, Types) && IsSpan(method.ReturnType, Types))
            {
                var result = GetPointsToAbstractValue(originalOperation);
                var states = DataFlowAnalysisContext.Aliases.Group(GetPointsToAbstractValue(receiver)).Where(CurrentAnalysisData.ContainsKey).Select(l => CurrentAnalysisData[l]).ToList();
                DataFlowAnalysisContext.Aliases.Add(result, GetPointsToAbstractValue(receiver));
                if (states.Count > 0)
                {
                    SetAbstractValue(result, states.Aggregate(ValueDomain.Merge));
                }
            }

            return value;
        }

        public override (SpanData output, bool isFeasibleBranch) FlowBranch(BasicBlock fromBlock, BranchWithInfo branch, SpanData input)
        {
            if (branch.Kind is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow && CaughtByCatchAll(fromBlock))
            {
                // A throw a catch-all handles does not leave the method: what the framework records as
                // unhandled for it (it drops it only for a catch that declares a variable) must not count.
                foreach (var location in input.Keys.ToList())
                {
                    input[location] = SpanState.Invalid;
                }
            }

            return base.FlowBranch(fromBlock, branch, input);
        }

        /// <summary>Handed to an owner that ends it: what was open is that owner's now.</summary>
        private static SpanState? HandedOn(SpanState current) =>
            current.Kind is SpanStateKind.Open or SpanStateKind.OpenOrEscaped ? SpanState.Escaped : current.Kind == SpanStateKind.MaybeEnded ? SpanState.Ended : null;

        private static IOperation Unconverted(IOperation operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        public override SpanState VisitIsNull(IIsNullOperation operation, object? argument)
        {
            var value = base.VisitIsNull(operation, argument);
            if (FlowBranchConditionKind == ControlFlowConditionKind.WhenTrue)
            {
                Transition(operation.Operand, current => current.Kind == SpanStateKind.NotSpan ? null : SpanState.Invalid);
            }

            return value;
        }

        public override SpanState VisitIsPattern(IIsPatternOperation operation, object? argument)
        {
            var value = base.VisitIsPattern(operation, argument);
            var declared = operation.Pattern switch
            {
                IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local } => local,
                IRecursivePatternOperation { DeclaredSymbol: ILocalSymbol local } => local,
                _ => null,
            };
            if (declared is not null)
            {
                // 'span is { } open': 'open' is the span.
                DataFlowAnalysisContext.Aliases.AddLocal(declared, operation.Value);
            }

            // Null on this branch: 'span is null' when true, 'span is not null' / 'span is { }' when false.
            var testsNull = operation.Pattern is IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } };
            var testsNotNull = operation.Pattern is INegatedPatternOperation { Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } } }
                or IRecursivePatternOperation or IDeclarationPatternOperation or ITypePatternOperation;
            if ((testsNull && FlowBranchConditionKind == ControlFlowConditionKind.WhenTrue) || (testsNotNull && FlowBranchConditionKind == ControlFlowConditionKind.WhenFalse))
            {
                Transition(operation.Value, current => current.Kind == SpanStateKind.NotSpan ? null : SpanState.Invalid);
            }

            return value;
        }

        public override SpanState VisitBinaryOperatorCore(IBinaryOperation operation, object? argument)
        {
            var value = base.VisitBinaryOperatorCore(operation, argument);
            var nullWhenTrue = FlowBranchConditionKind == ControlFlowConditionKind.WhenTrue && operation.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.ObjectValueEquals;
            var nullWhenFalse = FlowBranchConditionKind == ControlFlowConditionKind.WhenFalse && operation.OperatorKind is BinaryOperatorKind.NotEquals or BinaryOperatorKind.ObjectValueNotEquals;
            if (nullWhenTrue || nullWhenFalse)
            {
                var tested = GetNullAbstractValue(operation.RightOperand) == NullAbstractValue.Null ? operation.LeftOperand
                    : GetNullAbstractValue(operation.LeftOperand) == NullAbstractValue.Null ? operation.RightOperand
                    : null;
                Transition(tested, current => current.Kind == SpanStateKind.NotSpan ? null : SpanState.Invalid);
            }

            return value;
        }

        /// <summary>
        /// The operations an exception may leave from: an awaited call (I/O, the upstream), a call of
        /// a source method that throws, a delegate; not the Activity's own members or other library
        /// calls, which would make every span that is tagged before its 'finally' look open.
        /// </summary>
        protected override void HandlePossibleThrowingOperation(IOperation operation)
        {
            // An exception a catch-all handles does not leave: the catch's input already holds the
            // state at the start of the try (the framework merges pending throws into a catch only
            // when the catch declares a variable).
            if (operation is IInvocationOperation invocation && MayThrow(invocation) && !CaughtByCatchAll(CurrentBasicBlock))
            {
                base.HandlePossibleThrowingOperation(operation);
                if (DataFlowAnalysisContext.InterproceduralAnalysisData is null && !InsideTry(CurrentBasicBlock))
                {
                    // Nothing between here and the caller can end the span. The framework keeps one
                    // state for all such operations and overwrites it with a finally's output, which
                    // loses a span left open by an await before the 'try' that ends it.
                    foreach (var pair in CurrentAnalysisData)
                    {
                        _leaving[pair.Key] = _leaving.TryGetValue(pair.Key, out var earlier) ? ValueDomain.Merge(earlier, pair.Value) : pair.Value;
                    }
                }
            }
        }

        private readonly Dictionary<AbstractLocation, SpanState> _leaving = new();

        /// <summary>The states of the spans where an exception leaves the analysed method with no try around it.</summary>
        public IEnumerable<KeyValuePair<AbstractLocation, SpanState>> LeavingTheMethod => _leaving;

        private static bool InsideTry(BasicBlock block)
        {
            for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Try)
                {
                    return true;
                }
            }

            return false;
        }

        private bool CaughtByCatchAll(BasicBlock block)
        {
            for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { Kind: ControlFlowRegionKind.TryAndCatch } tryAndCatch
                    && tryAndCatch.NestedRegions.Any(r => r.Kind == ControlFlowRegionKind.Catch && (r.ExceptionType is null || r.ExceptionType.SpecialType == SpecialType.System_Object || WellKnownTypes.Same(r.ExceptionType, ExceptionNamedType))))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool MayThrow(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            if (method.MethodKind is MethodKind.DelegateInvoke or MethodKind.LocalFunction or MethodKind.AnonymousFunction)
            {
                return true;
            }

            for (IOperation current = invocation; current.Parent is { } parent; current = parent)
            {
                if (parent is IAwaitOperation)
                {
                    return true;
                }

                if (!(parent is IConversionOperation || (parent is IInvocationOperation outer && outer.Instance == current)))
                {
                    break;
                }
            }

            return method.DeclaringSyntaxReferences.Any(r => r.GetSyntax().DescendantNodes().Any(n => n is ThrowStatementSyntax or ThrowExpressionSyntax));
        }

        protected override void SetValueForParameterPointsToLocationOnEntry(IParameterSymbol parameter, PointsToAbstractValue pointsToAbstractValue)
        {
        }

        protected override void EscapeValueForParameterPointsToLocationOnExit(IParameterSymbol parameter, AnalysisEntity analysisEntity, ImmutableHashSet<AbstractLocation> escapedLocations) =>
            SetAbstractValue(escapedLocations.Where(l => IsSpan(l.LocationType, Types)), ValueDomain.UnknownOrMayBeValue);

        protected override void SetAbstractValueForArrayElementInitializer(IArrayCreationOperation arrayCreation, ImmutableArray<AbstractIndex> indices, ITypeSymbol elementType, IOperation initializer, SpanState value)
        {
        }

        protected override void SetAbstractValueForAssignment(IOperation target, IOperation? assignedValueOperation, SpanState assignedValue, bool mayBeAssignment = false)
        {
        }

        protected override void SetAbstractValueForTupleElementAssignment(AnalysisEntity tupleElementEntity, IOperation assignedValueOperation, SpanState assignedValue)
        {
        }

        protected override SpanData MergeAnalysisData(SpanData value1, SpanData value2) => Domain.Merge(value1, value2);

        protected override void UpdateValuesForAnalysisData(SpanData targetAnalysisData) => UpdateValuesForAnalysisData(targetAnalysisData, CurrentAnalysisData);

        protected override SpanData GetClonedAnalysisData(SpanData analysisData) => GetClonedAnalysisDataHelper(analysisData);

        public override SpanData GetEmptyAnalysisData() => GetEmptyAnalysisDataHelper();

        protected override SpanData GetExitBlockOutputData(SpanAnalysisResult analysisResult) => GetClonedAnalysisDataHelper(analysisResult.ExitBlockOutput.Data);

        protected override void ApplyMissingCurrentAnalysisDataForUnhandledExceptionData(SpanData dataAtException, ThrownExceptionInfo throwBranchWithExceptionType) =>
            ApplyMissingCurrentAnalysisDataForUnhandledExceptionData(dataAtException, CurrentAnalysisData);

        protected override bool Equals(SpanData value1, SpanData value2) => Domain.Equals(value1, value2);
    }
}

/// <summary>The flow captures and the references to each local and parameter of one control-flow graph, and what its lambdas capture.</summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<CaptureId, IOperation> _captures = new();
    private readonly Dictionary<ISymbol, List<IOperation>> _references = new(SymbolEqualityComparer.Default);
    private readonly SemanticModel? _model;

    public GraphIndex(ControlFlowGraph graph)
    {
        _model = graph.OriginalOperation.SemanticModel;
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.Operations.Concat(block.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { block.BranchValue }).SelectMany(o => o.DescendantsAndSelf()))
            {
                switch (operation)
                {
                    case IFlowCaptureOperation capture:
                        _captures[capture.Id] = capture.Value;
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        // The value a local is given stands for it too (a target alone has no points-to value).
                        Add(target.Local, assignment.Value);
                        break;
                    case ILocalReferenceOperation local:
                        Add(local.Local, operation);
                        break;
                    case IParameterReferenceOperation parameter:
                        Add(parameter.Parameter, operation);
                        break;
                }
            }
        }
    }

    private void Add(ISymbol symbol, IOperation reference)
    {
        if (!_references.TryGetValue(symbol, out var list))
        {
            _references[symbol] = list = new List<IOperation>();
        }

        list.Add(reference);
    }

    /// <summary>The local or parameter an operation reads, through flow captures and conversions.</summary>
    public ISymbol? Symbol(IOperation operation)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    continue;
                case IFlowCaptureReferenceOperation reference when _captures.TryGetValue(reference.Id, out var captured):
                    operation = captured;
                    continue;
                case ILocalReferenceOperation local:
                    return local.Local;
                case IParameterReferenceOperation parameter:
                    return parameter.Parameter;
            }

            return null;
        }

        return null;
    }

    public IReadOnlyList<IOperation> References(ISymbol symbol) => _references.TryGetValue(symbol, out var list) ? list : (IReadOnlyList<IOperation>)Array.Empty<IOperation>();

    /// <summary>The locals and parameters of this graph a lambda (given as a delegate) reads.</summary>
    public IEnumerable<ISymbol> CapturedBy(IOperation value)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        if (value is IFlowCaptureReferenceOperation reference && _captures.TryGetValue(reference.Id, out var captured))
        {
            value = captured;
        }

        if (value is IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation lambda })
        {
            foreach (var read in lambda.Symbol.DeclaringSyntaxReferences.SelectMany(r => r.GetSyntax().DescendantNodes()).OfType<IdentifierNameSyntax>())
            {
                var symbol = read.SyntaxTree == _model?.SyntaxTree ? _model.GetSymbolInfo(read).Symbol : null;
                if (symbol is ILocalSymbol or IParameterSymbol && _references.ContainsKey(symbol))
                {
                    yield return symbol;
                }
            }
        }
    }
}

/// <summary>
/// Locations that are one span: a fluent call's result (<c>span?.SetTag(...)</c>) and its
/// receiver, and a pattern's local (<c>span is { } open</c>) and the value it tests. Shared by an
/// analysis and the analyses of the calls it follows.
/// </summary>
internal sealed class SpanAliases
{
    private readonly ConcurrentDictionary<AbstractLocation, AbstractLocation> _origins = new();
    private readonly ConcurrentDictionary<ILocalSymbol, IOperation> _patternLocals = new(SymbolEqualityComparer.Default);

    public SpanAliases(WellKnownTypes types) => Types = types;

    public WellKnownTypes Types { get; }

    public void Add(PointsToAbstractValue alias, PointsToAbstractValue of)
    {
        if (of.Locations.Count == 1)
        {
            var origin = Origin(of.Locations.First());
            foreach (var location in alias.Locations)
            {
                if (!location.Equals(origin))
                {
                    _origins.TryAdd(location, origin);
                }
            }
        }
    }

    public void AddLocal(ILocalSymbol local, IOperation value) => _patternLocals.TryAdd(local, value);

    /// <summary>The operation whose points-to value an instance has: itself, or for a pattern's local the value it tested.</summary>
    public IOperation Source(IOperation instance) =>
        instance is ILocalReferenceOperation reference && _patternLocals.TryGetValue(reference.Local, out var tested) ? tested : instance;

    public bool IsAlias(AbstractLocation location) => _origins.ContainsKey(location);

    /// <summary>The locations and every location that is the same span.</summary>
    public IEnumerable<AbstractLocation> Group(PointsToAbstractValue value) => Group(value.Locations);

    public IEnumerable<AbstractLocation> Group(IEnumerable<AbstractLocation> locations)
    {
        var origins = new HashSet<AbstractLocation>(locations.Select(Origin));
        return origins.Concat(_origins.Where(pair => origins.Contains(pair.Value)).Select(pair => pair.Key)).Distinct();
    }

    private AbstractLocation Origin(AbstractLocation location)
    {
        for (var depth = 0; depth < 8 && _origins.TryGetValue(location, out var origin); depth++)
        {
            location = origin;
        }

        return location;
    }
}

internal sealed class SpanBlockResult : AbstractBlockAnalysisResult
{
    public SpanBlockResult(BasicBlock basicBlock, SpanData data)
        : base(basicBlock) =>
        Data = data?.ToImmutableDictionary() ?? ImmutableDictionary<AbstractLocation, SpanState>.Empty;

    public ImmutableDictionary<AbstractLocation, SpanState> Data { get; }
}

internal sealed class SpanAnalysisResult : DataFlowAnalysisResult<SpanBlockResult, SpanState>
{
    public SpanAnalysisResult(DataFlowAnalysisResult<SpanBlockResult, SpanState> core)
        : base(core)
    {
    }
}

internal sealed class SpanAnalysisContext : AbstractDataFlowAnalysisContext<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanState>
{
    public SpanAnalysisContext(
        WellKnownTypeProvider provider,
        ControlFlowGraph graph,
        ISymbol owner,
        AnalyzerOptions options,
        InterproceduralAnalysisConfiguration configuration,
        PointsToAnalysisResult? pointsTo,
        Func<SpanAnalysisContext, SpanAnalysisResult?> compute,
        ControlFlowGraph? parentControlFlowGraph,
        InterproceduralAnalysisData<SpanData, SpanAnalysisContext, SpanState>? interproceduralAnalysisData,
        InterproceduralAnalysisPredicate? predicate,
        SpanAliases aliases)
        : base(SpanStateDomain.Instance, provider, graph, owner, options, configuration, pessimisticAnalysis: false, predicateAnalysis: false, exceptionPathsAnalysis: true,
            copyAnalysisResult: null, pointsTo, valueContentAnalysisResult: null, compute, parentControlFlowGraph, interproceduralAnalysisData, predicate) =>
        Aliases = aliases;

    public SpanAliases Aliases { get; }

    public override SpanAnalysisContext ForkForInterproceduralAnalysis(
        IMethodSymbol invokedMethod,
        ControlFlowGraph invokedCfg,
        PointsToAnalysisResult? pointsToAnalysisResult,
        DataFlowAnalysisResult<CopyBlockAnalysisResult, CopyAbstractValue>? copyAnalysisResult,
        DataFlowAnalysisResult<ValueContentBlockAnalysisResult, ValueContentAbstractValue>? valueContentAnalysisResult,
        InterproceduralAnalysisData<SpanData, SpanAnalysisContext, SpanState>? interproceduralAnalysisData) =>
        new(WellKnownTypeProvider, invokedCfg, invokedMethod, AnalyzerOptions, InterproceduralAnalysisConfiguration, pointsToAnalysisResult,
            TryGetOrComputeAnalysisResult, ControlFlowGraph, interproceduralAnalysisData, InterproceduralAnalysisPredicate, Aliases);

    protected override void ComputeHashCodePartsSpecific(ref RoslynHashCode hashCode)
    {
    }

    protected override bool ComputeEqualsByHashCodeParts(AbstractDataFlowAnalysisContext<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanState> obj) => true;
}
