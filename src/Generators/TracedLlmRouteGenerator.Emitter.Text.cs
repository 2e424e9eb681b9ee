using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;

namespace TracedLlm.Generators;

public sealed partial class TracedLlmRouteGenerator
{
    /// <summary>
    /// What makes the generated files read like hand-written code: <c>using</c> aliases, the comment
    /// that names a route's handlers, slot and failure path, and the version stamp.
    /// </summary>
    internal static partial class Emitter
    {
        /// <summary>
        /// The generator's version as <c>[GeneratedCode]</c> states it: the assembly's informational version without
        /// its <c>+commit</c> suffix.
        /// </summary>
        public static readonly string Version = ReadVersion(typeof(Emitter).Assembly);

        private static readonly string GeneratedCode =
            $"[global::System.CodeDom.Compiler.GeneratedCode(\"TracedLlm.Generators\", {Literal(Version)})]";

        // The types a route's file names. The aliases sit inside the file's namespace declaration,
        // so they are found before any type of an enclosing namespace (the global namespace, where a
        // user's own `Task` or `RequestStage` may live) and never import extension methods; only a
        // type declared in TracedLlm.Generated itself could clash (CS0576), and that namespace is the
        // generator's. A route's file names only the aliases its code uses, so none is ever an
        // unused using: these every route uses, the others (below) only routes that need them.
        private static readonly (string Name, string Type)[] PipelineAliases =
        {
            ("Activity", "global::System.Diagnostics.Activity"),
            ("AuthStage", "global::TracedLlm.Pipeline.AuthStage"),
            ("EnvelopeReader", "global::TracedLlm.Pipeline.EnvelopeReader"),
            ("Exception", "global::System.Exception"),
            ("FailurePath", "global::TracedLlm.Pipeline.FailurePath"),
            ("GuardrailMode", "global::TracedLlm.GuardrailMode"),
            ("HttpContext", "global::Microsoft.AspNetCore.Http.HttpContext"),
            ("LlmStage", "global::TracedLlm.Pipeline.LlmStage"),
            ("PreCallStage", "global::TracedLlm.Pipeline.PreCallStage"),
            ("RequestEnvelope", "global::TracedLlm.Pipeline.RequestEnvelope"),
            ("RequestShape", "global::TracedLlm.Pipeline.RequestShape"),
            ("RequestStage", "global::TracedLlm.Pipeline.RequestStage"),
            ("Stopwatch", "global::System.Diagnostics.Stopwatch"),
            ("Task", "global::System.Threading.Tasks.Task"),
            ("TracedLlmGateway", "global::TracedLlm.Pipeline.TracedLlmGateway"),
            ("TracedLlmOptions", "global::TracedLlm.TracedLlmOptions"),
            ("TracedRouteInfo", "global::TracedLlm.TracedRouteInfo"),
            ("Utf8JsonReader", "global::System.Text.Json.Utf8JsonReader"),
            ("WireFormat", "global::TracedLlm.WireFormat"),
        };

        /// <summary>Only routes with a regular handler write its result.</summary>
        private static readonly (string Name, string Type) ResultAlias =
            ("ResultStage", "global::TracedLlm.Pipeline.ResultStage");

        /// <summary>Only routes with a streaming handler write a stream.</summary>
        private static readonly (string Name, string Type) StreamAlias =
            ("StreamStage", "global::TracedLlm.Pipeline.StreamStage");

        /// <summary>Only routes whose slot is shared with the provider name the mode.</summary>
        private static readonly (string Name, string Type) SlotModeAlias =
            ("MetadataSlotMode", "global::TracedLlm.MetadataSlotMode");

        /// <summary>Only routes that choose how their errors are written name the choice.</summary>
        private static readonly (string Name, string Type) ErrorResponsesAlias =
            ("LlmErrorResponses", "global::TracedLlm.LlmErrorResponses");

        /// <summary>Only routes whose handlers take services from DI call it.</summary>
        private static readonly (string Name, string Type) ServicesAlias =
            ("ServiceProviderServiceExtensions",
                "global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions");

        /// <summary>Only routes whose handlers take keyed services call it.</summary>
        private static readonly (string Name, string Type) KeyedServicesAlias =
            ("ServiceProviderKeyedServiceExtensions",
                "global::Microsoft.Extensions.DependencyInjection.ServiceProviderKeyedServiceExtensions");

