using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Generators;

public sealed partial class TracedLlmRouteGenerator
{
    /// <summary>
    /// Writes the generated source: one file per route and one route table. Deterministic, no timestamps.
    /// </summary>
    internal static partial class Emitter
    {
        /// <summary>
        /// Starts the generated line that carries the manifest (read by the build, see
        /// buildTransitive/TracedLlm.targets).
        /// </summary>
        public const string ManifestMarker = "//TRACEDLLM-MANIFEST:";

        public static string EmitRoute(RouteModel route)
        {
            if (route.Mvc)
            {
                return EmitAction(route);
            }

            var w = NewWriter(out var text, namesHandlerTypes: true);
            w.WriteLine("namespace TracedLlm.Generated;");
            w.WriteLineNoTabs(string.Empty);
            WriteAliases(w, RouteAliases(route));
            w.WriteLineNoTabs(string.Empty);
            EmitRouteComment(w, route);
            OpenRouteClass(
                w,
                route,
                $"The traced pipeline of <c>{route.HttpMethod} {Xml(route.Pattern)}</c>, around "
                + $"<see cref=\"{route.HandlerCref}\"/>.",
                "The route as the generator saw it.");
            EmitInvoke(w, route);
            w.WriteLineNoTabs(string.Empty);
            EmitEnvelopeReader(w, route);
            Close(w);
            return text.ToString();
        }

        /// <summary>
        /// The body, result and chunk types as <c>typeof</c>, for endpoint metadata (OpenAPI) without reflection.
        /// </summary>
        /// <summary>
        /// Opens a route's generated class with the members every route has: its slot, its route and the slot's bytes.
        /// </summary>
        private static void OpenRouteClass(IndentedTextWriter w, RouteModel route, string summary, string routeSummary)
        {
            w.WriteLine($"/// <summary>{summary}</summary>");
            w.WriteLine(GeneratedCode);
            Open(w, $"internal static class {route.GeneratedClassName}");
            w.WriteLine("/// <summary>The body property that carries gateway metadata on this route.</summary>");
            w.WriteLine($"public const string MetadataSlot = {Literal(route.MetadataSlot)};");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine($"/// <summary>{routeSummary}</summary>");
            w.WriteLine("public static readonly TracedRouteInfo Route = new(");
            w.Indent++;
            w.WriteLine($"{Literal(route.HttpMethod)},");
            w.WriteLine($"{Literal(route.Pattern)},");
            w.WriteLine("MetadataSlot,");
            w.WriteLine($"WireFormat.{route.ErrorFormat},");
            w.WriteLine($"{Literal(route.Operation)},");
            EmitRouteTypes(w, route);
            w.WriteLineNoTabs(string.Empty);
            if (!route.NoSlot)
            {
                w.WriteLine(
                    "private static global::System.ReadOnlySpan<byte> MetadataSlotUtf8 => "
                    + $"{Literal(route.MetadataSlot)}u8;");
                w.WriteLineNoTabs(string.Empty);
            }
        }

        private static void EmitRouteTypes(IndentedTextWriter w, RouteModel route)
        {
            // A body that may be a service is known at start-up only: the route builder sets it then.
            var body = route.Parameters
                .Concat(route.StreamParameters)
                .FirstOrDefault(p => p.Source == ParameterSource.Body);
            var types = new System.Collections.Generic.List<string>();
            if (route.SharedSlot)
            {
                types.Add("MetadataSlotMode = MetadataSlotMode.Shared,");
            }

            if (route.ErrorResponses is { } errorResponses)
            {
                types.Add($"ErrorResponses = LlmErrorResponses.{errorResponses},");
            }

            if (route.RefusesStream)
            {
                types.Add("RefusesStream = true,");
            }

            if (route.LenientSlot)
            {
                types.Add("LenientMetadata = true,");
            }

            if (body != default)
            {
                types.Add($"RequestType = typeof({body.TypeOfName}),");
            }

            if (route.HandlerMethodName is not null && !route.ReturnsResult)
            {
                types.Add($"ResponseType = typeof({NonNullable(route.ResultTypeName)}),");
            }

            if (route.ChunkTypeName is not null)
            {
                types.Add($"StreamChunkType = typeof({NonNullable(route.ChunkTypeName)}),");
            }

            var parameters = BoundParameters(route).ToList();
            var ends = types.Count == 0 && parameters.Count == 0;
            w.WriteLine($"{Literal(route.HandlerDisplayName)}){(ends ? ";" : string.Empty)}");
            w.Indent--;
            if (types.Count > 0 || parameters.Count > 0)
            {
                Open(w);
                foreach (var type in types)
                {
                    w.WriteLine(type);
                }

                if (parameters.Count > 0)
                {
                    // Each parameter's source, for the start-up check (services DI must have, one body) and the
                    // manifest.
                    Open(w, "Parameters = new TracedRouteParameter[]");
                    foreach (var (handler, parameter) in parameters)
                    {
                        w.WriteLine(RouteParameter(handler, parameter));
                    }

                    Close(w, "},");
                }

                Close(w, "};");
            }
        }

