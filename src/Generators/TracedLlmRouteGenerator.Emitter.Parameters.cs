using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Generators;

public sealed partial class TracedLlmRouteGenerator
{
    /// <summary>How the handlers' arguments are made, and what the route records of each.</summary>
    /// <remarks>
    /// The body (or a service, when DI has the type), route, query and header values are bound inside
    /// <c>proxy_pre_call</c>, so a bad value is the client's 400 there; services come from DI just before the handler.
    /// </remarks>
    internal static partial class Emitter
    {
        /// <summary>Every parameter of the route's handlers, with the handler's method name.</summary>
        private static IEnumerable<(string Handler, ParameterModel Parameter)> BoundParameters(RouteModel route) =>
            route.Parameters.Select(p => (route.HandlerMethodName!, p))
                .Concat(route.StreamParameters.Select(p => (route.StreamMethodName!, p)));

        /// <summary>One <c>TracedRouteParameter</c> of the route's <c>Parameters</c>.</summary>
        private static string RouteParameter(string handler, ParameterModel parameter)
        {
            var created =
                $"new({Literal(handler)}, {Literal(parameter.Name.TrimStart('@'))}, typeof({parameter.TypeOfName}), "
                + $"TracedParameterSource.{RuntimeSource(parameter.Source)})";
            // Whether it may be missing matters only where it may be: values, services and the body.
            var optional = parameter.Optionality != Optionality.Required
                && parameter.Source is not (ParameterSource.LlmCall or ParameterSource.HttpContext
                    or ParameterSource.HttpRequest or ParameterSource.HttpResponse or ParameterSource.User
                    or ParameterSource.CancellationToken);
            var initializers = new List<string>();
            if (parameter.Source is ParameterSource.KeyedService or ParameterSource.OptionalKeyedService)
            {
                initializers.Add($"ServiceKey = {parameter.Key}");
            }
            else if (parameter.Key is not null)
            {
                initializers.Add($"Key = {Literal(parameter.Key)}");
            }

            if (optional)
            {
                initializers.Add("IsOptional = true");
            }

            return initializers.Count == 0 ? created + "," : $"{created} {{ {string.Join(", ", initializers)} }},";
        }

        /// <summary>
        /// The source as the runtime's public enum names it (optional services are services that may be missing).
        /// </summary>
        private static string RuntimeSource(ParameterSource source) => source switch
        {
            ParameterSource.OptionalService => nameof(ParameterSource.Service),
            ParameterSource.OptionalKeyedService => nameof(ParameterSource.KeyedService),
            _ => source.ToString(),
        };

        /// <summary>
        /// The parameters that are the body or a service, decided at start-up (the regular handler's; a streaming
        /// partner takes the same).
        /// </summary>
        private static List<ParameterModel> BodyOrServices(RouteModel route) =>
            (route.HandlerMethodName is not null ? route.Parameters : route.StreamParameters)
                .Where(p => p.Source == ParameterSource.BodyOrService)
                .ToList();

        private static bool IsValue(ParameterModel parameter) =>
            parameter.Source is ParameterSource.Route or ParameterSource.Query or ParameterSource.Header;

        private static bool IsService(ParameterModel parameter) =>
            parameter.Source is ParameterSource.Service or ParameterSource.OptionalService
                or ParameterSource.KeyedService or ParameterSource.OptionalKeyedService;

        /// <summary>The values bound inside <c>proxy_pre_call</c>.</summary>
        /// <remarks>
        /// Every one of a route with one handler; of a route with two, those both handlers take alike (the others are
        /// bound when their handler runs).
        /// </remarks>
        private static List<ParameterModel> EarlyValues(RouteModel route)
        {
            if (route.HandlerMethodName is null)
            {
                return route.StreamParameters.Where(IsValue).ToList();
            }

            return route.Parameters
                .Where(p => IsValue(p) && (route.StreamMethodName is null || route.StreamParameters.Contains(p)))
                .ToList();
        }

        private static void EmitValues(
            IndentedTextWriter w,
            IEnumerable<ParameterModel> values,
            System.Func<ParameterModel, string>? local = null)
        {
            foreach (var value in values)
            {
                w.WriteLine($"var {(local ?? Local)(value)} = {ValueExpression(value)};");
            }
        }

