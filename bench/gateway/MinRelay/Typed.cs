// --Typed=true: the reference also reads the body into the typed request the sample's handler takes
// (samples/Gateway/Models.cs, compiled in as it is, with the sample's source-generated context and
// the options the sample's gateway reads bodies with: ASP.NET Core's web defaults, snake_case), then
// the prompt's text the sample's handler and pre-call guardrail ask it for. What a relay pays for
// handing its handler a typed request and nothing else of TracedLlm's (bench/results/
// 2026-11-26-bytes-item-by-item.md).
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TracedLlm.Samples.Gateway;

internal static class TypedRequest
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = GatewayJsonContext.Default,
    };

    private static readonly JsonTypeInfo<ChatCompletionRequest> Chat = (JsonTypeInfo<ChatCompletionRequest>)Options.GetTypeInfo(typeof(ChatCompletionRequest));
    private static readonly JsonTypeInfo<MessagesRequest> Messages = (JsonTypeInfo<MessagesRequest>)Options.GetTypeInfo(typeof(MessagesRequest));

    /// <summary>The body (the slot cut) read as the route's request type; its prompt read as the sample's route reads it.</summary>
    public static IPromptRequest Read(ReadOnlySpan<byte> body, Route route)
    {
        try
        {
            IPromptRequest? request = route.Anthropic ? JsonSerializer.Deserialize(body, Messages) : JsonSerializer.Deserialize(body, Chat);
            if (request is null)
            {
                throw new ClientError(400, "The request body must be a JSON object.");
            }

            _ = request.PromptMessages();
            return request;
        }
        catch (JsonException)
        {
            throw new ClientError(400, "The request body does not match this route's request.");
        }
        catch (TracedLlm.InvalidLlmRequestException refused)
        {
            throw new ClientError(400, refused.Message);
        }
    }
}

namespace TracedLlm
{
    /// <summary>What the sample's models throw for a client's mistake (the library's type there): answered with a 400 here.</summary>
    internal sealed class InvalidLlmRequestException(string message) : Exception(message);
}

namespace TracedLlm.Samples.Gateway
{
    /// <summary>Named by the sample's JSON context (its diagnostics endpoint); unused here.</summary>
    internal sealed record ActivityCountsSnapshot(long Started, long Stopped, long WorkingSetBytes, long ManagedHeapBytes);
}