        private static void EmitInvoke(IndentedTextWriter w, RouteModel route)
        {
            var body = route.Parameters
                .Concat(route.StreamParameters)
                .FirstOrDefault(p => p.Source == ParameterSource.Body);
            var candidates = BodyOrServices(route);

            w.WriteLine("/// <summary>Runs the request with the gateway of the request's services.</summary>");
            w.WriteLine("public static Task InvokeAsync(HttpContext httpContext) =>");
            w.Indent++;
            w.WriteLine("InvokeAsync(httpContext, TracedLlmGateway.From(httpContext));");
            w.Indent--;
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine(
                "/// <summary>Runs the request: server span, auth, pre-call, the LLM span with guardrails and the "
                + "handler, and one failure path.</summary>");
            Open(w, "public static async Task InvokeAsync(HttpContext httpContext, TracedLlmGateway gateway)");
            w.WriteLine("var startTimestamp = Stopwatch.GetTimestamp();");
            w.WriteLine("var ambient = Activity.Current;");
            w.WriteLine("RequestEnvelope envelope;");
            Open(w, "try");
            w.WriteLine("var body = await RequestStage.ReadBodyAsync(httpContext, gateway).ConfigureAwait(false);");
            // The names the body's type binds (one reading, case variants refused): a body that may be a
            // service is the first that is not one (the route builder saw to it that there is one at most).
            var shape =
                body != default
                    ? $"RequestShape.Of<{body.TypeOfName}>(gateway)"
                    : Enumerable
                        .Reverse(candidates)
                        .Aggregate(
                            "RequestShape.Untyped",
                            (otherwise, candidate) =>
                                $"RequestShape.OfBodyOrService<{candidate.TypeOfName}>(gateway, {otherwise})");
            w.WriteLine(
                $"envelope = body.IsEmpty ? RequestEnvelope.Empty : ReadEnvelope(body, gateway.Options, {shape});");
            Close(w);
            Open(w, "catch (Exception exception)");
            w.WriteLine(
                "// Kept and raised inside proxy_pre_call: a bad body still gets its spans and its error response.");
            w.WriteLine("envelope = RequestEnvelope.FromReadFailure(exception);");
            Close(w);
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("var call = RequestStage.CreateCall(httpContext, Route, envelope, gateway, startTimestamp);");
            w.WriteLine("Activity? server = null, auth = null, preCall = null, llm = null;");
            Open(w, "try");
            w.WriteLine(
                "// Authentication first, before any span: nothing the client sent reaches a trace until it has "
                + "passed.");
            w.WriteLine("await AuthStage.AuthenticateAsync(call).ConfigureAwait(false);");
            w.WriteLine("server = RequestStage.StartSpan(call, ambient);");
            w.WriteLine("auth = AuthStage.StartSpan(call, server);");
            w.WriteLine("AuthStage.ThrowIfUnauthenticated(call);");
            w.WriteLine("auth = AuthStage.EndSpan(auth, server);");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("preCall = PreCallStage.StartSpan(call, server);");
            if (body != default)
            {
                w.WriteLine(
                    $"var {Local(body)} = PreCallStage.ReadRequest(call, "
                    + $"gateway.GetTypeInfo<{ArgumentType(body)}>());");
            }
            else if (candidates.Count > 0)
            {
                // The body, or a service when DI has the type (decided once, at start-up, as minimal APIs do).
                foreach (var candidate in candidates)
                {
                    var optional = candidate.Optionality == Optionality.Required ? "false" : "true";
                    w.WriteLine(
                        $"var {Local(candidate)} = PreCallStage.ReadRequestOrService<{ArgumentType(candidate)}>("
                        + $"call, optional: {optional});");
                }
            }
            else
            {
                w.WriteLine("PreCallStage.ValidateBody(call);");
            }

            EmitValues(w, EarlyValues(route));

            if (route.RefusesStream)
            {
                w.WriteLine("PreCallStage.RejectStreaming(call);");
            }

            w.WriteLine("preCall = PreCallStage.EndSpan(preCall, server);");
            w.WriteLineNoTabs(string.Empty);
            var request =
                body != default ? Local(body)
                : candidates.Count > 0 ? "PreCallStage.RequestOf(call)"
                : "null";
            w.WriteLine("llm = LlmStage.StartSpan(call, server);");
            w.WriteLine(
                $"await LlmStage.RunGuardrailsAsync(call, GuardrailMode.PreCall, {request}, "
                + "null).ConfigureAwait(false);");
            w.WriteLine($"LlmStage.StartDuringCallGuardrails(call, {request});");
            if (route.HandlerMethodName is not null && route.StreamMethodName is not null)
            {
                Open(w, "if (call.Parameters.Stream)");
                EmitStream(w, route, request);
                Close(w);
                Open(w, "else");
                EmitValue(w, route, request);
                Close(w);
            }
            else if (route.StreamMethodName is not null)
            {
                EmitStream(w, route, request);
            }
            else if (route.ServesBoth)
            {
                EmitEither(w, route, request);
            }
            else
            {
                EmitValue(w, route, request);
            }

            Close(w);
            Open(w, "catch (Exception exception)");
            w.WriteLine("// The single failure path: every exception, whatever its type, reaches it exactly once.");
            w.WriteLine(
                "await FailurePath.HandleAsync(call, exception, server, auth, preCall, llm).ConfigureAwait(false);");
            Close(w);
            Open(w, "finally");
            w.WriteLine("// Children first, the server span last: no span outlives its parent, on any path.");
            w.WriteLine("LlmStage.EndSpan(llm, server);");
            w.WriteLine("PreCallStage.EndSpan(preCall, server);");
            w.WriteLine("AuthStage.EndSpan(auth, server);");
            w.WriteLine("RequestStage.EndSpan(server, call);");
            Close(w);
            Close(w);
        }

