using System;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// LangSmith's OpenTelemetry ingestion reads <c>gen_ai.*</c> and its own <c>langsmith.*</c> names; this translation
/// adds them.
/// </summary>
/// <remarks>
/// The names are the langsmith SDK's experimental/otel constants and exporter's: each span's run type
/// <c>langsmith.span.kind</c> (the request's generation the one <c>llm</c> run, an embedding <c>embedding</c>,
/// TracedLlm's other spans <c>chain</c>), the run's name (<c>langsmith.trace.name</c>), its inputs and outputs
/// (<c>gen_ai.prompt</c> / <c>gen_ai.completion</c>, JSON objects), usage and cost (<c>gen_ai.usage.*</c>,
/// <c>langsmith.usage_metadata</c>), the model and provider LangSmith prices by
/// (<c>langsmith.metadata.ls_model_name</c> / <c>ls_provider</c>, <c>gen_ai.system</c>), metadata
/// (<c>langsmith.metadata.*</c>: the caller's identity, <c>session_id</c> for threads, <c>user_id</c>), tags
/// (<c>langsmith.span.tags</c>) and the project (<c>langsmith.trace.session_name</c>, beside the
/// <c>Langsmith-Project</c> header).
/// </remarks>
internal sealed class LangSmithTranslation : SpanTranslation
{
    private readonly string? _project;

    public LangSmithTranslation(bool captureContent, string? project)
        : base(captureContent) => _project = string.IsNullOrWhiteSpace(project) ? null : project.Trim();

    /// <summary>
    /// The request's content moves to <c>gen_ai.prompt</c> / <c>gen_ai.completion</c>: not sent twice.
    /// </summary>
    public override bool Keeps(ReadOnlySpan<byte> key) =>
        base.Keeps(key) && !key.SequenceEqual(RecordedSpan.Input) && !key.SequenceEqual(RecordedSpan.Output);

    public override void AddSpan(SpanReading span, ref AttributeWriter attributes)
    {
        attributes.String("langsmith.trace.session_name", _project);
        var type = RecordedSpan.Type(span);
        if (type is null)
        {
            return;
        }

        var generation = type == LangfuseObservationTypes.Generation;
        attributes.String("langsmith.span.kind", type switch
        {
            LangfuseObservationTypes.Generation => "llm",
            LangfuseObservationTypes.Embedding => "embedding",
            _ => "chain",
        });
        if (generation)
        {
            attributes.String("langsmith.trace.name", span.Name);
        }
        else if (span.Kind == 2 && span.String(RecordedSpan.TraceName) is { } traceName)
        {
            attributes.String("langsmith.trace.name", traceName);
        }

        var provider = span.String(RecordedSpan.Provider);
        attributes.String("gen_ai.system", provider);
        var model = RecordedSpan.Model(span);
        if (generation || type == LangfuseObservationTypes.Embedding)
        {
            attributes.Long("gen_ai.usage.total_tokens", RecordedSpan.TotalTokens(span));
            attributes.String("langsmith.usage_metadata", UsageMetadata(span));
            attributes.String("langsmith.metadata.ls_model_name", model);
            attributes.String("langsmith.metadata.ls_provider", provider);
            attributes.Double("langsmith.metadata.ls_temperature", span.Double(RecordedSpan.Temperature));
            attributes.Long("langsmith.metadata.ls_max_tokens", span.Long(RecordedSpan.MaxTokens));
        }

        if (CaptureContent)
        {
            attributes.String("gen_ai.prompt", AsObject(span.String(RecordedSpan.Input), "input"));
            attributes.String("gen_ai.completion", AsObject(span.String(RecordedSpan.Output), "output"));
        }

        foreach (var (key, value) in RecordedSpan.Metadata(span))
        {
            attributes.String("langsmith.metadata." + key, value);
        }

        attributes.String("langsmith.metadata.session_id", span.String(RecordedSpan.SessionId));
        attributes.String("langsmith.metadata.user_id", span.String(RecordedSpan.UserId));
        if (span.Strings(RecordedSpan.TraceTags) is { Count: > 0 } tags)
        {
            attributes.String("langsmith.span.tags", string.Join(", ", tags));
        }
    }

    // LangSmith's UsageMetadata (langsmith's schemas): the counts, their details, the cost; null without usage.
    private static string? UsageMetadata(SpanReading span)
    {
        var input = span.Long(RecordedSpan.InputTokens);
        var output = span.Long(RecordedSpan.OutputTokens);
        if (input is null && output is null)
        {
            return null;
        }

        var cacheRead = span.Long(RecordedSpan.CacheReadTokens);
        var cacheCreation = span.Long(RecordedSpan.CacheCreationTokens);
        var reasoning = span.Long(RecordedSpan.ReasoningTokens);
        var cost = span.Double(RecordedSpan.Cost);
        return RecordedSpan.Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("input_tokens", input ?? 0);
            writer.WriteNumber("output_tokens", output ?? 0);
            writer.WriteNumber("total_tokens", (input ?? 0) + (output ?? 0));
            if (cacheRead is not null || cacheCreation is not null)
            {
                writer.WriteStartObject("input_token_details");
                if (cacheRead is { } read)
                {
                    writer.WriteNumber("cache_read", read);
                }

                if (cacheCreation is { } creation)
                {
                    writer.WriteNumber("cache_creation", creation);
                }

                writer.WriteEndObject();
            }

            if (reasoning is { } reasoned)
            {
                writer.WriteStartObject("output_token_details");
                writer.WriteNumber("reasoning", reasoned);
                writer.WriteEndObject();
            }

            if (cost is { } total)
            {
                writer.WriteNumber("total_cost", total);
            }

            writer.WriteEndObject();
        });
    }

    // LangSmith takes a run's inputs and outputs as JSON objects: a body as it is, any other text (a
    // stream's answer, a body cut short) under one key.
    private static string? AsObject(string? content, string key)
    {
        if (content is null)
        {
            return null;
        }

        if (ChatMessages.IsJsonObject(content))
        {
            return content;
        }

        return RecordedSpan.Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString(key, content);
            writer.WriteEndObject();
        });
    }
}