        /// <summary>Only routes whose handlers take route, query or header values call it.</summary>
        private static readonly (string Name, string Type) ValuesAlias =
            ("ParameterStage", "global::TracedLlm.Pipeline.ParameterStage");

        /// <summary>Only routes whose handlers take parameters list them.</summary>
        private static readonly (string Name, string Type)[] ParameterAliases =
        {
            ("TracedParameterSource", "global::TracedLlm.TracedParameterSource"),
            ("TracedRouteParameter", "global::TracedLlm.TracedRouteParameter"),
        };

        private static readonly (string Name, string Type)[] TableAliases =
        {
            ("TracedRouteInfo", "global::TracedLlm.TracedRouteInfo"),
        };

        private static IEnumerable<(string Name, string Type)> RouteAliases(RouteModel route)
        {
            IEnumerable<(string Name, string Type)> aliases = PipelineAliases;
            if (route.HandlerMethodName is not null)
            {
                aliases = aliases.Append(ResultAlias);
            }

            if (route.StreamMethodName is not null || route.ServesBoth)
            {
                aliases = aliases.Append(StreamAlias);
            }

            if (route.SharedSlot || route.LenientSlot)
            {
                aliases = aliases.Append(SlotModeAlias);
            }

            if (route.ErrorResponses is not null)
            {
                aliases = aliases.Append(ErrorResponsesAlias);
            }

            var parameters = route.Parameters.Concat(route.StreamParameters).ToList();
            if (parameters.Any(p => p.Source is ParameterSource.Service or ParameterSource.OptionalService))
            {
                aliases = aliases.Append(ServicesAlias);
            }

            if (parameters.Any(p => p.Source is ParameterSource.KeyedService or ParameterSource.OptionalKeyedService))
            {
                aliases = aliases.Append(KeyedServicesAlias);
            }

            if (parameters.Any(IsValue))
            {
                aliases = aliases.Append(ValuesAlias);
            }

            if (parameters.Count > 0)
            {
                aliases = aliases.Concat(ParameterAliases);
            }

            return aliases.OrderBy(a => a.Name, System.StringComparer.Ordinal);
        }

        private static void WriteAliases(IndentedTextWriter w, IEnumerable<(string Name, string Type)> aliases)
        {
            foreach (var (name, type) in aliases)
            {
                w.WriteLine($"using {name} = {type};");
            }
        }

        /// <summary>The route at a glance, in the manner of ASP.NET Core's Request Delegate Generator.</summary>
        /// <remarks>
        /// Method and path, each handler with its file and line and how its parameters bind, the slot, the wire format,
        /// the guardrails and the failure path. File names only, never directories, so the text is the same on every
        /// machine.
        /// </remarks>
        private static void EmitRouteComment(IndentedTextWriter w, RouteModel route)
        {
            var type = route.HandlerTypeName.StartsWith("global::", System.StringComparison.Ordinal)
                ? route.HandlerTypeName.Substring("global::".Length)
                : route.HandlerTypeName;
            var both = route.HandlerMethodName is not null && route.StreamMethodName is not null;
            w.WriteLine($"// {route.HttpMethod} {route.Pattern}");
            if (route.HandlerMethodName is not null)
            {
                var when =
                    both ? ", unless the body asks for a stream"
                    : route.ServesBoth
                        ? ", both stream modes: JSON, server-sent events (LlmResult.Stream) or an IResult, as it "
                            + "returns (call.IsStreaming says which the body asks for)"
                    : route.ReturnsResult
                        ? ", an IResult that writes either stream mode (call.IsStreaming says which the body asks for)"
                    : route.IgnoresStream ? ", which answers a body asking for a stream with JSON (IgnoreStream)"
                    : route.StreamUnread ? StreamUnreadComment
                    : ", which refuses a body asking for a stream";
                w.WriteLine($"//   handler      {type}.{route.HandlerMethodName}{At(route.HandlerLocation)}{when}");
                w.WriteLine($"//     binds      {Binds(route.Parameters)}");
            }

            if (route.StreamMethodName is not null)
            {
                var when = both ? " when the body says \"stream\": true" : string.Empty;
                w.WriteLine(
                    $"//   streaming    {type}.{route.StreamMethodName}{At(route.StreamLocation)}, as server-sent "
                    + $"events{when}");
                w.WriteLine($"//     binds      {Binds(route.StreamParameters)}");
            }

            w.WriteLine(
                route.NoSlot
                    ? "//   slot         none (MetadataSlots.None): nothing is read as gateway metadata, the body goes "
                        + "upstream as it came"
                : route.SharedSlot
                    ? $"//   slot         {Literal(route.MetadataSlot)}, shared with the provider: its gateway keys "
                        + "read and cut, the rest forwarded"
                : $"//   slot         {Literal(route.MetadataSlot)}, read from the body and cut from what goes upstream"
                    + Lenient(route));
            w.WriteLine($"//   wire format  {route.ErrorFormat}, operation {Literal(route.Operation)}{Errors(route)}");
            w.WriteLine(
                "//   guardrails   the ILlmGuardrail services in DI, by mode: pre_call, during_call, post_call");
            w.WriteLine(
                route.ReturnsResult || route.ServesBoth
                    ? "//   failures     every exception, and an IResult's status >= 400 -> FailurePath: failure span, "
                        + "error response (the result's own when it answered), the ILlmFailureLogger services in DI"
                    : "//   failures     every exception -> FailurePath: failure span, error response, the "
                        + "ILlmFailureLogger services in DI");
        }