        /// <summary>
        /// The regular handler: its result goes through post-call guardrails and is written as JSON, or executes
        /// itself.
        /// </summary>
        private static void EmitValue(IndentedTextWriter w, RouteModel route, string request)
        {
            EmitHandlerCall(w, route);
            if (route.ReturnsResult)
            {
                EmitHttpResultTail(w, request, "result");
            }
            else
            {
                EmitJsonTail(w, request, "result", route.ResultTypeName);
            }
        }

        /// <summary>
        /// The handler that serves both stream modes (it returns <c>LlmResult&lt;TResponse, TChunk&gt;</c>):
        /// what it returned decides how it is written.
        /// </summary>
        private static void EmitEither(IndentedTextWriter w, RouteModel route, string request)
        {
            EmitHandlerCall(w, route);
            Open(w, "if (result.IsStream)");
            w.WriteLine(
                "await StreamStage.WriteAsync(call, result.Chunks, "
                + $"gateway.GetTypeInfo<{route.ChunkTypeName}>()).ConfigureAwait(false);");
            EmitStreamTail(w, request);
            Close(w);
            Open(w, "else if (result.HttpResult is { } httpResult)");
            EmitHttpResultTail(w, request, "httpResult");
            Close(w);
            Open(w, "else");
            w.WriteLine("var response = result.Response;");
            if (route.ReturnsResult)
            {
                EmitHttpResultTail(w, request, "response");
            }
            else
            {
                EmitJsonTail(w, request, "response", route.ResultTypeName);
            }

            Close(w);
        }

