using System.Buffers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace TracedLlm.Pipeline;

/// <summary>Writes errors in the route's wire format, with no reflection.</summary>
internal static class ErrorResponses
{
    public static async Task WriteAsync(HttpContext httpContext, WireFormat format, FailurePath.Failure failure)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteBody(buffer, format, failure);

        var response = httpContext.Response;
        response.StatusCode = failure.StatusCode;
        if (httpContext.Features.Get<IHttpResponseFeature>() is { ReasonPhrase: not null } feature)
        {
            // The gateway's own status line: a reason an upstream's answer set (a relayed answer then blocked
            // or failed before it was sent) belongs to that answer, as its headers do.
            feature.ReasonPhrase = null;
        }

        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        if (failure.StatusCode == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }
        else if (failure.Code == RequestContentCoding.UnsupportedCode)
        {
            // RFC 9110, 15.5.16: a coding refused is answered with the codings that are accepted.
            response.Headers.AcceptEncoding = RequestContentCoding.Accepted;
        }

        // Not RequestAborted: the server's request timeout cancels it too, and that client is still
        // waiting for its 504. A client that is really gone makes the write fail, which is caught.
        await response.Body.WriteAsync(buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The error JSON of the wire format, for a response body or a stream's error event.</summary>
    public static void WriteBody(IBufferWriter<byte> buffer, WireFormat format, FailurePath.Failure failure)
    {
        using var writer = new Utf8JsonWriter(buffer);
        if (format == WireFormat.Anthropic)
        {
            WriteAnthropic(writer, failure);
        }
        else
        {
            WriteOpenAI(writer, failure);
        }
    }

    private static void WriteOpenAI(Utf8JsonWriter writer, in FailurePath.Failure failure)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", failure.Message);
        writer.WriteString("type", ErrorType(failure));
        writer.WriteNull("param");
        if (failure.Code is null)
        {
            writer.WriteNull("code");
        }
        else
        {
            writer.WriteString("code", failure.Code);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteAnthropic(Utf8JsonWriter writer, in FailurePath.Failure failure)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("error");
        writer.WriteString("type", failure.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => "request_too_large",
            StatusCodes.Status404NotFound => "not_found_error",
            _ => ErrorType(failure),
        });
        writer.WriteString("message", failure.Message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The error type both wire formats share for each kind of failure.</summary>
    private static string ErrorType(in FailurePath.Failure failure) => failure.Kind switch
    {
        GatewayErrorKind.InvalidRequest => "invalid_request_error",
        GatewayErrorKind.Authentication => "authentication_error",
        GatewayErrorKind.Permission => "permission_error",
        GatewayErrorKind.RateLimit => "rate_limit_error",
        GatewayErrorKind.Overloaded => "overloaded_error",
        GatewayErrorKind.Timeout => "timeout_error",
        _ => "api_error",
    };
}
