using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Generators;

public sealed partial class TracedLlmRouteGenerator
{
    /// <summary>
    /// What an MVC controller action's file holds: its route, its slot reader, and the
    /// <c>TracedAction</c> the runtime attaches to the action when the app's controllers are built.
    /// MVC itself routes, binds and calls the action; the pipeline's steps run in the filters the
    /// runtime gives it (docs/mvc.md), so no invocation is emitted here.
    /// </summary>
    internal static partial class Emitter
    {
        private static readonly (string Name, string Type)[] ActionAliases =
        {
            ("EnvelopeReader", "global::TracedLlm.Pipeline.EnvelopeReader"),
            ("RequestEnvelope", "global::TracedLlm.Pipeline.RequestEnvelope"),
            ("RequestShape", "global::TracedLlm.Pipeline.RequestShape"),
            ("TracedAction", "global::TracedLlm.Pipeline.TracedAction"),
            ("TracedLlmOptions", "global::TracedLlm.TracedLlmOptions"),
            ("TracedRouteInfo", "global::TracedLlm.TracedRouteInfo"),
            ("Type", "global::System.Type"),
            ("Utf8JsonReader", "global::System.Text.Json.Utf8JsonReader"),
            ("WireFormat", "global::TracedLlm.WireFormat"),
        };

        private static readonly (string Name, string Type) ActionResultsAlias = (
            "ActionResults",
            "global::TracedLlm.Pipeline.TracedActionResults");

        private static string EmitAction(RouteModel route)
        {
            var w = NewWriter(out var text, namesHandlerTypes: true);
            w.WriteLine("namespace TracedLlm.Generated;");
            w.WriteLineNoTabs(string.Empty);
            IEnumerable<(string Name, string Type)> aliases = ActionAliases;
            if (route.SharedSlot || route.LenientSlot)
            {
                aliases = aliases.Append(SlotModeAlias);
            }

            if (route.ErrorResponses is not null)
            {
                aliases = aliases.Append(ErrorResponsesAlias);
            }

            if (route.ServesBoth)
            {
                aliases = aliases.Append(ActionResultsAlias);
            }

            WriteAliases(w, aliases.OrderBy(a => a.Name, System.StringComparer.Ordinal));
            w.WriteLineNoTabs(string.Empty);
            EmitActionComment(w, route);
            OpenRouteClass(
                w,
                route,
                $"The traced pipeline of <c>{route.HttpMethod} {Xml(route.Pattern)}</c>, run inside MVC's "
                + $"invocation of <see cref=\"{route.HandlerCref}\"/>.",
                "The route as the generator saw it; MVC's endpoint gives the path it serves at run time.");
            w.WriteLine(
                "/// <summary>The action, told from its overloads by its parameter types; "
                + "AddControllers().AddTracedLlm() runs the pipeline around it.</summary>");
            w.WriteLine("public static readonly TracedAction Action = new(");
            w.Indent++;
            w.WriteLine($"typeof({route.HandlerTypeName}),");
            w.WriteLine($"{Literal(route.HandlerMethodName!)},");
            var typeOfs = string.Join(", ", route.ActionParameterTypes.Select(t => $"typeof({t.Value})"));
            w.WriteLine(
                route.ActionParameterTypes.Count == 0
                    ? "global::System.Array.Empty<Type>(),"
                    : $"new Type[] {{ {typeOfs} }},");
            w.WriteLine("Route,");
            var refuses = route.RefusesStream;
            w.WriteLine($"ReadEnvelope){(refuses || route.ServesBoth ? string.Empty : ";")}");
            w.Indent--;
            if (refuses || route.ServesBoth)
            {
                Open(w);
                if (refuses)
                {
                    // A typed result is JSON only: a body asking for a stream is refused in proxy_pre_call, as a static
                    // handler's is.
                    w.WriteLine("RefusesStream = true,");
                }

                if (route.ServesBoth)
                {
                    w.WriteLine(
                        "Unwrap = static value => ActionResults.Unwrap("
                        + $"(global::TracedLlm.LlmResult<{route.ResultTypeName}, {route.ChunkTypeName}>)value),");
                }

                Close(w, "};");
            }

            w.WriteLineNoTabs(string.Empty);
            EmitEnvelopeReader(w, route);
            Close(w);
            return text.ToString();
        }

        /// <summary>
        /// The action at a glance: who routes, binds and calls it, its slot, its wire format, where its failures go.
        /// </summary>
        private static void EmitActionComment(IndentedTextWriter w, RouteModel route)
        {
            var type = route.HandlerTypeName.StartsWith("global::", System.StringComparison.Ordinal)
                ? route.HandlerTypeName.Substring("global::".Length)
                : route.HandlerTypeName;
            var when =
                route.ServesBoth
                    ? ", both stream modes: JSON, server-sent events (LlmResult.Stream) or an IResult, as it returns"
                : route.ReturnsResult
                    ? ", a result that writes either stream mode (call.IsStreaming says which the body asks for)"
                : route.IgnoresStream ? ", which answers a body asking for a stream with JSON (IgnoreStream)"
                : route.StreamUnread ? StreamUnreadComment
                : ", which refuses a body asking for a stream";
            w.WriteLine($"// {route.HttpMethod} {route.Pattern}");
            w.WriteLine(
                $"//   action       {type}.{route.HandlerMethodName}{At(route.HandlerLocation)}, run by MVC{when}");
            w.WriteLine(
                route.ConventionallyRouted
                    ? "//   routing      conventional (the path above is the default route's /{controller}/{action}); "
                        + "the span records the endpoint's own"
                    : "//   routing      MVC's attribute routes; model binding, validation and filters are MVC's, "
                        + "around the pipeline");
            w.WriteLine(
                route.NoSlot
                    ? "//   slot         none (MetadataSlots.None): nothing is read as gateway metadata, MVC binds the "
                        + "body as it came"
                : route.SharedSlot
                    ? $"//   slot         {Literal(route.MetadataSlot)}, shared with the provider: its gateway keys "
                        + "read and cut, the rest bound by MVC"
                : $"//   slot         {Literal(route.MetadataSlot)}, read from the body and cut from what MVC binds"
                    + Lenient(route));
            w.WriteLine($"//   wire format  {route.ErrorFormat}, operation {Literal(route.Operation)}{Errors(route)}");
            w.WriteLine(
                "//   guardrails   the ILlmGuardrail services in DI, by mode: pre_call, during_call, post_call");
            w.WriteLine(
                "//   failures     TracedLlm's own and an error result's (status >= 400) -> FailurePath; an "
                + "exception of the action's goes on to MVC's exception filters and the app's middleware, recorded "
                + "once with the status they answer");
        }
    }
}
