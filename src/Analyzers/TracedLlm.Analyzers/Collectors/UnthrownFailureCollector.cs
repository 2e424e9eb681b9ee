using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2008's facts: an upstream failure no exception carries, answered without the failure path. A test the code makes
/// of YARP's forwarder result, of a model call's HTTP status or of an OpenAI run's or response's status is read twice,
/// as C# evaluates it: once with the upstream failed (<c>ForwarderError.Request</c>, a 5xx, <c>failed</c>,
/// <c>cancelled</c>, <c>expired</c> or <c>incomplete</c>) and once with it succeeded. Where the two take different
/// branches, the failure's branch and what follows it are read (<see cref="AnswerAfter"/>). So is what follows a loop
/// that polls a run until it ends, and a loop over a stream that leaves on its end marker or reads no failure event.
/// </summary>
internal sealed class UnthrownFailureCollector : IFactCollector
{
    private static readonly string[] FailedRuns = { "failed", "cancelled", "expired", "incomplete" };
    private static readonly string[] EndMarkers = { "[DONE]", "message_stop", "response.completed" };
    private static readonly string[] FailureUpdates =
        { "StreamingResponseFailedUpdate", "StreamingResponseErrorUpdate", "StreamingResponseIncompleteUpdate" };

    /// <summary>What a failed forwarder makes its error feature: an object (the succeeded one leaves it null).</summary>
    private static readonly object NotNull = new();

    public void Visit(IOperation operation, MethodScope scope)
    {
        if (scope.RunsAsLibraryCallback(operation))
        {
            return;
        }

        switch (operation)
        {
            case IConditionalOperation { Type: null or { SpecialType: SpecialType.System_Void } } test:
                Test(test, scope);
                break;
            case IWhileLoopOperation { Condition: { } condition } loop when Subject(condition, scope) == "run":
                // The loop ends on every terminal status alike: nothing after it has told a failed run yet.
                var (failed, succeeded) = (Holds(condition, "failed"), Holds(condition, "completed"));
                if (failed is { } f && f == loop.ConditionIsUntil && succeeded == failed)
                {
                    Add(scope, condition, "The run's status is not tested after the poll ends", Empty, loop);
                }

                break;
            case IForEachLoopOperation loop when loop.Body is { } body && !body.Descendants().Any(o => Names(o, FailureUpdates))
                && Name(loop.Locals.FirstOrDefault()?.Type) == "OpenAI.Responses.StreamingResponseUpdate":
                Add(scope, loop, "The stream's failure events (response.failed, error, response.incomplete) are not read",
                    Empty, loop);
                break;
        }
    }

    private static readonly IOperation[] Empty = System.Array.Empty<IOperation>();

    private static void Test(IConditionalOperation test, MethodScope scope)
    {
        var subject = Subject(test.Condition, scope);
        if (subject is null)
        {
            // A stream's end marker tested, the loop left on it: the loop's other end is a stream cut short.
            if (test.WhenFalse is null && Leaves(test.WhenTrue) && Loop(test) is { } around
                && test.Condition.DescendantsAndSelf().Any(o => o.ConstantValue.Value is string text && EndMarkers.Any(text.Contains)))
            {
                Add(scope, test.Condition, "The upstream stream can end without its end marker", Empty, around);
            }

            return;
        }

        var success = subject == "run" ? "completed" : subject == "http" ? (object)200 : subject == "feature" ? null : 0;
        var failures = subject == "run" ? FailedRuns : subject == "http" ? new object[] { 500, 502, 503, 504 }
            : new[] { subject == "feature" ? NotNull : 1 };
        foreach (var failure in failures)
        {
            if (Holds(test.Condition, failure) is { } failed && Holds(test.Condition, success) is { } ok && failed != ok)
            {
                var branch = failed ? test.WhenTrue : test.WhenFalse;
                var what = subject switch
                {
                    "forwarder" => "YARP's forwarder failed (a ForwarderError other than None)",
                    "feature" => "YARP's forwarder failed (IForwarderErrorFeature set)",
                    "http" => "The model call answered a failing status",
                    _ => $"The run or response ended '{failure}'",
                };
                Add(scope, test.Condition, what, branch is null ? Empty : Statements(branch), test, failed);
                return;
            }
        }
    }

    /// <summary>Records the finding when the failure's path answers the request (<see cref="AnswerAfter"/>).</summary>
    private static void Add(MethodScope scope, IOperation tested, string what, IReadOnlyList<IOperation> branch, IOperation after,
        bool whenTrue = false)
    {
        var function = ValueFlow.NestedFunction(after) ?? scope.Owner as IMethodSymbol;
        var intent = scope.Compilation.Intent;
        if (intent.HandledByDesign(scope.Owner, function is null ? System.Array.Empty<IMethodSymbol>() : new[] { function })
            || (scope.Owner is IMethodSymbol owner && intent.RecordsFailures(owner, after.Syntax.SyntaxTree))
            || AnswerAfter(branch.Concat(FailureHandoff.Following(after)), EndsFunction(after), function, scope) is not { } how)
        {
            return;
        }

        var location = tested.Syntax is ForEachStatementSyntax loop ? loop.ForEachKeyword.GetLocation() : tested.Syntax.GetLocation();
        var fix = after is IConditionalOperation conditional && branch.Count > 0 ? Fix(conditional, branch, scope) : null;
        scope.Facts.UnthrownFailures.Add(new UnthrownFailureSite(location, what, how, fix is null ? null : whenTrue, fix?.From, fix?.Thrown));
    }

