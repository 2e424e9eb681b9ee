namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2008's facts: an upstream failure no exception carries, answered without the failure path.</summary>
/// <remarks>
/// A test of YARP's forwarder result, of a model call's HTTP status or of an OpenAI run's or response's status is read
/// twice, as C# evaluates it: with the upstream failed, then succeeded (<see cref="Conditions"/>). Where the two take
/// different branches, the failure's branch and what follows it are read (<see cref="AnswerAfter"/>); so is what
/// follows a poll of a run, and a loop over a stream that leaves on its end marker or reads no failure event.
/// </remarks>
internal sealed class UnthrownFailureCollector : IFactCollector
{
    private static readonly string[] FailedRuns = { "failed", "cancelled", "expired", "incomplete" };
    private static readonly object[] FailedStatuses = { 500, 502, 503, 504 };
    private static readonly string[] EndMarkers = { "[DONE]", "message_stop", "response.completed" };
    private static readonly string[] ModelSdks =
        { "OpenAI", "Azure.AI.OpenAI", "Anthropic", "Microsoft.Extensions.AI", "Microsoft.SemanticKernel" };
    private static readonly string[] FailureUpdates =
        { "StreamingResponseFailedUpdate", "StreamingResponseErrorUpdate", "StreamingResponseIncompleteUpdate" };

    private static readonly IOperation[] Empty = Array.Empty<IOperation>();

    private const string TurnedInto = "it is turned into ";
    private const string AttemptFix = " (or make the send an attempt: a client with AddTracedLlmAttempts())";
    private const string OwnAnswer = "an upstream failure reaches the client as the gateway's own answer" + AttemptFix;
    private const string RawHow = "a stream the upstream cuts before its end marker, or one carrying an error event, "
        + "reaches the client as complete" + AttemptFix;

    /// <summary>What a failed forwarder leaves for its error feature: an object, where a success leaves null.</summary>
    private static readonly object NotNull = new();