        private static string At(string? location) => location is null ? string.Empty : $" ({location})";

        private static string Binds(EquatableArray<ParameterModel> parameters) =>
            parameters.Count == 0
                ? "nothing"
                : string.Join(", ", parameters.Select(p => $"{p.Name.TrimStart('@')}: {Binding(p)}"));

        /// <summary>A route's handler, and its streaming handler beside it.</summary>
        private static string Handlers(string display, string? handlerMethod, string? streamMethod) =>
            handlerMethod is not null && streamMethod is not null ? $"{display}, streaming {streamMethod}" : display;

        private static string ReadVersion(Assembly assembly)
        {
            var informational = assembly
                .GetCustomAttribute<AssemblyInformationalVersionAttribute>()
                ?.InformationalVersion;
            if (!string.IsNullOrEmpty(informational))
            {
                var plus = informational!.IndexOf('+');
                return plus < 0 ? informational : informational.Substring(0, plus);
            }

            return assembly.GetName().Version?.ToString() ?? "0.0.0";
        }

        private static void Open(IndentedTextWriter w, string? header = null)
        {
            if (header is not null)
            {
                w.WriteLine(header);
            }

            w.WriteLine("{");
            w.Indent++;
        }

        private static void Close(IndentedTextWriter w, string closing = "}")
        {
            w.Indent--;
            w.WriteLine(closing);
        }

        private static IndentedTextWriter NewWriter(out StringWriter text, bool namesHandlerTypes = false)
        {
            text = new StringWriter(new StringBuilder(), System.Globalization.CultureInfo.InvariantCulture)
            {
                NewLine = "\n"
            };
            var writer = new IndentedTextWriter(text, "    ");
            writer.WriteLine("// <auto-generated/>");
            writer.WriteLine("#nullable enable");
            if (namesHandlerTypes)
            {
                // A handler, or a type it takes or returns, may be [Obsolete] (a deprecated route kept
                // mapped): the pipeline calls it on the consumer's behalf, who cannot suppress a warning here.
                writer.WriteLine("#pragma warning disable CS0612, CS0618 // obsolete member use");
            }

            writer.WriteLineNoTabs(string.Empty);
            return writer;
        }

        private static string NonNullable(string typeName) =>
            typeName.EndsWith("?", System.StringComparison.Ordinal)
                ? typeName.Substring(0, typeName.Length - 1)
                : typeName;

        private static string Literal(string value) =>
            Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true);

        private static string Xml(string value) =>
            value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        /// <summary>
        /// What a route's comment says of a JSON-only handler whose body type never read <c>stream</c>.
        /// </summary>
        private const string StreamUnreadComment =
            ", which answers a body asking for a stream with JSON (its body type has no 'stream')";

        /// <summary>What the slot's comment adds when a value of the wrong type is left as sent.</summary>
        private static string Lenient(RouteModel route) =>
            route.LenientSlot
                ? "; a value of another type is left as sent (the body type has no member of its name)"
                : string.Empty;

        /// <summary>What the wire format's comment adds when the route sets how its errors are written.</summary>
        private static string Errors(RouteModel route) =>
            route.ErrorResponses is { } errors ? $", errors as LlmErrorResponses.{errors}" : string.Empty;
    }
}
