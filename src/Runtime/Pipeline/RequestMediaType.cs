using System;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace TracedLlm.Pipeline;

/// <summary>
/// A request body's media type. Every traced route reads its body as JSON (the metadata slot is in
/// it), so a body sent as JSON (<c>application/json</c>, or a type with the <c>+json</c> suffix, as
/// <see cref="HttpRequestJsonExtensions.HasJsonContentType(HttpRequest)"/> reads it, with no charset
/// or <c>charset=utf-8</c>) or with no <c>Content-Type</c> at all is read; a body that says it is something else
/// (<c>curl -d</c>'s <c>application/x-www-form-urlencoded</c>, <c>text/plain</c>) is refused with 415
/// in the route's format, before it is read. The route's endpoint declares no content type to routing
/// (<see cref="OpenApi.TracedRouteMetadata"/>): routing's own check would answer 415 with an empty
/// body, outside the route's format and its trace.
/// </summary>
internal static class RequestMediaType
{
    /// <summary>The OpenAI <c>code</c> of a refused media type.</summary>
    public const string UnsupportedCode = "unsupported_media_type";

    /// <summary>Throws 415 unless the body is sent as UTF-8 JSON or says nothing of its type.</summary>
    public static void Check(HttpRequest request)
    {
        var contentType = request.ContentType;
        // The two labels clients send (HttpClient's StringContent sends the second): no parse on the request path.
        if (string.IsNullOrEmpty(contentType)
            || string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase)
            || string.Equals(contentType, "application/json; charset=utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (!request.HasJsonContentType())
        {
            throw Unsupported(
                "The request body must be JSON: send it with Content-Type: application/json (it was sent as "
                + $"'{Shown(contentType)}').");
        }

        // JSON is UTF-8 (RFC 8259, 8.1) and the gateway reads it so. A body labelled with another charset
        // would be read one way here and perhaps another by an upstream that honours the label, which the
        // relay passes on with the body: one reading of every request, so it is refused, not guessed at.
        if (contentType.Contains("charset", StringComparison.OrdinalIgnoreCase)
            && MediaTypeHeaderValue.TryParse(contentType, out var media)
            && media.Charset.Value?.Trim('"') is { } charset
            && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw Unsupported(
                "The request body must be UTF-8 JSON: send it without a charset or with charset=utf-8 (it was sent as "
                + $"charset '{Shown(charset)}').");
        }
    }

    private static InvalidLlmRequestException Unsupported(string message) =>
        new(message, statusCode: StatusCodes.Status415UnsupportedMediaType, code: UnsupportedCode);

    // Long enough for any registered media type a client would send by mistake (the form type has 33 characters).
    private const int MaxShown = 64;

    // The media type alone, without its parameters, and bounded: it is the client's text.
    private static string Shown(string contentType)
    {
        var type = contentType.AsSpan();
        var parameters = type.IndexOf(';');
        if (parameters >= 0)
        {
            type = type[..parameters];
        }

        type = type.Trim();
        return type.Length <= MaxShown ? type.ToString() : string.Concat(type[..MaxShown], "…");
    }
}
