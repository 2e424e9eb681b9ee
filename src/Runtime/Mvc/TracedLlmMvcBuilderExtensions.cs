using System;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TracedLlm;
using TracedLlm.Pipeline;

// Where MVC's builder extensions are, as AddJsonOptions() is.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Runs the generated pipeline of each <c>[TracedLlmRoute]</c> controller action inside MVC (docs/mvc.md).
/// </summary>
public static class TracedLlmMvcBuilderExtensions
{
    /// <summary>
    /// Traces the app's controller actions marked <c>[TracedLlmRoute]</c>: MVC keeps its routing,
    /// model binding, validation, filters and exception handling; the pipeline runs inside its
    /// action invocation. Adds the TracedLlm run time too (<c>services.AddTracedLlm(configure)</c>).
    /// </summary>
    public static IMvcBuilder AddTracedLlm(this IMvcBuilder builder, Action<TracedLlmOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddTracedLlm(configure);
        services.TryAddEnumerable(ServiceDescriptor.Transient<IApplicationModelProvider, TracedActionModelProvider>());
        services.Configure<MvcOptions>(static options =>
        {
            // The call is the request's, not a model: MVC does not validate what it holds.
            options.ModelMetadataDetailsProviders.Add(new SuppressChildValidationMetadataProvider(typeof(LlmCall)));
        });
        return builder;
    }
}
