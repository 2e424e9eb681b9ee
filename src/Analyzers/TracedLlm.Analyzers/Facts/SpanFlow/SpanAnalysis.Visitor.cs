namespace TracedLlm.Analyzers.Facts.SpanFlow;

// The visitor: where a span is started, ended, handed on, or the same span as another.
internal sealed partial class SpanAnalysis
{
    private sealed partial class Visitor
        : AbstractLocationDataFlowOperationVisitor<SpanData, SpanAnalysisContext, SpanAnalysisResult, SpanState>
    {
        public Visitor(SpanAnalysisContext context)
            : base(context)
        {
        }

        private WellKnownTypes Types => DataFlowAnalysisContext.Aliases.Types;

        protected override SpanState GetAbstractDefaultValue(ITypeSymbol? type) => SpanState.NotSpan;

        protected override SpanState GetAbstractValue(AbstractLocation location) =>
            CurrentAnalysisData.TryGetValue(location, out var value) ? value : ValueDomain.UnknownOrMayBeValue;

        protected override bool HasAnyAbstractValue(SpanData data) => data.Count > 0;

        protected override void SetAbstractValue(AbstractLocation location, SpanState value)
        {
            if (!location.IsNull && IsSpan(location.LocationType, Types))
            {
                CurrentAnalysisData[location] = value;
            }
        }

        protected override void StopTrackingAbstractValue(AbstractLocation location) =>
            CurrentAnalysisData.Remove(location);

        protected override void ResetCurrentAnalysisData() => ResetAnalysisData(CurrentAnalysisData);

        // An Activity made with 'new' is not started yet: Start() starts it.
        protected override SpanState HandleInstanceCreation(IOperation creation, PointsToAbstractValue instanceLocation,
            SpanState defaultValue) => SpanState.NotSpan;

        private GraphIndex? _index;

        private GraphIndex Index => _index ??= new GraphIndex(DataFlowAnalysisContext.ControlFlowGraph);

        /// <summary>The spans an operation may be.</summary>
        /// <remarks>Where points-to analysis has none (a flow capture in a catch), those of every other reference to
        /// the same local or parameter: a span's location is its allocation site.</remarks>
        private IEnumerable<AbstractLocation> Locations(IOperation instance)
        {
            instance = DataFlowAnalysisContext.Aliases.Source(instance);
            var value = GetPointsToAbstractValue(instance);
            return value.Kind == PointsToAbstractValueKind.KnownLocations && value.Locations.Any(l => !l.IsNull)
                ? DataFlowAnalysisContext.Aliases.Group(value)
                : Index.Symbol(instance) is { } symbol ? SymbolLocations(symbol) : Enumerable.Empty<AbstractLocation>();
        }

        private IEnumerable<AbstractLocation> SymbolLocations(ISymbol symbol) =>
            DataFlowAnalysisContext.Aliases.Group(Index.References(symbol).Select(GetPointsToAbstractValue)
                    .Where(v => v.Kind == PointsToAbstractValueKind.KnownLocations).SelectMany(v => v.Locations)
                    .Where(l => !l.IsNull).Distinct());

        /// <summary>Sets the state of every span the operation may be.</summary>
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
                    if (CurrentAnalysisData.TryGetValue(escaped, out var current)
                        && current.Kind is SpanStateKind.Open or SpanStateKind.OpenOrEscaped or SpanStateKind.MaybeEnded
                    )
                    {
                        SetAbstractValue(escaped,
                            current.Kind == SpanStateKind.MaybeEnded ? SpanState.Ended : SpanState.Escaped);
                    }
                }
            }

            return value;
        }

        public override SpanState VisitInvocation_NonLambdaOrDelegateOrLocalFunction(IMethodSymbol method,
            IOperation? visitedInstance, ImmutableArray<IArgumentOperation> visitedArguments, bool invokedAsDelegate,
            IOperation originalOperation, SpanState defaultValue)
        {
            var value = base.VisitInvocation_NonLambdaOrDelegateOrLocalFunction(method, visitedInstance,
                visitedArguments, invokedAsDelegate, originalOperation, defaultValue);
            var receiver = visitedInstance
                ?? (method.IsExtensionMethod && visitedArguments.Length > 0 ? visitedArguments[0].Value : null);
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
                    if (IsSpan(GraphIndex.Unconverted(argument.Value).Type, Types))
                    {
                        Transition(argument.Value, HandedOn);
                    }

                    foreach (var captured in Index.CapturedBy(argument.Value)
                            .Where(symbol =>
                                IsSpan(symbol is ILocalSymbol local ? local.Type : ((IParameterSymbol)symbol).Type,
                                    Types)))
                    {
                        Transition(SymbolLocations(captured), HandedOn);
                    }
                }
            }

            // SetTag, SetStatus, AddEvent...: the result is the receiver.
            if (!method.IsStatic && receiver is not null && IsSpan(receiver.Type, Types)
                && IsSpan(method.ReturnType, Types))
            {
                var result = GetPointsToAbstractValue(originalOperation);
                var states = DataFlowAnalysisContext.Aliases.Group(GetPointsToAbstractValue(receiver))
                    .Where(CurrentAnalysisData.ContainsKey).Select(l => CurrentAnalysisData[l]).ToList();
                DataFlowAnalysisContext.Aliases.Add(result, GetPointsToAbstractValue(receiver));
                if (states.Count > 0)
                {
                    SetAbstractValue(result, states.Aggregate(ValueDomain.Merge));
                }
            }

            return value;
        }

        /// <summary>Handed to an owner that ends it: what was open is that owner's now.</summary>
        private static SpanState? HandedOn(SpanState current) =>
            current.Kind is SpanStateKind.Open or SpanStateKind.OpenOrEscaped ? SpanState.Escaped
            : current.Kind == SpanStateKind.MaybeEnded ? SpanState.Ended : null;

        protected override void SetValueForParameterPointsToLocationOnEntry(IParameterSymbol parameter,
            PointsToAbstractValue pointsToAbstractValue
        ) { }

        protected override void EscapeValueForParameterPointsToLocationOnExit(IParameterSymbol parameter,
            AnalysisEntity analysisEntity, ImmutableHashSet<AbstractLocation> escapedLocations) =>
            SetAbstractValue(escapedLocations.Where(l => IsSpan(l.LocationType, Types)),
                ValueDomain.UnknownOrMayBeValue);

        protected override void SetAbstractValueForArrayElementInitializer(IArrayCreationOperation arrayCreation,
            ImmutableArray<AbstractIndex> indices, ITypeSymbol elementType, IOperation initializer, SpanState value
        ) { }

        protected override void SetAbstractValueForAssignment(IOperation target, IOperation? assignedValueOperation,
            SpanState assignedValue, bool mayBeAssignment = false
        ) { }

        protected override void SetAbstractValueForTupleElementAssignment(AnalysisEntity tupleElementEntity,
            IOperation assignedValueOperation, SpanState assignedValue
        ) { }

        protected override SpanData MergeAnalysisData(SpanData value1, SpanData value2) => Domain.Merge(value1, value2);

        protected override void UpdateValuesForAnalysisData(SpanData targetAnalysisData) =>
            UpdateValuesForAnalysisData(targetAnalysisData, CurrentAnalysisData);

        protected override SpanData GetClonedAnalysisData(SpanData analysisData) =>
            GetClonedAnalysisDataHelper(analysisData);

        public override SpanData GetEmptyAnalysisData() => GetEmptyAnalysisDataHelper();

        protected override SpanData GetExitBlockOutputData(SpanAnalysisResult analysisResult) =>
            GetClonedAnalysisDataHelper(analysisResult.ExitBlockOutput.Data);

        protected override void ApplyMissingCurrentAnalysisDataForUnhandledExceptionData(SpanData dataAtException,
            ThrownExceptionInfo throwBranchWithExceptionType
        ) => ApplyMissingCurrentAnalysisDataForUnhandledExceptionData(dataAtException, CurrentAnalysisData);

        protected override bool Equals(SpanData value1, SpanData value2) => Domain.Equals(value1, value2);
    }
}
