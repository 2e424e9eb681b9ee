using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// What Langfuse reads from an exported span, restated from its OTLP ingestion (the langfuse
/// repository's packages/shared/src/server/otel: ObservationTypeMapper.ts and
/// OtelIngestionProcessor.ts, read for this project; docs/langfuse.md cites the rules). Only the
/// rules that can fire on attributes a TracedLlm span may carry are restated: the observation type's
/// mapper chain (explicit type, OpenInference kind, GenAI operation, GenAI tool, then any model
/// attribute), usage and model extraction, and the trace-level fields. The tests assert through
/// this view, not on attribute keys alone.
/// </summary>
public static class LangfuseView
{
    private static readonly HashSet<string> ObservationTypes = new(StringComparer.Ordinal)
    {
        "span", "generation", "event", "embedding", "agent", "tool", "chain", "retriever", "guardrail", "evaluator",
    };

    private static readonly Dictionary<string, string> OpenInferenceKinds = new(StringComparer.Ordinal)
    {
        ["CHAIN"] = "CHAIN", ["RETRIEVER"] = "RETRIEVER", ["LLM"] = "GENERATION", ["EMBEDDING"] = "EMBEDDING",
        ["AGENT"] = "AGENT", ["TOOL"] = "TOOL", ["GUARDRAIL"] = "GUARDRAIL", ["EVALUATOR"] = "EVALUATOR",
    };

    private static readonly Dictionary<string, string> GenAiOperations = new(StringComparer.Ordinal)
    {
        ["chat"] = "GENERATION",
        ["completion"] = "GENERATION",
        ["text_completion"] = "GENERATION",
        ["generate_content"] = "GENERATION",
        ["generate"] = "GENERATION",
        ["embeddings"] = "EMBEDDING",
        ["invoke_agent"] = "AGENT",
        ["create_agent"] = "AGENT",
        ["execute_tool"] = "TOOL",
    };

    private static readonly string[] ModelKeysForType =
    {
        "langfuse.observation.model.name",
        "gen_ai.request.model",
        "gen_ai.response.model",
        "llm.model_name",
        "model"
    };

    private static readonly string[] ModelNameKeys =
    {
        "langfuse.observation.model.name",
        "gen_ai.response.model",
        "ai.model.id",
        "gen_ai.request.model",
        "llm.response.model",
        "llm.model_name",
        "model"
    };

    private static readonly Dictionary<string, string> UsageKeys = new(StringComparer.Ordinal)
    {
        ["prompt_tokens"] = "input", ["completion_tokens"] = "output", ["total_tokens"] = "total",
        ["input_tokens"] = "input", ["output_tokens"] = "output", ["prompt"] = "input", ["completion"] = "output",
    };

    /// <summary>The observation type (upper case, as Langfuse stores it): the first mapper that answers.</summary>
    public static string ObservationType(ExportedSpan span)
    {
        var a = span.Attributes;
        if (Meaningful(a, "langfuse.observation.type", out var explicitType)
            && explicitType.ValueKind == JsonValueKind.String
            && ObservationTypes.Contains(explicitType.GetString()!))
        {
            return explicitType.GetString()!.ToUpperInvariant();
        }

        if (Meaningful(a, "openinference.span.kind", out var kind)
            && OpenInferenceKinds.TryGetValue(kind.ToString(), out var mapped))
        {
            return mapped;
        }

        if (Meaningful(a, "gen_ai.operation.name", out var operation)
            && GenAiOperations.TryGetValue(operation.ToString(), out mapped))
        {
            return mapped;
        }

        if (Meaningful(a, "gen_ai.tool.name", out _) || Meaningful(a, "gen_ai.tool.call.id", out _))
        {
            return "TOOL";
        }

        return ModelKeysForType.Any(key => Meaningful(a, key, out _)) ? "GENERATION" : "SPAN";
    }

    /// <summary>The model name Langfuse records (and prices by).</summary>
    public static string? ModelName(ExportedSpan span) => First(span, ModelNameKeys);

