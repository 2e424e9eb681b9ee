using System.Globalization;
using System.Text;

namespace TracedLlm.Telemetry;

/// <summary>
/// Langfuse's view of a generation's usage and cost: <c>langfuse.observation.usage_details</c> and
/// <c>langfuse.observation.cost_details</c>, JSON objects with the keys Langfuse's OTLP ingestion normalises
/// <c>gen_ai.usage.*</c> to and its default price list prices.
/// </summary>
/// <remarks>
/// <c>input</c> (the uncached input), <c>input_cached_tokens</c>, <c>input_cache_creation</c> (the cache writes the two
/// next keys leave), <c>input_cache_creation_5m</c> and <c>input_cache_creation_1h</c> (Anthropic's writes by cache
/// lifetime, when it split them), <c>output</c> (without reasoning), <c>output_reasoning_tokens</c> (see
/// docs/langfuse.md). Built only for a recorded span.
/// </remarks>
internal static class UsageDetails
{
    public const string Input = "input";
    public const string Output = "output";
    public const string CacheRead = "input_cached_tokens";
    public const string CacheCreation = "input_cache_creation";
    public const string CacheCreation5m = "input_cache_creation_5m";
    public const string CacheCreation1h = "input_cache_creation_1h";
    public const string Reasoning = "output_reasoning_tokens";
    public const string Total = "total";

    /// <summary>
    /// The usage Langfuse prices: uncached input and non-reasoning output, with the cache and reasoning counts apart.
    /// </summary>
    public static string UsageJson(in LlmUsage usage, bool outputKnown = true)
    {
        var json = new StringBuilder(128).Append('{');
        Append(json, Input, usage.UncachedInputTokens);
        Append(json, CacheRead, usage.CacheReadInputTokens);
        Append(json, CacheCreation, usage.OtherCacheCreationInputTokens);
        Append(json, CacheCreation5m, usage.CacheCreation5mInputTokens);
        Append(json, CacheCreation1h, usage.CacheCreation1hInputTokens);
        if (outputKnown)
        {
            Append(json, Output, usage.NonReasoningOutputTokens);
            Append(json, Reasoning, usage.ReasoningOutputTokens);
        }

        return json.Append('}').ToString();
    }

    /// <summary>The cost per usage key of <see cref="UsageJson"/>, and its total.</summary>
    public static string CostJson(in LlmCost cost)
    {
        var json = new StringBuilder(224).Append('{');
        Append(json, Input, cost.Input);
        Append(json, CacheRead, cost.CacheRead);
        Append(json, CacheCreation, cost.CacheCreation);
        Append(json, CacheCreation5m, cost.CacheCreation5m);
        Append(json, CacheCreation1h, cost.CacheCreation1h);
        Append(json, Output, cost.Output);
        Append(json, Reasoning, cost.Reasoning);
        Append(json, Total, cost.Total);
        return json.Append('}').ToString();
    }

    private static void Append(StringBuilder json, string key, long? value)
    {
        if (value is { } count)
        {
            Key(json, key).Append(count.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Append(StringBuilder json, string key, double? value)
    {
        if (value is { } amount)
        {
            Key(json, key).Append(amount.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static StringBuilder Key(StringBuilder json, string key) =>
        (json.Length > 1 ? json.Append(',') : json).Append('"').Append(key).Append("\":");
}
