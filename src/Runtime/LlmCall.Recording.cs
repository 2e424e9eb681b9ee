using System;
using System.Diagnostics;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm;

// LlmCall: what the handler records on the LLM span (provider, response, usage and its cost,
// a handled failure), each through one path, so the span and the metrics say the same.
public sealed partial class LlmCall
{
    /// <summary>Records <c>gen_ai.provider.name</c> (e.g. <c>openai</c>, <c>anthropic</c>).</summary>
    public void SetProvider(string providerName)
    {
        ProviderName = providerName;
        if (Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.GenAiProviderName, providerName);
        }
    }

    /// <summary>Records token usage on the LLM span.</summary>
    public void RecordUsage(long inputTokens, long outputTokens) =>
        RecordUsage(new LlmUsage(inputTokens, outputTokens));

    /// <summary>
    /// Records token usage on the LLM span, with the cache and reasoning counts the provider stated, and its cost when
    /// the model has a price.
    /// </summary>
    /// <remarks>
    /// The counts are <see cref="LlmUsage"/>'s; the price is <see cref="TracedLlmOptions.Pricing"/>'s for the response
    /// model, else the request model, and the cost goes on the span and the cost metric. Call it after
    /// <see cref="RecordResponse"/> so that the response model can name the price. A usage recorded again replaces the
    /// one before, on the span and in the metrics alike (the request records its token usage and cost once, as it
    /// ends).
    /// </remarks>
    public void RecordUsage(LlmUsage usage)
    {
        var span = RecordTokens(usage.InputTokens, usage.OutputTokens);
        var price = span is not null || GatewayMetrics.Cost.Enabled ? FindPrice() : null;
        if (span is not null)
        {
            TagCachedInput(span, usage.CacheReadInputTokens, usage.CacheCreationInputTokens);
            if (usage.ReasoningOutputTokens is { } reasoning)
            {
                span.SetTag(AttributeNames.GenAiUsageReasoningOutputTokens, reasoning);
            }

            if (usage.HasDetails || price is not null)
            {
                span.SetTag(AttributeNames.LangfuseObservationUsageDetails, UsageDetails.UsageJson(usage));
            }
        }

        if (price is not null)
        {
            var cost = price.CostOf(usage);
            if (span is not null)
            {
                span.SetTag(AttributeNames.GenAiUsageCost, cost.Total);
                span.SetTag(AttributeNames.LangfuseObservationCostDetails, UsageDetails.CostJson(cost));
            }

            UsageCost = cost.Total;
        }
    }

    /// <summary>What a response's body stated (read by the relay or by an <c>HttpClient</c>'s attempt).</summary>
    /// <remarks>
    /// The model, id and finish reasons, the service tier, and the usage, whole or in part, each through the one path
    /// the handler's own calls take. Nothing stated, nothing recorded.
    /// </remarks>
    internal void RecordResponseFacts(Reading.ResponseFacts facts)
    {
        if (facts.ResponseModel is not null || facts.ResponseId is not null || facts.FinishReasons.Length > 0)
        {
            RecordResponse(facts.ResponseModel, facts.ResponseId, facts.FinishReasons);
        }

        RecordResponseServiceTier(facts.ServiceTier);
        if (facts.InputTokens is { } input && facts.OutputTokens is { } output)
        {
            RecordUsage(facts.Usage(input, output));
        }
        else if (facts.InputTokens is not null || facts.OutputTokens is not null)
        {
            // One count only (a stream cut off before its usage was whole): the same path, so the token metrics count
            // it too.
            RecordPartialTokens(
                facts.InputTokens,
                facts.OutputTokens,
                facts.CacheReadInputTokens,
                facts.CacheCreationInputTokens,
                facts.CacheCreation5mInputTokens,
                facts.CacheCreation1hInputTokens);
        }
    }

    /// <summary>A usage the response stated only in part (a stream cut off before its output count).</summary>
    /// <remarks>
    /// The counts known, and the input's cached part apart when it was stated (<c>gen_ai.usage.cache_*</c>, and
    /// Langfuse's usage details with no output key), so the cached tokens are not priced as uncached.
    /// </remarks>
    internal void RecordPartialTokens(
        long? inputTokens,
        long? outputTokens,
        long? cacheReadInputTokens,
        long? cacheCreationInputTokens,
        long? cacheCreation5mInputTokens = null,
        long? cacheCreation1hInputTokens = null)
    {
        var span = RecordTokens(inputTokens, outputTokens);
        if (span is null
            || inputTokens is not { } input
            || (cacheReadInputTokens is null && cacheCreationInputTokens is null))
        {
            return;
        }

        TagCachedInput(span, cacheReadInputTokens, cacheCreationInputTokens);
        var usage = new LlmUsage(input, outputTokens ?? 0)
        {
            CacheReadInputTokens = cacheReadInputTokens,
            CacheCreationInputTokens = cacheCreationInputTokens,
            CacheCreation5mInputTokens = cacheCreation5mInputTokens,
            CacheCreation1hInputTokens = cacheCreation1hInputTokens,
        };
        span.SetTag(
            AttributeNames.LangfuseObservationUsageDetails,
            UsageDetails.UsageJson(usage, outputKnown: outputTokens is not null));
    }

    // The input's cached part, apart from gen_ai.usage.input_tokens (which includes it).
    private static void TagCachedInput(Activity span, long? cacheReadInputTokens, long? cacheCreationInputTokens)
    {
        if (cacheReadInputTokens is { } cacheRead)
        {
            span.SetTag(AttributeNames.GenAiUsageCacheReadInputTokens, cacheRead);
        }

        if (cacheCreationInputTokens is { } cacheCreation)
        {
            span.SetTag(AttributeNames.GenAiUsageCacheCreationInputTokens, cacheCreation);
        }
    }

    /// <summary>The token counts, each one that is known.</summary>
    /// <remarks>
    /// On the call, where the request's end records the <c>gen_ai.client.token.usage</c> metric from them, and on the
    /// LLM span, so both count the same. Every usage goes through here (a relayed response that stated one count only,
    /// too); the recorded LLM span is returned, or null.
    /// </remarks>
    internal Activity? RecordTokens(long? inputTokens, long? outputTokens)
    {
        InputTokens = inputTokens ?? InputTokens;
        OutputTokens = outputTokens ?? OutputTokens;
        if (Span is not { IsAllDataRequested: true } span)
        {
            return null;
        }

        if (inputTokens is { } input)
        {
            span.SetTag(AttributeNames.GenAiUsageInputTokens, input);
        }

        if (outputTokens is { } output)
        {
            span.SetTag(AttributeNames.GenAiUsageOutputTokens, output);
        }

        return span;
    }

    private LlmModelPrice? FindPrice()
    {
        var pricing = Gateway.Options.Pricing;
        if (pricing.Models.Count == 0)
        {
            return null;
        }

        return pricing.Find(ProviderName, ResponseModel) ?? pricing.Find(ProviderName, Model);
    }

    /// <summary>Records the response model, id and finish reasons on the LLM span.</summary>
    public void RecordResponse(string? responseModel, string? responseId = null, params string[] finishReasons)
    {
        ResponseModel = responseModel ?? ResponseModel;
        if (Span is { IsAllDataRequested: true } span)
        {
            // The upstream's answer may echo what the client sent: bounded like any client value.
            if (responseModel is not null)
            {
                var dropped = 0;
                var model = TelemetryText.ForSpan(
                    this,
                    AttributeNames.GenAiResponseModel,
                    responseModel,
                    Gateway.Options.Limits.MaxAttributeValueLength,
                    ref dropped);
                span.SetTag(AttributeNames.GenAiResponseModel, model);
                span.SetTag(AttributeNames.LangfuseObservationModelName, model);
            }

            if (responseId is not null)
            {
                var dropped = 0;
                span.SetTag(
                    AttributeNames.GenAiResponseId,
                    TelemetryText.ForSpan(
                        this,
                        AttributeNames.GenAiResponseId,
                        responseId,
                        Gateway.Options.Limits.MaxAttributeValueLength,
                        ref dropped));
            }

            if (finishReasons.Length > 0)
            {
                span.SetTag(AttributeNames.GenAiResponseFinishReasons, finishReasons);
            }
        }
    }

    /// <summary>
    /// Records the service tier the provider says it served the request at (OpenAI's response
    /// <c>service_tier</c>, Anthropic's <c>usage.service_tier</c>) as <c>gen_ai.response.service_tier</c>.
    /// A value that is not a short token (letters, digits, <c>_</c>, <c>-</c>, <c>.</c>; at most 32) is
    /// not recorded. The relay and <c>UseTracedLlm()</c> record it from the answers they read.
    /// </summary>
    public void RecordResponseServiceTier(string? serviceTier)
    {
        if (Span is { IsAllDataRequested: true } span && Reading.ServiceTier.OrNull(serviceTier) is { } tier)
        {
            span.SetTag(AttributeNames.GenAiResponseServiceTier, tier);
        }
    }

    /// <summary>
    /// Records an exception the handler caught as an <c>exception</c> event on the current span, so it is not lost.
    /// </summary>
    /// <remarks>
    /// One it recovered from (a fallback), or one it answered with an error result of its own, which fails the request
    /// without the exception (docs/handlers.md, "An error result from a catch", says what each does and what TLLM2004
    /// asks for). It does not fail the request.
    /// </remarks>
    public void RecordHandledFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if ((Activity.Current ?? Span) is { IsAllDataRequested: true } span)
        {
            TelemetryText.AddException(span, exception, this);
        }
    }
}
