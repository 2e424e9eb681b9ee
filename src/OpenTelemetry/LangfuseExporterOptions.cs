using System;
using System.Text;

namespace TracedLlm.OpenTelemetry;

/// <summary>
/// Where and how to send traces to Langfuse's OTLP endpoint. <see cref="FromEnvironment"/> reads
/// the variables Langfuse's own SDKs use; every option can also be set in code. The secret key is
/// never shown by <see cref="ToString"/>.
/// </summary>
public sealed class LangfuseExporterOptions
{
    /// <summary>The US cloud, used when no host is configured.</summary>
    public const string DefaultHost = "https://us.cloud.langfuse.com";

    /// <summary>The EU cloud.</summary>
    public const string EuHost = "https://cloud.langfuse.com";

    /// <summary>The path of Langfuse's OTLP trace endpoint under the host.</summary>
    public const string TracesPath = "/api/public/otel/v1/traces";

    /// <summary>The ingestion version header Langfuse reads.</summary>
    public const string IngestionVersion = "4";

    /// <summary>The project's public key (<c>pk-lf-...</c>): <c>LANGFUSE_PUBLIC_KEY</c>.</summary>
    public string? PublicKey { get; set; }

    /// <summary>The project's secret key (<c>sk-lf-...</c>): <c>LANGFUSE_SECRET_KEY</c>. Never logged.</summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// The Langfuse host: <c>LANGFUSE_OTEL_HOST</c>, else <c>LANGFUSE_BASE_URL</c>, else
    /// <c>LANGFUSE_HOST</c>, else <see cref="DefaultHost"/>. <c>https://</c> is added when no scheme is given.
    /// </summary>
    public string Host { get; set; } = DefaultHost;

    /// <summary>True when either key is set: the caller meant to export to Langfuse.</summary>
    public bool IsConfigured => !string.IsNullOrEmpty(PublicKey) || !string.IsNullOrEmpty(SecretKey);

    /// <summary><c>{host}/api/public/otel/v1/traces</c>.</summary>
    public Uri Endpoint => new(WithScheme(Host).TrimEnd('/') + TracesPath);

    /// <summary>Reads the options from the environment.</summary>
    public static LangfuseExporterOptions FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    /// <summary>Reads the options from any variable source (the environment, or a test's dictionary).</summary>
    public static LangfuseExporterOptions FromVariables(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? Read(string name) => variable(name) is { Length: > 0 } value ? value.Trim() : null;
        return new LangfuseExporterOptions
        {
            PublicKey = Read("LANGFUSE_PUBLIC_KEY"),
            SecretKey = Read("LANGFUSE_SECRET_KEY"),
            Host = Read("LANGFUSE_OTEL_HOST") ?? Read("LANGFUSE_BASE_URL") ?? Read("LANGFUSE_HOST") ?? DefaultHost,
        };
    }

    /// <summary>Fails, naming both variables, unless both keys are set.</summary>
    /// <exception cref="InvalidOperationException">A key is missing.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(PublicKey) || string.IsNullOrEmpty(SecretKey))
        {
            var missing = string.IsNullOrEmpty(PublicKey) && string.IsNullOrEmpty(SecretKey) ? "both are missing"
                : string.IsNullOrEmpty(PublicKey) ? "LANGFUSE_PUBLIC_KEY is missing" : "LANGFUSE_SECRET_KEY is missing";
            throw new InvalidOperationException(
                $"Langfuse export needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (or PublicKey and SecretKey in code): {missing}.");
        }

        _ = Endpoint;
    }

    /// <summary>The OTLP exporter's header string: Basic auth of the key pair and the ingestion version.</summary>
    internal string OtlpHeaders()
    {
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PublicKey}:{SecretKey}"));
        return $"Authorization=Basic {credentials},x-langfuse-ingestion-version={IngestionVersion}";
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"LangfuseExporterOptions {{ Endpoint = {Endpoint}, PublicKey = {PublicKey ?? "(not set)"}, SecretKey = {(string.IsNullOrEmpty(SecretKey) ? "(not set)" : "***")} }}";

    private static string WithScheme(string host) =>
        host.Contains("://", StringComparison.Ordinal) ? host : "https://" + host;
}