    /// <summary>
    /// How the failure's path answers, or null when it hands the failure on (a throw, a record, an error result the pipeline
    /// takes as a failure) or cannot be read: a success returned (a success result, text), the response written by hand, or
    /// the end of a function that returns nothing (the request goes on as if the upstream succeeded).
    /// </summary>
    private static string? AnswerAfter(IEnumerable<IOperation> statements, bool reachesEnd, IMethodSymbol? function, MethodScope scope)
    {
        var facts = scope.Compilation;
        var answers = function is not null && scope.Types.IsHttpAnswer(function.ReturnType);
        foreach (var statement in Flat(statements))
        {
            if (facts.Handoff.Anywhere(statement))
            {
                return null;
            }

            switch (statement)
            {
                case IReturnOperation { ReturnedValue: null }:
                    return Nothing(function, scope);
                case IReturnOperation { ReturnedValue: { } value }:
                    return answers ? facts.IsSuccess(value) ? "a success is answered" : null
                        : value.Type?.SpecialType == SpecialType.System_String && !value.ConstantValue.HasValue
                            ? "its text is returned as the answer" : null;
                case IExpressionStatementOperation or IVariableDeclarationGroupOperation when facts.AnswersRequest(statement, null):
                    return "the response is written by hand";
                case IExpressionStatementOperation or IVariableDeclarationGroupOperation or IEmptyOperation:
                    continue;
                default:
                    if (ValueFlow.Own(statement).Any(o => o is IReturnOperation or IBranchOperation) || facts.AnswersRequest(statement, null))
                    {
                        return null;
                    }

                    continue;
            }
        }

        return reachesEnd ? Nothing(function, scope) : null;
    }

    private static IEnumerable<IOperation> Flat(IEnumerable<IOperation> statements) =>
        statements.SelectMany(s => s is IBlockOperation block ? Flat(block.Operations) : new[] { s });

    private static string? Nothing(IMethodSymbol? function, MethodScope scope) =>
        function is { ReturnsVoid: true } || (function?.ReturnType is INamedTypeSymbol { IsGenericType: false } task
            && (WellKnownTypes.DerivesFrom(task, scope.Types.Task!) || WellKnownTypes.Same(task, scope.Types.ValueTask)))
            ? "the method ends as if it succeeded" : null;

    /// <summary>What the condition tests: <c>forwarder</c>, <c>feature</c>, <c>http</c> (a model call's response), <c>run</c>.</summary>
    private static string? Subject(IOperation condition, MethodScope scope) => condition.DescendantsAndSelf()
        .Select(o => (Operation: o, Kind: Read(o))).FirstOrDefault(read => read.Kind is not null
            && (read.Kind != "http" || FromModelCall(((IPropertyReferenceOperation)read.Operation).Instance!, scope))).Kind;

    private static string? Read(IOperation operation)
    {
        var type = Name(operation.Type);
        return operation switch
        {
            _ when type == "Yarp.ReverseProxy.Forwarder.ForwarderError" && operation is not IFieldReferenceOperation => "forwarder",
            _ when type == "Yarp.ReverseProxy.Forwarder.IForwarderErrorFeature" => "feature",
            IPropertyReferenceOperation { Property.Name: "IsSuccessStatusCode" or "StatusCode", Instance: { } response }
                when Name(response.Type) == "System.Net.Http.HttpResponseMessage" => "http",
            IPropertyReferenceOperation { Property: { Name: "Status", IsStatic: false } status }
                when status.ContainingType.ContainingNamespace?.ToDisplayString() is "OpenAI.Assistants" or "OpenAI.Responses" => "run",
            _ => null,
        };
    }

    private static string? Name(ITypeSymbol? type) => type?.ToDisplayString().TrimEnd('?');

    /// <summary>A response the method got from a send the code shows is a model call, awaited where it is stored.</summary>
    private static bool FromModelCall(IOperation response, MethodScope scope)
    {
        var values = ValueFlow.Unwrap(response) is ILocalReferenceOperation local
            ? scope.Blocks.SelectMany(b => b.DescendantsAndSelf()).Select(o => o switch
            {
                IVariableDeclaratorOperation d when WellKnownTypes.Same(d.Symbol, local.Local) => d.GetVariableInitializer()?.Value,
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation t } a when WellKnownTypes.Same(t.Local, local.Local) => a.Value,
                _ => null,
            }).OfType<IOperation>().ToList()
            : new List<IOperation> { response };
        // What an attempt of the route gives is a model call's, as the team declared it by making the attempt.
        return values.Count > 0 && values.All(value => Sent(ValueFlow.Unwrap(value)) is { } send
            && (WellKnownTypes.Same(send.TargetMethod.ContainingType, scope.Types.LlmCall)
                || UpstreamCollector.ModelCall(send, scope) is { Evident: true }));

