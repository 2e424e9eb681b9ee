using System;
using System.Linq;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TracedLlm;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Records an <c>HttpClient</c>'s sends as the upstream attempts of the traced requests they serve.</summary>
public static class TracedLlmHttpClientBuilderExtensions
{
    /// <summary>
    /// Records every request this client sends from a traced route (the handler, and the code it awaits: a service, an
    /// orchestrator in another project) as an upstream attempt.
    /// </summary>
    /// <remarks>
    /// One <c>raw_gen_ai_request</c> span per send under the request's LLM span, each re-send of the client's
    /// resilience handlers (<c>AddStandardResilienceHandler()</c>, <c>AddResilienceHandler()</c>,
    /// <c>AddPolicyHandler()</c>) included, whatever order they were added in; its kind (initial, retry, fallback) told
    /// as <see cref="LlmCall.StartAttempt(LlmTarget)"/> tells it, so the app's own loop over models or backends shows
    /// as fallbacks. Each send carries its own attempt's <c>traceparent</c>; the response's model and usage are read as
    /// the app reads the body. A circuit that refused the call is the reason of the next attempt. Outside a traced
    /// request the client works as before. Turns <see cref="LlmCall.Current"/> on, which the handlers find the request
    /// by.
    /// </remarks>
    /// <param name="builder">The client's builder (<c>services.AddHttpClient("llm")</c>, or a typed client's).</param>
    /// <param name="configure">The client's options: its provider name, a hook to name each send's target, ...</param>
    public static IHttpClientBuilder AddTracedLlmAttempts(
        this IHttpClientBuilder builder,
        Action<TracedLlmAttemptOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // At start-up, not in a request: the first request's call must already flow.
        LlmCall.EnableCurrent();
        builder.Services.AddOptions();
        builder.Services.TryAddSingleton<AttemptLog.Warned>();
        if (configure is not null)
        {
            builder.Services.Configure(builder.Name, configure);
        }

        // After every Configure: outside and inside whatever handlers the app added, before or after this call.
        var name = builder.Name;
        builder.Services.PostConfigure<HttpClientFactoryOptions>(
            name,
            factory =>
                factory.HttpMessageHandlerBuilderActions.Add(handlers =>
                {
                    if (handlers.AdditionalHandlers.Any(h => h is AttemptHandler))
                    {
                        return;
                    }

                    var clientName = handlers.Name ?? name ?? string.Empty;
                    var services = handlers.Services;
                    var monitor = services.GetRequiredService<IOptionsMonitor<TracedLlmAttemptOptions>>();
                    var logger =
                        services.GetService<ILoggerFactory>()?.CreateLogger(AttemptLog.Category)
                        ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
                    handlers.AdditionalHandlers.Insert(
                        0,
                        new UpstreamCallHandler(
                            clientName,
                            monitor,
                            logger,
                            services.GetRequiredService<AttemptLog.Warned>()));
                    handlers.AdditionalHandlers.Add(new AttemptHandler(clientName, monitor));
                }));
        return builder;
    }
}
