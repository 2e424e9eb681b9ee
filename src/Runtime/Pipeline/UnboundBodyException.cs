using System;
using System.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace TracedLlm.Pipeline;

/// <summary>
/// A body the handler's type cannot bind, on a route whose errors are ASP.NET Core's
/// (<see cref="LlmErrorResponses.Host"/>), answered as minimal APIs answer it.
/// </summary>
/// <remarks>
/// Minimal APIs (<c>RequestDelegateFactory</c>) answer a JSON body they cannot read into the handler's parameter,
/// an empty one and one sent as another media type with 400, 400 and 415 and nothing written, or, under
/// <c>RouteHandlerOptions.ThrowOnBadRequest</c> (on in Development), throw a <see cref="BadHttpRequestException"/> of
/// that status with their own message for the host to answer. The pipeline's reason, in the client's terms, is kept
/// as the inner exception: the request's record says it.
/// </remarks>
internal sealed class UnboundBodyException : Exception
{
    private UnboundBodyException(string hostMessage, InvalidLlmRequestException refusal)
        : base(hostMessage, refusal)
    {
        Refusal = refusal;
    }

    /// <summary>Why the pipeline could not bind the body, in the client's terms.</summary>
    public InvalidLlmRequestException Refusal { get; }

    /// <summary>Minimal APIs' status: 415 for a body not sent as JSON, else 400.</summary>
    public int StatusCode => Refusal.StatusCode == StatusCodes.Status415UnsupportedMediaType
        ? StatusCodes.Status415UnsupportedMediaType
        : StatusCodes.Status400BadRequest;

    /// <summary>The request's record: the reason and who answered.</summary>
    public string Description =>
        $"{Refusal.Message} Answered as minimal APIs answer a body they cannot bind: {StatusCode} "
        + $"{ReasonPhrases.GetReasonPhrase(StatusCode)}, no body.";

    /// <summary>Minimal APIs' exception under <c>ThrowOnBadRequest</c>, for the host's own handling.</summary>
    public BadHttpRequestException ForHost() => new(Message, StatusCode, Refusal);

    /// <summary>
    /// <paramref name="refusal"/>, or on a route whose errors are ASP.NET Core's the host's answer to it;
    /// <paramref name="empty"/> when no body came.
    /// </summary>
    public static Exception Of(LlmCall call, Type bodyType, InvalidLlmRequestException refusal, bool empty = false)
    {
        if (ErrorResponses.Of(call.Route, call.Gateway.Options) != LlmErrorResponses.Host)
        {
            return refusal;
        }

        // Minimal APIs' own words (RequestDelegateFactory's log and exception messages), with the parameter's.
        var parameter = call.Route.Parameters.FirstOrDefault(p => p.Type == bodyType
            && p.Source is TracedParameterSource.Body or TracedParameterSource.BodyOrService);
        var name = parameter?.Name ?? "body";
        var typed = $"{DisplayName(bodyType)} {name}";
        var message = refusal.Code == RequestMediaType.UnsupportedCode
            ? $"Expected a supported JSON media type but got \"{call.HttpContext.Request.ContentType}\"."
            : !empty ? $"Failed to read parameter \"{typed}\" from the request body as JSON."
            : parameter?.Source == TracedParameterSource.Body
                ? $"Required parameter \"{typed}\" was not provided from body."
            : $"Implicit body inferred for parameter \"{name}\" but no body was provided. "
                + "Did you mean to use a Service instead?";
        return new UnboundBodyException(message, refusal);
    }

    /// <summary>A type as C# names it, without its namespace (<c>List&lt;ChatTurn&gt;</c>).</summary>
    private static string DisplayName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return DisplayName(underlying) + "?";
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var tick = type.Name.IndexOf('`', StringComparison.Ordinal);
        var name = tick < 0 ? type.Name : type.Name[..tick];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(DisplayName))}>";
    }
}
