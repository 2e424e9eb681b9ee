using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// Where and how to send traces to LangSmith's OpenTelemetry ingestion (<c>AddTracedLlmLangSmithExporter</c>):
/// from the variables LangSmith's own SDKs read (<c>LANGSMITH_API_KEY</c>, <c>LANGSMITH_PROJECT</c>,
/// <c>LANGSMITH_ENDPOINT</c>, <c>LANGSMITH_SAMPLING_RATE</c>, each also as <c>LANGCHAIN_*</c>), then
/// the <c>TracedLlm:LangSmith</c> section, then code. The API key is never shown by <see cref="ToString"/>.
/// </summary>
public sealed class LangSmithExporterOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm:LangSmith";

    /// <summary>The API key, sent as <c>x-api-key</c>. Required. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The project the runs land in (<c>Langsmith-Project</c>); default LangSmith's own (<c>default</c>).</summary>
    public string? Project { get; set; }

    /// <summary>LangSmith's API endpoint (its traces go to <c>{endpoint}/otel/v1/traces</c>). Default <c>https://api.smith.langchain.com</c>.</summary>
    public string Endpoint { get; set; } = DestinationAddress.LangSmithDefault;

    /// <summary>The share of requests sent, 0 to 1, chosen by trace id (<c>LANGSMITH_SAMPLING_RATE</c>). Default 1.</summary>
    public double SamplingRatio { get; set; } = 1;

    /// <summary>Whether LangSmith gets message content, when the gateway records it. Default true.</summary>
    public bool CaptureContent { get; set; } = true;

    /// <summary>Every span, or each request's generation only. Default <see cref="ExportScope.All"/>.</summary>
    public ExportScope Scope { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"LangSmithExporterOptions {{ {Destination().ToString()["TraceDestinationOptions { ".Length..]}";

    /// <summary>The one destination these options describe: every request's spans, as LangSmith reads them.</summary>
    internal TraceDestinationOptions Destination() => new()
    {
        Kind = TraceDestinationKind.LangSmith, Endpoint = Endpoint, ApiKey = ApiKey, Project = Project, SamplingRatio = SamplingRatio, CaptureContent = CaptureContent, Scope = Scope, Default = true,
    };

    /// <summary>The variables LangSmith's SDKs read (<c>LANGSMITH_*</c>, else <c>LANGCHAIN_*</c>), as a configuration (or the environment) holds them.</summary>
    internal void ReadVariables(Func<string, string?> variable)
    {
        string? Read(string name) => Given(variable("LANGSMITH_" + name)) ?? Given(variable("LANGCHAIN_" + name));
        ApiKey = Read("API_KEY") ?? ApiKey;
        Project = Read("PROJECT") ?? Project;
        Endpoint = Read("ENDPOINT") ?? Endpoint;
        if (Read("SAMPLING_RATE") is { } rate)
        {
            // Unreadable is reported as out of range (NaN), naming the variable, not ignored.
            SamplingRatio = double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) ? ratio : double.NaN;
        }
    }

    /// <summary>Every problem, each one sentence naming the setting (never a value).</summary>
    internal IReadOnlyList<string> Problems() => DestinationProblems.Of(Destination(), "LangSmith export", SectionName, "LANGSMITH_ENDPOINT", "LANGSMITH_API_KEY", "LANGSMITH_SAMPLING_RATE");

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Checks <see cref="LangSmithExporterOptions"/> when the host starts.</summary>
internal sealed class LangSmithExporterOptionsValidator : IValidateOptions<LangSmithExporterOptions>
{
    public ValidateOptionsResult Validate(string? name, LangSmithExporterOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
