using System.Text.Json.Serialization;

namespace TracedLlm.OpenApi;

/// <summary>The error body of a route with the OpenAI wire format.</summary>
/// <remarks>
/// Declared for API descriptions (OpenAPI); the pipeline writes the body without reflection, in this shape (a test
/// keeps the two in step).
/// </remarks>
/// <param name="Error">The error.</param>
internal sealed record OpenAIErrorResponse([property: JsonPropertyName("error")] OpenAIError Error);

/// <summary>The <c>error</c> object of <see cref="OpenAIErrorResponse"/>.</summary>
/// <param name="Message">What went wrong, safe to show the client.</param>
/// <param name="Type">The error type: <c>invalid_request_error</c>, <c>authentication_error</c>,
/// <c>permission_error</c>, <c>rate_limit_error</c>, <c>overloaded_error</c>, <c>timeout_error</c> or
/// <c>api_error</c>.</param>
/// <param name="Param">Always null.</param>
/// <param name="Code">A machine-readable code (e.g. <c>guardrail_blocked</c>, <c>upstream_unreachable</c>), or
/// null.</param>
internal sealed record OpenAIError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary>The error body of a route with the Anthropic wire format.</summary>
/// <remarks>
/// Declared for API descriptions (OpenAPI); the pipeline writes the body without reflection, in this shape (a test
/// keeps the two in step).
/// </remarks>
/// <param name="Type">Always <c>error</c>.</param>
/// <param name="Error">The error.</param>
internal sealed record AnthropicErrorResponse(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("error")] AnthropicError Error);

/// <summary>The <c>error</c> object of <see cref="AnthropicErrorResponse"/>.</summary>
/// <param name="Type">The error type: <c>invalid_request_error</c>, <c>authentication_error</c>,
/// <c>permission_error</c>, <c>request_too_large</c>, <c>rate_limit_error</c>, <c>overloaded_error</c>,
/// <c>timeout_error</c> or <c>api_error</c>.</param>
/// <param name="Message">What went wrong, safe to show the client.</param>
internal sealed record AnthropicError(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message")] string Message);

/// <summary>
/// Type information for the error bodies, so an application whose JSON options have no reflection
/// (Native AOT) can still describe them; <c>AddTracedLlm()</c> appends it to the HTTP JSON options.
/// </summary>
[JsonSerializable(typeof(OpenAIErrorResponse))]
[JsonSerializable(typeof(AnthropicErrorResponse))]
internal sealed partial class WireErrorJsonContext : JsonSerializerContext
{
}
