using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// The <c>proxy_pre_call</c> span and what runs inside it: the body's own error raised, the body
/// read into the handler's request type (or only checked), and a stream refused where the route
/// has no streaming handler. A client's mistake found here is a 400 in the route's format.
/// For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PreCallStage
{
    /// <summary>Starts the <c>proxy_pre_call</c> span under the server span.</summary>
    public static Activity? StartSpan(LlmCall call, Activity? server) =>
        Spans.StartChild(call, SpanNames.PreCall, ActivityKind.Internal, server);

    /// <summary>Deserializes the body (the slot removed) into the handler's request type.</summary>
    public static T ReadRequest<T>(LlmCall call, JsonTypeInfo<T> typeInfo)
    {
        call.Envelope.ThrowIfInvalid();
        if (call.UpstreamBody.IsEmpty)
        {
            throw new InvalidLlmRequestException("The request body is empty: send a JSON object.");
        }

        try
        {
            return RequestDeserializer.Deserialize(call.UpstreamBody.Span, typeInfo)
                ?? throw new InvalidLlmRequestException("The request body must be a JSON object.");
        }
        catch (JsonException exception)
        {
            // Said in the client's terms (a JSON path, JSON kinds), never the handler's C# types.
            throw new InvalidLlmRequestException(RequestMismatch.Describe(exception.Path, typeInfo, call.UpstreamBody.Span), exception);
        }
    }

    /// <summary>Checks the body when the handler takes none.</summary>
    public static void ValidateBody(LlmCall call) => call.Envelope.ThrowIfInvalid();

    /// <summary>Refuses <c>"stream": true</c> on a route with no streaming handler.</summary>
    public static void RejectStreaming(LlmCall call)
    {
        if (call.Parameters.Stream)
        {
            throw new InvalidLlmRequestException("This route does not stream responses: send \"stream\": false or leave it out.");
        }
    }

    /// <summary>Ends the <c>proxy_pre_call</c> span and makes the server span current again; returns null.</summary>
    public static Activity? EndSpan(Activity? preCall, Activity? server) => Spans.End(preCall, server);
}
