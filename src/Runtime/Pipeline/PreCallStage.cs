using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>The <c>proxy_pre_call</c> span and what runs inside it.</summary>
/// <remarks>
/// The body's own error raised, the body read into the handler's request type (or only checked), the route, query and
/// header values (<see cref="ParameterStage"/>), and a stream refused where the route's handler writes JSON only. A
/// client's mistake found here is a 400 in the route's format. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PreCallStage
{
    /// <summary>Starts the <c>proxy_pre_call</c> span under the server span.</summary>
    public static Activity? StartSpan(LlmCall call, Activity? server) =>
        Spans.StartChild(call, SpanNames.PreCall, ActivityKind.Internal, server);

    /// <summary>Deserializes the body (the slot removed) into the handler's request type.</summary>
    /// <remarks>
    /// A body it cannot bind is the client's mistake, refused in the route's format; on a route whose errors are
    /// ASP.NET Core's (<see cref="LlmErrorResponses.Host"/>) it is answered as minimal APIs answer it.
    /// </remarks>
    public static T ReadRequest<T>(LlmCall call, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            call.Envelope.ThrowIfInvalid();
        }
        catch (InvalidLlmRequestException refusal)
            when (refusal.NotReadable || refusal.Code == RequestMediaType.UnsupportedCode)
        {
            throw UnboundBodyException.Of(call, typeof(T), refusal);
        }

        if (call.UpstreamBody.IsEmpty)
        {
            var empty = new InvalidLlmRequestException("The request body is empty: send a JSON object.");
            throw UnboundBodyException.Of(call, typeof(T), empty, empty: true);
        }

        T? request;
        try
        {
            request = RequestDeserializer.Deserialize(call.UpstreamBody.Span, typeInfo);
        }
        catch (JsonException exception)
        {
            // Said in the client's terms (a JSON path, JSON kinds), never the handler's C# types.
            var mismatch = RequestMismatch.Describe(exception.Path, typeInfo, call.UpstreamBody.Span);
            throw UnboundBodyException.Of(call, typeof(T), new InvalidLlmRequestException(mismatch, exception));
        }

        if (request is null)
        {
            var notObject = new InvalidLlmRequestException("The request body must be a JSON object.");
            throw UnboundBodyException.Of(call, typeof(T), notObject, empty: true);
        }

        call.Request = request;
        return request;
    }

    /// <summary>
    /// A parameter that is the body unless DI has its type (a class or struct with no attribute, as minimal APIs bind
    /// it).
    /// </summary>
    /// <remarks>
    /// The service, or the body read into it. The route builder decided which when the app started, from the same
    /// registrations, and refused a route that would read two bodies.
    /// </remarks>
    public static T ReadRequestOrService<T>(LlmCall call, bool optional)
    {
        var gateway = call.Gateway;
        if (!gateway.IsService<T>())
        {
            return ReadRequest(call, gateway.GetTypeInfo<T>());
        }

        ValidateBody(call);
        return Service<T>(call, optional)!;
    }

    /// <summary>
    /// A service parameter (<c>[FromServices]</c>, or a type DI has): a singleton from the application's
    /// root services, anything else from the request's. ASP.NET Core creates a request's service scope
    /// only when it is first asked for, so a handler that takes only singletons costs no scope.
    /// </summary>
    /// <exception cref="InvalidOperationException">DI has no service of type <typeparamref name="T"/>.</exception>
    public static T RequiredService<T>(LlmCall call)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(call);
        return Service<T>(call, optional: false)!;
    }

    /// <summary>
    /// An optional service parameter, as <see cref="RequiredService{T}"/> finds it; null when DI has none.
    /// </summary>
    public static T? OptionalService<T>(LlmCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Service<T>(call, optional: true);
    }

    private static T? Service<T>(LlmCall call, bool optional)
    {
        if (call.Gateway.Singleton<T>() is T singleton && call.Gateway.Singletons!.Serves(call.HttpContext))
        {
            return singleton;
        }

        var services = call.HttpContext.RequestServices;
        return (T?)(optional ? services.GetService(typeof(T)) : services.GetRequiredService(typeof(T)));
    }

    /// <summary>
    /// The request as the handler reads it (for the guardrails), or null when the handler takes no body.
    /// </summary>
    public static object? RequestOf(LlmCall call) => call.Request;

    /// <summary>Checks the body when the handler takes none.</summary>
    /// <remarks>
    /// A body the pipeline cannot read (cut off, not JSON, not UTF-8) is the handler's to read, as it came, and
    /// recorded on the server span; any other refusal is raised.
    /// </remarks>
    public static void ValidateBody(LlmCall call)
    {
        if (call.Envelope.Unread is not { } unread)
        {
            call.Envelope.ThrowIfInvalid();
            return;
        }

        call.UnreadBody = unread;

        // The caller is authenticated by now: the reason (which may quote a little of the body) is bounded.
        if (call.ServerSpan is { IsAllDataRequested: true } server
            && TelemetryText.HasRoomForEvent(server, call.Gateway.Options.Limits.MaxEventsPerSpan))
        {
            var options = call.Gateway.Options;
            var reason = TelemetryText.Bound(unread.Message, options.Limits.MaxAttributeValueLength, options.Redaction);
            server.AddEvent(new ActivityEvent(AttributeNames.RequestBodyUnreadEvent, tags: new ActivityTagsCollection
            {
                [AttributeNames.InvalidTraceContextReason] = reason,
            }));
        }
    }

    /// <summary>Refuses <c>"stream": true</c> on a route with no streaming handler.</summary>
    public static void RejectStreaming(LlmCall call)
    {
        if (call.Parameters.Stream)
        {
            throw new InvalidLlmRequestException(
                "This route does not stream responses: send \"stream\": false or leave it out.")
            {
                JsonPath = "$.stream",
            };
        }
    }

    /// <summary>Ends the <c>proxy_pre_call</c> span and makes the server span current again; returns null.</summary>
    public static Activity? EndSpan(Activity? preCall, Activity? server) => Spans.End(preCall, server);
}
