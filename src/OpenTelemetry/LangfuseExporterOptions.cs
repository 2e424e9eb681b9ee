using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// Where and how to send traces to Langfuse's OTLP endpoint. They come from the variables Langfuse's
/// own SDKs use (<c>LANGFUSE_PUBLIC_KEY</c>, <c>LANGFUSE_SECRET_KEY</c>, <c>LANGFUSE_OTEL_HOST</c> /
/// <c>LANGFUSE_BASE_URL</c> / <c>LANGFUSE_HOST</c>), then the <c>TracedLlm:Langfuse</c>
/// configuration section over them, then code. The secret key is never shown by <see cref="ToString"/>.
/// </summary>
public sealed class LangfuseExporterOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm:Langfuse";

    /// <summary>The US cloud, used when no host is configured.</summary>
    public const string DefaultHost = "https://us.cloud.langfuse.com";

    /// <summary>The EU cloud.</summary>
    public const string EuHost = "https://cloud.langfuse.com";

    /// <summary>The path of Langfuse's OTLP trace endpoint under the host.</summary>
    public const string TracesPath = "/api/public/otel/v1/traces";

    /// <summary>The ingestion version header Langfuse reads.</summary>
    public const string IngestionVersion = "4";

    private const string PublicKeyVariable = "LANGFUSE_PUBLIC_KEY";
    private const string SecretKeyVariable = "LANGFUSE_SECRET_KEY";
    private static readonly string[] HostVariables = { "LANGFUSE_OTEL_HOST", "LANGFUSE_BASE_URL", "LANGFUSE_HOST" };

    // Which setting gave each value, to name it when it is wrong (null: code or the default).
    private string? _publicKeySource;
    private string? _secretKeySource;
    private string? _hostSource;

    /// <summary>
    /// The project's public key (<c>pk-lf-...</c>): <c>LANGFUSE_PUBLIC_KEY</c> or <c>TracedLlm:Langfuse:PublicKey</c>.
    /// </summary>
    public string? PublicKey { get; set; }

    /// <summary>
    /// The project's secret key (<c>sk-lf-...</c>): <c>LANGFUSE_SECRET_KEY</c> or <c>TracedLlm:Langfuse:SecretKey</c>.
    /// Never logged.
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// The Langfuse host: <c>TracedLlm:Langfuse:Host</c>, else <c>LANGFUSE_OTEL_HOST</c>, else
    /// <c>LANGFUSE_BASE_URL</c>, else <c>LANGFUSE_HOST</c>, else <see cref="DefaultHost"/>.
    /// <c>https://</c> is added when no scheme is given.
    /// </summary>
    public string Host { get; set; } = DefaultHost;

    /// <summary>True when either key is given, even empty: the caller meant to export to Langfuse.</summary>
    public bool IsConfigured => PublicKey is not null || SecretKey is not null;

    /// <summary><c>{host}/api/public/otel/v1/traces</c>.</summary>
    /// <exception cref="UriFormatException">The host is not a URL.</exception>
    public Uri Endpoint => new(WithScheme(Host).TrimEnd('/') + TracesPath);

    /// <summary>Reads the options from the environment.</summary>
    public static LangfuseExporterOptions FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    /// <summary>Reads the options from any variable source (the environment, or a test's dictionary).</summary>
    public static LangfuseExporterOptions FromVariables(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var options = new LangfuseExporterOptions();
        options.ReadVariables(variable);
        return options;
    }

    /// <summary>
    /// Reads the options the way the exporter does: the standard variables as
    /// <paramref name="configuration"/> holds them (a host's configuration holds the environment),
    /// then the <c>TracedLlm:Langfuse</c> section over them.
    /// </summary>
    public static LangfuseExporterOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new LangfuseExporterOptions();
        ConfigurationReader.Read(
            options,
            configuration,
            SectionName,
            static (options, variable) => options.ReadVariables(variable),
            static (options, section) => options.BindSection(section));
        return options;
    }

    /// <summary>Fails, naming the setting to fix, unless both keys are set and the host is an http(s) URL.</summary>
    /// <exception cref="InvalidOperationException">A key is missing or empty, or the host is malformed; the message is
    /// one line.</exception>
    public void Validate()
    {
        if (Problems() is { Count: > 0 } problems)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var endpoint = TryEndpoint(out var address) ? OtlpResponses.Address(address) : "(not an http(s) URL)";
        var secretKey = string.IsNullOrEmpty(SecretKey) ? "(not set)" : "***";
        return $"LangfuseExporterOptions {{ Endpoint = {endpoint}, PublicKey = {PublicKey ?? "(not set)"}, "
            + $"SecretKey = {secretKey} }}";
    }

    /// <summary>The OTLP exporter's header string: Basic auth of the key pair and the ingestion version.</summary>
    internal string OtlpHeaders()
    {
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PublicKey}:{SecretKey}"));
        return $"Authorization=Basic {credentials},x-langfuse-ingestion-version={IngestionVersion}";
    }

    /// <summary>
    /// Binds the <c>TracedLlm:Langfuse</c> section over the variables, remembering which keys it set (to name them when
    /// wrong).
    /// </summary>
    internal void BindSection(IConfigurationSection section)
    {
        // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe.
        section.Bind(this);
        _publicKeySource = section[nameof(PublicKey)] is not null
            ? $"{SectionName}:{nameof(PublicKey)}"
            : _publicKeySource;
        _secretKeySource = section[nameof(SecretKey)] is not null
            ? $"{SectionName}:{nameof(SecretKey)}"
            : _secretKeySource;
        _hostSource = section[nameof(Host)] is not null ? $"{SectionName}:{nameof(Host)}" : _hostSource;
    }

    /// <summary>Every problem, each one sentence naming the setting to fix.</summary>
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        KeyProblem(problems, PublicKey, _publicKeySource, PublicKeyVariable, nameof(PublicKey));
        KeyProblem(problems, SecretKey, _secretKeySource, SecretKeyVariable, nameof(SecretKey));
        if (!TryEndpoint(out _))
        {
            problems.Add(
                $"The Langfuse host \"{Host}\" ({_hostSource ?? "Host"}) is not an http(s) URL such as {EuHost}.");
        }

        return problems;
    }

    private static void KeyProblem(
        List<string> problems,
        string? value,
        string? source,
        string variable,
        string property)
    {
        if (value is null)
        {
            problems.Add($"Langfuse export needs {variable}, which is missing (or set {SectionName}:{property}).");
        }
        else if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(
                $"Langfuse export needs {variable}, which is "
                + $"empty{(source is null || source == variable ? string.Empty : $" (set as {source})")}.");
        }
    }

    private static string WithScheme(string host) =>
        host.Contains("://", StringComparison.Ordinal) ? host : "https://" + host;

    /// <summary>
    /// The variables Langfuse's own SDKs read, as a configuration (or the environment) holds them
    /// (<see cref="ConfigurationReader"/>).
    /// </summary>
    internal void ReadVariables(Func<string, string?> variable)
    {
        // A variable that is set but empty counts as given: "LANGFUSE_SECRET_KEY=" is a mistake to report, not silence.
        if (variable(PublicKeyVariable) is { } publicKey)
        {
            (PublicKey, _publicKeySource) = (publicKey.Trim(), PublicKeyVariable);
        }

        if (variable(SecretKeyVariable) is { } secretKey)
        {
            (SecretKey, _secretKeySource) = (secretKey.Trim(), SecretKeyVariable);
        }

        foreach (var name in HostVariables)
        {
            if (variable(name) is { } host && !string.IsNullOrWhiteSpace(host))
            {
                (Host, _hostSource) = (host.Trim(), name);
                break;
            }
        }
    }

    private bool TryEndpoint(out Uri endpoint) =>
        Uri.TryCreate(WithScheme(Host ?? string.Empty).TrimEnd('/') + TracesPath, UriKind.Absolute, out endpoint!)
        && (endpoint.Scheme == Uri.UriSchemeHttp || endpoint.Scheme == Uri.UriSchemeHttps)
        && endpoint.Host.Length > 0;
}

/// <summary>Checks <see cref="LangfuseExporterOptions"/> when the host starts.</summary>
internal sealed class LangfuseExporterOptionsValidator : IValidateOptions<LangfuseExporterOptions>
{
    public ValidateOptionsResult Validate(string? name, LangfuseExporterOptions options) =>
        options.Problems() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems)
            : ValidateOptionsResult.Success;
}
