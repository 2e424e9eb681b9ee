using System;
using System.Text;
using System.Text.Json.Serialization;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// What one destination's backend reads, added to the spans at export: the attributes a span keeps,
/// those the translation adds from them, and the resource's. Applied to the serialized OTLP request
/// (<see cref="OtlpRewriter"/>), on the destination's export thread: the span contract and every
/// other destination's spans stay as they were.
/// </summary>
internal abstract class SpanTranslation
{
    private static readonly byte[][] ContentKeys =
    {
        Encoding.UTF8.GetBytes(AttributeNames.LangfuseObservationInput),
        Encoding.UTF8.GetBytes(AttributeNames.LangfuseObservationOutput),
        Encoding.UTF8.GetBytes(AttributeNames.GenAiInputMessages),
        Encoding.UTF8.GetBytes(AttributeNames.GenAiOutputMessages),
        Encoding.UTF8.GetBytes(AttributeNames.GenAiSystemInstructions),
    };

    protected SpanTranslation(bool captureContent) => CaptureContent = captureContent;

    /// <summary>
    /// Whether message content reaches the backend: false strips it
    /// (<see cref="TraceDestinationOptions.CaptureContent"/>).
    /// </summary>
    public bool CaptureContent { get; }

    /// <summary>
    /// The translation for a destination of <paramref name="kind"/>; null when the spans go as recorded.
    /// </summary>
    public static SpanTranslation? For(TraceDestinationKind kind, bool captureContent, string? project) => kind switch
    {
        TraceDestinationKind.Phoenix => new OpenInferenceTranslation(captureContent, project),
        TraceDestinationKind.LangSmith => new LangSmithTranslation(captureContent, project),
        _ when !captureContent => new ContentStripping(),
        _ => null,
    };

    /// <summary>
    /// Whether the span keeps its attribute named <paramref name="key"/>; by default, all but content when it is
    /// stripped.
    /// </summary>
    public virtual bool Keeps(ReadOnlySpan<byte> key) => CaptureContent || !IsContent(key);

    /// <summary>
    /// Whether the resource keeps its attribute named <paramref name="key"/> (one the translation sets itself is
    /// replaced).
    /// </summary>
    public virtual bool KeepsResource(ReadOnlySpan<byte> key) => true;

    /// <summary>Adds the resource's attributes.</summary>
    public virtual void AddResource(ref AttributeWriter resource)
    {
    }

    /// <summary>
    /// Adds the span's attributes, read from <paramref name="span"/> (content only when <see cref="CaptureContent"/>).
    /// </summary>
    public abstract void AddSpan(SpanReading span, ref AttributeWriter attributes);

    protected static bool IsContent(ReadOnlySpan<byte> key)
    {
        foreach (var content in ContentKeys)
        {
            if (key.SequenceEqual(content))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Strips message content, adds nothing: an OTLP or Langfuse destination with content capture off.
    /// </summary>
    private sealed class ContentStripping() : SpanTranslation(captureContent: false)
    {
        public override void AddSpan(SpanReading span, ref AttributeWriter attributes)
        {
        }
    }
}

/// <summary>The JSON a translation writes, source-generated (no reflection, AOT-safe).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class TranslationJson : JsonSerializerContext
{
}
