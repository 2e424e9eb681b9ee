using System;
using System.IO;
using System.IO.Compression;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

// OtlpResponses: a success's body, read within a bound, and the spans its partial_success rejected (protobuf or JSON).
internal static partial class OtlpResponses
{
    /// <summary>
    /// A success's body, read within <paramref name="timeout"/>: delivered, with the spans its <c>partial_success</c>
    /// rejected.
    /// </summary>
    /// <remarks>
    /// An OTLP/HTTP body is read as its <c>Content-Type</c> says, protobuf or JSON; a gRPC message after its frame,
    /// inflated when gzip. A body longer than <see cref="LongestAnswer"/> is refused, as the specification says; one
    /// that cannot be read or decoded leaves the batch delivered, as its status said.
    /// </remarks>
    public static async Task<SendOutcome> FromBodyAsync(
        HttpResponseMessage response,
        bool grpc,
        TimeSpan timeout,
        CancellationToken stop)
    {
        var type = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();
        var json = !grpc && type == "application/json";
        if (response.Content.Headers.ContentLength == 0
            || (!grpc && !json && type is not (null or "application/x-protobuf")))
        {
            return SendOutcome.Delivered;
        }

        try
        {
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(stop);
            reading.CancelAfter(timeout);
            var stream = await response.Content.ReadAsStreamAsync(reading.Token).ConfigureAwait(false);
            var body = await ReadBounded(stream, reading.Token).ConfigureAwait(false);
            if (grpc && body is not null)
            {
                // The frame: a compressed flag, then the message's length (big-endian). A frame that
                // does not add up, or another compression than gzip, is no partial success.
                var length =
                    body.Length >= 5
                        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1))
                        : uint.MaxValue;
                var message = length <= body.Length - 5 ? body.AsSpan(5, (int)length).ToArray() : [];
                body = message.Length == 0 ? []
                    : body[0] == 0 ? message
                    : body[0] == 1 && Header(response, "grpc-encoding") == "gzip"
                        ? await ReadBounded(
                                new GZipStream(new MemoryStream(message), CompressionMode.Decompress),
                                reading.Token)
                            .ConfigureAwait(false)
                    : [];
            }

            if (body is null)
            {
                return new SendOutcome(
                    SendResult.Refused,
                    null,
                    $"an answer of more than {LongestAnswer / (1024 * 1024)} MiB");
            }

            var (rejected, said) = PartialSuccess(body, json);
            return rejected > 0
                ? new SendOutcome(SendResult.Delivered, null, said ?? string.Empty, rejected)
                : SendOutcome.Delivered;
        }
        catch (Exception e)
            when (e is IOException or InvalidDataException or HttpRequestException or OperationCanceledException)
        {
            return SendOutcome.Delivered;
        }
    }

    /// <summary>
    /// An <c>ExportTraceServiceResponse</c>'s <c>partial_success</c>: the spans rejected (none when malformed) and the
    /// message.
    /// </summary>
    /// <remarks>
    /// In protobuf field 1 (<c>rejected_spans</c>, int64 field 1; <c>error_message</c>, field 2), or in OTLP/JSON
    /// <c>partialSuccess</c> with <c>rejectedSpans</c> (a string or a number) and <c>errorMessage</c>. The message has
    /// its control characters made spaces and is cut to <see cref="LongestMessage"/> (it goes into a log line).
    /// </remarks>
    internal static (long Rejected, string? Message) PartialSuccess(ReadOnlyMemory<byte> response, bool json)
    {
        long rejected = 0;
        string? message = null;
        try
        {
            if (json)
            {
                using var document = JsonDocument.Parse(response);
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("partialSuccess", out var partial)
                    && partial.ValueKind == JsonValueKind.Object)
                {
                    if (partial.TryGetProperty("rejectedSpans", out var spans))
                    {
                        rejected = spans.ValueKind switch
                        {
                            JsonValueKind.Number when spans.TryGetInt64(out var number) => number,
                            JsonValueKind.String
                                when long.TryParse(
                                    spans.GetString(),
                                    System.Globalization.NumberStyles.AllowLeadingSign,
                                    System.Globalization.CultureInfo.InvariantCulture,
                                    out var text) => text,
                            _ => 0,
                        };
                    }

                    message =
                        partial.TryGetProperty("errorMessage", out var said) && said.ValueKind == JsonValueKind.String
                            ? said.GetString()
                            : null;
                }
            }
            else
            {
                foreach (var (field, partial) in Fields(response))
                {
                    if (field != 1)
                    {
                        continue;
                    }

                    var varints = new System.Collections.Generic.List<(int Field, ulong Value)>();
                    foreach (var (partialField, content) in Fields(partial, varints))
                    {
                        if (partialField == 2)
                        {
                            message = System.Text.Encoding.UTF8.GetString(content.Span);
                        }
                    }

                    foreach (var (partialField, value) in varints)
                    {
                        if (partialField == 1)
                        {
                            rejected = (long)value;
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return (0, null);
        }

        return (Math.Max(0, rejected), message is { Length: > 0 } ? Bound(message) : null);
    }

    // A body, or null when it is longer than the limit.
    private static async Task<byte[]?> ReadBounded(Stream stream, CancellationToken cancel)
    {
        await using (stream.ConfigureAwait(false))
        {
            using var body = new MemoryStream();
            var chunk = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > LongestAnswer)
                {
                    return null;
                }

                body.Write(chunk, 0, read);
            }

            return body.ToArray();
        }
    }
}
