using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.OpenApi;

namespace TracedLlm.Pipeline;

/// <summary>Attaches the generated pipeline to each traced MVC action as MVC builds its application model.</summary>
/// <remarks>
/// The action's filter (<see cref="TracedActionFilter"/>), its route as endpoint metadata (coverage, the manifest, the
/// start-up check), its error responses for API descriptions, and an <see cref="LlmCall"/> parameter's binding. It runs
/// after MVC's own provider made the models and before <c>[ApiController]</c>'s infers binding sources, so an
/// <see cref="LlmCall"/> parameter is never taken for a second body.
/// </remarks>
internal sealed class TracedActionModelProvider(IServiceProvider services) : IApplicationModelProvider
{
    /// <summary>
    /// After <c>DefaultApplicationModelProvider</c> (-1000), before <c>ApiBehaviorApplicationModelProvider</c> (-900).
    /// </summary>
    public int Order => -1000 + 50;

    public void OnProvidersExecuting(ApplicationModelProviderContext context)
    {
        TracedLlmGateway? gateway = null;
        var tables = new Dictionary<Assembly, IReadOnlyList<TracedAction>>();
        foreach (var controller in context.Result.Controllers)
        {
            foreach (var model in controller.Actions)
            {
                foreach (var parameter in model.Parameters.Where(p => p.ParameterType == typeof(LlmCall)))
                {
                    parameter.BindingInfo = new BindingInfo
                    {
                        BindingSource = BindingSource.Special,
                        BinderType = typeof(LlmCallModelBinder)
                    };
                }

                if (!model.Attributes.OfType<TracedLlmRouteAttribute>().Any())
                {
                    continue;
                }

                gateway ??= services.GetService<TracedLlmGateway>() ?? throw TracedLlmGateway.NotRegistered();
                var action = Find(tables, model.ActionMethod, gateway)
                    ?? throw new InvalidOperationException(
                        $"Action '{model.ActionMethod.DeclaringType}.{model.ActionMethod.Name}' is marked "
                        + "[TracedLlmRoute], but its assembly has no traced pipeline for it: "
                            + "the TracedLlm source generator did not run on that project, or reported an error "
                            + "for the action (TLLM1xxx). Reference the TracedLlm package from the project that "
                            + "declares the controller.");
                Attach(model, action, gateway);
            }
        }
    }

    public void OnProvidersExecuted(ApplicationModelProviderContext context)
    {
    }

    private static void Attach(ActionModel model, TracedAction action, TracedLlmGateway gateway)
    {
        gateway.ThrowIfErrorsUnwritable(action.Route);
        model.Filters.Add(new TracedActionFilter(action, gateway));
        // API descriptions (ApiExplorer) read an action's responses from its filters: the same responses a
        // static handler's route declares (its result, its stream, the pipeline's errors in its format).
        var metadata = TracedRouteMetadata.For(
            action.Route,
            authenticated: gateway.Authenticator is not null,
            ErrorResponses.Of(action.Route, gateway.Options));
        foreach (var response in metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>())
        {
            var contentTypes = response.ContentTypes.ToArray();
            model.Filters.Add(
                new ProducesResponseTypeAttribute(
                    response.Type ?? typeof(void),
                    response.StatusCode,
                    contentTypes[0],
                    contentTypes.Skip(1).ToArray())
                {
                    Description = response.Description
                });
        }

        foreach (var selector in model.Selectors)
        {
            selector.EndpointMetadata.Add(action.Route);
        }
    }

    /// <summary>
    /// The generated pipeline of <paramref name="method"/>, from its assembly's table (read once per assembly, its
    /// manifest registered).
    /// </summary>
    private static TracedAction? Find(
        Dictionary<Assembly, IReadOnlyList<TracedAction>> tables,
        MethodInfo method,
        TracedLlmGateway gateway)
    {
        var assembly = method.DeclaringType!.Assembly;
        if (!tables.TryGetValue(assembly, out var actions))
        {
            var table = assembly.GetCustomAttribute<TracedActionTableAttribute>();
            actions = table?.Actions ?? Array.Empty<TracedAction>();
            if (table is not null)
            {
                TracedLlmManifest.Register(gateway, table.ManifestJson);
            }

            tables[assembly] = actions;
        }

        return actions.FirstOrDefault(a => a.Is(method));
    }
}
