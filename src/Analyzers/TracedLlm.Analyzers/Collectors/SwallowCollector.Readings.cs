using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's readings of catches that drop no failure of the request: a decode probe, a failure kept and thrown later,
// a protocol-version fallback.
internal sealed partial class SwallowCollector
{
    /// <summary>
    /// A decode probe, the TryParse idiom for any value decoded in memory: the <c>try</c> decodes (base64, a text encoding,
    /// JSON of System.Text.Json or Newtonsoft.Json, <c>IDataProtector.Unprotect</c>, a URI, a number, a GUID or a date, a JWT
    /// read but not validated) and does nothing else but compute in memory (<see cref="CompilationFacts.WorkOf(IOperation)"/>:
    /// no await, no call of code not known, methods of source that do only the same), the catch, with no filter, takes what
    /// a decoder throws (<see cref="TakesDecodeFailure"/>), and the handler is a probe's (<see cref="IsProbeHandler"/>) or
    /// keeps the value another way (<see cref="KeepsInMemory"/>: the JSON tried, the text kept). What fails there is the
    /// value, not the request: a client's token, cookie or URL that is not in its format is an answer ("none"), as
    /// <c>TryParse</c> returning <c>false</c> is. The typed form (<see cref="DecodesAmongOtherWork"/>) lets the <c>try</c> do
    /// other work that cannot throw what the catch takes.
    /// </summary>
    private static bool DecodesInMemory(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope) =>
        @catch.Filter is null && TakesDecodeFailure(@catch.ExceptionType, scope.Types)
        && ((scope.Compilation.WorkOf(@try.Body) == InMemoryWork.Decodes && (IsProbeHandler(@catch, scope) || KeepsInMemory(@catch, scope)))
            || DecodesAmongOtherWork(@catch, @try, scope));

    /// <summary>
    /// A catch typed to a decoder's documented failure (not <c>Exception</c>), with no filter, around a <c>try</c> that decodes
    /// in memory and whose other work cannot throw that type (<see cref="CompilationFacts.WorkOf(IOperation, ITypeSymbol)"/>: an
    /// await of <c>Task.Delay</c>, a set of an auto-property): only the decoders can reach the catch. Its handler is a probe's,
    /// or also sets a member of an object of source held in a local or a parameter to a value computed without calls (a
    /// function's answer to the model that its arguments do not parse: <see cref="SetsAnswer"/>). A decode of a stream or a
    /// response's body is no decoder in memory: its <c>JsonException</c> is an upstream's bad body.
    /// </summary>
    private static bool DecodesAmongOtherWork(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope) =>
        !AnyException(@catch.ExceptionType, scope.Types)
        && @catch.Handler.Operations.All(statement => IsProbeStatement(statement, scope) || SetsAnswer(statement, scope.Types))
        && scope.Compilation.WorkOf(@try.Body, @catch.ExceptionType) == InMemoryWork.Decodes;

    /// <summary>
    /// A handler that keeps the value another way (JSON tried, the text kept): it only works in memory
    /// (<see cref="CompilationFacts.WorkOf(IOperation)"/> not other work, no method of source called besides a log's; a log
    /// statement is taken as a probe's handler takes it, whatever it logs), and
    /// writes only locals, parameters, and members and items of what they hold when that is an object of a type of source or
    /// a library's collection (<see cref="IsHeld"/>), or of an object it creates; a library's instance method is called on
    /// such a value or on a string or a primitive (a <c>JObject</c> kept in a field is not mutated). Nothing of <c>HttpContext</c> or
    /// <c>HttpResponse</c>: a status, a header or a cookie written is an answer to the client, judged as usual.
    /// </summary>
    private static bool KeepsInMemory(ICatchClauseOperation @catch, MethodScope scope)
    {
        var types = scope.Types;
        return @catch.Handler.Operations.All(statement => IsLogStatement(statement, scope) || scope.Compilation.WorkOf(statement) != InMemoryWork.Other)
            && @catch.Handler.DescendantsAndSelf().All(o => o switch
        {
            IAssignmentOperation assignment => IsHeld(assignment.Target, types),
            IIncrementOrDecrementOperation increment => IsHeld(increment.Target, types),
            IInvocationOperation call when scope.Compilation.IsLogCall(call) => true,
            IInvocationOperation { TargetMethod: var method } call => !method.Locations.Any(location => location.IsInSource)
                && (method.IsStatic || method.ContainingType.SpecialType != SpecialType.None || (call.Instance is { } instance && IsHeld(instance, types))),
            _ => true,
        });
    }

