namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a protocol-version fallback.
internal sealed partial class SwallowCollector
{
    /// <summary>The <c>Data</c> keys by which SocketsHttpHandler says it refused the version: nothing was
    /// sent.</summary>
    private static readonly HashSet<string> VersionRefusals = new(StringComparer.Ordinal)
    {
        "HTTP2_ENABLED", "SETTINGS_ENABLE_CONNECT_PROTOCOL"
    };

    /// <summary>A protocol-version fallback: every path hands on, or tests a version refusal and sends again.</summary>
    private static bool IsVersionFallback(ICatchClauseOperation @catch, MethodScope scope)
    {
        if (scope.Types.HttpRequestException is not { } requestFailure
            || !DerivesFrom(@catch.ExceptionType, requestFailure)
            || @catch.ExceptionDeclarationOrExpression is not IVariableDeclaratorOperation { Symbol: { } exception })
        {
            return false;
        }

        var reading = new VersionFallback(exception, scope);
        return reading.Covered(@catch.Handler.Operations, @catch.Filter is { } filter && reading.Refused(filter));
    }

    /// <summary>The statements of an <c>if</c>'s branch: its block's, the one statement, or none.</summary>
    private static IEnumerable<IOperation> Branch(IOperation? branch) => branch switch
    {
        null => Enumerable.Empty<IOperation>(),
        IBlockOperation block => block.Operations,
        _ => new[] { branch },
    };

    private sealed class VersionFallback(ILocalSymbol exception, MethodScope scope)
    {
        private readonly ILocalSymbol _exception = exception;
        private readonly MethodScope _scope = scope;

        /// <summary>Every path hands on before it leaves, or, past a true test of a refusal, sends again.</summary>
        public bool Covered(IEnumerable<IOperation> statements, bool refused)
        {
            var rest = statements.ToList();
            for (var i = 0; i < rest.Count; i++)
            {
                var statement = rest[i];
                if (_scope.Compilation.Handoff.Always(statement) || (refused && Resends(statement)))
                {
                    return true;
                }

                if (statement is IConditionalOperation conditional
                    && (conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void))
                {
                    var after = rest.Skip(i + 1).ToList();
                    var negated = ValueFlow.Unwrap(conditional.Condition)
                            is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not
                        && Refused(not.Operand);
                    return Covered(
                            Branch(conditional.WhenTrue).Concat(after),
                            refused || Refused(conditional.Condition)
                        ) && Covered(Branch(conditional.WhenFalse).Concat(after), refused || negated);
                }

                if (FailureHandoff.Leaves(statement))
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>True only when the caught exception's <c>Data</c> holds a version refusal.</summary>
        public bool Refused(IOperation condition) => ValueFlow.Unwrap(condition) switch
            {
                IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both => Refused(both.LeftOperand)
                    || Refused(both.RightOperand),
                IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either => Refused(either.LeftOperand
                ) && Refused(either.RightOperand),
                IInvocationOperation { TargetMethod.Name: "Contains", Arguments.Length: 1 } contains => IsData(
                    contains.Instance
                ) && IsRefusal(contains.Arguments[0].Value),
                IIsPatternOperation
                {
                    Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: false } }
                } pattern => IsRefusalEntry(pattern.Value),
                _ => false,
            };

        private bool IsRefusalEntry(IOperation value) => ValueFlow.Unwrap(value)
                is IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1 } entry
            && IsData(entry.Instance) && IsRefusal(entry.Arguments[0].Value);

        /// <summary><c>e.Data</c> of the caught exception <c>e</c>.</summary>
        private bool IsData(IOperation? operation) => operation is not null
            && ValueFlow.Unwrap(operation)
                is IPropertyReferenceOperation { Property.Name: "Data", Instance: { } instance }
            && ValueFlow.Unwrap(instance) is ILocalReferenceOperation local && Same(local.Local, _exception);

        private static bool IsRefusal(IOperation key) =>
            ValueFlow.Unwrap(key).ConstantValue is { HasValue: true, Value: string name }
            && VersionRefusals.Contains(name);

        /// <summary>A statement (not a branch or a block) that sends upstream whenever it runs.</summary>
        private bool Resends(IOperation statement) =>
            statement is IExpressionStatementOperation or IVariableDeclarationGroupOperation or IReturnOperation
            && statement.DescendantsAndSelf().OfType<IInvocationOperation>()
                .Any(call => _scope.Types.UpstreamCall(call.TargetMethod,
                        MethodScope.Receiver(call) is { } receiver ? ValueFlow.Unwrap(receiver).Type : null) is not null
                    && !FailureHandoff.IsConditional(call, statement) && !ValueFlow.InNestedFunction(call, statement));
    }
}
