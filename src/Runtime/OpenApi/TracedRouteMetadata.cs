using System;
using System.Collections.Generic;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace TracedLlm.OpenApi;

/// <summary>
/// The endpoint metadata that API descriptions (ApiExplorer, Microsoft.AspNetCore.OpenApi) read for
/// a traced route: summary, description, request body, the 200 response (JSON, or server-sent
/// events for a streaming route) and the error responses in the route's wire format. All of it
/// comes from <see cref="TracedRouteInfo"/>, which the generator filled with <c>typeof</c>: no reflection.
/// </summary>
internal static class TracedRouteMetadata
{
    private static readonly string[] Json = { "application/json" };
    private static readonly string[] EventStream = { "text/event-stream" };

    /// <summary>The keys the metadata slot recognizes (docs/span-contract.md, "Metadata slots").</summary>
    private const string RecognizedKeys =
        "generation_name, trace_name, existing_trace_id (or trace_id), parent_observation_id, session_id, trace_user_id (or user_id), "
        + "tags, trace_metadata, prompt (or prompt_name / prompt_version), version, release, environment, mask_input, mask_output";

    public static IEnumerable<object> For(TracedRouteInfo route, bool authenticated)
    {
        var format = route.ErrorFormat == WireFormat.Anthropic ? "Anthropic" : "OpenAI";
        yield return new EndpointSummaryAttribute($"{route.Operation} ({format} wire format), traced by TracedLlm");
        yield return new EndpointDescriptionAttribute(Description(route, format));

        // Without a body type the body still carries the metadata slot: JSON, optional. No content type is
        // declared: routing would check it and answer a wrong one with an empty 415 of its own, outside the
        // route's format and trace (the pipeline checks it, RequestMediaType); API descriptions take JSON.
        yield return new AcceptsMetadata(Array.Empty<string>(), route.RequestType, isOptional: route.RequestType is null);

        // ApiExplorer keeps one response type per status code, the last declared: a route with both
        // handlers documents its JSON response, and its stream in the description.
        if (route.StreamChunkType is { } chunk)
        {
            yield return new ProducesResponseTypeMetadata(StatusCodes.Status200OK, chunk, EventStream) { Description = "Server-sent events, one chunk each." };
        }

        if (route.ResponseType is { } response)
        {
            yield return new ProducesResponseTypeMetadata(StatusCodes.Status200OK, response, Json) { Description = "The response." };
        }

        var error = route.ErrorFormat == WireFormat.Anthropic ? typeof(AnthropicErrorResponse) : typeof(OpenAIErrorResponse);
        yield return Error(StatusCodes.Status400BadRequest, error, "Invalid request, or blocked by a guardrail.");
        if (authenticated)
        {
            yield return Error(StatusCodes.Status401Unauthorized, error, "Missing or unknown API key.");
            yield return Error(StatusCodes.Status403Forbidden, error, "The key may not use this route.");
        }

        yield return Error(StatusCodes.Status413PayloadTooLarge, error, "The body is larger than the gateway accepts.");
        yield return Error(StatusCodes.Status415UnsupportedMediaType, error, "The body is not sent as JSON, or is in a content coding the gateway does not decode.");
        yield return Error(StatusCodes.Status429TooManyRequests, error, "Rate limited upstream.");
        yield return Error(StatusCodes.Status500InternalServerError, error, "The gateway failed to handle the request.");
        yield return Error(StatusCodes.Status502BadGateway, error, "The upstream provider failed or could not be reached.");
        yield return Error(StatusCodes.Status504GatewayTimeout, error, "The upstream provider did not answer in time.");
    }

    private static ProducesResponseTypeMetadata Error(int status, Type error, string description) =>
        new(status, error, Json) { Description = description };

    private static string Description(TracedRouteInfo route, string format) =>
        $"Handled by `{route.Handler}`. Gateway metadata goes in the body's `{route.MetadataSlot}` property (this route's metadata slot): "
        + RecognizedKeys + "; other keys become observation metadata. The slot is removed before the body reaches the handler and is never forwarded upstream. "
        + (route.StreamChunkType is not { } chunk ? string.Empty
            : route.ResponseType is null ? $"The response is server-sent events (text/event-stream), one `{chunk.Name}` each. "
            : $"Send \"stream\": true for server-sent events (text/event-stream), one `{chunk.Name}` each. ")
        + $"Errors are {format} error JSON.";
}
