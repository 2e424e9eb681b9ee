using System;

namespace TracedLlm;

/// <summary>Run-time options of the traced pipeline. Set them in <c>services.AddTracedLlm(options =&gt; ...)</c>.</summary>
public sealed class TracedLlmOptions
{
    /// <summary>The largest request body accepted, in bytes; larger bodies get 413. Default 8 MiB.</summary>
    public int MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The largest metadata slot value accepted, in bytes; larger get 400. Default 64 KiB.</summary>
    public int MaxMetadataBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// When true, an inbound W3C <c>traceparent</c> is not joined (metadata ids still are).
    /// Default: the <c>OTEL_IGNORE_CONTEXT_PROPAGATION</c> environment variable.
    /// </summary>
    public bool IgnoreContextPropagation { get; set; } = IsTrue(Environment.GetEnvironmentVariable("OTEL_IGNORE_CONTEXT_PROPAGATION"));

    internal static bool IsTrue(string? value) =>
        string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) || value == "1";
}
