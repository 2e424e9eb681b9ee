namespace TracedLlm.Analyzers.Facts.SpanFlow;

// The visitor, on the paths an exception takes: which operations may throw, and which throws leave the method.
internal sealed partial class SpanAnalysis
{
    private sealed partial class Visitor
    {
        public override (SpanData output, bool isFeasibleBranch) FlowBranch(BasicBlock fromBlock, BranchWithInfo branch,
            SpanData input)
        {
            if (branch.Kind is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow
                && CaughtByCatchAll(fromBlock))
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

        /// <summary>The operations an exception may leave from, not the Activity's own members.</summary>
        /// <remarks>Other library calls would make every span tagged before its 'finally' look open.</remarks>
        protected override void HandlePossibleThrowingOperation(IOperation operation)
        {
            // An exception a catch-all handles does not leave: the catch's input already holds the
            // state at the start of the try (the framework merges pending throws into a catch only
            // when the catch declares a variable).
            if (operation is IInvocationOperation invocation && MayThrow(invocation)
                && !CaughtByCatchAll(CurrentBasicBlock))
            {
                base.HandlePossibleThrowingOperation(operation);
                if (DataFlowAnalysisContext.InterproceduralAnalysisData is null && !InsideTry(CurrentBasicBlock))
                {
                    // Nothing between here and the caller can end the span. The framework keeps one
                    // state for all such operations and overwrites it with a finally's output, which
                    // loses a span left open by an await before the 'try' that ends it.
                    foreach (var pair in CurrentAnalysisData)
                    {
                        _leaving[pair.Key] = _leaving.TryGetValue(pair.Key, out var earlier)
                            ? ValueDomain.Merge(earlier, pair.Value) : pair.Value;
                    }
                }
            }
        }

        private readonly Dictionary<AbstractLocation, SpanState> _leaving = new();

        /// <summary>The states of the spans where an exception leaves the method with no try around it.</summary>
        public IEnumerable<KeyValuePair<AbstractLocation, SpanState>> LeavingTheMethod => _leaving;

        private static bool InsideTry(BasicBlock block) => Regions(block).Any(r => r.Kind == ControlFlowRegionKind.Try);

        private bool CaughtByCatchAll(BasicBlock block) => Regions(block)
                .Any(region => region.Kind == ControlFlowRegionKind.Try
                    && region.EnclosingRegion is { Kind: ControlFlowRegionKind.TryAndCatch } tryAndCatch
                    && tryAndCatch.NestedRegions.Any(r => r.Kind == ControlFlowRegionKind.Catch
                        && (r.ExceptionType is null || r.ExceptionType.SpecialType == SpecialType.System_Object
                            || Same(r.ExceptionType, ExceptionNamedType))));

        private static IEnumerable<ControlFlowRegion> Regions(BasicBlock block) =>
            Lists.Chain(block.EnclosingRegion, region => region.EnclosingRegion);

        /// <summary>A call that may throw on its way out: an awaited call, a call of source code with a throw, a
        /// delegate.</summary>
        private static bool MayThrow(IInvocationOperation invocation)
        {
            // Awaited, itself or through conversions and calls on its result.
            if (ValueFlow.Steps(invocation)
                .TakeWhile(step => step.Parent is IAwaitOperation or IConversionOperation
                    || (step.Parent is IInvocationOperation outer && outer.Instance == step.Child))
                .Any(step => step.Parent is IAwaitOperation))
            {
                return true;
            }

            var method = invocation.TargetMethod;
            return method.MethodKind == MethodKind.DelegateInvoke
                ? Invoked(invocation.Instance) is not { } code || HasThrow(code)
                : method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction
                    && method.DeclaringSyntaxReferences.IsEmpty
                || method.DeclaringSyntaxReferences.Any(r => HasThrow(r.GetSyntax()));
        }

        private static bool HasThrow(SyntaxNode code) =>
            code.DescendantNodes().Any(n => n is ThrowStatementSyntax or ThrowExpressionSyntax);

        /// <summary>The lambda a delegate invocation runs, when known: written in place, or a readonly
        /// field's.</summary>
        /// <remarks>Through the conversions, parentheses and delegate creation around the lambda or field.</remarks>
        private static SyntaxNode? Invoked(IOperation? instance) =>
            (instance is null ? null : ValueFlow.Unwrap(instance)) switch
            {
                IDelegateCreationOperation creation => Invoked(creation.Target),
                IFlowAnonymousFunctionOperation lambda => lambda.Symbol.DeclaringSyntaxReferences.FirstOrDefault()
                    ?.GetSyntax(),
                IAnonymousFunctionOperation lambda => lambda.Symbol.DeclaringSyntaxReferences.FirstOrDefault()
                    ?.GetSyntax(),
                IFieldReferenceOperation { Field: { IsReadOnly: true } field } => Initializer(field),
                _ => null,
            };

        private static ExpressionSyntax? Initializer(IFieldSymbol field)
        {
            if (field.DeclaringSyntaxReferences.Length != 1
                || field.DeclaringSyntaxReferences[0].GetSyntax()
                    is not VariableDeclaratorSyntax { Initializer.Value: var value })
            {
                return null;
            }

            while (value is ParenthesizedExpressionSyntax or CastExpressionSyntax)
            {
                value = value is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression
                    : ((CastExpressionSyntax)value).Expression;
            }

            // A constructor may assign the field another delegate: any mention of its name there counts as one.
            var written = field.ContainingType.DeclaringSyntaxReferences.Any(r => r.GetSyntax().DescendantNodes()
                    .OfType<ConstructorDeclarationSyntax>()
                    .Any(c => c.DescendantNodes().OfType<IdentifierNameSyntax>()
                            .Any(n => n.Identifier.ValueText == field.Name)));
            return value is AnonymousFunctionExpressionSyntax && !written ? value : null;
        }
    }
}