    /// <summary>
    /// The usage details Langfuse records: <c>langfuse.observation.usage_details</c>, else every <c>gen_ai.usage.*</c>
    /// / <c>llm.token_count.*</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Usage(ExportedSpan span)
    {
        var usage = new Dictionary<string, double>(StringComparer.Ordinal);
        if (span.Text("langfuse.observation.usage_details") is { Length: > 0 } json)
        {
            foreach (var property in JsonDocument
                    .Parse(json)
                    .RootElement.EnumerateObject()
                    .Where(p => p.Value.ValueKind == JsonValueKind.Number))
            {
                usage[property.Name] = property.Value.GetDouble();
            }

            return usage;
        }

        foreach (var (key, value) in span.Attributes)
        {
            string suffix;
            if (key.StartsWith("gen_ai.usage.", StringComparison.Ordinal) && key != "gen_ai.usage.cost")
            {
                suffix = key["gen_ai.usage.".Length..];
            }
            else if (key.StartsWith("llm.token_count.", StringComparison.Ordinal))
            {
                suffix = key["llm.token_count.".Length..];
            }
            else
            {
                continue;
            }

            if (value.ValueKind == JsonValueKind.Number)
            {
                usage[UsageKeys.GetValueOrDefault(suffix, suffix)] = value.GetDouble();
            }
        }

        return usage;
    }

    /// <summary>
    /// The model parameters Langfuse records for a span of another instrumentation than the AI SDK:
    /// <c>langfuse.observation.model_parameters</c> when it holds JSON, else every <c>gen_ai.request.*</c>
    /// (and <c>llm.invocation_parameters.*</c>) key but the model, by its name after the prefix; a value that
    /// is not a string or number becomes its JSON text (OtelIngestionProcessor.extractModelParameters,
    /// sanitizeModelParams).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ModelParameters(ExportedSpan span)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (span.Text("langfuse.observation.model_parameters") is { Length: > 0 } json)
        {
            try
            {
                foreach (var property in JsonDocument.Parse(json).RootElement.EnumerateObject())
                {
                    parameters[property.Name] = ParameterText(property.Value);
                }

                return parameters;
            }
            catch (JsonException)
            {
                // Falls through to the prefixed keys, as Langfuse does.
            }
        }