        /// <summary>Resolves the handler's services and calls it: <c>var result = ...</c>.</summary>
        private static void EmitHandlerCall(IndentedTextWriter w, RouteModel route)
        {
            EmitLateArguments(w, route, route.Parameters, stream: false);
            var arguments = string.Join(", ", route.Parameters.Select(p => Argument(route, p, stream: false)));
            var invocation =
                $"{route.HandlerTypeName}.{Parser.EscapeIdentifier(route.HandlerMethodName!)}({arguments})";
            w.WriteLine(
                route.ReturnShape == ReturnShape.Value
                    ? $"var result = {invocation};"
                    : $"var result = await {invocation}.ConfigureAwait(false);");
        }

        /// <summary>
        /// A response written as JSON: post-call guardrails, the recorded output, the LLM span ended, then the write.
        /// </summary>
        private static void EmitJsonTail(IndentedTextWriter w, string request, string value, string typeName)
        {
            w.WriteLine("await LlmStage.CompleteDuringCallGuardrailsAsync(call).ConfigureAwait(false);");
            w.WriteLine(
                $"await LlmStage.RunGuardrailsAsync(call, GuardrailMode.PostCall, {request}, "
                + $"{value}).ConfigureAwait(false);");

            // One type-info look-up serves the recorded output and the response.
            w.WriteLine($"var resultTypeInfo = gateway.GetTypeInfo<{typeName}>();");
            w.WriteLine($"LlmStage.RecordOutput(call, {value}, resultTypeInfo);");
            w.WriteLine("llm = LlmStage.EndSpan(llm, server);");
            w.WriteLine($"await ResultStage.WriteAsync(call, {value}, resultTypeInfo).ConfigureAwait(false);");
        }

        /// <summary>
        /// An <c>IResult</c>: post-call guardrails, then it executes under the LLM span (a relay's
        /// result is the upstream's answer on its way); an error status it answers with is a failure.
        /// </summary>
        private static void EmitHttpResultTail(IndentedTextWriter w, string request, string value)
        {
            w.WriteLine($"await LlmStage.CompleteDuringCallGuardrailsAsync(call, {value}).ConfigureAwait(false);");
            w.WriteLine(
                $"await LlmStage.RunGuardrailsAsync(call, GuardrailMode.PostCall, {request}, "
                + $"{value}).ConfigureAwait(false);");
            w.WriteLine($"await ResultStage.WriteAsync(call, {value}).ConfigureAwait(false);");
            w.WriteLine("llm = LlmStage.EndSpan(llm, server);");
        }

        /// <summary>
        /// The streaming handler: its chunks are written as server-sent events, its terminal event last.
        /// </summary>
        /// <remarks>
        /// The post-call guardrails see the streamed chunks; the stream's terminal event is written after them, so a
        /// failure of a guardrail is an error event before it.
        /// </remarks>
        private static void EmitStream(IndentedTextWriter w, RouteModel route, string request)
        {
            EmitLateArguments(w, route, route.StreamParameters, stream: true);
            var arguments = string.Join(", ", route.StreamParameters.Select(p => Argument(route, p, stream: true)));
            var method = Parser.EscapeIdentifier(route.StreamMethodName!);
            w.WriteLine($"var chunks = {route.HandlerTypeName}.{method}({arguments});");
            w.WriteLine(
                "await StreamStage.WriteAsync(call, chunks, "
                + $"gateway.GetTypeInfo<{route.ChunkTypeName}>()).ConfigureAwait(false);");
            EmitStreamTail(w, request);
        }

        /// <summary>
        /// After the chunks: the guardrails, then the held-back terminal event and the stream's timings.
        /// </summary>
        private static void EmitStreamTail(IndentedTextWriter w, string request)
        {
            w.WriteLine("await LlmStage.CompleteDuringCallGuardrailsAsync(call).ConfigureAwait(false);");
            w.WriteLine(
                $"await LlmStage.RunGuardrailsAsync(call, GuardrailMode.PostCall, {request}, "
                + "StreamStage.Chunks(call)).ConfigureAwait(false);");
            w.WriteLine("await StreamStage.CompleteAsync(call).ConfigureAwait(false);");
            w.WriteLine("llm = LlmStage.EndSpan(llm, server);");
        }

