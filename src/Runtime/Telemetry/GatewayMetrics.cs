using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TracedLlm.Telemetry;

/// <summary>
/// The gateway's GenAI metrics on the <c>TracedLlm.Gateway</c> meter. Dimensions are bounded: model
/// names come from clients, so only the first <see cref="MaxModelNames"/> distinct ones of at most
/// 128 characters, holding no credential, are kept and the
/// rest are recorded as <c>_OTHER</c>; provider names and error types are bounded the same way. An
/// unauthenticated request records no value its caller chose (its model is <c>unknown</c>).
/// </summary>
internal static class GatewayMetrics
{
    /// <summary>How many distinct model names the metrics keep.</summary>
    public const int MaxModelNames = 100;

    /// <summary>The value recorded for a model name past the limit.</summary>
    public const string OtherModel = "_OTHER";

    private static readonly BoundedValues ModelNames = new(MaxModelNames, OtherModel);

    // Handlers name providers and throw exception types: bounded as well, in case either echoes a client
    // (one bound per dimension on this meter: the per-attempt metrics share them).
    internal static readonly BoundedValues ProviderNames = new(32, OtherModel);
    internal static readonly BoundedValues ErrorTypes = new(64, OtherModel, maxLength: 256);

    /// <summary>
    /// The GenAI conventions' bucket boundaries for <c>gen_ai.client.token.usage</c>: powers of four, 1 to
    /// 4<sup>13</sup>.
    /// </summary>
    internal static readonly long[] TokenUsageBuckets =
        [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>
    /// The conventions' boundaries for <c>gen_ai.server.request.duration</c> (and the client operation duration): 10 ms
    /// doubling to 81.92 s.
    /// </summary>
    internal static readonly double[] RequestDurationBuckets =
        [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>The conventions' boundaries for <c>gen_ai.server.time_to_first_token</c>, in seconds.</summary>
    internal static readonly double[] TimeToFirstTokenBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    /// <summary>The conventions' boundaries for <c>gen_ai.server.time_per_output_token</c>, in seconds.</summary>
    internal static readonly double[] TimePerOutputTokenBuckets =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

    /// <summary><c>gen_ai.client.token.usage</c>: input and output tokens per request.</summary>
    public static Histogram<long> TokenUsage { get; } = TracedLlmTelemetry.Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Tokens used per request, by gen_ai.token.type.", tags: null,
        new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenUsageBuckets });

