using System;
using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Unicode;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>The request stage: the body, read once, the trust boundary and the server span.</summary>
/// <remarks>
/// The trust boundary is what a caller may bring into a trace. The server span (<c>Received Proxy Server Request</c>)
/// is started here, given its attributes and the request's trace-level ones, and ended, recording the request's
/// metrics. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class RequestStage
{
    private static readonly ActivitySource Source = TracedLlmTelemetry.Source;

    /// <summary>
    /// Reads the whole body, up to the configured limit, decoded as its <c>Content-Encoding</c> says
    /// (<see cref="RequestContentCoding"/>), once its <c>Content-Type</c> says JSON or nothing
    /// (<see cref="RequestMediaType"/>). A body that ends because its client left is thrown as a
    /// <see cref="ConnectionAbortedException"/> (see <see cref="LeftWhileSending"/>).
    /// </summary>
    public static ValueTask<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext httpContext, TracedLlmGateway gateway) =>
        ReadBodyAsync(httpContext, gateway, checkText: true);

    /// <summary>
    /// Reads the whole body; with <paramref name="checkText"/> false its text is left to <see cref="CheckText"/>.
    /// </summary>
    internal static async ValueTask<ReadOnlyMemory<byte>> ReadBodyAsync(
        HttpContext httpContext, TracedLlmGateway gateway, bool checkText)
    {
        var limit = gateway.Options.MaxRequestBodyBytes;
        var request = httpContext.Request;

        // The route's limit is the server's for this request, as [RequestSizeLimit] makes an endpoint's:
        // Kestrel's own (MaxRequestBodySize, 30,000,000 bytes by default) refused a larger body the
        // options accept before it could be read. Set here, not as endpoint metadata: routing warns on
        // every request of a server without the feature (TestServer). Read-only once a body read began.
        if (httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } serverLimit)
        {
            serverLimit.MaxRequestBodySize = limit;
        }

        RequestMediaType.Check(request);
        var coding = RequestContentCoding.Of(request.Headers.ContentEncoding);
        if (request.ContentLength > limit)
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        var reader = request.BodyReader;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(httpContext.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception exception) when (LeftWhileSending(request, exception))
            {
                // The connection goes with its client now (Kestrel would otherwise try to drain the
                // rest of a body that is not coming, and log an error for it).
                httpContext.Abort();
                throw new ConnectionAbortedException(
                    "The client closed the connection before its request body ended.", exception);
            }

            if (read.Buffer.Length > limit)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                var body = read.Buffer.IsEmpty ? ReadOnlyMemory<byte>.Empty : read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);
                if (coding != ContentCoding.Identity && !body.IsEmpty)
                {
                    body = RequestContentCoding.Decode(body, coding, limit);
                }

                if (checkText)
                {
                    CheckText(body);
                }

                return body;
            }

            // Not consumed: ask for more until the body is complete.
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>Refuses a body that is not UTF-8 JSON text, once, rather than wherever a string is read.</summary>
    internal static void CheckText(ReadOnlyMemory<byte> body)
    {
        // JSON is UTF-8 (RFC 8259).
        if (!Utf8.IsValid(body.Span))
        {
            throw new InvalidLlmRequestException("The request body is not valid UTF-8 JSON.")
            {
                NotReadable = true,
                UnreadBody = body,
            };
        }

        // Nor can an escaped lone surrogate ("\ud800") become text.
        if (JsonText.IndexOfLoneSurrogateEscape(body.Span) is var at and >= 0)
        {
            throw new InvalidLlmRequestException(
                $"The request body is not valid JSON text: the escape at byte {at} is half of a UTF-16 surrogate pair "
                + "(\\ud800-\\udfff need their other half).")
            {
                NotReadable = true,
                UnreadBody = body,
            };
        }
    }

    /// <summary>True when a body read failed because the client went away.</summary>
    /// <remarks>
    /// Its connection was reset (<see cref="ConnectionResetException"/>), or it closed before the <c>Content-Length</c>
    /// it declared (such a body has no framing to break, so Kestrel's 400 there says only that). Kestrel closes the
    /// response as it throws, but cancels <see cref="HttpContext.RequestAborted"/> a moment later, from the thread
    /// pool: the failure path, which can run first, knows the client left from this exception instead (it was a 400
    /// "invalid framing" then). A chunked body cut short is not told apart from broken chunk framing (Kestrel says 400
    /// for both) and is a 400 unless the request token was cancelled by then.
    /// </remarks>
    private static bool LeftWhileSending(HttpRequest request, Exception exception) => exception switch
    {
        ConnectionResetException => true,
        BadHttpRequestException bad =>
            bad.StatusCode == StatusCodes.Status400BadRequest && request.ContentLength is not null,

        // Any other IOException is Kestrel's verdict on the framing (an overflowing chunk size, say).
        _ => false,
    };

    /// <summary>
    /// Creates the request's <see cref="LlmCall"/>; <paramref name="startTimestamp"/> is
    /// <see cref="Stopwatch.GetTimestamp"/> at the request's start.
    /// </summary>
    public static LlmCall CreateCall(
        HttpContext httpContext,
        TracedRouteInfo route,
        RequestEnvelope envelope,
        TracedLlmGateway gateway,
        long startTimestamp) =>
        new(httpContext, route, envelope, gateway, startTimestamp);

    private static readonly object BoxedTrue = true;

    /// <summary>
    /// Starts the server span once the caller's authentication is known. A trusted caller's span
    /// joins its context (metadata ids, then <c>traceparent</c>, then none) and records its trace
    /// attributes; an unauthenticated caller's span is a new root with the route only, no link and
    /// no event, so nothing it chose reaches a trace. Never the ambient activity as parent; an
    /// ASP.NET Core request span that a listener records (the instrumentation) is its parent where
    /// the join leads there (the server span is then Internal), and a link where it does not
    /// (<see cref="ServerSpanPlacement"/>).
    /// <paramref name="ambient"/> is <see cref="Activity.Current"/> as the request found it.
    /// </summary>
    public static Activity? StartSpan(LlmCall call, Activity? ambient)
    {
        // Nobody listens: no span can start, so there is no trace to join either.
        if (!Source.HasListeners())
        {
            return null;
        }

        var options = call.Gateway.Options;
        var trusted = call.Trust != CallerTrust.Unauthenticated;
        var join = default(TraceJoin);
        if (call.Trust == CallerTrust.Authenticated
            || (call.Trust == CallerTrust.Open && !options.RequireAuthenticationToJoinTrace))
        {
            StringValues traceParent = default, traceState = default;
            if (!options.IgnoreContextPropagation)
            {
                var headers = call.HttpContext.Request.Headers;
                traceParent = headers.TraceParent;
                traceState = traceParent.Count > 0 ? headers.TraceState : default;
            }

            join = TraceJoin.Resolve(call.Metadata, traceParent, traceState, options.IgnoreContextPropagation);
            call.CallerContext = join.Parent;
        }

        // No implicit parent: the joined context, or a recorded ASP.NET Core request span the join
        // agrees with, is the only parent the server span can get (ServerSpanPlacement).
        var placement = ServerSpanPlacement.Of(ambient, join, trusted);
        if (ambient is not null)
        {
            Activity.Current = null;
        }

        var source = call.Gateway.Options.SemanticConventions == SemanticConventionMode.Default
            ? Source
            : TracedLlmTelemetry.LatestExperimentalSource;
        var server =
            source.StartActivity(SpanNames.Server, placement.Kind, placement.Parent, tags: null, placement.Links);
        if (server is not null)
        {
            placement.LinkBack?.AddLink(new ActivityLink(server.Context));

            // The request started before its body was read, its caller authenticated and its trace
            // joined: move the start back by the time since then, from the clock reading the span started with.
            server.SetStartTime(server.StartTimeUtc - Stopwatch.GetElapsedTime(call.StartTimestamp));
        }

        call.ServerSpan = server;
        if (server is { IsAllDataRequested: true })
        {
            AddServerAttributes(server, call, join, options.FoldedDefaultEnvironment);
            if (trusted)
            {
                join.RecordEvents(server);
            }
        }

        return server;
    }

    /// <summary>
    /// Ends the server span and records the response status and the request's metrics. The caller's
    /// ambient activity needs no restoring: an async method's caller keeps its own execution
    /// context, so <see cref="Activity.Current"/> as set inside the pipeline never reaches it.
    /// </summary>
    public static void EndSpan(Activity? server, LlmCall call)
    {
        if (FailurePath.LeftToHost(call))
        {
            // An exception left to the host: the request's record and end wait for the host's answer.
            return;
        }

        // The request's cost, once, before the server span ends (whoever sees the trace ended finds it counted).
        if (call.UsageCost is { } cost && GatewayMetrics.Cost.Enabled)
        {
            GatewayMetrics.RecordCost(call, cost);
        }

        if (server is not null)
        {
            // The failure path records the status it answered with; a success records it here.
            if (server.IsAllDataRequested && call.Failure is null)
            {
                server.SetTag(AttributeNames.HttpResponseStatusCode, call.HttpContext.Response.StatusCode);
            }

            server.Stop();
        }

        // A caller that asked not to be sampled still gets its failures recorded: in a trace of their own, linked to
        // it.
        if (call.Failure is { } failure && server is not { Recorded: true } && call.CallerContext != default)
        {
            FailurePath.RecordUnsampled(call, failure);
        }

        call.EndRequest();
        if (GatewayMetrics.AnyEnabled)
        {
            var (timeToFirstToken, timePerOutputToken) = StreamStage.Timings(call);
            GatewayMetrics.RecordRequest(
                call,
                call.Failure?.StatusCode ?? call.HttpContext.Response.StatusCode,
                call.Failure?.ErrorType,
                timeToFirstToken,
                timePerOutputToken);
        }
    }
}
