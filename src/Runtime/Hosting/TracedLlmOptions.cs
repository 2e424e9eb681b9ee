using System;

namespace TracedLlm;

/// <summary>
/// Run-time options of the traced pipeline. They bind from the <c>TracedLlm</c> configuration
/// section (appsettings.json, or environment variables such as <c>TracedLlm__MaxRequestBodyBytes</c>);
/// set them in code with <c>services.AddTracedLlm(options =&gt; ...)</c>. docs/configuration.md has
/// every key and the precedence of the standard variables.
/// </summary>
public sealed class TracedLlmOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm";

    /// <summary>The largest request body accepted, in bytes; larger bodies get 413. Default 8 MiB.</summary>
    public int MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The largest metadata slot value accepted, in bytes; larger get 400. Default 64 KiB.</summary>
    public int MaxMetadataBytes { get; set; } = 64 * 1024;

    /// <summary>How deep the metadata slot's value may nest (the slot's own object is level 1); deeper gets 400. Default 8.</summary>
    public int MaxMetadataDepth { get; set; } = 8;

    /// <summary>
    /// When true, an inbound W3C <c>traceparent</c> is not joined (metadata ids still are).
    /// Default: the <c>OTEL_IGNORE_CONTEXT_PROPAGATION</c> environment variable.
    /// </summary>
    public bool IgnoreContextPropagation { get; set; } = IsTrue(Environment.GetEnvironmentVariable("OTEL_IGNORE_CONTEXT_PROPAGATION"));

    /// <summary>
    /// Records request and response content (<c>langfuse.observation.input</c> / <c>.output</c>) on the
    /// LLM span. Off by default; metadata <c>mask_input</c> / <c>mask_output</c> still suppress it per
    /// request. Default: <c>TRACEDLLM_CAPTURE_MESSAGE_CONTENT</c> or
    /// <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT</c> set to <c>true</c>.
    /// </summary>
    public bool CaptureMessageContent { get; set; } =
        IsTrue(Environment.GetEnvironmentVariable("TRACEDLLM_CAPTURE_MESSAGE_CONTENT"))
        || IsTrue(Environment.GetEnvironmentVariable("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"));

    /// <summary>Captured content longer than this many characters is truncated. Default 16,384.</summary>
    public int MaxContentLength { get; set; } = 16 * 1024;

    /// <summary>The <c>langfuse.environment</c> of traces whose metadata names none. Default: <c>LANGFUSE_TRACING_ENVIRONMENT</c>.</summary>
    public string? DefaultEnvironment { get; set; } = Environment.GetEnvironmentVariable("LANGFUSE_TRACING_ENVIRONMENT") is { Length: > 0 } environment ? environment : null;

    internal static bool IsTrue(string? value) =>
        string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) || value == "1";
}