        private static void EmitEnvelopeReader(IndentedTextWriter w, RouteModel route)
        {
            w.WriteLine("/// <summary>");
            if (route.NoSlot)
            {
                w.WriteLine(
                    "/// Reads the body once; the route has no metadata slot, so nothing in it is gateway metadata "
                    + "and all of it goes upstream.");
            }
            else
            {
                w.WriteLine(
                    "/// Reads the body once; the slot is matched as this route's constant, so no code path can read "
                    + "the other slot.");
            }

            w.WriteLine(
                "/// A body that readers could read two ways (a repeated or case-varied property name) is refused as "
                + "it is read.");
            w.WriteLine("/// </summary>");
            Open(
                w,
                $"{(route.Mvc ? "internal" : "private")} static RequestEnvelope ReadEnvelope("
                + "global::System.ReadOnlyMemory<byte> body, TracedLlmOptions options, RequestShape shape)");
            w.WriteLine(
                route.SharedSlot
                    ? "var envelope = new EnvelopeReader(body, MetadataSlot, MetadataSlotMode.Shared, options, shape);"
                : route.LenientSlot
                ? "var envelope = new EnvelopeReader(body, MetadataSlot, MetadataSlotMode.Gateway, options, shape, "
                    + "strictMetadata: false);"
                : "var envelope = new EnvelopeReader(body, MetadataSlot, options, shape);");
            w.WriteLine("var reader = new Utf8JsonReader(body.Span, EnvelopeReader.ReaderOptions);");
            w.WriteLine("envelope.ReadStart(ref reader);");
            Open(w, "while (envelope.ReadPropertyName(ref reader))");
            if (route.NoSlot)
            {
                w.WriteLine("envelope.ReadOtherProperty(ref reader);");
            }
            else
            {
                Open(w, "if (reader.ValueTextEquals(MetadataSlotUtf8))");
                w.WriteLine("envelope.ReadSlot(ref reader);");
                Close(w);
                Open(w, "else");
                w.WriteLine("envelope.ReadOtherProperty(ref reader);");
                Close(w);
            }

            Close(w);
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("return envelope.Build();");
            Close(w);
        }

