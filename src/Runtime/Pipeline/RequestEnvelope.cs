using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Pipeline;

/// <summary>The request body as the route's generated reader saw it.</summary>
/// <remarks>
/// The metadata of the route's slot, the body to forward upstream (the slot removed, a provider-native <c>metadata</c>
/// kept), and the top-level request parameters recorded on the LLM span. A body that could not be read or parsed is
/// kept as its error, which the pipeline raises inside <c>proxy_pre_call</c>. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class RequestEnvelope
{
    internal RequestEnvelope(
        ReadOnlyMemory<byte> body,
        ReadOnlyMemory<byte> upstreamBody,
        LlmMetadata metadata,
        in EnvelopeParameters parameters,
        Exception? error)
    {
        Body = body;
        UpstreamBody = upstreamBody;
        Metadata = metadata;
        Parameters = parameters;
        Error = error;
    }

    /// <summary>The body as received.</summary>
    internal ReadOnlyMemory<byte> Body { get; }

    /// <summary>The body without the route's metadata slot.</summary>
    internal ReadOnlyMemory<byte> UpstreamBody { get; }

    /// <summary>The metadata of the route's slot.</summary>
    internal LlmMetadata Metadata { get; }

    /// <summary>The top-level request parameters.</summary>
    internal EnvelopeParameters Parameters { get; }

    /// <summary>Why the body could not be read or parsed, or null.</summary>
    internal Exception? Error { get; }

    /// <summary>The envelope of an empty body: no metadata, nothing to forward.</summary>
    public static RequestEnvelope Empty { get; } =
        new(ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, LlmMetadata.Empty, default, error: null);

    /// <summary>
    /// An envelope for a body that could not be read. A body read whole that is no JSON object the pipeline can
    /// read (cut off, not JSON, not UTF-8) is kept as it came, for a handler that reads the body itself.
    /// </summary>
    public static RequestEnvelope FromReadFailure(Exception error) =>
        error is InvalidLlmRequestException { NotReadable: true, UnreadBody: var body }
            ? new(body, body, LlmMetadata.Empty, default, error)
            : new(ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, LlmMetadata.Empty, default, error);

    /// <summary>
    /// Why the pipeline could not read the body, when it is no JSON object it can read (cut off, not JSON, not UTF-8).
    /// </summary>
    /// <remarks>
    /// <see cref="Body"/> and <see cref="UpstreamBody"/> are then the bytes as they came. Null otherwise.
    /// </remarks>
    internal InvalidLlmRequestException? Unread =>
        Error is InvalidLlmRequestException { NotReadable: true } unread ? unread : null;

    /// <summary>Raises the body's error, translated into the client error it is.</summary>
    internal void ThrowIfInvalid()
    {
        switch (Error)
        {
            case null:
                return;
            case JsonException json:
                // The route's reader says where in the client's terms (JsonSyntax); this is only a fallback,
                // and the reader's own message describes the parser, not the request.
                throw new InvalidLlmRequestException(
                    json.LineNumber is { } line && json.BytePositionInLine is { } column
                        ? $"The request body is not valid JSON (line {line + 1}, column {column + 1})."
                        : "The request body is not valid JSON.",
                    json);
            case InvalidOperationException or ArgumentException or DecoderFallbackException:
                // The body is valid UTF-8 (checked when read), but Utf8JsonReader.GetString() still
                // throws these for text it cannot transcode, such as an escaped lone surrogate.
                throw new InvalidLlmRequestException("The request body is not valid UTF-8 JSON.", Error);
            case BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge:
                throw new InvalidLlmRequestException(
                    "The request body is larger than this gateway accepts.", bad, StatusCodes.Status413PayloadTooLarge);
            case BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } stalled:
                // Kestrel's minimum request body data rate: the client stalled while sending its body.
                throw new InvalidLlmRequestException(
                    "The request body did not arrive in time.",
                    stalled,
                    StatusCodes.Status408RequestTimeout,
                    "request_body_timeout");
            case BadHttpRequestException or IOException:
                // Kestrel's own verdict on the framing (a chunk size that overflows, a bad chunk): the
                // client's mistake, answered in the route's format. A client that went away is told
                // apart by the failure path (499), not here.
                throw new InvalidLlmRequestException(
                    "The request body could not be read: its HTTP framing is invalid.", Error);
            default:
                ExceptionDispatchInfo.Throw(Error);
                return;
        }
    }
}
