using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm;

/// <summary>
/// An optional price table (<c>TracedLlm:Pricing</c>): with a price for a model, its generations
/// carry <c>gen_ai.usage.cost</c> and Langfuse's <c>langfuse.observation.cost_details</c>, and the
/// <c>tracedllm.usage.cost</c> counter adds it up. A model without a price records no cost. The table
/// is read once, when the options are validated at start (or, for a table never validated, at the
/// first usage); change it in <c>AddTracedLlm(options =&gt; ...)</c>.
/// </summary>
/// <remarks>
/// A model has one price: the table has no service tiers (<c>gen_ai.request.service_tier</c>). A model
/// Langfuse prices by tier (OpenAI's priority and flex) is best left out of it, so Langfuse selects the
/// tier's price; a price here is the generation's provided cost, which Langfuse takes instead (docs/langfuse.md).
/// </remarks>
public sealed class LlmPricing
{
    private FrozenDictionary<string, LlmModelPrice[]>? _byModel;

    /// <summary>
    /// Prices by model name (case-insensitive), e.g. <c>TracedLlm:Pricing:Models:gpt-4o:Input = 2.5</c>.
    /// A name a configuration key cannot hold (one with a <c>:</c>) goes in <see cref="LlmModelPrice.Model"/>.
    /// </summary>
    public IDictionary<string, LlmModelPrice> Models { get; } =
        new Dictionary<string, LlmModelPrice>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The price of <paramref name="model"/> from <paramref name="provider"/>: an entry naming that provider first,
    /// then one naming none; null when there is none.
    /// </summary>
    internal LlmModelPrice? Find(string? provider, string? model)
    {
        if (model is null)
        {
            return null;
        }

        var byModel = _byModel ??= Compile();
        if (!byModel.TryGetValue(model, out var entries))
        {
            return null;
        }

        LlmModelPrice? anyProvider = null;
        foreach (var entry in entries)
        {
            if (entry.Provider is null)
            {
                anyProvider = entry;
            }
            else if (string.Equals(entry.Provider, provider, StringComparison.OrdinalIgnoreCase))
            {
                return entry;
            }
        }

        return anyProvider;
    }

    // Copies of the entries: the table read once is not changed by an entry edited afterwards.
    private FrozenDictionary<string, LlmModelPrice[]> Compile() =>
        Models
            .GroupBy(pair => ModelName(pair.Key, pair.Value), StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(
                group => group.Key,
                group => group.Select(pair => Copy(pair.Value)).ToArray(),
                StringComparer.OrdinalIgnoreCase);

    private static LlmModelPrice Copy(LlmModelPrice price) => new()
    {
        Provider = price.Provider,
        Model = price.Model,
        Input = price.Input,
        Output = price.Output,
        CacheRead = price.CacheRead,
        CacheCreation = price.CacheCreation,
        CacheCreation1h = price.CacheCreation1h,
        Reasoning = price.Reasoning,
    };

    internal static string ModelName(string key, LlmModelPrice price) =>
        price.Model is { Length: > 0 } model ? model : key;

    /// <summary>One message per wrong entry, naming its configuration key.</summary>
    internal void Validate(List<string> failures, string prefix)
    {
        var before = failures.Count;
        ValidateEntries(failures, prefix);

        // A valid table is made ready for look-ups now, at start, not on the first priced request.
        if (failures.Count == before)
        {
            _byModel = Compile();
        }
    }

    private void ValidateEntries(List<string> failures, string prefix)
    {
        var seen = new HashSet<(string Model, string? Provider)>();
        foreach (var (key, price) in Models)
        {
            var path = $"{prefix}:{nameof(Models)}:{key}";
            if (price is null)
            {
                failures.Add($"{path} has no prices.");
                continue;
            }

            Price(failures, path, nameof(LlmModelPrice.Input), price.Input, required: true);
            Price(failures, path, nameof(LlmModelPrice.Output), price.Output, required: true);
            Price(failures, path, nameof(LlmModelPrice.CacheRead), price.CacheRead, required: false);
            Price(failures, path, nameof(LlmModelPrice.CacheCreation), price.CacheCreation, required: false);
            Price(failures, path, nameof(LlmModelPrice.CacheCreation1h), price.CacheCreation1h, required: false);
            Price(failures, path, nameof(LlmModelPrice.Reasoning), price.Reasoning, required: false);
            if (!seen.Add((ModelName(key, price).ToUpperInvariant(), price.Provider?.ToUpperInvariant())))
            {
                failures.Add(
                    $"{path} prices model "
                        + $"'{ModelName(key, price)}"
                        + $"'{(price.Provider is null ? string.Empty : $" of provider '{price.Provider}'")} a second "
                        + $"time.");
            }
        }
    }

    private static void Price(List<string> failures, string path, string name, double? value, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                failures.Add(
                    $"{path}:{name} is missing: a priced model needs an input and an output price (per million "
                    + "tokens).");
            }
        }
        else if (!double.IsFinite(value.Value) || value.Value < 0)
        {
            failures.Add($"{path}:{name} must be a price per million tokens of zero or more (it is {value.Value}).");
        }
    }
}

