using System;
using System.Collections.Generic;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace TracedLlm.OpenApi;

/// <summary>
/// The endpoint metadata that API descriptions (ApiExplorer, Microsoft.AspNetCore.OpenApi) read for a traced route.
/// </summary>
/// <remarks>
/// Summary, description, request body, the 200 response (JSON, or server-sent events for a streaming route) and the
/// error responses in the route's wire format. All of it comes from <see cref="TracedRouteInfo"/>, which the generator
/// filled with <c>typeof</c>: no reflection.
/// </remarks>
internal static class TracedRouteMetadata
{
    private static readonly string[] Json = { "application/json" };
    private static readonly string[] EventStream = { "text/event-stream" };
    private static readonly string[] Problem = { "application/problem+json" };

    /// <summary>The keys the metadata slot recognizes (docs/span-contract/request-reading.md#metadata-slots).</summary>
    private const string RecognizedKeys =
        "generation_name, trace_name, existing_trace_id (or trace_id), parent_observation_id, session_id, "
        + "trace_user_id (or user_id), "
        + "tags, trace_metadata, prompt (or prompt_name / prompt_version), version, release, environment, "
        + "mask_input, mask_output";

    /// <summary>
    /// The metadata of <paramref name="route"/>, whose pipeline answers its own errors as <paramref name="errors"/>
    /// says.
    /// </summary>
    public static IEnumerable<object> For(TracedRouteInfo route, bool authenticated, LlmErrorResponses errors)
    {
        var format = route.ErrorFormat == WireFormat.Anthropic ? "Anthropic" : "OpenAI";
        yield return new EndpointSummaryAttribute($"{route.Operation} ({format} wire format), traced by TracedLlm");
        yield return new EndpointDescriptionAttribute(Description(route, format, errors));

        // Without a body type the body still carries the metadata slot: JSON, optional. No content type is
        // declared: routing would check it and answer a wrong one with an empty 415 of its own, outside the
        // route's format and trace (the pipeline checks it, RequestMediaType); API descriptions take JSON.
        yield return new AcceptsMetadata(
            Array.Empty<string>(),
            route.RequestType,
            isOptional: route.RequestType is null);

        // ApiExplorer keeps one response type per status code, the last declared: a route with both
        // handlers documents its JSON response, and its stream in the description.
        if (route.StreamChunkType is { } chunk)
        {
            yield return new ProducesResponseTypeMetadata(StatusCodes.Status200OK, chunk, EventStream)
            {
                Description = "Server-sent events, one chunk each."
            };
        }

        if (route.ResponseType is { } response)
        {
            yield return new ProducesResponseTypeMetadata(StatusCodes.Status200OK, response, Json)
            {
                Description = "The response."
            };
        }

        foreach (var error in Errors(authenticated, ErrorBody(route, errors)))
        {
            yield return error;
        }
    }

    /// <summary>
    /// The error responses the pipeline writes itself, each with <paramref name="body"/>'s type and content type.
    /// </summary>
    public static IEnumerable<ProducesResponseTypeMetadata> Errors(
        bool authenticated,
        (Type? Type, string[] ContentTypes) body)
    {
        var (error, contentTypes) = body;
        ProducesResponseTypeMetadata Error(int status, Type? type, string description) =>
            new(status, type, contentTypes) { Description = description };
        yield return Error(StatusCodes.Status400BadRequest, error, "Invalid request, or blocked by a guardrail.");
        if (authenticated)
        {
            yield return Error(StatusCodes.Status401Unauthorized, error, "Missing or unknown API key.");
            yield return Error(StatusCodes.Status403Forbidden, error, "The key may not use this route.");
        }

        yield return Error(StatusCodes.Status413PayloadTooLarge, error, "The body is larger than the gateway accepts.");
        yield return Error(
            StatusCodes.Status415UnsupportedMediaType,
            error,
            "The body is not sent as JSON, or is in a content coding the gateway does not decode.");
        yield return Error(StatusCodes.Status429TooManyRequests, error, "Rate limited upstream.");
        yield return Error(
            StatusCodes.Status500InternalServerError,
            error,
            "The gateway failed to handle the request.");
        yield return Error(
            StatusCodes.Status502BadGateway,
            error,
            "The upstream provider failed or could not be reached.");
        yield return Error(StatusCodes.Status504GatewayTimeout, error, "The upstream provider did not answer in time.");
    }

    /// <summary>
    /// The error body's type and content type: the wire format's error JSON, problem details, or, for
    /// the app's own writer, no declared type (JSON as the app writes it).
    /// </summary>
    public static (Type? Type, string[] ContentTypes) ErrorBody(TracedRouteInfo route, LlmErrorResponses errors) =>
        errors switch
        {
            LlmErrorResponses.ProblemDetails or LlmErrorResponses.Host =>
                (typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), Problem),
            LlmErrorResponses.Writer => (null, Json),
            _ => (
                route.ErrorFormat == WireFormat.Anthropic
                    ? typeof(AnthropicErrorResponse)
                    : typeof(OpenAIErrorResponse),
                Json),
        };

    private static string Description(TracedRouteInfo route, string format, LlmErrorResponses errors) =>
        $"Handled by `{route.Handler}`. "
        + (
            route.MetadataSlot.Length == 0
                ? "The route has no gateway metadata slot: the body is read and forwarded as it came. "
                : $"Gateway metadata goes in the body's `{route.MetadataSlot}` property (this route's metadata slot): "
                    + RecognizedKeys
                    + "; other keys become observation metadata. The slot is removed before the body reaches the "
                    + "handler and is never forwarded upstream. ")
        + (
            route.StreamChunkType is not { } chunk ? string.Empty
            : route.ResponseType is null
                ? $"The response is server-sent events (text/event-stream), one `{chunk.Name}` each. "
            : $"Send \"stream\": true for server-sent events (text/event-stream), one `{chunk.Name}` each. ")
        + errors switch
        {
            LlmErrorResponses.ProblemDetails => "Errors are RFC 7807 problem details (application/problem+json).",
            LlmErrorResponses.Host => "Errors are RFC 7807 problem details (application/problem+json); a body the "
                + "request type cannot bind and the application's own exceptions are answered by ASP.NET Core.",
            LlmErrorResponses.Writer => "Errors are written by the application's own error writer.",
            _ => $"Errors are {format} error JSON.",
        };
}