        /// <summary>
        /// Just before a handler runs: its services, and the values its partner handler does not take.
        /// </summary>
        private static void EmitLateArguments(
            IndentedTextWriter w,
            RouteModel route,
            EquatableArray<ParameterModel> parameters,
            bool stream)
        {
            var early = EarlyValues(route);
            string LocalOf(ParameterModel parameter) => stream ? StreamLocal(route, parameter) : Local(parameter);
            EmitValues(w, parameters.Where(p => IsValue(p) && !early.Contains(p)), LocalOf);
            foreach (var parameter in parameters.Where(IsService))
            {
                var type = NonNullable(parameter.TypeName);
                var resolve = parameter.Source switch
                {
                    // A singleton from the root services: no request scope for a handler that takes only singletons.
                    ParameterSource.Service => $"PreCallStage.RequiredService<{type}>(call)",
                    ParameterSource.OptionalService => $"PreCallStage.OptionalService<{type}>(call)",
                    ParameterSource.KeyedService =>
                        $"ServiceProviderKeyedServiceExtensions.GetRequiredKeyedService<{type}>("
                        + $"httpContext.RequestServices, {parameter.Key})",
                    _ =>
                        $"ServiceProviderKeyedServiceExtensions.GetKeyedService<{type}>("
                        + $"httpContext.RequestServices, {parameter.Key})",
                };
                w.WriteLine($"var {LocalOf(parameter)} = {resolve};");
            }
        }

        /// <summary>
        /// A route, query or header value as the handler's type, parsed with the invariant culture.
        /// </summary>
        /// <remarks>
        /// Its text, required or not; a missing required value or text that does not parse is the client's 400, naming
        /// the value.
        /// </remarks>
        private static string ValueExpression(ParameterModel parameter)
        {
            var key = Literal(parameter.Key!);
            var (text, what) = parameter.Source switch
            {
                ParameterSource.Route => ($"ParameterStage.RouteValue(call, {key})", $"route value '{parameter.Key}'"),
                ParameterSource.Query => ($"ParameterStage.Query(call, {key})", $"query parameter '{parameter.Key}'"),
                _ => ($"ParameterStage.Header(call, {key})", $"header '{parameter.Key}'"),
            };
            var whatLiteral = Literal(what);
            var values =
                parameter.Source == ParameterSource.Query
                    ? $"ParameterStage.QueryValues(call, {key})"
                    : $"ParameterStage.HeaderValues(call, {key})";
            var orDefault = parameter.DefaultLiteral is { } literal ? " ?? " + literal : string.Empty;
            switch (parameter.Parse)
            {
                case ValueParse.Values:
                    return values;
                case ValueParse.Array:
                    return $"ParameterStage.Array({values})";
                case ValueParse.Text:
                    return parameter.Optionality == Optionality.Required
                        ? $"ParameterStage.Required({text}, {whatLiteral})"
                        : text + orDefault;
            }

            var parsed = parameter.ParsedTypeName!;
            var parser = parameter.Parse switch
            {
                ValueParse.Parsable => $"ParameterStage.Parsable<{parsed}>()",
                ValueParse.Enum => $"ParameterStage.Enum<{parsed}>()",
                _ =>
                    $"static (string text, out {parsed} value) => {{ "
                    + $"var parses = {parsed}.TryParse(text, out var result); value = result!; return parses; }}",
            };
            return parameter.Optionality switch
            {
                Optionality.NullableValue =>
                    $"ParameterStage.ParseNullable({text}, {whatLiteral}, {parser}){orDefault}",
                Optionality.NullableReference => $"ParameterStage.ParseOrNull({text}, {whatLiteral}, {parser})",
                Optionality.Default =>
                    $"ParameterStage.ParseOr({text}, {whatLiteral}, {parser}, {parameter.DefaultLiteral ?? "default"})",
                _ => $"ParameterStage.Parse({text}, {whatLiteral}, {parser})",
            };
        }