        static IInvocationOperation? Sent(IOperation value) => value switch
        {
            IAwaitOperation awaited => Sent(ValueFlow.Unwrap(awaited.Operation)),
            IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } task } => Sent(ValueFlow.Unwrap(task)),
            IInvocationOperation send => send,
            _ => null,
        };
    }

    /// <summary>Whether the condition holds when the upstream's subject is <paramref name="value"/> (<see cref="Conditions"/>).</summary>
    private static bool? Holds(IOperation condition, object? value) => Conditions.Holds(condition, operation => operation switch
    {
        IMemberReferenceOperation { Member: { IsStatic: true } member }
            when member.ContainingType.ContainingNamespace?.ToDisplayString().StartsWith("OpenAI.", System.StringComparison.Ordinal) == true =>
            member.Name.ToLowerInvariant(),
        IPropertyReferenceOperation { Property.Name: "IsSuccessStatusCode" } when Read(operation) == "http" => value is < 400,
        IPropertyReferenceOperation { Property.Name: "IsTerminal", Instance: { } status } when Read(status) == "run" => true,
        _ when Read(operation) is not null => value,
        _ => Conditions.Unknown,
    });

    /// <summary>The statements of a branch, for the path the failure takes through it.</summary>
    private static IReadOnlyList<IOperation> Statements(IOperation branch) =>
        branch is IBlockOperation block ? block.Operations : new[] { branch };

    /// <summary>The branch only leaves the loop (a log line aside): it sets no flag that could tell the two ends apart.</summary>
    private static bool Leaves(IOperation branch) =>
        Statements(branch) is { Count: > 0 } all && all[all.Count - 1] is IBranchOperation { BranchKind: BranchKind.Break } or IReturnOperation
        && all.All(s => s is IBranchOperation or IReturnOperation
            || (s is IExpressionStatementOperation { Operation: IInvocationOperation call } && call.TargetMethod.Name.StartsWith("Log", System.StringComparison.Ordinal)));

    private static ILoopOperation? Loop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                return loop;
            }
        }

        return null;
    }

    /// <summary>Nothing between the statement and the end of its function decides what runs next (a loop, a switch section).</summary>
    private static bool EndsFunction(IOperation statement)
    {
        for (var current = statement.Parent; current is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; current = current.Parent)
        {
            if (current is ILoopOperation or ISwitchCaseOperation)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Names(IOperation operation, string[] names) => names.Contains(operation.Type?.Name) || operation switch
    {
        IIsTypeOperation isType => names.Contains(isType.TypeOperand.Name),
        IPatternOperation pattern => names.Contains(pattern.NarrowedType.Name),
        _ => false,
    };

    /// <summary>The forwarder's failure on the context: through the extension method where the code can call it so.</summary>
    private static string Feature(IOperation at, IOperation context) =>
        at.SemanticModel?.LookupSymbols(at.Syntax.SpanStart, context.Type, "GetForwarderErrorFeature", true).Any() == true
            ? $"{context.Syntax}.GetForwarderErrorFeature()"
            : $"Microsoft.AspNetCore.Http.HttpContextFeaturesExtensions.GetForwarderErrorFeature({context.Syntax})";

    /// <summary>
    /// The code fix's edit: in the failure's branch, the statements from the one that answers on are replaced by a throw of an
    /// <c>UpstreamException</c> (with the forwarder's exception inside, or the upstream's status).
    /// </summary>
    private static (int From, string Thrown)? Fix(IConditionalOperation test, IReadOnlyList<IOperation> branch, MethodScope scope)
    {
        var response = test.Condition.DescendantsAndSelf().FirstOrDefault(o => Read(o) is "forwarder" or "feature" or "http");
        var thrown = response switch
        {
            IPropertyReferenceOperation { Instance: { } message } => $"new TracedLlm.UpstreamException((int){message.Syntax}.StatusCode, "
                + $"\"The upstream answered \" + (int){message.Syntax}.StatusCode + \".\")",
            not null when scope.Blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>()
                .FirstOrDefault(c => c.TargetMethod.Name == "SendAsync" && c.TargetMethod.ContainingType.Name is "IHttpForwarder" or "HttpForwarder")
                is { Arguments: { Length: > 0 } arguments } => "new TracedLlm.UpstreamException(502, \"The upstream could not be reached.\", "
                + Feature(test, arguments[0].Value) + "?.Exception)",
            _ => null,
        };
        if (thrown is null)
        {
            return null;
        }

        var from = 0;
        while (from < branch.Count && branch[from] is IExpressionStatementOperation or IVariableDeclarationGroupOperation
            && !scope.Compilation.AnswersRequest(branch[from], null))
        {
            from++;
        }

        return (from, thrown);
    }
}
