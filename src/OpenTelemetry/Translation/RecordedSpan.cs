using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// The facts of a TracedLlm span that every backend's translation reads, under the span contract's names
/// (docs/span-contract.md).
/// </summary>
/// <remarks>
/// What it is (the request's generation, a guardrail, another span), its model, usage, cost and parameters, its
/// content, and the trace's metadata and tags.
/// </remarks>
internal static class RecordedSpan
{
    public static readonly byte[] ObservationType = Utf8(AttributeNames.LangfuseObservationType);
    public static readonly byte[] ModelName = Utf8(AttributeNames.LangfuseObservationModelName);
    public static readonly byte[] RequestModel = Utf8(AttributeNames.GenAiRequestModel);
    public static readonly byte[] ResponseModel = Utf8(AttributeNames.GenAiResponseModel);
    public static readonly byte[] Provider = Utf8(AttributeNames.GenAiProviderName);
    public static readonly byte[] InputTokens = Utf8(AttributeNames.GenAiUsageInputTokens);
    public static readonly byte[] OutputTokens = Utf8(AttributeNames.GenAiUsageOutputTokens);
    public static readonly byte[] CacheReadTokens = Utf8(AttributeNames.GenAiUsageCacheReadInputTokens);
    public static readonly byte[] CacheCreationTokens = Utf8(AttributeNames.GenAiUsageCacheCreationInputTokens);
    public static readonly byte[] ReasoningTokens = Utf8(AttributeNames.GenAiUsageReasoningOutputTokens);
    public static readonly byte[] Cost = Utf8(AttributeNames.GenAiUsageCost);
    public static readonly byte[] Temperature = Utf8(AttributeNames.GenAiRequestTemperature);
    public static readonly byte[] TopP = Utf8(AttributeNames.GenAiRequestTopP);
    public static readonly byte[] MaxTokens = Utf8(AttributeNames.GenAiRequestMaxTokens);
    public static readonly byte[] Input = Utf8(AttributeNames.LangfuseObservationInput);
    public static readonly byte[] Output = Utf8(AttributeNames.LangfuseObservationOutput);
    public static readonly byte[] InputMessages = Utf8(AttributeNames.GenAiInputMessages);
    public static readonly byte[] OutputMessages = Utf8(AttributeNames.GenAiOutputMessages);
    public static readonly byte[] TraceName = Utf8(AttributeNames.LangfuseTraceName);
    public static readonly byte[] TraceTags = Utf8(AttributeNames.LangfuseTraceTags);
    public static readonly byte[] UserId = Utf8(AttributeNames.UserId);
    public static readonly byte[] SessionId = Utf8(AttributeNames.SessionId);
    public static readonly byte[] OpenInferenceKind = Utf8(AttributeNames.OpenInferenceSpanKind);
    public static readonly byte[] FinishReasons = Utf8(AttributeNames.GenAiResponseFinishReasons);

    /// <summary>
    /// The span's <c>langfuse.observation.type</c>: <c>generation</c>, <c>embedding</c>, <c>guardrail</c>, <c>span</c>;
    /// null for a span TracedLlm did not record.
    /// </summary>
    public static string? Type(SpanReading span) => span.String(ObservationType);

    /// <summary>The model the generation answered with, else the one asked for.</summary>
    public static string? Model(SpanReading span) =>
        span.String(ModelName) ?? span.String(ResponseModel) ?? span.String(RequestModel);

    /// <summary>Input plus output tokens, when both are known.</summary>
    public static long? TotalTokens(SpanReading span) =>
        span.Long(InputTokens) is { } input && span.Long(OutputTokens) is { } output ? input + output : null;

    /// <summary>
    /// The request parameters as a JSON object (<c>{"temperature":..,"top_p":..,"max_tokens":..}</c>), or null when
    /// none was given.
    /// </summary>
    public static string? Parameters(SpanReading span, string? model)
    {
        var temperature = span.Double(Temperature);
        var topP = span.Double(TopP);
        var maxTokens = span.Long(MaxTokens);
        if (temperature is null && topP is null && maxTokens is null && model is null)
        {
            return null;
        }

        return Json(writer =>
        {
            writer.WriteStartObject();
            if (model is not null)
            {
                writer.WriteString("model", model);
            }

            if (temperature is { } t)
            {
                writer.WriteNumber("temperature", t);
            }

            if (topP is { } p)
            {
                writer.WriteNumber("top_p", p);
            }

            if (maxTokens is { } m)
            {
                writer.WriteNumber("max_tokens", m);
            }

            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// The trace's and observation's metadata, by key (the prefix taken off): what Langfuse shows as
    /// metadata, the caller's <c>user_api_key_*</c> identity included. An observation key wins over a trace key.
    /// </summary>
    public static SortedDictionary<string, string> Metadata(SpanReading span)
    {
        var metadata = new SortedDictionary<string, string>(System.StringComparer.Ordinal);
        foreach (var (key, value) in span.WithPrefix(AttributeNames.LangfuseTraceMetadataPrefix))
        {
            metadata[key] = value;
        }

        foreach (var (key, value) in span.WithPrefix(AttributeNames.LangfuseObservationMetadataPrefix))
        {
            metadata[key] = value;
        }

        return metadata;
    }

    /// <summary>JSON written by <paramref name="write"/>, as a string.</summary>
    public static string Json(System.Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static byte[] Utf8(string name) => Encoding.UTF8.GetBytes(name);
}