        /// <summary>The argument the handler gets for <paramref name="parameter"/>.</summary>
        private static string Argument(RouteModel route, ParameterModel parameter, bool stream) =>
            parameter.Source switch
            {
                ParameterSource.LlmCall => "call",
                ParameterSource.HttpContext => "httpContext",
                ParameterSource.HttpRequest => "httpContext.Request",
                ParameterSource.HttpResponse => "httpContext.Response",
                ParameterSource.User => "httpContext.User",
                ParameterSource.CancellationToken => "call.CancellationToken",

                // One body for both handlers of a route, whatever each calls it.
                ParameterSource.Body =>
                    Local(route.Parameters.Concat(route.StreamParameters).First(p => p.Source == ParameterSource.Body)),
                ParameterSource.BodyOrService when stream && route.HandlerMethodName is not null =>
                    Local(BodyOrServices(route)[route.StreamParameters
                        .Where(p => p.Source == ParameterSource.BodyOrService).ToList().IndexOf(parameter)]),
                _ => stream ? StreamLocal(route, parameter) : Local(parameter),
            };

        /// <summary>
        /// The local of a streaming handler's value or service. Beside a regular handler, the streaming
        /// one's are bound in a block inside the scope of the body and the shared values, which are named
        /// after the regular handler's parameters: a name taken there (the regular handler's body
        /// `request`, a service `request` here) is CS0136, so it gets another.
        /// </summary>
        private static string StreamLocal(RouteModel route, ParameterModel parameter)
        {
            var local = Local(parameter);
            if (route.HandlerMethodName is null || EarlyValues(route).Contains(parameter))
            {
                return local;
            }

            var outer = new HashSet<string>(
                EarlyValues(route)
                    .Concat(BodyOrServices(route))
                    .Concat(route.Parameters.Where(p => p.Source == ParameterSource.Body))
                    .Select(Local));
            if (!outer.Contains(local))
            {
                return local;
            }

            var taken = new HashSet<string>(outer.Concat(route.StreamParameters.Select(Local)));
            var renamed = parameter.Name.TrimStart('@') + "StreamArgument";
            while (taken.Contains(renamed))
            {
                renamed += "_";
            }

            return renamed;
        }

        /// <summary>
        /// The type a body (or body-or-service) argument is read as: the declared type with the nullability of its type
        /// arguments.
        /// </summary>
        /// <remarks>
        /// Keeping it (<c>Dictionary&lt;string, object?&gt;</c>) passes the value to the handler without warning
        /// CS8620; a nullable reference type's own <c>?</c> is dropped (the reader says whether it may be missing), a
        /// nullable value type's kept, so the runtime type is <see cref="ParameterModel.TypeOfName"/>'s.
        /// </remarks>
        private static string ArgumentType(ParameterModel parameter) =>
            parameter.Optionality == Optionality.NullableValue ? parameter.TypeName : NonNullable(parameter.TypeName);

        // Handler arguments get their own suffix so they never collide with the pipeline's locals.
        private static string Local(ParameterModel parameter) => parameter.Name.TrimStart('@') + "Argument";

        /// <summary>How the generated file's comment says a parameter binds.</summary>
        private static string Binding(ParameterModel parameter)
        {
            var optional = parameter.Optionality == Optionality.Required ? string.Empty : " (optional)";
            return parameter.Source switch
            {
                ParameterSource.Body => "body",
                ParameterSource.BodyOrService => "body, or a service when DI has its type (decided at start-up)",
                ParameterSource.LlmCall => "this LlmCall",
                ParameterSource.HttpContext => "HttpContext",
                ParameterSource.HttpRequest => "HttpContext.Request",
                ParameterSource.HttpResponse => "HttpContext.Response",
                ParameterSource.User => "HttpContext.User",
                ParameterSource.CancellationToken => "call.CancellationToken",
                ParameterSource.Service => "service",
                ParameterSource.OptionalService => "optional service",
                ParameterSource.KeyedService => $"keyed service {parameter.Key}",
                ParameterSource.OptionalKeyedService => $"optional keyed service {parameter.Key}",
                ParameterSource.Route => $"route value {{{parameter.Key}}}{optional}",
                ParameterSource.Query => $"query {Literal(parameter.Key!)}{optional}",
                _ => $"header {Literal(parameter.Key!)}{optional}",
            };
        }
    }
}