    /// <summary>
    /// A local, a parameter, an object being created (an initializer's member), or a member or an item of one of these
    /// whose type is of source or a library's collection (never an ASP.NET Core HTTP type's).
    /// </summary>
    private static bool IsHeld(IOperation target, WellKnownTypes types) => ValueFlow.Unwrap(target) switch
    {
        ILocalReferenceOperation or IParameterReferenceOperation => true,
        IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } => true,
        IPropertyReferenceOperation { Instance: { } instance } property => HoldsValues(property.Property.ContainingType, types) && IsHeld(instance, types),
        IFieldReferenceOperation { Instance: { } instance } field => HoldsValues(field.Field.ContainingType, types) && IsHeld(instance, types),
        IArrayElementReferenceOperation element => IsHeld(element.ArrayReference, types),
        _ => false,
    };

    private static bool HoldsValues(ITypeSymbol type, WellKnownTypes types) =>
        !IsHttp(type) && (type.IsAnonymousType || type.Locations.Any(location => location.IsInSource) || types.Decoders.IsCollection(type));

    /// <summary>
    /// A statement that sets a member of a local or a parameter whose type is of source (a field, an auto-property) to a value
    /// computed without calls (<see cref="ComputedWithoutCalls"/>): <c>message.Content = "Invalid function arguments format."</c>.
    /// </summary>
    private static bool SetsAnswer(IOperation statement, WellKnownTypes types) =>
        statement is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: var target } assignment }
        && ValueFlow.Unwrap(target) switch
        {
            IPropertyReferenceOperation { Instance: ILocalReferenceOperation or IParameterReferenceOperation, Property: var property } =>
                !property.IsIndexer && CompilationFacts.IsAutoProperty(property) && OfSource(property.ContainingType),
            IFieldReferenceOperation { Instance: ILocalReferenceOperation or IParameterReferenceOperation, Field: var field } => OfSource(field.ContainingType),
            _ => false,
        }
        && ComputedWithoutCalls(assignment.Value, types);

    private static bool OfSource(ITypeSymbol type) => !IsHttp(type) && type.Locations.Any(location => location.IsInSource);

    /// <summary>A type of ASP.NET Core's HTTP abstractions (<c>HttpContext</c>, <c>HttpResponse</c>...) or one derived from it.</summary>
    private static bool IsHttp(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.ContainingNamespace?.ToDisplayString() == "Microsoft.AspNetCore.Http")
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyException(ITypeSymbol caught, WellKnownTypes types) =>
        caught.SpecialType == SpecialType.System_Object || WellKnownTypes.Same(caught, types.Exception);

    /// <summary>
    /// A caught type a decode failure is: any exception (a bare <c>catch</c>, <c>Exception</c>: the <c>try</c> can throw
    /// nothing else than its decoders' failures and the errors of its own computation), or a type derived from one the
    /// decoders document: <c>FormatException</c> (base64, a number, a GUID, a date; <c>UriFormatException</c>),
    /// <c>JsonException</c> (System.Text.Json's, and Newtonsoft.Json's: <c>JsonReaderException</c>, <c>JsonSerializationException</c>), <c>ArgumentException</c> (an encoding's <c>DecoderFallbackException</c>, a JWT's
    /// <c>SecurityTokenMalformedException</c>, a null or empty argument), <c>CryptographicException</c> (a payload that
    /// does not decrypt) and <c>OverflowException</c> (a number out of range).
    /// </summary>
    private static bool TakesDecodeFailure(ITypeSymbol caught, WellKnownTypes types) =>
        AnyException(caught, types)
        || new[] { types.FormatException, types.JsonException, types.Decoders.NewtonsoftJsonException, types.ArgumentException, types.CryptographicException, types.OverflowException }
            .Any(documented => documented is not null && WellKnownTypes.DerivesFrom(caught, documented));

    // ----- TLLM2004's reading of a caught exception kept and thrown later.

    /// <summary>
    /// The caught exception kept and thrown later: the handler, besides log calls, only stores the caught exception (or
    /// <c>ExceptionDispatchInfo.Capture(e)</c>) in a local declared outside the <c>try</c>, or adds it to a collection
    /// held in such a local, and after the <c>try</c> the same method (not a lambda or local function in it) throws what
    /// that local holds on some path: <c>throw local;</c>, <c>local.Throw()</c>, <c>ExceptionDispatchInfo.Throw(local)</c>,
    /// or a new exception built from it (<c>throw new AggregateException(errors)</c>, an inner exception). The code decides
    /// after a check whether the caught exception is a failure, and a failure is handed on where it is thrown. Stored and
    /// never thrown, only logged later, or stored in a field is judged as usual.
    /// </summary>
    private static bool ThrownLater(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        var types = scope.Types;
        if (@catch.ExceptionDeclarationOrExpression is not IVariableDeclaratorOperation { Symbol: { } caught })
        {
            return false;
        }

        var kept = new List<ILocalSymbol>();
        foreach (var statement in @catch.Handler.Operations)
        {
            var keeper = statement is IExpressionStatementOperation { Operation: var expression } ? ValueFlow.Unwrap(expression) switch
            {
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } store when IsCaught(store.Value, caught, types) => target.Local,
                IInvocationOperation { TargetMethod.Name: "Add", Instance: { } collection, Arguments.Length: 1 } add
                    when ValueFlow.Unwrap(collection) is ILocalReferenceOperation list && IsCaught(add.Arguments[0].Value, caught, types) => list.Local,
                _ => null,
            } : null;
            if (keeper is not null && keeper.DeclaringSyntaxReferences.All(reference => !@try.Syntax.Span.Contains(reference.Span)))
            {
                kept.Add(keeper);
            }
            else if (statement is not IEmptyOperation && !IsLogStatement(statement, scope))
            {
                return false;
            }
        }

        var body = (IOperation)@try;
        while (body.Parent is { } parent && body is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
        {
            body = parent;
        }

        if (kept.Count == 0)
        {
            return false;
        }

        var own = ValueFlow.Own(body).ToList();
        return own.Any(o => o.Syntax.SpanStart >= @try.Syntax.Span.End && ThrowsKept(o, kept, types)
            && Reachable(o, body) && !InLaterHandler(o, body) && !Rewritten(own, kept, @try, o) && !GuardedAgainst(o, body, kept, caught.Type));
    }

    /// <summary>No statement before the throw, in a block around it, leaves that block first (a return, a throw, a break): dead code throws nothing.</summary>
    private static bool Reachable(IOperation thrown, IOperation body)
    {
        for (IOperation current = thrown; current.Parent is { } parent && current != body; current = parent)
        {
            if (parent is IBlockOperation block)
            {
                foreach (var statement in block.Operations)
                {
                    if (statement == current)
                    {
                        break;
                    }

                    if (statement is IReturnOperation or IBranchOperation
                        || statement is IExpressionStatementOperation { Operation: IThrowOperation }
                        || statement is IThrowOperation)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    /// <summary>The throw is in a later catch clause: it runs only when something else fails, not when the kept failure is one.</summary>
    private static bool InLaterHandler(IOperation thrown, IOperation body)
    {
        for (var current = thrown.Parent; current is not null && current != body; current = current.Parent)
        {
            if (current is ICatchClauseOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A kept local written again between the <c>try</c> and the throw (<c>failure = null;</c>): what is thrown is no longer the failure.</summary>
    private static bool Rewritten(List<IOperation> own, List<ILocalSymbol> kept, ITryOperation @try, IOperation thrown) =>
        own.Any(o => o is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }
            && kept.Contains(target.Local, SymbolEqualityComparer.Default)
            && o.Syntax.SpanStart >= @try.Syntax.Span.End && o.Syntax.SpanStart < thrown.Syntax.SpanStart);

    /// <summary>
    /// The throw runs only when a condition around it says the kept local holds no failure (<c>failure is null</c>,
    /// <c>failure == null</c>) or one of a type the catch cannot have kept (<c>failure is OperationCanceledException</c> for a
    /// caught <c>IOException</c>).
    /// </summary>
    private static bool GuardedAgainst(IOperation thrown, IOperation body, List<ILocalSymbol> kept, ITypeSymbol? caughtType)
    {
        for (IOperation current = thrown; current.Parent is { } parent && current != body; current = parent)
        {
            if (parent is IConditionalOperation { Condition: var condition } conditional && conditional.WhenTrue == current
                && condition.DescendantsAndSelf().Any(test => Excludes(test, kept, caughtType)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Excludes(IOperation test, List<ILocalSymbol> kept, ITypeSymbol? caughtType)
    {
        switch (test)
        {
            case IIsPatternOperation { Value: var value, Pattern: var pattern } when Reads(value, kept) && test.Parent is not IUnaryOperation:
                return pattern switch
                {
                    IConstantPatternOperation { Value: var constant } => constant.ConstantValue is { HasValue: true, Value: null },
                    ITypePatternOperation { MatchedType: { } matched } => Unrelated(matched, caughtType),
                    IDeclarationPatternOperation { MatchedType: { } matched } => Unrelated(matched, caughtType),
                    _ => false,
                };
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals:
                return (Reads(equals.LeftOperand, kept) && equals.RightOperand.ConstantValue is { HasValue: true, Value: null })
                    || (Reads(equals.RightOperand, kept) && equals.LeftOperand.ConstantValue is { HasValue: true, Value: null });
            default:
                return false;
        }
    }

    // Neither type derives from the other: no caught exception is of the tested type.
    private static bool Unrelated(ITypeSymbol matched, ITypeSymbol? caughtType) =>
        caughtType is not null && matched.TypeKind == TypeKind.Class && caughtType.TypeKind == TypeKind.Class
        && !WellKnownTypes.DerivesFrom(matched, caughtType) && !WellKnownTypes.DerivesFrom(caughtType, matched);

    /// <summary>The caught exception, or <c>ExceptionDispatchInfo.Capture</c> of it.</summary>
    private static bool IsCaught(IOperation value, ILocalSymbol caught, WellKnownTypes types) => ValueFlow.Unwrap(value) switch
    {
        ILocalReferenceOperation local => WellKnownTypes.Same(local.Local, caught),
        IInvocationOperation { TargetMethod: { Name: "Capture", IsStatic: true } capture, Arguments.Length: 1 } call =>
            WellKnownTypes.Same(capture.ContainingType, types.ExceptionDispatchInfo) && IsCaught(call.Arguments[0].Value, caught, types),
        _ => false,
    };

    /// <summary>A throw of what a kept local holds, or of an exception built from it; an <c>ExceptionDispatchInfo</c> thrown from it.</summary>
    private static bool ThrowsKept(IOperation operation, List<ILocalSymbol> kept, WellKnownTypes types) => operation switch
    {
        IThrowOperation { Exception: { } thrown } => ValueFlow.Unwrap(thrown) switch
        {
            IObjectCreationOperation creation => types.Exception is { } exception && WellKnownTypes.DerivesFrom(creation.Type, exception)
                && creation.Arguments.Any(argument => Reads(argument.Value, kept)),
            var value => Reads(value, kept),
        },
        IInvocationOperation { TargetMethod: { Name: "Throw" } rethrow } call when WellKnownTypes.Same(rethrow.ContainingType, types.ExceptionDispatchInfo) =>
            (CalledOn(call) is { } instance && (Reads(instance, kept)
                || (instance is IInvocationOperation { TargetMethod.Name: "Capture", Arguments.Length: 1 } capture && Reads(capture.Arguments[0].Value, kept))))
            || (rethrow.IsStatic && call.Arguments.Length == 1 && Reads(call.Arguments[0].Value, kept)),
        _ => false,
    };

    /// <summary>What a call is made on (<see cref="MethodScope.Receiver"/>), through <c>?.</c> too (<c>captured?.Throw()</c>).</summary>
    private static IOperation? CalledOn(IInvocationOperation call)
    {
        if (MethodScope.Receiver(call) is not { } instance)
        {
            return null;
        }

        if (ValueFlow.Unwrap(instance) is IConditionalAccessInstanceOperation)
        {
            for (var current = call.Parent; current is not null; current = current.Parent)
            {
                if (current is IConditionalAccessOperation access)
                {
                    return ValueFlow.Unwrap(access.Operation);
                }
            }
        }

        return ValueFlow.Unwrap(instance);
    }

    /// <summary>A kept local itself, or a call on it (<c>errors.ToArray()</c>).</summary>
    private static bool Reads(IOperation value, List<ILocalSymbol> kept) => ValueFlow.Unwrap(value) switch
    {
        ILocalReferenceOperation local => kept.Contains(local.Local, SymbolEqualityComparer.Default),
        IInvocationOperation call => CalledOn(call) is ILocalReferenceOperation on && kept.Contains(on.Local, SymbolEqualityComparer.Default),
        _ => false,
    };

    // ----- TLLM2004's reading of a protocol-version fallback.

    /// <summary>
    /// The keys SocketsHttpHandler sets to <c>false</c> in an <c>HttpRequestException</c>'s <c>Data</c> when it refused
    /// to send a request at the version it was asked for exactly: <c>HTTP2_ENABLED</c> (the destination did not take
    /// HTTP/2) and <c>SETTINGS_ENABLE_CONNECT_PROTOCOL</c> (it did not enable extended CONNECT). The request was not sent.
    /// </summary>
    private static readonly HashSet<string> VersionRefusals = new(System.StringComparer.Ordinal) { "HTTP2_ENABLED", "SETTINGS_ENABLE_CONNECT_PROTOCOL" };

    /// <summary>
    /// A protocol-version fallback: a catch of <c>HttpRequestException</c> (or a derived type) whose every path hands
    /// the failure on, or is reached only through a true test of the caught exception's <c>Data</c> for a version
    /// refusal (<see cref="VersionRefusals"/>: <c>e.Data.Contains(key)</c>, <c>e.Data[key] is false</c>, in the
    /// <c>when</c> filter or an <c>if</c>) and then sends again upstream before it leaves the catch. Nothing of the first
    /// request failed, since it was never sent; the resend's own failure leaves the catch. Any other path (an
    /// <c>else</c> that does not rethrow, a test of another key or of another exception, a status test) is judged as usual.
    /// </summary>
    private static bool IsVersionFallback(ICatchClauseOperation @catch, MethodScope scope)
    {
        if (scope.Types.HttpRequestException is not { } requestFailure || !WellKnownTypes.DerivesFrom(@catch.ExceptionType, requestFailure)
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

    private sealed class VersionFallback
    {
        private readonly ILocalSymbol _exception;
        private readonly MethodScope _scope;

        public VersionFallback(ILocalSymbol exception, MethodScope scope)
        {
            _exception = exception;
            _scope = scope;
        }

        /// <summary>
        /// Every path through <paramref name="statements"/> hands the failure on before it leaves them, or, once
        /// <paramref name="refused"/> (past a true test of a version refusal), sends again upstream. An <c>if</c>
        /// splits the path: each branch goes on with the statements after it.
        /// </summary>
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

                if (statement is IConditionalOperation conditional && (conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void))
                {
                    var after = rest.Skip(i + 1).ToList();
                    var negated = ValueFlow.Unwrap(conditional.Condition) is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not && Refused(not.Operand);
                    return Covered(Branch(conditional.WhenTrue).Concat(after), refused || Refused(conditional.Condition))
                        && Covered(Branch(conditional.WhenFalse).Concat(after), refused || negated);
                }

                if (FailureHandoff.Leaves(statement))
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>
        /// The condition is true only when the caught exception's <c>Data</c> holds a version refusal: the test itself,
        /// a conjunction with one such test, or a disjunction of two.
        /// </summary>
        public bool Refused(IOperation condition) => ValueFlow.Unwrap(condition) switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both => Refused(both.LeftOperand) || Refused(both.RightOperand),
            IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either => Refused(either.LeftOperand) && Refused(either.RightOperand),
            IInvocationOperation { TargetMethod.Name: "Contains", Arguments.Length: 1 } contains => IsData(contains.Instance) && IsRefusal(contains.Arguments[0].Value),
            IIsPatternOperation { Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: false } } } pattern => IsRefusalEntry(pattern.Value),
            _ => false,
        };

        private bool IsRefusalEntry(IOperation value) =>
            ValueFlow.Unwrap(value) is IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1 } entry && IsData(entry.Instance) && IsRefusal(entry.Arguments[0].Value);

        /// <summary><c>e.Data</c> of the caught exception <c>e</c>.</summary>
        private bool IsData(IOperation? operation) =>
            operation is not null && ValueFlow.Unwrap(operation) is IPropertyReferenceOperation { Property.Name: "Data", Instance: { } instance }
            && ValueFlow.Unwrap(instance) is ILocalReferenceOperation local && WellKnownTypes.Same(local.Local, _exception);

        private static bool IsRefusal(IOperation key) =>
            ValueFlow.Unwrap(key).ConstantValue is { HasValue: true, Value: string name } && VersionRefusals.Contains(name);

        /// <summary>A statement (not a branch or a block) that sends upstream whenever it runs.</summary>
        private bool Resends(IOperation statement) =>
            statement is IExpressionStatementOperation or IVariableDeclarationGroupOperation or IReturnOperation
            && statement.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call =>
                _scope.Types.UpstreamCall(call.TargetMethod, MethodScope.Receiver(call) is { } receiver ? ValueFlow.Unwrap(receiver).Type : null) is not null
                && !FailureHandoff.IsConditional(call, statement) && !ValueFlow.InNestedFunction(call, statement));
    }
}
