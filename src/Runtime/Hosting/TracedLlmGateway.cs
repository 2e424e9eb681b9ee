using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TracedLlm.Pipeline;

/// <summary>
/// The services every traced route uses, resolved once per application: options, the
/// authenticator, guardrails by mode, failure loggers and JSON options.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class TracedLlmGateway
{
    /// <summary>Created by DI (<c>AddTracedLlm</c>).</summary>
    internal TracedLlmGateway(
        TracedLlmOptions options,
        IEnumerable<ILlmGuardrail> guardrails,
        IEnumerable<ILlmFailureLogger> failureLoggers,
        IOptions<JsonOptions> jsonOptions,
        ILlmAuthenticator? authenticator = null,
        IServiceProviderIsService? serviceTypes = null,
        ILlmErrorWriter? errorWriter = null)
    {
        Options = options;
        _errorWriter = errorWriter;
        ServiceTypes = serviceTypes;
        Authenticator = authenticator;
        var all = guardrails.ToArray();
        PreCallGuardrails = all.Where(g => (g.Modes & GuardrailMode.PreCall) != 0).ToArray();
        DuringCallGuardrails = all.Where(g => (g.Modes & GuardrailMode.DuringCall) != 0).ToArray();
        PostCallGuardrails = all.Where(g => (g.Modes & GuardrailMode.PostCall) != 0).ToArray();
        FailureLoggers = failureLoggers.ToArray();
        JsonSerializerOptions = jsonOptions.Value.SerializerOptions;
    }

    private readonly ILlmErrorWriter? _errorWriter;

    /// <summary>The options.</summary>
    public TracedLlmOptions Options { get; }

    /// <summary>The authenticator, or null when routes run unauthenticated.</summary>
    internal ILlmAuthenticator? Authenticator { get; }

    internal ILlmGuardrail[] PreCallGuardrails { get; }

    internal ILlmGuardrail[] DuringCallGuardrails { get; }

    internal ILlmGuardrail[] PostCallGuardrails { get; }

    internal ILlmFailureLogger[] FailureLoggers { get; }

    internal JsonSerializerOptions JsonSerializerOptions { get; }

    /// <summary>
    /// Which types DI can give (null for a container that cannot say): a handler's class with no attribute is a service
    /// when it can.
    /// </summary>
    internal IServiceProviderIsService? ServiceTypes { get; }

    /// <summary>The application's singletons a handler takes (set when its routes are mapped), or null.</summary>
    internal RootSingletons? Singletons { get; set; }

    /// <summary>
    /// The singleton service of type <typeparamref name="T"/> from the application's root services (asked
    /// once per type and application), or null when the request's services must give it.
    /// </summary>
    internal object? Singleton<T>() =>
        LastGateway<T, object?>.Get(this, static gateway => gateway.Singletons?.Find(typeof(T)));

    /// <summary>
    /// The app's error writer for a route whose errors it writes (<see cref="LlmErrorResponses.Writer"/>).
    /// Checked when the route is mapped (<see cref="ThrowIfErrorsUnwritable"/>), so it is there at run time.
    /// </summary>
    internal ILlmErrorWriter ErrorWriter(TracedRouteInfo route) => _errorWriter ?? throw NoErrorWriter(route);

    /// <summary>
    /// Fails the app's start when <paramref name="route"/>'s errors go to an <see cref="ILlmErrorWriter"/> and DI has
    /// none.
    /// </summary>
    internal void ThrowIfErrorsUnwritable(TracedRouteInfo route)
    {
        if (_errorWriter is null && ErrorResponses.Of(route, Options) == LlmErrorResponses.Writer)
        {
            throw NoErrorWriter(route);
        }
    }

    private static InvalidOperationException NoErrorWriter(TracedRouteInfo route) =>
        new(
            $"Traced route '{route.HttpMethod} {route.Pattern}' ({route.Handler}) cannot start: its errors are "
            + "written by the app's ILlmErrorWriter (LlmErrorResponses.Writer), but none is registered. "
                + "Register one (services.AddSingleton<ILlmErrorWriter, MyErrorWriter>()), or choose "
                + "LlmErrorResponses.ProblemDetails or WireFormat.");

    /// <summary>The gateway of the request's application.</summary>
    /// <exception cref="InvalidOperationException"><c>AddTracedLlm()</c> was not called.</exception>
    public static TracedLlmGateway From(HttpContext httpContext) =>
        httpContext.RequestServices.GetService<TracedLlmGateway>() ?? throw NotRegistered();

    /// <summary>
    /// The type info for <typeparamref name="T"/> from the application's JSON options (source-generated contexts
    /// included).
    /// </summary>
    public JsonTypeInfo<T> GetTypeInfo<T>() =>
        LastGateway<T, JsonTypeInfo<T>>.Get(
            this,
            static gateway => (JsonTypeInfo<T>)gateway.JsonSerializerOptions.GetTypeInfo(typeof(T)));

    /// <summary>
    /// True when DI has a service of type <typeparamref name="T"/> (<see cref="IServiceProviderIsService"/>,
    /// as minimal APIs ask): a handler's parameter of that type with no attribute is then the service,
    /// not the body. Asked once per type and application, as the route builder asked it at start-up.
    /// </summary>
    internal bool IsService<T>() =>
        LastGateway<T, bool>.Get(this, static gateway => gateway.ServiceTypes?.IsService(typeof(T)) ?? false);

    /// <summary>
    /// The last gateway's answer for <typeparamref name="T"/>, one slot per answer type: its type info
    /// (<see cref="JsonTypeInfo{T}"/>), whether DI has it (<see cref="bool"/>), its root singleton
    /// (<see cref="object"/>). Every request asks for its body's and its result's type info, and
    /// <see cref="System.Text.Json.JsonSerializerOptions.GetTypeInfo"/> costs hundreds of instructions each time.
    /// One entry per slot, replaced as a whole, so a process with several gateways (tests) stays correct
    /// and only looks up again. Each caller passes a static lambda: nothing is allocated on a hit.
    /// </summary>
    private static class LastGateway<T, TValue>
    {
        private static Entry? s_last;

        public static TValue Get(TracedLlmGateway gateway, Func<TracedLlmGateway, TValue> make)
        {
            var last = s_last;
            if (last is not null && ReferenceEquals(last.Gateway, gateway))
            {
                return last.Value;
            }

            var value = make(gateway);
            s_last = new Entry(gateway, value);
            return value;
        }

        private sealed record Entry(TracedLlmGateway Gateway, TValue Value);
    }

    internal static InvalidOperationException NotRegistered() =>
        new("TracedLlm is not registered: call builder.Services.AddTracedLlm() before app.MapTracedLlmRoutes().");
}
