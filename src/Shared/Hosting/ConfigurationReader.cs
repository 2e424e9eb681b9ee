using System;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// The one way every TracedLlm options type is read: standard variables, then its own section, then code.
/// </summary>
/// <remarks>
/// The standard variables it honours (<c>OTEL_*</c>, <c>LANGFUSE_*</c>, <c>TRACEDLLM_*</c>) are read as the
/// configuration holds them (a host's configuration holds the environment), its own section over them, then code;
/// checked, one message per wrong setting, when the host starts. Each type says only which variables it reads and binds
/// its section itself, where the configuration-binding source generator sees its type (no reflection, Native AOT safe).
/// Compiled into TracedLlm, TracedLlm.OpenTelemetry and TracedLlm.ReverseProxy from this one file.
/// </remarks>
internal static class ConfigurationReader
{
    /// <summary>
    /// Registers <typeparamref name="TOptions"/> (named <paramref name="name"/>, else the default
    /// instance) read from the host's configuration, then <paramref name="configure"/>, validated by
    /// <typeparamref name="TValidator"/> when the host starts.
    /// </summary>
    public static OptionsBuilder<TOptions> AddConfiguredOptions<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(
        this IServiceCollection services,
        string sectionName,
        Action<TOptions, Func<string, string?>> readVariables,
        Action<TOptions, IConfigurationSection> bindSection,
        Action<TOptions>? configure,
        string? name = null)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        var options = services
            .AddOptions<TOptions>(name ?? Options.DefaultName)
            .Configure<IServiceProvider>(
                (value, provider) =>
                {
                    // Without a host there may be no IConfiguration: the defaults and code then decide.
                    if (provider.GetService<IConfiguration>() is { } configuration)
                    {
                        Read(value, configuration, sectionName, readVariables, bindSection);
                    }
                });
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return options;
    }

    /// <summary>
    /// Reads <paramref name="options"/>: the standard variables first (they are defaults: present in
    /// <paramref name="configuration"/> when they are in the environment), then the section over them.
    /// </summary>
    public static void Read<TOptions>(
        TOptions options,
        IConfiguration configuration,
        string sectionName,
        Action<TOptions, Func<string, string?>> readVariables,
        Action<TOptions, IConfigurationSection> bindSection)
    {
        readVariables(options, key => configuration[key]);
        bindSection(options, configuration.GetSection(sectionName));
    }
}
