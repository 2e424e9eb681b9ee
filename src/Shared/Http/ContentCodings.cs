using System;
using System.IO;
using System.IO.Compression;
using Microsoft.Extensions.Primitives;

namespace TracedLlm;

/// <summary>
/// The content codings TracedLlm decodes: the ones .NET has decoders for, as ASP.NET Core's request decompression does.
/// </summary>
internal enum ContentCoding
{
    Identity,
    Gzip,
    Deflate,
    Brotli,
}

/// <summary>
/// How a <c>Content-Encoding</c> field reads: one coding TracedLlm decodes (or none), a coding it does not know, or
/// more than one.
/// </summary>
internal enum ContentCodingVerdict
{
    Decodable,
    Unknown,
    Stacked,
}

/// <summary>
/// The one reading of a <c>Content-Encoding</c> field, so that a request's body and a relayed response's are
/// decoded alike.
/// </summary>
/// <remarks>
/// A request's body is read by the runtime's <c>RequestContentCoding</c>, a relayed response's by the relay's
/// <c>ContentDecoder</c>. The field lists the codings in the order they were applied (RFC 9110, 8.4); <c>identity</c>
/// is the synonym for no coding at all (RFC 9110, 12.5.3, and the content-coding registry), so it is passed over
/// wherever it stands (<c>gzip, identity</c> is gzip, as is <c>identity, gzip</c>), as are empty members. <c>gzip</c>
/// and <c>x-gzip</c>, <c>deflate</c> (zlib-wrapped, as HTTP defines it) and <c>br</c> are known, in any case; any other
/// name is unknown, and two known codings are stacked. Compiled into both net10.0 packages from this one file
/// (src/Shared/Http: the generator and analyzers, netstandard2.0, compile only src/Shared/*.cs).
/// </remarks>
internal static class ContentCodings
{
    /// <summary>The most characters of an unknown coding's name kept for an error message.</summary>
    internal const int MaxShownName = 32;

    /// <summary>
    /// Reads <paramref name="contentEncoding"/>: <see cref="ContentCodingVerdict.Decodable"/> with the
    /// <paramref name="coding"/> (identity for none), or why it is not, with the first unknown name.
    /// </summary>
    public static ContentCodingVerdict Read(
        StringValues contentEncoding,
        out ContentCoding coding,
        out string? unknownName)
    {
        coding = ContentCoding.Identity;
        unknownName = null;
        foreach (var value in contentEncoding)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var range in value.AsSpan().Split(','))
            {
                var name = value.AsSpan()[range].Trim(" \t");
                if (name.IsEmpty || name.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (Known(name) is not { } next)
                {
                    // A client's token: kept only as long as an error message shows it (32 characters, then "…").
                    unknownName =
                        name.Length <= MaxShownName ? name.ToString() : string.Concat(name[..MaxShownName], "…");
                    return ContentCodingVerdict.Unknown;
                }

                if (coding != ContentCoding.Identity)
                {
                    return ContentCodingVerdict.Stacked;
                }

                coding = next;
            }
        }

        return ContentCodingVerdict.Decodable;
    }

    /// <summary>.NET's decoder of <paramref name="coding"/> (not identity) over <paramref name="encoded"/>.</summary>
    public static Stream Decoder(ContentCoding coding, Stream encoded, bool leaveOpen) => coding switch
    {
        ContentCoding.Gzip => new GZipStream(encoded, CompressionMode.Decompress, leaveOpen),
        ContentCoding.Deflate => new ZLibStream(encoded, CompressionMode.Decompress, leaveOpen),
        ContentCoding.Brotli => new BrotliStream(encoded, CompressionMode.Decompress, leaveOpen),
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "Identity has no decoder."),
    };

    /// <summary>The coding's name, as a <c>Content-Encoding</c> field says it.</summary>
    public static string Name(ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => "gzip",
        ContentCoding.Deflate => "deflate",
        ContentCoding.Brotli => "br",
        _ => "identity",
    };

    private static ContentCoding? Known(ReadOnlySpan<char> name) =>
        name.Equals("gzip", StringComparison.OrdinalIgnoreCase)
        || name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase)
            ? ContentCoding.Gzip
        : name.Equals("deflate", StringComparison.OrdinalIgnoreCase) ? ContentCoding.Deflate
        : name.Equals("br", StringComparison.OrdinalIgnoreCase) ? ContentCoding.Brotli
        : null;
}
