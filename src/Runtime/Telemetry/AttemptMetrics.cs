using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TracedLlm.Telemetry;

/// <summary>
/// The GenAI conventions' client metrics of <see cref="SemanticConventionMode.GenAiLatestExperimental"/>, one record
/// per upstream attempt (the gateway is the client of each attempt's provider).
/// </summary>
/// <remarks>
/// <c>gen_ai.client.operation.duration</c> (with <c>error.type</c> when the attempt failed),
/// <c>gen_ai.client.token.usage</c> (the usage the attempt reported), and
/// <c>gen_ai.client.operation.time_to_first_chunk</c> from the answering attempt's send to the stream's first chunk.
/// Dimensions are the attempt's target (provider, model, server address and port), bounded as
/// <see cref="GatewayMetrics"/> bounds its own. The default mode records none of these.
/// </remarks>
internal static class AttemptMetrics
{
    private static readonly BoundedValues ServerAddresses = new(64, GatewayMetrics.OtherModel);

    /// <summary>
    /// <c>gen_ai.client.operation.duration</c>: each attempt, in seconds, with the conventions' bucket advice.
    /// </summary>
    public static Histogram<double> OperationDuration { get; } = TracedLlmTelemetry.Meter.CreateHistogram(
        "gen_ai.client.operation.duration", "s", "GenAI operation duration, per upstream attempt.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = GatewayMetrics.RequestDurationBuckets });

    /// <summary>
    /// <c>gen_ai.client.operation.time_to_first_chunk</c>: from the answering attempt's send to the first streamed
    /// chunk, in seconds.
    /// </summary>
    public static Histogram<double> TimeToFirstChunk { get; } =
        TracedLlmTelemetry.Meter.CreateHistogram(
            "gen_ai.client.operation.time_to_first_chunk",
            "s",
            "Time from sending the upstream request to the first streamed chunk.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = GatewayMetrics.RequestDurationBuckets });

    /// <summary>True when the call's mode records these metrics.</summary>
    public static bool Records(LlmCall call) =>
        call.Gateway.Options.SemanticConventions == SemanticConventionMode.GenAiLatestExperimental;

    /// <summary>
    /// Records an ended attempt's duration (from its start to its end); <paramref name="errorType"/> when it did not
    /// succeed.
    /// </summary>
    public static void RecordEnded(LlmAttempt attempt, long startTimestamp, long endTimestamp, string? errorType)
    {
        if (!OperationDuration.Enabled)
        {
            return;
        }

        var tags = Tags(attempt);
        if (errorType is not null)
        {
            tags.Add(AttributeNames.ErrorType, GatewayMetrics.ErrorTypes.Bound(errorType));
        }

        OperationDuration.Record(Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).TotalSeconds, tags);
    }

    /// <summary>Records the usage an attempt reported, by <c>gen_ai.token.type</c>.</summary>
    public static void RecordUsage(LlmAttempt attempt, long? inputTokens, long? outputTokens)
    {
        var histogram = GatewayMetrics.TokenUsage;
        if (!histogram.Enabled || (inputTokens is null && outputTokens is null))
        {
            return;
        }

        var tags = Tags(attempt);
        if (inputTokens is { } input)
        {
            var typed = tags;
            typed.Add("gen_ai.token.type", "input");
            histogram.Record(input, typed);
        }

        if (outputTokens is { } output)
        {
            tags.Add("gen_ai.token.type", "output");
            histogram.Record(output, tags);
        }
    }

    /// <summary>
    /// The time to first chunk, from the answering attempt's send or, when no attempt marked one, from the stream's
    /// start; null when nothing streamed.
    /// </summary>
    /// <remarks>
    /// An attempt's send is when its <c>traceparent</c> was applied to the upstream request, just before it goes.
    /// </remarks>
    public static double? TimeToFirstChunkOf(LlmCall call)
    {
        if (call.FirstChunkTimestamp == 0)
        {
            return null;
        }

        var sent =
            call.UpstreamSentTimestamp != 0 && call.UpstreamSentTimestamp <= call.FirstChunkTimestamp
                ? call.UpstreamSentTimestamp
                : call.StreamStartTimestamp;
        return Stopwatch.GetElapsedTime(sent, call.FirstChunkTimestamp).TotalSeconds;
    }

    /// <summary>
    /// Records the call's time to first chunk, when it streamed, with the request instruments' dimensions.
    /// </summary>
    public static void RecordTimeToFirstChunk(LlmCall call, TagList tags)
    {
        if (TimeToFirstChunk.Enabled && TimeToFirstChunkOf(call) is { } seconds)
        {
            TimeToFirstChunk.Record(seconds, tags);
        }
    }

    /// <summary>The attempt's target as dimensions: operation, provider, model, server address and port.</summary>
    private static TagList Tags(LlmAttempt attempt)
    {
        var call = attempt.Call;
        var target = attempt.Target;
        var tags = new TagList
        {
            { AttributeNames.GenAiOperationName, call.Route.Operation },
            { AttributeNames.GenAiProviderName, GatewayMetrics.ProviderNames.Bound(target.Provider) },
            { AttributeNames.GenAiRequestModel, GatewayMetrics.BoundDimensionModel(call, target.Model) },
        };

        if (target.Endpoint is { IsAbsoluteUri: true } endpoint)
        {
            tags.Add(AttributeNames.ServerAddress, ServerAddresses.Bound(LlmTarget.ServerAddress(endpoint)));
            if (endpoint.Port >= 0)
            {
                tags.Add(AttributeNames.ServerPort, endpoint.Port);
            }
        }

        return tags;
    }
}
