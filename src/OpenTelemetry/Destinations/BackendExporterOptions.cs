using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// The options of an exporter for one backend (Phoenix, LangSmith): read from the variables of the
/// backend's own SDKs, then a configuration section, then code; one destination for every request.
/// </summary>
internal interface IBackendExporterOptions
{
    /// <summary>The one destination the options describe: every request's spans, as the backend reads them.</summary>
    TraceDestinationOptions Destination();

    /// <summary>The variables the backend's SDKs read, as a configuration (or the environment) holds them.</summary>
    void ReadVariables(Func<string, string?> variable);

    /// <summary>Every problem, each one sentence naming the setting (never a value).</summary>
    IReadOnlyList<string> Problems();
}

/// <summary>
/// What the one-backend exporters' options share: reading a variable, and describing them without their secrets.
/// </summary>
internal static class BackendExporterOptions
{
    /// <summary>A variable's value, trimmed; null when it is missing or blank (so it changes nothing).</summary>
    public static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>
    /// The options as their destination describes itself (no key, no header value), under their own type's name.
    /// </summary>
    public static string Describe(IBackendExporterOptions options) =>
        $"{options.GetType().Name} {{ {options.Destination().Members()} }}";
}

/// <summary>Checks one backend's exporter options when the host starts.</summary>
internal sealed class BackendExporterOptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class, IBackendExporterOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        options.Problems() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems)
            : ValidateOptionsResult.Success;
}
