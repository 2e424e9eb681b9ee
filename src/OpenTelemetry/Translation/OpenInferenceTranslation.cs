using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TracedLlm;

/// <summary>
/// Arize Phoenix reads OpenInference's conventions (@arizeai/openinference-semantic-conventions); this translation adds
/// them.
/// </summary>
/// <remarks>
/// It reads the project from the resource's <c>openinference.project.name</c>, each span's
/// <c>openinference.span.kind</c> (the request's generation is the one <c>LLM</c> span, an embedding <c>EMBEDDING</c>,
/// a guardrail <c>GUARDRAIL</c>, TracedLlm's other spans <c>CHAIN</c>), the LLM's <c>llm.model_name</c>,
/// <c>llm.provider</c>, <c>llm.token_count.*</c>, <c>llm.cost.total</c>, <c>llm.invocation_parameters</c>, its messages
/// (<c>llm.input_messages.{i}.message.role</c> / <c>.content</c>), <c>input.value</c> / <c>output.value</c> with their
/// mime types, <c>metadata</c> (JSON, the caller's identity included) and <c>tag.tags</c>. <c>user.id</c> and
/// <c>session.id</c> are already the names OpenInference uses. A span of another library goes as it was recorded.
/// </remarks>
internal sealed class OpenInferenceTranslation : SpanTranslation
{
    /// <summary>The resource attribute naming the Phoenix project.</summary>
    public const string ProjectAttribute = "openinference.project.name";

    /// <summary>Phoenix's project when none is named.</summary>
    public const string DefaultProject = "default";

    // Messages recorded per direction at most: content is bounded already; this bounds the attribute count.
    private const int MaxMessages = 128;

    private static readonly byte[] ProjectKey = Encoding.UTF8.GetBytes(ProjectAttribute);

    private readonly string _project;

    public OpenInferenceTranslation(bool captureContent, string? project)
        : base(captureContent) => _project = string.IsNullOrWhiteSpace(project) ? DefaultProject : project.Trim();

    /// <summary>The request's content moves to <c>input.value</c> / <c>output.value</c>: not sent twice.</summary>
    public override bool Keeps(ReadOnlySpan<byte> key) =>
        base.Keeps(key) && !key.SequenceEqual(RecordedSpan.Input) && !key.SequenceEqual(RecordedSpan.Output);

    public override bool KeepsResource(ReadOnlySpan<byte> key) => !key.SequenceEqual(ProjectKey);

    public override void AddResource(ref AttributeWriter resource) => resource.String(ProjectAttribute, _project);

    public override void AddSpan(SpanReading span, ref AttributeWriter attributes)
    {
        var type = RecordedSpan.Type(span);
        if (type is null)
        {
            return;
        }

        var generation = type == Telemetry.LangfuseObservationTypes.Generation;
        if (!span.Has(RecordedSpan.OpenInferenceKind))
        {
            attributes.String("openinference.span.kind", type switch
            {
                Telemetry.LangfuseObservationTypes.Generation => "LLM",
                Telemetry.LangfuseObservationTypes.Embedding => "EMBEDDING",
                Telemetry.LangfuseObservationTypes.Guardrail => "GUARDRAIL",
                _ => "CHAIN",
            });
        }

        var model = RecordedSpan.Model(span);
        if (generation)
        {
            var provider = span.String(RecordedSpan.Provider);
            attributes.String("llm.model_name", model);
            attributes.String("llm.provider", provider);
            attributes.String("llm.system", provider);
            attributes.Long("llm.token_count.prompt", span.Long(RecordedSpan.InputTokens));
            attributes.Long("llm.token_count.completion", span.Long(RecordedSpan.OutputTokens));
            attributes.Long("llm.token_count.total", RecordedSpan.TotalTokens(span));
            attributes.Long("llm.token_count.prompt_details.cache_read", span.Long(RecordedSpan.CacheReadTokens));
            attributes.Long("llm.token_count.prompt_details.cache_write", span.Long(RecordedSpan.CacheCreationTokens));
            attributes.Long("llm.token_count.completion_details.reasoning", span.Long(RecordedSpan.ReasoningTokens));
            attributes.Double("llm.cost.total", span.Double(RecordedSpan.Cost));
            attributes.String("llm.invocation_parameters", RecordedSpan.Parameters(span, model: null));
        }
        else if (type == Telemetry.LangfuseObservationTypes.Embedding)
        {
            attributes.String("embedding.model_name", model);
        }

        if (CaptureContent)
        {
            AddContent(span, ref attributes, generation);
        }

        var metadata = RecordedSpan.Metadata(span);
        if (metadata.Count > 0)
        {
            attributes.String("metadata", RecordedSpan.Json(writer =>
            {
                writer.WriteStartObject();
                foreach (var (key, value) in metadata)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }));
        }

        if (span.Strings(RecordedSpan.TraceTags) is { Count: > 0 } tags)
        {
            attributes.Strings("tag.tags", tags);
        }
    }

    private static void AddContent(SpanReading span, ref AttributeWriter attributes, bool generation)
    {
        var input = span.String(RecordedSpan.Input);
        var output = span.String(RecordedSpan.Output);
        Value(ref attributes, "input", input);
        Value(ref attributes, "output", output);
        if (!generation)
        {
            return;
        }

        var inputMessages =
            span.String(RecordedSpan.InputMessages) is { } genAiInput ? ChatMessages.FromGenAi(genAiInput)
            : input is not null ? ChatMessages.FromRequest(input)
            : null;
        var outputMessages =
            span.String(RecordedSpan.OutputMessages) is { } genAiOutput ? ChatMessages.FromGenAi(genAiOutput)
            : output is not null ? ChatMessages.FromResponse(output)
            : null;
        Messages(ref attributes, "llm.input_messages", inputMessages);
        Messages(ref attributes, "llm.output_messages", outputMessages);
    }

    private static void Value(ref AttributeWriter attributes, string prefix, string? value)
    {
        if (value is null)
        {
            return;
        }

        attributes.String(prefix + ".value", value);
        attributes.String(prefix + ".mime_type", ChatMessages.LooksLikeJson(value) ? "application/json" : "text/plain");
    }

    private static void Messages(
        ref AttributeWriter attributes,
        string prefix,
        List<(string Role, string Content)>? messages)
    {
        if (messages is null)
        {
            return;
        }

        for (var i = 0; i < messages.Count && i < MaxMessages; i++)
        {
            var index = i.ToString(CultureInfo.InvariantCulture);
            attributes.String($"{prefix}.{index}.message.role", messages[i].Role);
            attributes.String($"{prefix}.{index}.message.content", messages[i].Content);
        }
    }
}
