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
    public string? Text(string key) => Attributes.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public double? Number(string key) => Attributes.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    public static ExportedSpan From(JsonElement span) => new(
        span.GetProperty("service").GetString()!,
        span.GetProperty("traceId").GetString()!,
        span.GetProperty("spanId").GetString()!,
        span.GetProperty("parentSpanId").GetString()!,
        span.GetProperty("name").GetString()!,
        span.GetProperty("kind").GetString()!,
        span.GetProperty("attributes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
        span.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList(),
        span.GetProperty("status").GetProperty("code").GetInt32());
}

/// <summary>One export request the receiver got: where it was sent, its headers, its spans.</summary>
public sealed record ExportRequest(string Path, string? Authorization, string? IngestionVersion, string? ContentType, string? Error, IReadOnlyList<ExportedSpan> Spans)
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
