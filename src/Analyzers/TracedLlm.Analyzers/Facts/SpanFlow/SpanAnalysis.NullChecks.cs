namespace TracedLlm.Analyzers.Facts.SpanFlow;

// The visitor, on branches: where a span is known to be null it is no open span.
internal sealed partial class SpanAnalysis
{
    private sealed partial class Visitor
    {
        public override SpanState VisitIsNull(IIsNullOperation operation, object? argument)
        {
            var value = base.VisitIsNull(operation, argument);
            if (FlowBranchConditionKind == ControlFlowConditionKind.WhenTrue)
            {
                Nulled(operation.Operand);
            }

            return value;
        }

        public override SpanState VisitIsPattern(IIsPatternOperation operation, object? argument)
        {
            var value = base.VisitIsPattern(operation, argument);
            if (((operation.Pattern as IDeclarationPatternOperation)?.DeclaredSymbol
                ?? (operation.Pattern as IRecursivePatternOperation)?.DeclaredSymbol) is ILocalSymbol declared)
            {
                // 'span is { } open': 'open' is the span.
                DataFlowAnalysisContext.Aliases.AddLocal(declared, operation.Value);
            }

            // Null on this branch: 'span is null' when true, 'span is not null' / 'span is { }' when false.
            var testsNull =
                operation.Pattern is IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } };
            var testsNotNull = operation.Pattern
                is INegatedPatternOperation
                    {
                        Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } }
                    } or IRecursivePatternOperation or IDeclarationPatternOperation or ITypePatternOperation;
            if ((testsNull && FlowBranchConditionKind == ControlFlowConditionKind.WhenTrue)
                || (testsNotNull && FlowBranchConditionKind == ControlFlowConditionKind.WhenFalse))
            {
                Nulled(operation.Value);
            }

            return value;
        }

        public override SpanState VisitBinaryOperatorCore(IBinaryOperation operation, object? argument)
        {
            var value = base.VisitBinaryOperatorCore(operation, argument);
            var nullWhenTrue = FlowBranchConditionKind == ControlFlowConditionKind.WhenTrue
                && operation.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.ObjectValueEquals;
            var nullWhenFalse = FlowBranchConditionKind == ControlFlowConditionKind.WhenFalse
                && operation.OperatorKind is BinaryOperatorKind.NotEquals or BinaryOperatorKind.ObjectValueNotEquals;
            if (nullWhenTrue || nullWhenFalse)
            {
                Nulled(GetNullAbstractValue(operation.RightOperand) == NullAbstractValue.Null ? operation.LeftOperand
                    : GetNullAbstractValue(operation.LeftOperand) == NullAbstractValue.Null ? operation.RightOperand
                    : null);
            }

            return value;
        }

        /// <summary>On this branch <paramref name="tested"/> is null: no open span.</summary>
        private void Nulled(IOperation? tested) =>
            Transition(tested, current => current.Kind == SpanStateKind.NotSpan ? null : SpanState.Invalid);
    }
}
