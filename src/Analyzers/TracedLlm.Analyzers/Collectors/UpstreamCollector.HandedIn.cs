using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// A send whose message or content a helper is handed: an application's HTTP helper (<c>PostAsync(string uri,
/// StringContent data)</c>, <c>SendAsync(HttpRequestMessage request)</c>) sends whatever its callers give it, so what it
/// sends is read where it is called, as if the helper were written there. The helper leaves what it is given alone
/// (<see cref="OnlyHandedOn"/>) and sends it through a client that sends it as it is given; every call of the helper in the
/// compilation (but one made inside an attempt or by a library later) is then read by what it hands in
/// (<see cref="HandedOnReading"/>), at the end of the compilation: a message or content the rule reads as no model call there
/// makes none through the helper either. A caller the request does not seem to reach is read too, since it may run in the
/// request through a delegate the call graph does not follow.
/// </summary>
internal sealed partial class UpstreamCollector
{
    /// <summary>
    /// The ordinal of the parameter of the method being read through which a send's message, or the content it posts, is
    /// handed in, when that parameter is what leaves the send unread: the message itself, the content given to
    /// <c>HttpClient.PostAsync</c>, or the content of a message built here (<see cref="MessageContent"/>); -1 otherwise.
    /// The client must send the message as it is given (<see cref="SendsAsGiven"/>), and the method must leave the
    /// parameter alone (<see cref="OnlyHandedOn"/>).
    /// </summary>
    private static int HandedIn(IInvocationOperation send, MethodScope scope)
    {
        if (scope.Owner is not IMethodSymbol || (MethodScope.Receiver(send) is { } receiver && !SendsAsGiven(ValueFlow.Unwrap(receiver).Type)))
        {
            return -1;
        }

        var given = IsPostAsync(send)
            ? PostedContent(send)
            : SentMessage(send, scope) is { } message
                ? ValueFlow.Unwrap(message) is IParameterReferenceOperation ? message : MessageContent(message, send, scope)
                : null;
        return given is not null && ValueFlow.Unwrap(given) is IParameterReferenceOperation { Parameter: var parameter } handed
            && OnlyHandedOn(parameter, handed, send, scope) ? parameter.Ordinal : -1;
    }

    /// <summary>
    /// A parameter of the method being read (not a lambda's), passed by value, that the method never writes and only
    /// hands on: a message (<c>HttpRequestMessage</c>) only read, its members other than <c>Method</c> and <c>Content</c>
    /// read, set or called (its headers), or handed to <paramref name="handOff"/>; a content only handed on
    /// (<paramref name="handed"/>, the one use that gives it).
    /// </summary>
    private static bool OnlyHandedOn(IParameterSymbol parameter, IOperation handed, IInvocationOperation handOff, MethodScope scope)
    {
        if (parameter.RefKind != RefKind.None || !WellKnownTypes.Same(parameter.ContainingSymbol, scope.Owner))
        {
            return false;
        }

        var message = IsMessage(parameter.Type);
        foreach (var use in scope.Blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IParameterReferenceOperation>())
        {
            if (!WellKnownTypes.Same(use.Parameter, parameter) || use == handed)
            {
                continue;
            }

            // A content is only handed on: even a header set on it (its media type) may change how its body is read.
            if (!message || !(ReadOnly(use, handOff, scope) && LeavesContent(use, handOff, scope)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Records, for a call of a source method (<paramref name="call"/>) that hands it a request message or a content, how
    /// each is read here (<see cref="HandedOnReading"/>): the facts a helper's send handed in by that parameter is judged by.
    /// </summary>
    private static void ReadHandedOn(IInvocationOperation call, MethodScope scope)
    {
        // Most calls hand no message or content: the arguments' types are asked first, the callee's declarations only then.
        if (call.TargetMethod.MethodKind == MethodKind.DelegateInvoke || scope.Types.HttpContent is not { } content || scope.Types.HttpRequestMessage is not { } message
            || !call.Arguments.Any(a => a.Parameter is { RefKind: RefKind.None, Type: INamedTypeSymbol { TypeKind: TypeKind.Class } type }
                && (WellKnownTypes.Same(type, message) || WellKnownTypes.DerivesFrom(type, content))))
        {
            return;
        }

        var callee = (call.TargetMethod.ReducedFrom ?? call.TargetMethod).OriginalDefinition;
        callee = callee.PartialImplementationPart ?? callee;
        if (!callee.Locations.Any(l => l.IsInSource))
        {
            return;
        }

        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter is not { RefKind: RefKind.None } parameter
                || !(WellKnownTypes.Same(parameter.Type, message) || WellKnownTypes.DerivesFrom(parameter.Type, content)))
            {
                continue;
            }

            scope.Facts.HandedOn.Add(new HandedOn(callee, parameter.Ordinal, scope.InAttemptScope(call), scope.RunsAsLibraryCallback(call), HandedOnReading(argument, call, scope)));
        }
    }

    /// <summary>
    /// How the message or content a call hands on (<paramref name="argument"/>) is read here: <see cref="HandedOn.Quiet"/> when
    /// it is one the rule reads as no model call where it is sent (a message built here with a method other than
    /// <c>POST</c>, without a body, or with a body that names no model input; a content that is a constant <c>null</c> or
    /// names no model input), the ordinal of this method's own parameter when it hands on what it is itself handed
    /// (<see cref="OnlyHandedOn"/>), and <see cref="HandedOn.Unread"/> otherwise.
    /// </summary>
    private static int HandedOnReading(IArgumentOperation argument, IInvocationOperation call, MethodScope scope)
    {
        var value = argument.Value;
        if (call.Arguments.Any(other => other != argument && SameVariable(other.Value, value)))
        {
            // The same message or content handed twice to one call: the helper may change it through the other parameter.
            return HandedOn.Unread;
        }

        if (ValueFlow.Unwrap(value) is IParameterReferenceOperation { Parameter: var parameter } handed)
        {
            return IsMessage(parameter.Type) == IsMessage(argument.Parameter!.Type) && OnlyHandedOn(parameter, handed, call, scope) ? parameter.Ordinal : HandedOn.Unread;
        }

        var quiet = IsMessage(argument.Parameter!.Type)
            ? MessageOtherThanPost(value, call, scope) || MessageWithoutBody(value, call, scope)
                || (MessageContent(value, call, scope) is { } body && CarriesNoInput(body, scope))
            : ValueFlow.Unwrap(value).ConstantValue is { HasValue: true, Value: null } || CarriesNoInput(value, scope);
        return quiet ? HandedOn.Quiet : HandedOn.Unread;
    }

    // The framework's request message itself (a derived type's constructor may set a method or a content of its own).
    private static bool IsMessage(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "HttpRequestMessage" } && type.ToDisplayString() == "System.Net.Http.HttpRequestMessage";

    // Two operations that name the same local or parameter.
    private static bool SameVariable(IOperation one, IOperation other) => (ValueFlow.Unwrap(one), ValueFlow.Unwrap(other)) switch
    {
        (ILocalReferenceOperation a, ILocalReferenceOperation b) => WellKnownTypes.Same(a.Local, b.Local),
        (IParameterReferenceOperation a, IParameterReferenceOperation b) => WellKnownTypes.Same(a.Parameter, b.Parameter),
        _ => false,
    };
}