        public static string EmitRouteTable(EquatableArray<RouteTableEntry> routes)
        {
            var ordered = routes.OrderBy(r => r.Pattern, System.StringComparer.Ordinal)
                .ThenBy(r => r.HttpMethod, System.StringComparer.Ordinal)
                .ThenBy(r => r.GeneratedClassName, System.StringComparer.Ordinal)
                .ToArray();
            var manifest = TelemetryManifest.Write(ordered);
            var w = NewWriter(out var text);

            // One line the build copies to tracedllm-manifest.json (buildTransitive/TracedLlm.targets).
            w.WriteLine(ManifestMarker + manifest);
            w.WriteLineNoTabs(string.Empty);
            var actions = ordered.Where(r => r.Mvc).ToList();
            if (actions.Count > 0)
            {
                // How AddControllers().AddTracedLlm() finds this assembly's traced actions: an attribute of the
                // assembly, read where MVC reads the controllers themselves (no module initializer, no scan).
                w.WriteLine("[assembly: global::TracedLlm.Generated.TracedLlmActionsAttribute]");
                w.WriteLineNoTabs(string.Empty);
            }

            Open(w, "namespace Microsoft.AspNetCore.Builder");
            w.WriteLine("/// <summary>Maps the traced LLM routes of this assembly.</summary>");
            w.WriteLine(GeneratedCode);
            Open(w, "internal static class TracedLlmEndpointRouteBuilderExtensions");
            w.WriteLine(
                "/// <summary>Maps every <c>[TracedLlmRoute]</c> handler of this assembly; conventions added to the "
                + "result apply to all of them.</summary>");
            Open(
                w,
                "public static global::TracedLlm.TracedLlmRouteBuilder MapTracedLlmRoutes(this "
                + "global::Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints)");
            w.WriteLine(
                "var routes = global::TracedLlm.TracedLlmRouteBuilder.Create(endpoints, "
                + "global::TracedLlm.Generated.TracedLlmRouteTable.ManifestJson);");
            foreach (var route in ordered.Where(r => !r.Mvc))
            {
                w.WriteLine(
                    $"// {route.HttpMethod} {route.Pattern}: "
                    + $"{Handlers(route.HandlerDisplayName, route.HandlerMethodName, route.StreamMethodName)}");
                w.WriteLine(
                    $"routes.Map(endpoints, global::TracedLlm.Generated.{route.GeneratedClassName}.Route, "
                    + $"global::TracedLlm.Generated.{route.GeneratedClassName}.InvokeAsync);");
            }

            w.WriteLine("return routes;");
            Close(w);
            Close(w);
            Close(w);
            w.WriteLineNoTabs(string.Empty);
            Open(w, "namespace TracedLlm.Generated");
            WriteAliases(w, TableAliases);
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine(
                "/// <summary>The traced routes of this assembly and their metadata slots, decided at compile "
                + "time.</summary>");
            w.WriteLine(GeneratedCode);
            Open(w, "internal static class TracedLlmRouteTable");
            w.WriteLine(
                "/// <summary>The telemetry contract of every traced route, as JSON; the build also writes it to "
                + "tracedllm-manifest.json.</summary>");
            w.WriteLine($"public const string ManifestJson = {Literal(manifest)};");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <summary>Every traced route, ordered by path and method.</summary>");
            Open(
                w,
                "public static global::System.Collections.Generic.IReadOnlyList<TracedRouteInfo> Routes { get; } = "
                + "new TracedRouteInfo[]");
            foreach (var route in ordered)
            {
                w.WriteLine($"{route.GeneratedClassName}.Route,");
            }

            Close(w, "};");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine(
                "/// <summary>The metadata slot of the route with this template, or null when no traced route has "
                + "it.</summary>");
            Open(w, "public static string? GetMetadataSlot(string path)");
            Open(w, "switch (path)");
            foreach (var group in ordered.GroupBy(r => r.Pattern))
            {
                w.WriteLine($"case {Literal(group.Key)}:");
                w.Indent++;
                w.WriteLine($"return {group.First().GeneratedClassName}.MetadataSlot;");
                w.Indent--;
            }

            w.WriteLine("default:");
            w.Indent++;
            w.WriteLine("return null;");
            w.Indent--;
            Close(w);
            Close(w);
            Close(w);
            if (actions.Count > 0)
            {
                w.WriteLineNoTabs(string.Empty);
                EmitActionTable(w, actions);
            }

            Close(w);
            return text.ToString();
        }

        /// <summary>
        /// The assembly attribute that lists the traced MVC actions, with the manifest of every route.
        /// </summary>
        private static void EmitActionTable(IndentedTextWriter w, List<RouteTableEntry> actions)
        {
            w.WriteLine(
                "/// <summary>The traced MVC controller actions of this assembly, which "
                + "AddControllers().AddTracedLlm() runs the pipeline around.</summary>");
            w.WriteLine(GeneratedCode);
            w.WriteLine("[global::System.AttributeUsage(global::System.AttributeTargets.Assembly)]");
            Open(
                w,
                "internal sealed class TracedLlmActionsAttribute : "
                + "global::TracedLlm.Pipeline.TracedActionTableAttribute");
            w.WriteLine("/// <inheritdoc />");
            Open(
                w,
                "public override "
                + "global::System.Collections.Generic.IReadOnlyList<global::TracedLlm.Pipeline.TracedAction> Actions "
                + "{ get; } = new global::TracedLlm.Pipeline.TracedAction[]");
            foreach (var action in actions)
            {
                w.WriteLine($"{action.GeneratedClassName}.Action,");
            }

            Close(w, "};");
            w.WriteLineNoTabs(string.Empty);
            w.WriteLine("/// <inheritdoc />");
            w.WriteLine("public override string ManifestJson => TracedLlmRouteTable.ManifestJson;");
            Close(w);
        }
    }
}