    /// <summary><c>gen_ai.server.request.duration</c>: the whole request, in seconds.</summary>
    public static Histogram<double> RequestDuration { get; } = TracedLlmTelemetry.Meter.CreateHistogram(
        "gen_ai.server.request.duration", "s", "Duration of traced gateway requests.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = RequestDurationBuckets });

    /// <summary>
    /// <c>gen_ai.server.time_to_first_token</c>: from the LLM call's start to the first streamed chunk, in seconds.
    /// </summary>
    public static Histogram<double> TimeToFirstToken { get; } = TracedLlmTelemetry.Meter.CreateHistogram(
        "gen_ai.server.time_to_first_token", "s", "Time to the first streamed chunk.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeToFirstTokenBuckets });

    /// <summary>
    /// <c>gen_ai.server.time_per_output_token</c>: after the first chunk, per further output token, in seconds.
    /// </summary>
    public static Histogram<double> TimePerOutputToken { get; } = TracedLlmTelemetry.Meter.CreateHistogram(
        "gen_ai.server.time_per_output_token", "s", "Time per output token after the first.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = TimePerOutputTokenBuckets });

    /// <summary>
    /// <c>tracedllm.usage.cost</c>: the cost of priced generations, in US dollars, from the configured
    /// price table (<see cref="TracedLlmOptions.Pricing"/>); the GenAI conventions define no cost metric.
    /// </summary>
    public static Counter<double> Cost { get; } = TracedLlmTelemetry.Meter.CreateCounter<double>(
        "tracedllm.usage.cost", "{USD}", "Cost of priced generations, from the configured price table.");

    /// <summary>
    /// <c>tracedllm.coverage.unattempted_requests</c>: model requests sent inside a traced request but
    /// outside every upstream attempt (<see cref="OutboundCoverage"/>), by <c>server.address</c> (the first
    /// <see cref="MaxUnattemptedHosts"/> distinct hosts, the rest <c>_OTHER</c>) and <c>gen_ai.operation.name</c>.
    /// </summary>
    public static Counter<long> UnattemptedRequests { get; } = TracedLlmTelemetry.Meter.CreateCounter<long>(
        "tracedllm.coverage.unattempted_requests",
        "{request}",
        "Model requests sent inside a traced request but outside every upstream attempt.");

    /// <summary>How many distinct hosts <see cref="UnattemptedRequests"/> keeps.</summary>
    public const int MaxUnattemptedHosts = 32;

    private static readonly BoundedValues UnattemptedHosts = new(MaxUnattemptedHosts, OtherModel);

    /// <summary>Counts one model request sent outside every attempt.</summary>
    internal static void RecordUnattempted(string host, string operation) =>
        UnattemptedRequests.Add(1, new TagList
        {
            { AttributeNames.ServerAddress, UnattemptedHosts.Bound(host) },
            { AttributeNames.GenAiOperationName, operation },
        });

    /// <summary>Bounds a model name for use as a dimension.</summary>
    public static string BoundModel(string? model) => ModelNames.Bound(model);

    /// <summary>
    /// True when something listens to any of the request instruments: only then is a request's record worth building.
    /// </summary>
    internal static bool AnyEnabled =>
        RequestDuration.Enabled
        || TokenUsage.Enabled
        || TimeToFirstToken.Enabled
        || TimePerOutputToken.Enabled
        || AttemptMetrics.TimeToFirstChunk.Enabled;

    /// <summary>
    /// Records a finished request: duration (with the status it answered and its failure's <c>error.type</c>), token
    /// usage and, when it streamed and succeeded, TTFT and TPOT.
    /// </summary>
    internal static void RecordRequest(
        LlmCall call,
        int statusCode,
        string? errorType,
        double? timeToFirstToken,
        double? timePerOutputToken)
    {
        var tags = RequestTags(call);
        if (RequestDuration.Enabled)
        {
            var duration = tags;
            duration.Add(AttributeNames.HttpResponseStatusCode, statusCode);
            if (errorType is not null)
            {
                duration.Add(AttributeNames.ErrorType, ErrorTypes.Bound(errorType));
            }

            RequestDuration.Record(Stopwatch.GetElapsedTime(call.StartTimestamp).TotalSeconds, duration);
        }

        // In the latest convention mode the attempts that reported usage recorded it (AttemptMetrics): not counted
        // twice.
        if (TokenUsage.Enabled && !call.AttemptTokensRecorded)
        {
            Record(TokenUsage, call.InputTokens, tags, "input");
            Record(TokenUsage, call.OutputTokens, tags, "output");
        }

        // The conventions define both for successful responses only: a stream cut off or failed after its
        // first chunk is in the duration (with its error.type), not in these.
        if (errorType is null && timeToFirstToken is { } ttft)
        {
            TimeToFirstToken.Record(ttft, tags);
        }

        if (errorType is null && timePerOutputToken is { } tpot)
        {
            TimePerOutputToken.Record(tpot, tags);
        }

        if (AttemptMetrics.Records(call))
        {
            AttemptMetrics.RecordTimeToFirstChunk(call, tags);
        }
    }

    /// <summary>Adds a priced generation's cost, with the request instruments' dimensions.</summary>
    internal static void RecordCost(LlmCall call, double cost)
    {
        Cost.Add(cost, RequestTags(call));
    }

    /// <summary>The dimensions every request instrument shares: operation, provider, model, route (bounded).</summary>
    private static TagList RequestTags(LlmCall call) => new()
    {
        { AttributeNames.GenAiOperationName, call.Route.Operation },
        { AttributeNames.GenAiProviderName, ProviderNames.Bound(call.ProviderName) },
        { AttributeNames.GenAiRequestModel, Model(call) },
        { AttributeNames.HttpRoute, call.Route.Pattern },
    };

    /// <summary>The model dimension: nothing an unauthenticated caller chose, no credential-shaped name.</summary>
    private static string Model(LlmCall call) => BoundDimensionModel(call, call.Model);

    /// <summary>
    /// A model name as a dimension of <paramref name="call"/>'s instruments: nothing an unauthenticated caller chose,
    /// no credential-shaped name.
    /// </summary>
    internal static string BoundDimensionModel(LlmCall call, string? model)
    {
        if (call.Trust == CallerTrust.Unauthenticated)
        {
            return BoundModel(null);
        }

        return model is not null
            && model.Length <= BoundedValues.DefaultMaxLength
            && call.Gateway.Options.Redaction.ContainsSecret(model)
            ? OtherModel
            : BoundModel(model);
    }

    private static void Record(Histogram<long> histogram, long? tokens, TagList tags, string tokenType)
    {
        if (tokens is { } value)
        {
            tags.Add("gen_ai.token.type", tokenType);
            histogram.Record(value, tags);
        }
    }
}
