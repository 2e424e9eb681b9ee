using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>One span as the third-party decoder in the receiver saw it.</summary>
public sealed record ExportedSpan(
    string Service,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    string Kind,
    IReadOnlyDictionary<string, JsonElement> Attributes,
    IReadOnlyList<string> Events,
    int StatusCode)
{
    /// <summary>Start, nanoseconds since the Unix epoch.</summary>
    public long StartTimeUnixNano { get; init; }

    /// <summary>End, nanoseconds since the Unix epoch.</summary>
    public long EndTimeUnixNano { get; init; }

    /// <summary>The span's events with their attributes, in order.</summary>
    public IReadOnlyList<(
        string Name,
        IReadOnlyDictionary<string, JsonElement> Attributes
    )> EventDetails { get; init; } = [];

    /// <summary>The resource's attributes.</summary>
    public IReadOnlyDictionary<string, JsonElement> Resource { get; init; } = new Dictionary<string, JsonElement>();

    public string? Text(string key) =>
        Attributes.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public double? Number(string key) =>
        Attributes.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : null;

    public static ExportedSpan From(JsonElement span) =>
        new(
            span.GetProperty("service").GetString()!,
            span.GetProperty("traceId").GetString()!,
            span.GetProperty("spanId").GetString()!,
            span.GetProperty("parentSpanId").GetString()!,
            span.GetProperty("name").GetString()!,
            span.GetProperty("kind").GetString()!,
            Map(span.GetProperty("attributes")),
            span.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList(),
            span.GetProperty("status").GetProperty("code").GetInt32())
        {
            StartTimeUnixNano = span.TryGetProperty("startTimeUnixNano", out var start)
                ? long.Parse(start.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                : 0,
            EndTimeUnixNano = span.TryGetProperty("endTimeUnixNano", out var end)
                ? long.Parse(end.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                : 0,
            EventDetails = span.GetProperty("events")
                .EnumerateArray()
                .Select(e => (e.GetProperty("name").GetString()!, Map(e.GetProperty("attributes"))))
                .ToList(),
            Resource = span.TryGetProperty("resource", out var resource)
                ? Map(resource)
                : new Dictionary<string, JsonElement>(),
        };

    private static IReadOnlyDictionary<string, JsonElement> Map(JsonElement attributes) =>
        attributes.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
}

/// <summary>One export request the receiver got: where it was sent, its headers, its spans.</summary>
public sealed record ExportRequest(
    string Path,
    string? Authorization,
    string? IngestionVersion,
    string? ContentType,
    string? Error,
    IReadOnlyList<ExportedSpan> Spans)
{
    public static ExportRequest? TryParse(string line)
    {
        if (!line.StartsWith("{\"method\"", System.StringComparison.Ordinal))
        {
            return null;
        }

        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var headers = root.GetProperty("headers");
        return new ExportRequest(
            root.GetProperty("path").GetString()!,
            headers.GetProperty("authorization").GetString(),
            headers.GetProperty("x-langfuse-ingestion-version").GetString(),
            headers.GetProperty("content-type").GetString(),
            root.GetProperty("error").GetString(),
            root.GetProperty("spans").EnumerateArray().Select(ExportedSpan.From).ToList());
    }
}
