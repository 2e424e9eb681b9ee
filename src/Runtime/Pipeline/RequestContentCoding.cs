using System;
using System.Buffers;
using System.IO;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace TracedLlm.Pipeline;

/// <summary>
/// A request body's <c>Content-Encoding</c>, read as <see cref="ContentCodings"/> reads it for the
/// relay too (<c>identity</c> passed over wherever it stands). A body is read as what it says it is, never as identity
/// when it says otherwise: <c>gzip</c> (<c>x-gzip</c>), <c>deflate</c> (zlib, as HTTP defines it) and
/// <c>br</c> are decoded with .NET's own decoders (the codings ASP.NET Core's request decompression
/// middleware decodes), and the decoded size is bounded by <see cref="TracedLlmOptions.MaxRequestBodyBytes"/>
/// as it is produced: a decompression bomb is refused with 413 once the limit is passed, having
/// held no more than the limit. Any other coding (<c>zstd</c>, <c>compress</c>, unknown names),
/// or more than one, is refused with 415 and <c>Accept-Encoding</c> naming what is accepted (RFC
/// 9110, 15.5.16). The middleware is not used: it passes a coding it does not know through as
/// identity, and bounds the decoded size by the server's limit, not the route's. An application
/// that runs it anyway still works: it removes the header once it has decoded the body.
/// </summary>
internal static class RequestContentCoding
{
    /// <summary>What a 415 answer's <c>Accept-Encoding</c> says.</summary>
    public const string Accepted = "gzip, deflate, br";

    /// <summary>The OpenAI <c>code</c> of a refused coding.</summary>
    public const string UnsupportedCode = "unsupported_content_encoding";

    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// The body's coding (<see cref="ContentCodings.Read"/>); throws 415 for a coding the gateway cannot decode.
    /// </summary>
    public static ContentCoding Of(StringValues contentEncoding) =>
        ContentCodings.Read(contentEncoding, out var coding, out var unknown) switch
        {
            ContentCodingVerdict.Decodable => coding,
            ContentCodingVerdict.Unknown =>
                throw Unsupported($"the content coding '{Shown(unknown!)}' is not one this gateway decodes"),
            _ => throw Unsupported("the body is encoded more than once"),
        };

    /// <summary>
    /// The decoded body. Throws 413 once the decoded bytes pass <paramref name="limit"/> (memory
    /// never holds more than the limit and one chunk), 400 when the data is not valid for its coding.
    /// </summary>
    public static byte[] Decode(ReadOnlyMemory<byte> encoded, ContentCoding coding, int limit)
    {
        var input = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(encoded, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(encoded.ToArray(), writable: false);
        using var decoder = ContentCodings.Decoder(coding, input, leaveOpen: false);

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(ChunkBytes, limit + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        throw TooLarge();
                    }

                    // Grows to one byte past the limit at most: that byte is the proof the limit was passed.
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)length * 2, (long)limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = decoder.Read(buffer, length, Math.Min(buffer.Length, limit + 1) - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    throw TooLarge();
                }
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        catch (InvalidDataException invalid)
        {
            throw new InvalidLlmRequestException(
                $"The request body could not be decoded: it is not valid {ContentCodings.Name(coding)} data.", invalid);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static InvalidLlmRequestException TooLarge() =>
        new("The request body, decoded, is larger than this gateway accepts.",
            statusCode: StatusCodes.Status413PayloadTooLarge);

    private static InvalidLlmRequestException Unsupported(string why) =>
        new($"The request body cannot be read: {why}. Send it uncompressed, or with one of {Accepted}.",
            statusCode: StatusCodes.Status415UnsupportedMediaType,
            code: UnsupportedCode);

    private static string Shown(string name) =>
        name.Length <= 32 ? name : string.Concat(name.AsSpan(0, 32), "…");
}