/// <summary>
/// One model's prices per million tokens, in US dollars (as Langfuse counts cost). Cached input
/// without a price of its own costs <see cref="Input"/>, one-hour cache writes without one
/// <see cref="CacheCreation"/> (else <see cref="Input"/>), reasoning without one <see cref="Output"/>.
/// </summary>
public sealed class LlmModelPrice
{
    /// <summary>The provider (<c>gen_ai.provider.name</c>) the price is for; null for any provider.</summary>
    public string? Provider { get; set; }

    /// <summary>The model name, when it is not the entry's key (a name with a <c>:</c>).</summary>
    public string? Model { get; set; }

    /// <summary>Input tokens neither read from nor written to the cache. Required.</summary>
    public double? Input { get; set; }

    /// <summary>Output tokens (reasoning ones too, unless <see cref="Reasoning"/> is set). Required.</summary>
    public double? Output { get; set; }

    /// <summary>Input tokens read from the provider's cache.</summary>
    public double? CacheRead { get; set; }

    /// <summary>
    /// Input tokens written to the provider's cache (Anthropic's five-minute writes), and the one-hour writes when
    /// <see cref="CacheCreation1h"/> is not set.
    /// </summary>
    public double? CacheCreation { get; set; }

    /// <summary>
    /// Input tokens written to a one-hour cache (<see cref="LlmUsage.CacheCreation1hInputTokens"/>; Anthropic prices
    /// them at twice the input).
    /// </summary>
    public double? CacheCreation1h { get; set; }

    /// <summary>Output tokens spent reasoning.</summary>
    public double? Reasoning { get; set; }

    /// <summary>What <paramref name="usage"/> costs, in total and per Langfuse usage key.</summary>
    internal LlmCost CostOf(in LlmUsage usage)
    {
        const double PerToken = 1e-6;
        var input = Input.GetValueOrDefault() * PerToken;
        var output = Output.GetValueOrDefault() * PerToken;
        var written = CacheCreation * PerToken ?? input;
        var cost = new LlmCost(
            usage.UncachedInputTokens * input,
            usage.CacheReadInputTokens is { } read ? read * (CacheRead * PerToken ?? input) : null,
            usage.OtherCacheCreationInputTokens * written,
            usage.CacheCreation5mInputTokens * written,
            usage.CacheCreation1hInputTokens * (CacheCreation1h * PerToken ?? written),
            usage.NonReasoningOutputTokens * output,
            usage.ReasoningOutputTokens is { } reasoning ? reasoning * (Reasoning * PerToken ?? output) : null);
        return cost;
    }
}

/// <summary>
/// A generation's cost per Langfuse usage key (<see cref="CacheCreation"/> is the cache writes the lifetime parts
/// leave).
/// </summary>
internal readonly record struct LlmCost(
    double Input,
    double? CacheRead,
    double? CacheCreation,
    double? CacheCreation5m,
    double? CacheCreation1h,
    double Output,
    double? Reasoning)
{
    public double Total =>
        Input
        + (CacheRead ?? 0)
        + (CacheCreation ?? 0)
        + (CacheCreation5m ?? 0)
        + (CacheCreation1h ?? 0)
        + Output
        + (Reasoning ?? 0);
}