    public void Visit(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case var _ when scope.RunsAsLibraryCallback(operation):
                break;
            case IConditionalOperation { Type: null or { SpecialType: SpecialType.System_Void } } test:
                Test(test, scope);
                break;
            case IWhileLoopOperation { Condition: { } condition } loop when Subject(condition, scope) == "run"
                && Holds(condition, "failed") is { } failed && failed == loop.ConditionIsUntil
                && Holds(condition, "completed") == failed:
                // The poll ends on every terminal status alike: nothing has told a failed run yet.
                Add(scope, condition, "The run's status is not tested after the poll ends", Empty, loop);
                break;
            case IForEachLoopOperation { Body: { } body } loop when !body.Descendants().Any(Failure)
                && Name(loop.Locals.FirstOrDefault()?.Type) == "OpenAI.Responses.StreamingResponseUpdate":
                Add(scope, loop, "The stream's failure events (response.failed, error) are not read", Empty, loop);
                break;
            case ILoopOperation loop when Quiet(loop, scope)
                && Written(Flat(FailureHandoff.Following(loop)), loop, scope) is { } marker:
                Add(scope, marker, "The upstream stream can end without its end marker", Empty, loop, false,
                    "the gateway writes one itself after the loop");
                break;
            case ISwitchExpressionArmOperation or ISwitchCaseOperation when Filtered(operation) is { } stop:
                Add(scope, operation is ISwitchCaseOperation c ? c.Clauses[0] : operation,
                    $"The model's 'content_filter' stop is mapped to '{stop}'", Empty, operation, false,
                    "a filtered answer reaches the client as complete");
                break;
            // One finding a send: where its stream is relayed raw, that says more than its status passed on.
            case ISimpleAssignmentOperation or IArgumentOperation when Passed(operation, scope) is { } response
                && Unwatched(new[] { response }, scope) is { } sent && !scope.Operations.Any(o =>
                    o is IInvocationOperation or ILoopOperation && sent.Location.Equals(Copied(o, scope)?.Location)):
                Add(scope, operation, "The model call's status is passed on to the answer untested", Empty, operation,
                    false, OwnAnswer, sent);
                break;
            case IInvocationOperation or ILoopOperation when Copied(operation, scope) is { } sent:
                Add(scope, operation, "The model call's stream is copied to the response as raw bytes", Empty,
                    operation, false, RawHow, sent);
                break;
            case IReturnOperation or IInvocationOperation when Unread(operation, scope) is { } sent:
                Add(scope, operation, "The model call's body is relayed with its status unread", Empty, operation,
                    false, OwnAnswer, sent);
                break;
            case IPropertyReferenceOperation status when Forwarded(status, scope) is { } next:
                Add(scope, status, "YARP's forward at next is judged by the response's status alone", Empty, status,
                    false, "a forwarder error (a refused connection, a timeout, a body cut mid-copy) reaches no span "
                    + "with its cause (or forward with TracedLlm's relay)", next);
                break;
            // Judgements more than statements of the code: suggestions.
            case ISimpleAssignmentOperation or IArgumentOperation when Fixed(operation, scope) is { } stop:
                Add(scope, operation, $"The answer's finish reason is always '{stop}'", Empty, operation, false,
                    "a filtered or cut answer (content_filter, length) reaches the client as complete",
                    suggested: true);
                break;
            case IInvocationOperation call when Unfinished(call, scope) is { } model && !scope.InAttemptScope(call):
                Add(scope, call, "The model call's finish reason is never read", Empty, call, false,
                    "a filtered or cut answer (content_filter, length) reaches the client and the trace as complete "
                    + "(or make the call an attempt, whose span records why it stopped)",
                    UpstreamCollector.Site(call, model, scope), suggested: true);
                break;
        }
    }

    private static void Test(IConditionalOperation test, MethodScope scope)
    {
        var condition = test.Condition;
        var subject = Subject(condition, scope);
        var blank = subject is null ? Blank(condition, scope) : null;
        if (subject is null && blank is null)
        {
            if (Moderated(condition, scope) && (Refuses(test.WhenTrue, scope) || Refuses(test.WhenFalse, scope))
                && !Implements(scope.Owner.ContainingType, scope.Types.Guardrail!)
                && !scope.Compilation.Handoff.Anywhere(test))
            {
                Add(scope, condition, "A content-safety check decides the answer outside an ILlmGuardrail", Empty, test,
                    false, "its block is answered by hand, with no guardrail span (adopt it as an ILlmGuardrail)");
            }

            // The loop is left on its stream's end marker, or reads on past it: its other end, a stream cut short, goes
            // the same way. Read where the code shows whose stream it is; as before where it leaves.
            else if (Around(test) is ILoopOperation loop && Marked(test, scope, out var branch)
                && Written(Flat(FailureHandoff.Following(loop)), loop, scope) is null)
            {
                var (stream, iterator) = (StreamOf(loop, scope), ValueFlow.AncestorsInFunction(loop).LastOrDefault()
                    ?.Descendants().Any(o => o.Kind is OperationKind.YieldReturn or OperationKind.YieldBreak) == true);
                // An iterator that yields the line it tests on every turn before the test, or on the marker, relays it.
                var read = test.Condition.Descendants().OfType<ILocalReferenceOperation>().Select(l => l.Local);
                var relayed = loop.Descendants().Any(o => o is IReturnOperation { Kind: OperationKind.YieldReturn,
                    ReturnedValue: var yielded } && ValueFlow.Unwrap(yielded!) is ILocalReferenceOperation line
                    && read.Contains(line.Local, SymbolEqualityComparer.Default)
                    && ((o.Syntax.SpanStart < test.Syntax.SpanStart && o.Parent?.Parent == loop)
                        || branch?.Syntax.Span.Contains(o.Syntax.Span) == true));
                // What follows the loop tells its ends apart only where the marker's branch does more than break.
                var told = FailureHandoff.Following(loop).Any(scope.Compilation.Handoff.Anywhere) && (branch is null
                    || CompilationFacts.Statements(branch).Any(s => s is not IBranchOperation { BranchKind: var kind }
                        || kind != BranchKind.Break));
                var ends = iterator && Around(loop) is null && stream is not null && !relayed && !told
                    ? $"{TurnedInto}the stream's end for the caller" : null;
                if (ends is not null || (!iterator && (stream is not null || Leaves(branch))))
                {
                    Add(scope, condition, "The upstream stream can end without its end marker", Empty, loop,
                        answer: ends, sent: stream, streamed: true);
                }
            }

            // An error event of a model call's stream, read and not handed on: the stream's failure is dropped.
            else if (Around(test) is ILoopOperation read && Supposing(condition, s => s.Contains("error"), scope) is
                { } failed && StreamOf(read, scope) is { } stream
                && (failed ? test.WhenTrue : test.WhenFalse) is { } dropped)
            {
                // A branch that reads on past the error is read to the loop's end, unless it keeps the error there.
                var statements = CompilationFacts.Statements(dropped);
                var on = statements.Any(s => s is IBranchOperation { BranchKind: BranchKind.Continue });
                var answer = !on ? null : statements.Any(s => s.Descendants().Any(o => o is IAssignmentOperation))
                    ? null : AnswerAfter(Flat(FailureHandoff.Following(read)), Around(read) is null,
                        ValueFlow.NestedFunction(read) ?? scope.Owner as IMethodSymbol, scope, false);
                if (!on || answer is not null)
                {
                    Add(scope, condition, "The model call's stream carried an error event", statements, test, failed,
                        answer, stream, true);
                }
            }

            return;
        }

        // What the upstream's failure and success make the subject: ForwarderError.Request and None, a 5xx and 200...
        (object[] Failures, object? Success) suppose = subject switch
        {
            "run" => (FailedRuns, "completed"),
            "http" => (FailedStatuses, 200),
            "feature" => (new[] { NotNull }, null),
            null => (new object[] { "" }, "{}"),
            _ => (new object[] { 1 }, 0),
        };
        var responses = blank is { } text ? new List<IOperation> { text.Response } : condition.DescendantsAndSelf()
            .Where(o => Read(o) == "http").Select(o => ((IPropertyReferenceOperation)o).Instance!).ToList();
        var sent = subject is "http" or null ? Unwatched(responses, scope) : null;
        foreach (var failure in suppose.Failures.Where(_ => sent is not null || subject is not ("http" or null)
            || responses.Any(response => FromModelCall(response, scope, waits: false))))
        {
            if (Holds(condition, failure, blank?.Text) is { } failed
                && Holds(condition, suppose.Success, blank?.Text) is { } ok && failed != ok)
            {
                var what = subject switch
                {
                    "forwarder" => "YARP's forwarder failed (a ForwarderError other than None)",
                    "feature" => "YARP's forwarder failed (IForwarderErrorFeature set)",
                    "http" => "The model call answered a failing status",
                    null => "The model call answered an empty body",
                    _ => $"The run or response ended '{failure}'",
                };
                var branch = failed ? test.WhenTrue : test.WhenFalse;
                Add(scope, condition, what, branch is null ? Empty : CompilationFacts.Statements(branch), test, failed,
                    sent: sent);
                return;
            }
        }
    }

    /// <summary>A failure dropped into a nothing for the caller, which a caller may yet turn into a failure.</summary>
    public static bool Dropped(UnthrownFailureSite site) => site.How.StartsWith(TurnedInto, StringComparison.Ordinal);

    /// <summary>Records the finding when the failure's path answers the request (<see cref="AnswerAfter"/>).</summary>
    /// <remarks>Of a send no attempt watches (<paramref name="sent"/>, its clients), a failure the path drops (a
    /// nothing returned, the loop's next try) is one too, kept with the clients a registration may make attempts.
    /// </remarks>
    private static void Add(MethodScope scope, IOperation tested, string what, IReadOnlyList<IOperation> branch,
        IOperation after, bool whenTrue = false, string? answer = null, UpstreamCallSite? sent = null,
        bool streamed = false, bool suggested = false)
    {
        var function = ValueFlow.NestedFunction(after) ?? scope.Owner as IMethodSymbol;
        var intent = scope.Compilation.Intent;
        var path = branch.Concat(FailureHandoff.Following(after));
        var functions = function is null ? Enumerable.Empty<IMethodSymbol>() : new[] { function };
        var how = answer is null ? AnswerAfter(path, Around(after) is null, function, scope, false) : null;
        sent = how is null || sent is { Evident: false } || streamed ? sent : null;
        how ??= answer ?? (sent is null ? null : AnswerAfter(path, Around(after) is null, function, scope, true));
        if (intent.HandledByDesign(scope.Owner, functions) || how is null
            || (scope.Owner is IMethodSymbol owner && intent.RecordsFailures(owner, after.Syntax.SyntaxTree)))
        {
            return;
        }

        var location = tested is not ILoopOperation ? tested.Syntax.GetLocation() : (tested.Syntax is
            ForEachStatementSyntax each ? each.ForEachKeyword : tested.Syntax.GetFirstToken()).GetLocation();
        var fix = after is IConditionalOperation test && branch.Count > 0 ? Fix(test, branch, scope) : null;
        scope.Facts.UnthrownFailures.Add(new UnthrownFailureSite(
            location, what, how, fix is null ? null : whenTrue, fix?.From, fix?.Thrown, sent, suggested));
    }

    /// <summary>How the failure's path answers, or null where it hands the failure on or cannot be read.</summary>
    /// <remarks>
    /// A throw, a record or an error result the pipeline takes as a failure hands it on; a success returned, text
    /// returned, the response written by hand, or the end of a function that returns nothing answers as if the upstream
    /// succeeded.
    /// </remarks>
    private static string? AnswerAfter(IEnumerable<IOperation> statements, bool reachesEnd, IMethodSymbol? function,
        MethodScope scope, bool drops)
    {
        var facts = scope.Compilation;
        var answers = function is not null && scope.Types.IsHttpAnswer(function.ReturnType);
        foreach (var statement in Flat(statements))
        {
            var simple = statement is IExpressionStatementOperation or IVariableDeclarationGroupOperation;
            if (facts.Handoff.Anywhere(statement))
            {
                return null;
            }

            if (drops && statement is IReturnOperation { Kind: OperationKind.YieldReturn or OperationKind.YieldBreak })
            {
                // An iterator's caller relays what it yields as the model's: an error as a chunk, or a quiet end.
                return statement.Kind == OperationKind.YieldBreak ? $"{TurnedInto}the stream's end for the caller"
                    : $"{TurnedInto}a chunk of the stream for the caller";
            }

            if (statement is IReturnOperation { ReturnedValue: var value })
            {
                return value is null ? Nothing(function, scope)
                    : answers ? facts.IsSuccess(value) ? "a success is answered" : null
                    : value.Type?.SpecialType == SpecialType.System_String && !value.ConstantValue.HasValue
                        ? "its text is returned as the answer"
                    : drops && Nothing(value) is { } nothing ? $"{TurnedInto}{nothing} for the caller" : null;
            }

            if (drops && statement is IBranchOperation { BranchKind: BranchKind.Continue or BranchKind.Break } leaves
                && Around(statement) is ILoopOperation loop)
            {
                return leaves.BranchKind == BranchKind.Continue ? "the loop goes on to its next try"
                    : AnswerAfter(Flat(FailureHandoff.Following(loop)), Around(loop) is null, function, scope, drops);
            }

            if (facts.AnswersRequest(statement, null))
            {
                return simple ? "the response is written by hand" : null;
            }

            if (!simple && ValueFlow.Own(statement).Any(o => o is IReturnOperation or IBranchOperation))
            {
                return null;
            }
        }

        return reachesEnd ? Nothing(function, scope) : null;
    }

    private static IEnumerable<IOperation> Flat(IEnumerable<IOperation> statements) =>
        statements.SelectMany(s => s is IBlockOperation block ? Flat(block.Operations) : new[] { s });

    private static string? Nothing(IMethodSymbol? function, MethodScope scope) =>
        function is { ReturnsVoid: true } || (function?.ReturnType is INamedTypeSymbol { IsGenericType: false } task
            && (DerivesFrom(task, scope.Types.Task!) || Same(task, scope.Types.ValueTask)))
            ? "the method ends as if it succeeded" : null;

    /// <summary>A model call whose answer's text the condition tests for emptiness
    /// (<c>string.IsNullOrWhiteSpace(text)</c>, <c>text is null or ""</c>), and the text it reads.</summary>
    private static (IOperation Response, IOperation Text)? Blank(IOperation condition, MethodScope scope) =>
        condition.DescendantsAndSelf().Select(o => o switch
        {
            IInvocationOperation call when Blanks(call) => call.Arguments[0].Value,
            IIsPatternOperation test when test.Pattern.Descendants().Any(p => p.ConstantValue.Value is "") =>
                test.Value,
            IBinaryOperation { RightOperand.ConstantValue.Value: "" } test => test.LeftOperand,
            _ => null,
        }).OfType<IOperation>().Select(ValueFlow.Unwrap).Select(text => Answered(text, scope, null, 1, 12)
            is { } send ? (send, text) : ((IOperation, IOperation)?)null).FirstOrDefault(found => found is not null);

    private static bool Blanks(IOperation test) => test is IInvocationOperation { Arguments.Length: 1, TargetMethod:
        { Name: "IsNullOrEmpty" or "IsNullOrWhiteSpace", ContainingType.SpecialType: SpecialType.System_String } };

    /// <summary>The model call whose answer a text reads.</summary>
    /// <remarks>Its body, an SDK result's member, what a call on either gives, or what a source method returns
    /// (<paramref name="calls"/> deep) that tests no text itself.</remarks>
    private static IInvocationOperation? Answered(IOperation? value, MethodScope scope, IOperation? body, int calls,
        int steps) => value is null || steps == 0 ? null : Given(value, scope, body).Select(ValueFlow.Unwrap)
        .Select(v => v is IInvocationOperation send && Modelled(send, scope, body is null) ? send
        : v is IInvocationOperation { TargetMethod: var method } call && calls > 0 && scope.Compilation.Implementations(
            method, scope.CancellationToken).Prepend(method).Select(m => CompilationFacts.Body(
                call.SemanticModel!.Compilation, m)).OfType<IOperation>().ToList() is { Count: > 0 } bodies
            ? bodies.Any(b => b.Descendants().Any(Blanks)) ? null : bodies.SelectMany(b => ValueFlow.OwnReturns(b)
                .Select(r => Answered(r.ReturnedValue, scope, b, calls - 1, steps - 1))).FirstOrDefault(s => s != null)
        : Answered(v switch
        {
            IInvocationOperation on => on.Instance ?? on.Arguments.FirstOrDefault()?.Value,
            IAwaitOperation awaited => awaited.Operation,
            IMemberReferenceOperation member => member.Instance,
            IArrayElementReferenceOperation element => element.ArrayReference,
            IConditionalAccessOperation access => access.Operation,
            ICoalesceOperation either => either.Value,
            _ => null,
        }, scope, body, calls, steps - 1)).FirstOrDefault(s => s is not null);

    /// <summary>An SDK's model call whose result's text the method reads, and no finish reason.</summary>
    /// <remarks>M.E.AI's <c>ChatResponse</c>, OpenAI's <c>ChatCompletion</c>, Anthropic's <c>Message</c>, their
    /// streamed updates.</remarks>
    private static ModelCallSite? Unfinished(IInvocationOperation call, MethodScope scope) =>
        !call.TargetMethod.Locations.Any(l => l.IsInSource) && UpstreamCollector.ModelCall(call, scope) is
            { Evident: true } model && Finishing(call.Type) is { } result
        && !scope.Operations.Any(o => o is IMemberReferenceOperation { Member.Name: "FinishReason" or "StopReason" }
            || (o is IArgumentOperation or IReturnOperation && Same(ValueFlow.Unwrap(o switch
                { IArgumentOperation a => a.Value, IReturnOperation { ReturnedValue: { } r } => r, _ => o }).Type,
                result)))
        && scope.Operations.Any(o => o is IPropertyReferenceOperation
            { Property.Name: "Text" or "Content" or "ContentUpdate", Instance.Type: var type } && Same(type, result))
            ? model : null;

    /// <summary>A success stop written to a finish reason whatever the model said.</summary>
    /// <remarks>Unconditionally, by a function that reads no finish reason and answers a model's result (a model SDK's
    /// type, or a model call's).</remarks>
    private static string? Fixed(IOperation write, MethodScope scope) => (write switch
    {
        ISimpleAssignmentOperation { Target: var slot, Value.ConstantValue.Value: string stop }
            when Finished(Slot(slot)) => stop,
        IArgumentOperation { Parameter.Name: var name, Value.ConstantValue.Value: string stop } when Finished(name) =>
            stop,
        _ => null,
    }) is { } fixedStop && fixedStop is "stop" or "end_turn" && !ValueFlow.AncestorsInFunction(write).Any(o => o is
        IConditionalOperation or ISwitchCaseOperation or ISwitchExpressionArmOperation or ILoopOperation
        or ICoalesceOperation or ICatchClauseOperation)
        && !scope.Operations.Any(o => (o is IMemberReferenceOperation read && Finished(Slot(read))
            && !(o.Parent is ISimpleAssignmentOperation written && written.Target == o))
            || (o is IInvocationOperation call && call.Arguments.Any(a => a.Value.ConstantValue.Value is string key
                && Finished(key))))
        && ((scope.Owner as IMethodSymbol)?.Parameters.Any(p => Namespace(p.Type) is { } at && ModelSdks.Any(sdk =>
            at.StartsWith(sdk, StringComparison.Ordinal))) == true || scope.Operations.Any(o => o is
            IInvocationOperation call && UpstreamCollector.ModelCall(call, scope) is { Evident: true }))
        ? fixedStop : null;

    /// <summary>A type with a finish reason, or the one a task, result or stream is of.</summary>
    private static ITypeSymbol? Finishing(ITypeSymbol? type) => type is not INamedTypeSymbol named ? null
        : named.GetMembers().Any(m => m.Name is "FinishReason" or "StopReason") ? named
        : named.TypeArguments.Length == 1 ? Finishing(named.TypeArguments[0]) : null;

    /// <summary>The success stop a finish reason's mapping gives the provider's content filter
    /// (<c>"content_filter" => "end_turn"</c>, <c>case ChatFinishReason.ContentFilter: return "stop";</c>).</summary>
    private static string? Filtered(IOperation mapping) => (mapping switch
    {
        ISwitchExpressionArmOperation arm => (arm.Pattern, arm.Value),
        ISwitchCaseOperation { Body: { Length: > 0 } body } => (mapping, (body[0] as IReturnOperation)?.ReturnedValue),
        _ => (mapping, null),
    }) is (var on, { ConstantValue.Value: string stop }) && stop.ToLowerInvariant() is "stop" or "end_turn"
        && !on.DescendantsAndSelf().Any(o => o is INegatedPatternOperation or IBinaryOperation
            { OperatorKind: BinaryOperatorKind.NotEquals }) && on.DescendantsAndSelf().Any(o => o.ConstantValue.Value
            is "content_filter"
            || o is IMemberReferenceOperation { Member.Name: "ContentFilter" }) ? stop : null;

    /// <summary>What the condition tests: <c>forwarder</c>, <c>feature</c>, <c>http</c>, <c>run</c>.</summary>
    private static string? Subject(IOperation condition, MethodScope scope) => condition.DescendantsAndSelf()
        .Select(o => (Operation: o, Kind: Read(o))).FirstOrDefault(read => read.Kind is not null
            && (read.Kind != "http" || FromModelCall(((IPropertyReferenceOperation)read.Operation).Instance!,
                scope))).Kind;

    private static string? Read(IOperation operation) => (operation, Name(operation.Type)) switch
    {
        (not IFieldReferenceOperation, "Yarp.ReverseProxy.Forwarder.ForwarderError") => "forwarder",
        (_, "Yarp.ReverseProxy.Forwarder.IForwarderErrorFeature") => "feature",
        (IPropertyReferenceOperation { Property.Name: "IsSuccessStatusCode" or "StatusCode", Instance: { } at }, _)
            when Name(at.Type) == "System.Net.Http.HttpResponseMessage" => "http",
        (IPropertyReferenceOperation { Property: { Name: "Status", IsStatic: false } status }, _)
            when Namespace(status) is "OpenAI.Assistants" or "OpenAI.Responses" => "run",
        _ => null,
    };

    private static string? Name(ITypeSymbol? type) => type?.ToDisplayString().TrimEnd('?');

    private static string? Namespace(ISymbol member) =>
        (member as ITypeSymbol ?? member.ContainingType)?.ContainingNamespace?.ToDisplayString();

    /// <summary>The values a local was given (in <paramref name="body"/>, else the scope), or the value.</summary>
    private static IEnumerable<IOperation> Given(IOperation value, MethodScope scope, IOperation? body = null) =>
        ValueFlow.Unwrap(value) is ILocalReferenceOperation { Local: var local }
            ? ValueFlow.Assigned(local, body?.Descendants() ?? scope.Operations) : new[] { value };

    /// <summary>The model call a send may be, or a small source helper that returns an HTTP send's response, read
    /// with the helper's arguments as that send's client and request.</summary>
    /// <remarks>A helper that tests or ensures the status before it returns the response is no such send.</remarks>
    private static ModelCallSite? Call(IInvocationOperation send, MethodScope scope)
    {
        var (types, intent, tree) = (scope.Types, scope.Compilation.Intent, send.Syntax.SyntaxTree);
        var call = UpstreamCollector.ModelCall(send, scope);
        if (call is not null || Name(send.Type)?.Contains("System.Net.Http.HttpResponseMessage") != true
            || scope.Compilation.BodyOf(send.TargetMethod.OriginalDefinition) is not { } body
            || body.Descendants().Any(Tested)
            || !ValueFlow.OwnReturns(body).All(r => r.ReturnedValue is { } value && Given(value, scope, body)
                .All(v => Sent(v)?.TargetMethod is { } inner && UpstreamCollector.IsHttpSend(inner, types)
                    && !UpstreamCollector.IsHttpClientVerb(inner))))
        {
            return call;
        }

        var inputs = send.Arguments.Where(a => a.Parameter?.Type.SpecialType == SpecialType.System_String
            || SendFlow.Follows(a.Parameter?.Type, types)).Aggregate(SendInputs.None, (all, argument) =>
            all.With(scope.Sends.Inputs(argument.Value)));
        return new ModelCallSite($"{send.TargetMethod.ContainingType.Name}.{send.TargetMethod.Name}",
            intent.ModelUrl(inputs.Text, tree) || intent.NamedModelClient(inputs.Clients, tree), inputs, null);
    }

    /// <summary>A response from a send the code shows is a model call (or callers may: <see cref="Waits"/>), or from
    /// a route's attempt.</summary>
    private static bool FromModelCall(IOperation response, MethodScope scope, bool waits = true)
    {
        var values = Given(response, scope).ToList();
        return values.Count > 0 && values.All(value => Sent(value) is { } send && Modelled(send, scope, waits));
    }

    private static bool Modelled(IInvocationOperation send, MethodScope scope, bool waits) =>
        Same(send.TargetMethod.ContainingType, scope.Types.LlmCall)
        || Call(send, scope) is { } call && (call.Evident || (waits && Waits(call)));

    /// <summary>A send whose client or request is a parameter: its callers decide at the end whether it is a model
    /// call, as for TLLM2006.</summary>
    private static bool Waits(ModelCallSite call) => !call.Inputs.Parameters.IsEmpty || !call.Inputs.Names.IsEmpty;

    private static IInvocationOperation? Sent(IOperation value) => ValueFlow.Unwrap(value) switch
    {
        IAwaitOperation awaited => Sent(awaited.Operation),
        IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } task } => Sent(task),
        IInvocationOperation send => send,
        _ => null,
    };

    /// <summary>The responses' model calls as one when no attempt is known to watch them, else null.</summary>
    /// <remarks>Not an attempt's own send nor one in its scope; its registration and callers are read at the end of
    /// the compilation (<see cref="Rules.UpstreamCallRule.Unwatched"/>).</remarks>
    private static UpstreamCallSite? Unwatched(IEnumerable<IOperation> responses, MethodScope scope)
    {
        var sends = responses.SelectMany(response => Given(response, scope)).Select(Sent).ToList();
        var calls = sends.Select(send => send is null || scope.InAttemptScope(send) ? null
            : Call(send, scope)).Where(c => c is { } call && (call.Evident || Waits(call)))
            .Select(call => call!.Value).ToList();
        return calls.Count > 0 && calls.Count == sends.Count
            ? new UpstreamCallSite(calls[0].Name, sends[0]!.Syntax.GetLocation(), calls.All(call => call.Evident),
                calls.Aggregate(SendInputs.None, (all, call) => all.With(call.Inputs))) : null;
    }

    /// <summary>The model call's response whose status the answer's is given, where nothing in the method tests a
    /// status.</summary>
    /// <remarks><c>Response.StatusCode = (int)r.StatusCode</c>, or a <c>statusCode</c> argument of a call that answers
    /// (but a problem's, which is an error result); a metric's or a log's is no answer.</remarks>
    private static IOperation? Passed(IOperation copy, MethodScope scope) => (copy switch
    {
        ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "StatusCode" } target } when
            Name(target.Property.ContainingType) == "Microsoft.AspNetCore.Http.HttpResponse" => copy,
        IArgumentOperation { Parameter.Name: "statusCode", Parent: IInvocationOperation call }
            when !call.TargetMethod.Name.Contains("Problem") && (scope.Types.IsHttpAnswer(call.Type)
                || scope.Compilation.AnswersRequest(call, null)) => copy,
        _ => null,
    })?.Descendants().FirstOrDefault(o => Read(o) == "http") is IPropertyReferenceOperation { Instance: { } response }
        && FromModelCall(response, scope) && !scope.Operations.Any(Tested) ? response : null;

    /// <summary>The unwatched model call whose body a success answer relays, where nothing in the method reads a
    /// status.</summary>
    /// <remarks>A result returned, or a write or copy (its name says so, then what answers is asked).</remarks>
    private static UpstreamCallSite? Unread(IOperation answer, MethodScope scope) => (answer switch
    {
        IReturnOperation { ReturnedValue: { } value } => value,
        IInvocationOperation { TargetMethod.Name: var name } when name.StartsWith("Write", StringComparison.Ordinal)
            || name.StartsWith("CopyTo", StringComparison.Ordinal) => answer,
        _ => null,
    })?.DescendantsAndSelf().SelectMany(o => Given(o, scope)).SelectMany(v => v.DescendantsAndSelf())
        .FirstOrDefault(o => o is IPropertyReferenceOperation { Property.Name: "Content", Instance: { } response }
            && Name(response.Type) == "System.Net.Http.HttpResponseMessage")
        is IPropertyReferenceOperation { Instance: { } at } && (answer is IReturnOperation { ReturnedValue: { } v }
            ? scope.Compilation.IsSuccess(v) : scope.Compilation.AnswersRequest(answer, null))
        && !scope.Operations.Any(o => Read(o) == "http" || Tested(o)) ? Unwatched(new[] { at }, scope) : null;

    /// <summary>A status tested: <c>IsSuccessStatusCode</c>, <c>EnsureSuccessStatusCode()</c>, a comparison, a
    /// pattern or a switch on it.</summary>
    private static bool Tested(IOperation operation) =>
        operation is IInvocationOperation { TargetMethod.Name: "EnsureSuccessStatusCode" } || (Read(operation) == "http"
            && (operation is IPropertyReferenceOperation { Property.Name: "IsSuccessStatusCode" } || ValueFlow.Outer(
                operation).Parent is IBinaryOperation or IIsPatternOperation or ISwitchOperation
                or ISwitchExpressionOperation));

    /// <summary>The unwatched model call whose streamed body is copied to the response unread, else null.</summary>
    /// <remarks>A copy, or a loop that reads the body (bytes, lines, events) and writes the response, naming no end
    /// marker or error; a loop of lines or events that leaves on a check of its own, or throws after, reads its
    /// end.</remarks>
    private static UpstreamCallSite? Copied(IOperation copy, MethodScope scope) => copy switch
    {
        IInvocationOperation { TargetMethod.Name: "CopyToAsync" or "CopyTo", Instance: { } from } =>
            Relayed(from, scope),
        // A source helper handed the stream, which names no end marker or error: the relay is the helper's.
        IInvocationOperation { TargetMethod: var helper } call when helper.Locations.Any(l => l.IsInSource) =>
            call.Arguments.Where(a => a.Parameter?.Type.Name == "Stream").Select(a => Relayed(a.Value, scope))
                .FirstOrDefault(relayed => relayed is not null) is { } handed && CompilationFacts.Body(
                    call.SemanticModel!.Compilation, helper) is { } body && !body.Descendants().Any(Marks)
                ? handed : null,
        ILoopOperation loop when !loop.Descendants().Any(Marks) => loop.Descendants().Select(o => o is
            IInvocationOperation { TargetMethod.Name: "Read" or "ReadAsync", Instance: { } from } && Around(o) == loop
            ? Relayed(from, scope) : null).FirstOrDefault(r => r is not null) ?? (loop.Descendants().Any(o =>
                o is IReturnOperation or IBranchOperation { BranchKind: BranchKind.Break } && Around(o) == loop
                && !RunsOut(ValueFlow.AncestorsInFunction(o).OfType<IConditionalOperation>().FirstOrDefault()
                    ?.Condition)) || FailureHandoff.Following(loop).Any(scope.Compilation.Handoff.Anywhere) ? null
                : StreamOf(loop, scope)),
        _ => null,
    } is { } sent && (scope.Compilation.AnswersRequest(copy, null)
        || (copy is IInvocationOperation { TargetMethod: var called } && scope.Compilation.WritesResponse(called)))
        ? sent : null;

    private static bool Marks(IOperation o) => o.ConstantValue.Value is string s
        && (EndMarkers.Any(s.Contains) || s.Contains("error"));

    /// <summary>The test holds when the read runs out (a null or empty line) or the request is cancelled.</summary>
    private static bool RunsOut(IOperation? test) => (test is null ? null : ValueFlow.Unwrap(test)) switch
    {
        IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either =>
            RunsOut(either.LeftOperand) && RunsOut(either.RightOperand),
        IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var none } } => Null(none),
        IBinaryOperation { RightOperand: var none } => Null(none),
        IInvocationOperation { TargetMethod.Name: var name } => name is "IsNullOrEmpty" or "IsNullOrWhiteSpace",
        IPropertyReferenceOperation { Property.Name: var name } => name == "IsCancellationRequested",
        _ => false,
    };

    private static bool Null(IOperation value) => value.ConstantValue is { HasValue: true, Value: null };

    /// <summary>The unwatched model call whose streamed body (sent with <c>ResponseHeadersRead</c>, or read as a
    /// stream) <paramref name="stream"/> is, else null.</summary>
    private static UpstreamCallSite? Relayed(IOperation stream, MethodScope scope) =>
        Given(stream, scope).Select(v => Sent(v) ?? ValueFlow.Unwrap(v)).FirstOrDefault() switch
        {
            IPropertyReferenceOperation { Property.Name: "Content", Instance: { } response }
                when Given(response, scope).All(v => Sent(v)?.Arguments.Any(a => a.Value.ConstantValue.Value is 1
                    && a.Parameter?.Type.Name == "HttpCompletionOption") == true) =>
                Unwatched(new[] { response }, scope),
            IInvocationOperation { TargetMethod.Name: "ReadAsStreamAsync" or "ReadAsStream",
                Instance: IPropertyReferenceOperation { Property.Name: "Content", Instance: { } response } } =>
                Unwatched(new[] { response }, scope),
            _ => null,
        };

    /// <summary>A value the caller cannot tell from a failure's: null, <c>default</c>, false, an empty text or
    /// collection.</summary>
    private static string? Nothing(IOperation value) => ValueFlow.Unwrap(value) switch
    {
        IDefaultValueOperation => "default",
        ICollectionExpressionOperation { Elements.Length: 0 } => "an empty collection",
        IArrayCreationOperation { DimensionSizes.Length: 1 } array
            when array.DimensionSizes[0].ConstantValue.Value is 0 => "an empty collection",
        IObjectCreationOperation { Arguments.Length: 0, Initializer: null, Type: INamedTypeSymbol made }
            when made.IsGenericType && made.AllInterfaces.Any(i =>
                i.SpecialType == SpecialType.System_Collections_IEnumerable) => "an empty collection",
        IInvocationOperation { TargetMethod: { Name: "Empty", Parameters.Length: 0 } empty }
            when empty.ContainingType.ToDisplayString() is "System.Array" or "System.Linq.Enumerable" =>
            "an empty collection",
        { ConstantValue: { HasValue: true, Value: null or false or "" } constant } =>
            constant.Value is string ? "an empty text" : constant.Value is null ? "null" : "false",
        _ => null,
    };

    /// <summary>Whether the condition holds when the upstream's subject (or <paramref name="text"/>) is
    /// <paramref name="value"/>.</summary>
    private static bool? Holds(IOperation condition, object? value, IOperation? text = null) =>
        Conditions.Holds(condition, o => o switch
    {
        _ when o == text => value,
        IMemberReferenceOperation { Member: { IsStatic: true } member }
            when Namespace(member)?.StartsWith("OpenAI.", StringComparison.Ordinal) == true =>
            member.Name.ToLowerInvariant(),
        IPropertyReferenceOperation { Property.Name: "IsSuccessStatusCode" } when Read(o) == "http" => value is < 400,
        IPropertyReferenceOperation { Property.Name: "IsTerminal", Instance: { } status }
            when Read(status) == "run" => true,
        _ when Read(o) is not null => value,
        _ => Conditions.Unknown,
    });

    /// <summary>The branch only leaves the loop (a log line aside): no flag tells the loop's two ends apart.</summary>
    private static bool Leaves(IOperation? branch) =>
        branch is not null && CompilationFacts.Statements(branch) is { Count: > 0 } all
        && all[all.Count - 1] is IBranchOperation { BranchKind: BranchKind.Break } or IReturnOperation
        && all.All(s => s is IBranchOperation or IReturnOperation { Kind: not OperationKind.YieldReturn } || Logs(s));

    /// <summary>A test of a stream's end marker whose branch on it only leaves the loop or reads on.</summary>
    /// <remarks>Reading on is nothing, <c>continue</c> or a log line. The test is read with the marker supposed
    /// (<see cref="Supposing"/>), else (a marker the reading cannot place) its <c>then</c> must leave.</remarks>
    private static bool Marked(IConditionalOperation test, MethodScope scope, out IOperation? branch)
    {
        var on = Supposing(test.Condition, s => EndMarkers.Any(s.Contains), scope);
        branch = on is null ? test.WhenTrue : on.Value ? test.WhenTrue : test.WhenFalse;
        return (on is not null || (test.WhenFalse is null && test.Condition.DescendantsAndSelf()
                .Any(o => o.ConstantValue.Value is string s && EndMarkers.Any(s.Contains))))
            && (branch is null || Leaves(branch) || CompilationFacts.Statements(branch)
                .All(s => s is IBranchOperation { BranchKind: BranchKind.Continue } || Logs(s)));
    }

    /// <summary>Whether the condition holds when a value compared with a matching text is that text.</summary>
    /// <remarks>A test given such a text (<c>TryGetProperty("error", out _)</c>, <c>Contains("[DONE]")</c>) holds. The
    /// texts are read through the value flow: a local, a field or a helper may hold them.</remarks>
    private static bool? Supposing(IOperation condition, Func<string, bool> matches, MethodScope scope)
    {
        string? Named(IOperation o) => o.Type?.SpecialType != SpecialType.System_String ? null
            : (o.ConstantValue.HasValue ? new[] { o.ConstantValue.Value as string }
                : scope.Flow.Values(o).Select(v => v.Constant)).FirstOrDefault(t => t is not null && matches(t));
        // A value compared with a constant is not read further, nor a static test's arguments (IsNullOrEmpty).
        var supposed = condition.DescendantsAndSelf().SelectMany(o => o switch
        {
            IBinaryOperation b when (Named(b.RightOperand) ?? (b.RightOperand.ConstantValue.HasValue ? null
                : Named(b.LeftOperand))) is { } text => new[] { (ValueFlow.Unwrap(b.LeftOperand), (object)text),
                    (ValueFlow.Unwrap(b.RightOperand), text) },
            IIsPatternOperation i when i.Pattern.Descendants().Select(Named).FirstOrDefault(t => t is not null) is
                { } text => new[] { (ValueFlow.Unwrap(i.Value), (object)text) },
            IInvocationOperation { Type.SpecialType: SpecialType.System_Boolean } call when call.Arguments.Any(a =>
                (a.Value.ConstantValue.HasValue || !call.TargetMethod.IsStatic) && Named(a.Value) is not null) =>
                new[] { (ValueFlow.Unwrap(o), (object)true) },
            _ => Array.Empty<(IOperation, object)>(),
        }).ToList();
        return supposed.Count == 0 ? null : Conditions.Holds(condition,
            o => supposed.FirstOrDefault(c => c.Item1 == o).Item2 ?? Conditions.Unknown);
    }

    private static bool Logs(IOperation statement) => statement is IExpressionStatementOperation
        { Operation: IInvocationOperation call } && call.TargetMethod.Name.StartsWith("Log", StringComparison.Ordinal);

    /// <summary>The unwatched model call whose streamed body the loop reads lines or server-sent events of, else
    /// null.</summary>
    private static UpstreamCallSite? StreamOf(ILoopOperation loop, MethodScope scope) => loop.Descendants()
        .SelectMany(o => o is IInvocationOperation { TargetMethod.Name: "ReadLine" or "ReadLineAsync" } read
            && Namespace(read.TargetMethod) == "System.IO" && read.Instance is { } reader && Around(read) == loop
            ? Given(reader, scope).Select(made => ValueFlow.Unwrap(made) is IObjectCreationOperation
                { Arguments.Length: > 0 } at ? at.Arguments[0].Value : made) : Empty)
        .Concat(loop is IForEachLoopOperation each ? each.Collection.DescendantsAndSelf()
            .SelectMany(v => Given(v, scope)).SelectMany(v => v.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .Where(c => c.TargetMethod is { Name: "Create", ContainingType.Name: "SseParser" })
            .Select(c => c.Arguments[0].Value) : Empty)
        .Select(stream => Relayed(stream, scope)).FirstOrDefault(sent => sent is not null);

    /// <summary>The loop or switch section around the statement in its function: what runs next hangs on it.</summary>
    private static IOperation? Around(IOperation statement) => ValueFlow.AncestorsInFunction(statement)
        .FirstOrDefault(current => current is ILoopOperation or ISwitchCaseOperation);

    /// <summary>The condition reads a content-safety or moderation check's result.</summary>
    private static bool Moderated(IOperation condition, MethodScope scope) => condition.DescendantsAndSelf()
        .SelectMany(o => Given(o, scope)).SelectMany(v => v.DescendantsAndSelf()).Any(o => o is IInvocationOperation
        { TargetMethod: var method } && (scope.Compilation.Intent.ModerationCheck(method, o.Syntax.SyntaxTree)
            || (Namespace(method), method.Name) is ("OpenAI.Moderations", "ClassifyText" or "ClassifyTextAsync")
            or ("Azure.AI.ContentSafety", "AnalyzeText" or "AnalyzeTextAsync" or "AnalyzeImage"
                or "AnalyzeImageAsync")));

    /// <summary>The branch answers a client's error status (returned or set by hand) or a constant text.</summary>
    private static bool Refuses(IOperation? branch, MethodScope scope) => branch?.Descendants().Any(o =>
        o is IReturnOperation { ReturnedValue: { } value } ? value.ConstantValue.Value is string
            || (!scope.Compilation.IsSuccess(value) && !scope.Compilation.IsError(value))
            : o is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "StatusCode" },
                Value.ConstantValue.Value: >= 400 }) == true;

    /// <summary>The loop reads raw lines, bytes or parsed events, which end quietly when the upstream is cut.</summary>
    /// <remarks>An SDK's stream throws on a cut instead.</remarks>
    private static bool Quiet(ILoopOperation loop, MethodScope scope, HashSet<IMethodSymbol>? read = null) =>
        loop.Descendants().Any(o => o is IInvocationOperation
            { TargetMethod: { Name: "ReadLine" or "ReadLineAsync" or "Read" or "ReadAsync" } raw }
            && Namespace(raw) is "System.IO" or "System.IO.Pipelines")
        || (loop is IForEachLoopOperation each && (Name(each.Locals.FirstOrDefault()?.Type)?.StartsWith(
            "System.Net.ServerSentEvents.SseItem", StringComparison.Ordinal) == true
            || Iterates(each.Collection, scope, read ?? new(SymbolEqualityComparer.Default))));

    /// <summary>The stream is a source iterator's over a quiet loop, through implementations and returned iterators,
    /// reading at most the call graph's depth of methods, each once.</summary>
    private static bool Iterates(IOperation stream, MethodScope scope, HashSet<IMethodSymbol> read) =>
        ValueFlow.Unwrap(stream) is IInvocationOperation { TargetMethod: var method } call
        && (method.Name is "WithCancellation" or "ConfigureAwait"
            && (call.Instance ?? call.Arguments.FirstOrDefault()?.Value) is { } on ? Iterates(on, scope, read)
            : scope.Compilation.Implementations(method, scope.CancellationToken).Prepend(method)
            .Where(m => read.Count < CallGraph.MaxDepth && read.Add(m.OriginalDefinition))
            .Select(m => CompilationFacts.Body(call.SemanticModel!.Compilation, m)).Any(body => body is not null
            && (body.Descendants().Any(o => o.Kind == OperationKind.YieldReturn)
                ? body.Descendants().OfType<ILoopOperation>().Any(inner => Quiet(inner, scope, read))
                : body.Descendants().OfType<IReturnOperation>().Any(r => r.ReturnedValue is { } value
                    && Iterates(value, scope, read)))));

    /// <summary>An end marker the code writes after the loop on the way a cut stream leaves it.</summary>
    /// <remarks>A test after the loop is read with the flags the loop sets unset, as a cut leaves them.</remarks>
    private static IOperation? Written(IEnumerable<IOperation> statements, ILoopOperation loop, MethodScope scope)
    {
        foreach (var statement in statements.TakeWhile(s => !scope.Compilation.Handoff.Anywhere(s)
            && s is not ILoopOperation))
        {
            var simple = statement is IExpressionStatementOperation or IVariableDeclarationGroupOperation
                || statement.Kind == OperationKind.YieldReturn;
            var found = simple ? statement.Descendants().FirstOrDefault(o => Ends(o, scope))
                : statement is IConditionalOperation test && Conditions.Holds(test.Condition, o => o is
                    ILocalReferenceOperation { Local: { Type.SpecialType: SpecialType.System_Boolean } flag }
                    && loop.Descendants().Any(a => a is IAssignmentOperation { Target: ILocalReferenceOperation set }
                        && Same(set.Local, flag)) ? false : Conditions.Unknown)
                    is { } cut && (cut ? test.WhenTrue : test.WhenFalse) is { } branch
                    ? Written(Flat(CompilationFacts.Statements(branch)), loop, scope) : null;
            if (found is not null || (!simple && FailureHandoff.Leaves(statement)))
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>An end marker, or a finish reason <c>stop</c>/<c>end_turn</c> given to a slot so named.</summary>
    private static bool Ends(IOperation operation, MethodScope scope) => operation switch
    {
        IArgumentOperation { Parameter.Name: var name, Value: var value } =>
            scope.Flow.Values(value).Any(v => v.Constant is { } text && Ends(text, name)),
        ISimpleAssignmentOperation { Target: var target, Value: var value } =>
            scope.Flow.Values(value).Any(v => v.Constant is { } text && Ends(text, Slot(target))),
        _ => operation.ConstantValue.Value is string text && Ends(text, null),
    };

    private static bool Ends(string text, string? slot) => EndMarkers.Any(text.Contains)
        || (Finished(text) && (text.Contains("\"stop\"") || text.Contains("\"end_turn\"")))
        || (text is "stop" or "end_turn" && Finished(slot));

    /// <summary>The member or key a value is assigned to.</summary>
    private static string? Slot(IOperation target) => target is IPropertyReferenceOperation { Arguments.Length: > 0 }
        key ? key.Arguments[0].Value.ConstantValue.Value as string : (target as IMemberReferenceOperation)?.Member.Name;

    private static bool Finished(string? name) => name?.Replace("_", "").ToLowerInvariant() is { } slot
        && (slot.Contains("finishreason") || slot.Contains("stopreason"));

    private static bool Failure(IOperation operation) =>
        FailureUpdates.Contains(operation.Type?.Name) || operation switch
    {
        IIsTypeOperation isType => FailureUpdates.Contains(isType.TypeOperand.Name),
        IPatternOperation pattern => FailureUpdates.Contains(pattern.NarrowedType.Name),
        _ => false,
    };

    /// <summary>The forward at a middleware's next (YARP's) whose outcome <paramref name="status"/> reads first, in a
    /// method that never asks for YARP's error.</summary>
    private static UpstreamCallSite? Forwarded(IPropertyReferenceOperation status, MethodScope scope)
    {
        bool Before(IOperation o, int after = -1) => o.Syntax.SpanStart > after
            && o.Syntax.SpanStart < status.Syntax.SpanStart;
        static bool Read(IOperation o) => o is IPropertyReferenceOperation { Property.Name: "StatusCode" }
            && !(o.Parent is ISimpleAssignmentOperation written && written.Target == o);
        return status is { Instance.Type.Name: "HttpResponse" } && Read(status)
            && scope.Operations.OfType<IInvocationOperation>().Where(o => Before(o) && o.TargetMethod.MethodKind
                == MethodKind.DelegateInvoke).Select(o => (Next: o, Call: UpstreamCollector.ModelCall(o, scope)))
                .LastOrDefault(n => n.Call is not null) is ({ } next, { } call) && !scope.Operations.Any(o =>
                o.Type?.Name is "IForwarderErrorFeature" || (Read(o) && Before(o, next.Syntax.SpanStart)))
            ? UpstreamCollector.Site(next, call, scope) : null;
    }

    /// <summary>The code fix's edit: from its answer on, the failure's branch throws an UpstreamException.</summary>
    private static (int From, string Thrown)? Fix(IConditionalOperation test, IReadOnlyList<IOperation> branch,
        MethodScope scope)
    {
        const string Exception = "new TracedLlm.UpstreamException(";
        var forwarded = scope.Operations.OfType<IInvocationOperation>()
            .FirstOrDefault(c => c.TargetMethod is
                { Name: "SendAsync", ContainingType.Name: "IHttpForwarder" or "HttpForwarder" });
        var thrown = test.Condition.DescendantsAndSelf().FirstOrDefault(o => Read(o) is not (null or "run")) switch
        {
            IPropertyReferenceOperation { Instance: { Syntax: var message } } =>
                $"{Exception}(int){message}.StatusCode, \"The upstream answered \" + (int){message}.StatusCode"
                + " + \".\")",
            not null when forwarded is { Arguments: { Length: > 0 } arguments } => $"{Exception}502, "
                + $"\"Forwarding failed.\", {Feature(test, arguments[0].Value)}?.Exception)",
            _ => null,
        };
        var from = branch.TakeWhile(s => !scope.Compilation.AnswersRequest(s, null)
            && s is IExpressionStatementOperation or IVariableDeclarationGroupOperation).Count();
        return thrown is null || branch.ElementAtOrDefault(from) is IBranchOperation ? null : (from, thrown);
    }

    /// <summary>The forwarder's failure on the context, as an extension method where the code can call it so.</summary>
    private static string Feature(IOperation at, IOperation context) =>
        at.SemanticModel?.LookupSymbols(at.Syntax.SpanStart, context.Type, "GetForwarderErrorFeature", true).Length > 0
            ? $"{context.Syntax}.GetForwarderErrorFeature()"
            : $"Microsoft.AspNetCore.Http.HttpContextFeaturesExtensions.GetForwarderErrorFeature({context.Syntax})";
}
