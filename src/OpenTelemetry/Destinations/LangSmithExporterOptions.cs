using System;
using System.Collections.Generic;
using System.Globalization;

namespace TracedLlm;

/// <summary>
/// Where and how to send traces to LangSmith's OpenTelemetry ingestion (<c>AddTracedLlmLangSmithExporter</c>).
/// </summary>
/// <remarks>
/// Read from the variables LangSmith's own SDKs read (<c>LANGSMITH_API_KEY</c>, <c>LANGSMITH_PROJECT</c>,
/// <c>LANGSMITH_ENDPOINT</c>, <c>LANGSMITH_SAMPLING_RATE</c>, each also as <c>LANGCHAIN_*</c>), then the
/// <c>TracedLlm:LangSmith</c> section, then code. The API key is never shown by <see cref="ToString"/>.
/// </remarks>
public sealed class LangSmithExporterOptions : IBackendExporterOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm:LangSmith";

    /// <summary>The API key, sent as <c>x-api-key</c>. Required. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The project the runs land in (<c>Langsmith-Project</c>); default LangSmith's own (<c>default</c>).
    /// </summary>
    public string? Project { get; set; }

    /// <summary>
    /// LangSmith's API endpoint (its traces go to <c>{endpoint}/otel/v1/traces</c>). Default
    /// <c>https://api.smith.langchain.com</c>.
    /// </summary>
    public string Endpoint { get; set; } = DestinationAddress.LangSmithDefault;

    /// <summary>
    /// The share of requests sent, 0 to 1, chosen by trace id (<c>LANGSMITH_SAMPLING_RATE</c>). Default 1.
    /// </summary>
    public double SamplingRatio { get; set; } = 1;

    /// <summary>Whether LangSmith gets message content, when the gateway records it. Default true.</summary>
    public bool CaptureContent { get; set; } = true;

    /// <summary>Every span, or each request's generation only. Default <see cref="ExportScope.All"/>.</summary>
    public ExportScope Scope { get; set; }

    /// <inheritdoc />
    public override string ToString() => BackendExporterOptions.Describe(this);

    /// <inheritdoc />
    TraceDestinationOptions IBackendExporterOptions.Destination() => new()
    {
        Kind = TraceDestinationKind.LangSmith, Endpoint = Endpoint, ApiKey = ApiKey, Project = Project,
        SamplingRatio = SamplingRatio, CaptureContent = CaptureContent, Scope = Scope, Default = true,
    };

    /// <inheritdoc />
    void IBackendExporterOptions.ReadVariables(Func<string, string?> variable)
    {
        string? Read(string name) =>
            BackendExporterOptions.Given(variable("LANGSMITH_" + name))
            ?? BackendExporterOptions.Given(variable("LANGCHAIN_" + name));
        ApiKey = Read("API_KEY") ?? ApiKey;
        Project = Read("PROJECT") ?? Project;
        Endpoint = Read("ENDPOINT") ?? Endpoint;
        if (Read("SAMPLING_RATE") is { } rate)
        {
            // Unreadable is reported as out of range (NaN), naming the variable, not ignored.
            SamplingRatio = double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio)
                ? ratio
                : double.NaN;
        }
    }

    /// <inheritdoc />
    IReadOnlyList<string> IBackendExporterOptions.Problems() =>
        DestinationProblems.Of(
            ((IBackendExporterOptions)this).Destination(),
            "LangSmith export",
            SectionName,
            "LANGSMITH_ENDPOINT",
            "LANGSMITH_API_KEY",
            "LANGSMITH_SAMPLING_RATE");
}