        foreach (var (key, value) in span.Attributes)
        {
            foreach (var prefix in new[] { "gen_ai.request.", "llm.invocation_parameters." })
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal)
                    && key[prefix.Length..] is var name
                    && name != "model")
                {
                    parameters[name] = ParameterText(value);
                }
            }
        }

        return parameters;
    }

    /// <summary>
    /// The price tier Langfuse selects (pricing-tiers/matcher.ts): the first tier, by priority, whose every
    /// condition holds, a <c>model_parameters</c> condition holding when the parameter is present and one of
    /// its values; else the default tier.
    /// </summary>
    public static string PriceTier(
        ExportedSpan span,
        IEnumerable<(string Name, int Priority, (string Key, string[] Values)[] Conditions)> tiers,
        string defaultTier)
    {
        var parameters = ModelParameters(span);
        foreach (var tier in tiers.OrderBy(t => t.Priority))
        {
            if (tier.Conditions.Length > 0
                && tier.Conditions.All(c => parameters.TryGetValue(c.Key, out var value) && c.Values.Contains(value)))
            {
                return tier.Name;
            }
        }

        return defaultTier;
    }

    private static string ParameterText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        _ => value.GetRawText(),
    };

    /// <summary>
    /// What Langfuse computes from its model's prices (per usage key and token) when no cost is
    /// provided: each usage key with a price, priced, summed (worker IngestionService.calculateUsageCosts).
    /// </summary>
    public static double ComputedCost(
        IReadOnlyDictionary<string, double> usage,
        IReadOnlyDictionary<string, double> prices
    ) => usage.Where(u => prices.ContainsKey(u.Key)).Sum(u => u.Value * prices[u.Key]);

    /// <summary>
    /// The cost the span provides, which Langfuse takes over any it would compute: the <c>total</c>
    /// of <c>langfuse.observation.cost_details</c>, else <c>gen_ai.usage.cost</c>; null when none.
    /// </summary>
    public static double? ProvidedCost(ExportedSpan span)
    {
        if (span.Text("langfuse.observation.cost_details") is { Length: > 0 } json)
        {
            var details = JsonDocument.Parse(json).RootElement;
            return details.TryGetProperty("total", out var total)
                ? total.GetDouble()
                : details.EnumerateObject().Where(p => p.Name is "input" or "output").Sum(p => p.Value.GetDouble());
        }

        return span.Number("gen_ai.usage.cost");
    }

    /// <summary>
    /// True when Langfuse (ingestion v4) prices the observation: it has a model name and usage, so
    /// its model's prices apply, whatever the observation's type.
    /// </summary>
    public static bool IsPriced(ExportedSpan span) => ModelName(span) is not null && Usage(span).Count > 0;

    /// <summary>Usage summed over a trace's observations, key by key, as Langfuse's trace totals do.</summary>
    public static IReadOnlyDictionary<string, double> TraceUsage(IEnumerable<ExportedSpan> spans) =>
        spans.SelectMany(s => Usage(s)).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));

    public static string Environment(ExportedSpan span)
    {
        foreach (var key in new[] { "langfuse.environment", "deployment.environment.name", "deployment.environment" })
        {
            if (span.Attributes.TryGetValue(key, out var value) && Truthy(value))
            {
                return value.ToString();
            }

            if (span.Resource.TryGetValue(key, out value) && Truthy(value))
            {
                return value.ToString();
            }
        }

        return "default";
    }

    public static string? UserId(ExportedSpan span) =>
        First(
            span,
            "langfuse.user.id",
            "user.id",
            "langfuse.observation.metadata.langfuse_user_id",
            "langfuse.trace.metadata.langfuse_user_id");

    public static string? SessionId(ExportedSpan span) =>
        First(
            span,
            "langfuse.session.id",
            "session.id",
            "gen_ai.conversation.id",
            "langfuse.observation.metadata.langfuse_session_id",
            "langfuse.trace.metadata.langfuse_session_id");

    public static string? TraceName(ExportedSpan span) => span.Text("langfuse.trace.name");

    public static string? Release(ExportedSpan span) =>
        span.Text("langfuse.release")
        ?? (span.Resource.TryGetValue("langfuse.release", out var r) ? r.ToString() : null);

    public static string? Version(ExportedSpan span) =>
        span.Text("langfuse.version")
        ?? (span.Resource.TryGetValue("service.version", out var v) ? v.ToString() : null);

    public static IReadOnlyList<string> Tags(ExportedSpan span)
    {
        foreach (var key in new[]
            {
                "langfuse.trace.tags",
                "langfuse.tags",
                "langfuse.observation.metadata.langfuse_tags",
                "langfuse.trace.metadata.langfuse_tags"
            })
        {
            if (span.Attributes.TryGetValue(key, out var value) && Truthy(value))
            {
                return value.ValueKind == JsonValueKind.Array
                    ? value.EnumerateArray().Select(t => t.ToString()).ToList()
                    : value.GetString()!.Split(',').Select(t => t.Trim()).ToList();
            }
        }

        return Array.Empty<string>();
    }

    /// <summary>
    /// The trace metadata one observation contributes: the <c>langfuse.trace.metadata.*</c> keys, prefix removed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> TraceMetadata(ExportedSpan span) =>
        span.Attributes
            .Where(p => p.Key.StartsWith("langfuse.trace.metadata.", StringComparison.Ordinal))
            .ToDictionary(
                p => p.Key["langfuse.trace.metadata.".Length..],
                p => p.Value.ToString(),
                StringComparer.Ordinal);

    /// <summary>ERROR for a span with status Error (unless an explicit level says otherwise), else DEFAULT.</summary>
    public static string Level(ExportedSpan span) =>
        span.Text("langfuse.observation.level") ?? (span.StatusCode == 2 ? "ERROR" : "DEFAULT");

    /// <summary>
    /// The completion start time, parsed the way JavaScript's <c>Date</c> does for ISO 8601 (millisecond precision).
    /// </summary>
    public static DateTimeOffset? CompletionStartTime(ExportedSpan span) =>
        span.Text("langfuse.observation.completion_start_time") is { } text
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
            : null;

    /// <summary>The observation's input as Langfuse shows it (<see cref="InputAndOutput"/>).</summary>
    public static string? Input(ExportedSpan span) => InputAndOutput(span).Input;

    /// <summary>The observation's output as Langfuse shows it (<see cref="InputAndOutput"/>).</summary>
    public static string? Output(ExportedSpan span) => InputAndOutput(span).Output;

    /// <summary>
    /// The observation's input and output, ranked as OtelIngestionProcessor.extractInputAndOutput ranks the keys
    /// a TracedLlm span may carry. Langfuse's own keys first, as a pair: when <c>langfuse.observation.input</c> or
    /// <c>.output</c> is there (any value, even empty: its check is <c>!= null</c>) both are read from them and
    /// nothing else, so a span with <c>langfuse.observation.input</c> and <c>gen_ai.output.messages</c> but no
    /// <c>langfuse.observation.output</c> shows no output. Only when neither is there, the GenAI conventions'
    /// <c>gen_ai.input.messages</c> / <c>gen_ai.output.messages</c> (truthy; <c>gen_ai.system_instructions</c>
    /// prepended as a system message when the input has none), then <c>gen_ai.tool.call.arguments</c> /
    /// <c>.result</c>. The other frameworks' keys it reads before the GenAI ones (Vercel AI, OpenInference, ...)
    /// are never on a TracedLlm span.
    /// </summary>
    public static (string? Input, string? Output) InputAndOutput(ExportedSpan span)
    {
        var input = Present(span, "langfuse.observation.input");
        var output = Present(span, "langfuse.observation.output");
        if (input is not null || output is not null)
        {
            return (input, output);
        }

        input = NonEmpty(span, "gen_ai.input.messages");
        output = NonEmpty(span, "gen_ai.output.messages");
        if (input is not null && NonEmpty(span, "gen_ai.system_instructions") is { } instructions)
        {
            input = WithSystemInstructions(input, instructions);
        }

        return input is not null || output is not null
            ? (input, output)
            : (NonEmpty(span, "gen_ai.tool.call.arguments"), NonEmpty(span, "gen_ai.tool.call.result"));
    }

    /// <summary>
    /// The trace's input: the root observation's <c>langfuse.trace.input</c>, else its observation input.
    /// </summary>
    public static string? TraceInput(ExportedSpan root) => NonEmpty(root, "langfuse.trace.input") ?? Input(root);

    /// <summary>
    /// The trace's output: the root observation's <c>langfuse.trace.output</c>, else its observation output.
    /// </summary>
    public static string? TraceOutput(ExportedSpan root) => NonEmpty(root, "langfuse.trace.output") ?? Output(root);

    // prependSystemInstructions: a message list without a system message gets one first, its content the
    // instructions' parts' contents joined by new lines; anything else is left as it is.
    private static string WithSystemInstructions(string input, string instructions)
    {
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(input) is not System.Text.Json.Nodes.JsonArray messages
                || messages.Any(m => m is System.Text.Json.Nodes.JsonObject o && (string?)o["role"] == "system"))
            {
                return input;
            }

            var parsed = System.Text.Json.Nodes.JsonNode.Parse(instructions);
            var content = parsed is System.Text.Json.Nodes.JsonArray parts
                ? string.Join(
                    "\n",
                    parts.Select(p =>
                        p is System.Text.Json.Nodes.JsonObject part && part["content"] is { } c
                            ? c.ToString()
                            : p?.ToString()))
                : parsed?.ToString() ?? instructions;
            messages.Insert(0, new System.Text.Json.Nodes.JsonObject { ["role"] = "system", ["content"] = content });
            return messages.ToJsonString();
        }
        catch (JsonException)
        {
            return input;
        }
    }

    private static string? Present(ExportedSpan s, string key) =>
        s.Attributes.TryGetValue(key, out var value)
        && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? (value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText())
            : null;

    public static DateTimeOffset Start(ExportedSpan span) =>
        DateTimeOffset.UnixEpoch.AddTicks(span.StartTimeUnixNano / 100);

    public static DateTimeOffset End(ExportedSpan span) =>
        DateTimeOffset.UnixEpoch.AddTicks(span.EndTimeUnixNano / 100);

    private static string? NonEmpty(ExportedSpan s, string key) => s.Text(key) is { Length: > 0 } text ? text : null;

    private static string? First(ExportedSpan span, params string[] keys)
    {
        foreach (var key in keys)
        {
            if (span.Attributes.TryGetValue(key, out var value) && Truthy(value))
            {
                return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
            }
        }

        return null;
    }

    private static bool Meaningful(
        IReadOnlyDictionary<string, JsonElement> attributes,
        string key,
        out JsonElement value) =>
        attributes.TryGetValue(key, out value)
        && value.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => false,
            JsonValueKind.String => value.GetString()!.Length > 0,
            JsonValueKind.Array => value.GetArrayLength() > 0,
            JsonValueKind.Object => value.EnumerateObject().Any(),
            _ => true,
        };

    // JavaScript truthiness, which the ingestion's `if (attributes[key])` checks use.
    private static bool Truthy(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.False => false,
        JsonValueKind.String => value.GetString()!.Length > 0,
        JsonValueKind.Number => value.GetDouble() != 0,
        _ => true,
    };
}
