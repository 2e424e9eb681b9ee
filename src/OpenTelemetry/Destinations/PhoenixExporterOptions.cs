using System;
using System.Collections.Generic;
using System.Globalization;

namespace TracedLlm;

/// <summary>
/// Where and how to send traces to Arize Phoenix (<c>AddTracedLlmPhoenixExporter</c>): from the
/// variables Phoenix's own SDKs read (<c>PHOENIX_COLLECTOR_ENDPOINT</c>, <c>PHOENIX_API_KEY</c>,
/// <c>PHOENIX_PROJECT</c> / <c>PHOENIX_PROJECT_NAME</c>, <c>PHOENIX_CLIENT_HEADERS</c>), then the
/// <c>TracedLlm:Phoenix</c> section, then code. The API key is never shown by <see cref="ToString"/>.
/// </summary>
public sealed class PhoenixExporterOptions : IBackendExporterOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm:Phoenix";

    /// <summary>
    /// Phoenix's collector endpoint (its traces go to <c>{endpoint}/v1/traces</c>). Default
    /// <c>http://localhost:6006</c>.
    /// </summary>
    public string Endpoint { get; set; } = DestinationAddress.PhoenixDefault;

    /// <summary>
    /// The API key (Phoenix Cloud, or a Phoenix with authentication), sent as <c>authorization: Bearer</c>. Never
    /// logged.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The project the spans land in. Default <c>default</c>.</summary>
    public string? Project { get; set; }

    /// <summary>
    /// More request headers, <c>name=value,name=value</c> (<c>PHOENIX_CLIENT_HEADERS</c>). Never logged.
    /// </summary>
    public string? Headers { get; set; }

    /// <summary>Whether Phoenix gets message content, when the gateway records it. Default true.</summary>
    public bool CaptureContent { get; set; } = true;

    /// <summary>Every span, or each request's generation only. Default <see cref="ExportScope.All"/>.</summary>
    public ExportScope Scope { get; set; }

    /// <inheritdoc />
    public override string ToString() => BackendExporterOptions.Describe(this);

    /// <inheritdoc />
    TraceDestinationOptions IBackendExporterOptions.Destination() => new()
    {
        Kind = TraceDestinationKind.Phoenix, Endpoint = Endpoint, ApiKey = ApiKey, Project = Project, Headers = Headers,
        CaptureContent = CaptureContent, Scope = Scope, Default = true,
    };

    /// <inheritdoc />
    void IBackendExporterOptions.ReadVariables(Func<string, string?> variable)
    {
        Endpoint = BackendExporterOptions.Given(variable("PHOENIX_COLLECTOR_ENDPOINT")) ?? Endpoint;
        ApiKey = BackendExporterOptions.Given(variable("PHOENIX_API_KEY")) ?? ApiKey;
        Project =
            BackendExporterOptions.Given(variable("PHOENIX_PROJECT"))
            ?? BackendExporterOptions.Given(variable("PHOENIX_PROJECT_NAME"))
            ?? Project;
        Headers = BackendExporterOptions.Given(variable("PHOENIX_CLIENT_HEADERS")) ?? Headers;
    }

    /// <inheritdoc />
    IReadOnlyList<string> IBackendExporterOptions.Problems() =>
        DestinationProblems.Of(
            ((IBackendExporterOptions)this).Destination(),
            "Phoenix export",
            SectionName,
            "PHOENIX_COLLECTOR_ENDPOINT");
}

