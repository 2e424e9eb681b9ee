using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TracedLlm.Generators;

/// <summary>
/// The telemetry contract of a compilation's traced routes, as JSON: per route its method, path,
/// metadata slot, wire format, handlers, and the spans it records with their attribute keys. A
/// change in trace shape becomes a reviewable diff of this document. The keys are the runtime's
/// constants (a test keeps them in step).
/// </summary>
internal static class TelemetryManifest
{
    public const string Schema = "tracedllm.manifest/1";

    /// <summary>The OpenTelemetry GenAI semantic-conventions release the attribute keys follow.</summary>
    public const string SemanticConventions = "1.37.0";

    /// <summary>
    /// The schema URL of <see cref="SemanticConventions"/>'s release (the default convention mode's; the
    /// served manifest adds the mode in force, its release and its <c>schemaUrl</c>).
    /// </summary>
    public const string SemanticConventionsSchemaUrl = "https://opentelemetry.io/schemas/" + SemanticConventions;

    /// <summary>
    /// The trace-level attributes every span of a request carries (Langfuse reads them per observation).
    /// </summary>
    private static readonly string[] TraceLevel =
    {
        "langfuse.trace.name", "langfuse.user.id", "langfuse.session.id", "langfuse.trace.tags",
        "langfuse.trace.metadata.*",
        "langfuse.environment", "langfuse.release", "langfuse.version",
    };

    internal static readonly (string Name, string Kind, string? Parent, string[] Attributes)[] Spans =
    {
        ("Received Proxy Server Request", "Server", null, Every(new[]
        {
            "http.request.method", "http.route", "http.response.status_code", "tracedllm.metadata_slot",
            "tracedllm.trace_join",
            "user.id", "session.id", "langfuse.observation.input", "langfuse.observation.output",
            "tracedllm.export.sample_rate",
        })),
        ("auth", "Internal", "Received Proxy Server Request", Every(new[]
        {
            "user_api_key_hash", "user_api_key_alias", "user_api_key_user_id", "user_api_key_team_id",
            "user_api_key_team_alias", "user_api_key_org_id", "user_api_key_end_user_id",
        })),
        ("proxy_pre_call", "Internal", "Received Proxy Server Request", Every(System.Array.Empty<string>())),
        ("litellm_request", "Client", "Received Proxy Server Request", Every(new[]
        {
            "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.request.temperature",
            "gen_ai.request.top_p", "gen_ai.request.max_tokens",
            "gen_ai.request.service_tier",
            "gen_ai.response.model", "gen_ai.response.id", "gen_ai.response.finish_reasons",
            "gen_ai.response.service_tier", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
            "langfuse.observation.model.name", "langfuse.observation.prompt.name",
            "langfuse.observation.prompt.version",
            "langfuse.observation.metadata.*", "langfuse.observation.input", "langfuse.observation.output",
            "tracedllm.attempt.retries", "tracedllm.attempt.fallbacks", "tracedllm.backend.id",
            "tracedllm.stream.chunks", "gen_ai.server.time_to_first_token", "gen_ai.server.time_per_output_token",
            "langfuse.observation.completion_start_time",
            "tracedllm.relay.unknown",
        })),
        ("guardrail", "Internal", "litellm_request", Every(new[]
        {
            "openinference.span.kind", "guardrail_name", "guardrail_mode", "guardrail_status", "guardrail_response",
        })),
        ("raw_gen_ai_request", "Client", "litellm_request", Every(new[]
        {
            "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
            "tracedllm.attempt.usage.input_tokens", "tracedllm.attempt.usage.output_tokens",
            "tracedllm.backend.id", "server.address", "server.port",
            "tracedllm.attempt.index", "tracedllm.attempt.kind", "tracedllm.attempt.reason", "tracedllm.attempt.delay",
            "tracedllm.attempt.outcome",
            "tracedllm.attempt.retry_after", "http.response.status_code", "error.type",
            "tracedllm.relay.format", "tracedllm.relay.response_bytes",
        })),
        ("Failed Proxy Server Request", "Internal", "Received Proxy Server Request",
            Every(new[] { "error.type", "http.response.status_code" })),
    };

    /// <summary>
    /// The instruments a traced request records to in the default convention mode (meter <c>TracedLlm</c>): name,
    /// instrument, unit.
    /// </summary>
    /// <remarks>
    /// <c>tracedllm.usage.cost</c> is recorded when a price table is configured; the latest mode's per-attempt client
    /// metrics are not part of the default contract.
    /// </remarks>
    internal static readonly (string Name, string Instrument, string Unit)[] Metrics =
    {
        ("gen_ai.client.token.usage", "histogram", "{token}"),
        ("gen_ai.server.request.duration", "histogram", "s"),
        ("gen_ai.server.time_to_first_token", "histogram", "s"),
        ("gen_ai.server.time_per_output_token", "histogram", "s"),
        ("tracedllm.telemetry.dropped", "counter", "{value}"),
        ("tracedllm.telemetry.redacted", "counter", "{value}"),
        ("tracedllm.usage.cost", "counter", "{USD}"),
        ("tracedllm.coverage.unattempted_requests", "counter", "{request}"),
    };

    /// <summary>A span's own attributes, then its Langfuse observation type and the trace-level ones.</summary>
    private static string[] Every(string[] own)
    {
        var all = new string[own.Length + 1 + TraceLevel.Length];
        own.CopyTo(all, 0);
        all[own.Length] = "langfuse.observation.type";
        TraceLevel.CopyTo(all, own.Length + 1);
        return all;
    }

    /// <summary>
    /// The manifest of <paramref name="routes"/> (already in table order), as one line of JSON. The
    /// span contract is the same for every route, so it is written once, not once per route.
    /// </summary>
    public static string Write(IEnumerable<RouteTableEntry> routes)
    {
        var json = new StringBuilder();
        json.Append("{\"schema\":").Append(Quote(Schema))
            .Append(",\"semanticConventions\":").Append(Quote(SemanticConventions))
            .Append(",\"semanticConventionsSchemaUrl\":").Append(Quote(SemanticConventionsSchemaUrl))
            .Append(",\"spans\":[");
        for (var i = 0; i < Spans.Length; i++)
        {
            var (name, kind, parent, attributes) = Spans[i];
            json.Append(i == 0 ? string.Empty : ",")
                .Append("{\"name\":").Append(Quote(name))
                .Append(",\"kind\":").Append(Quote(kind))
                .Append(",\"parent\":").Append(Quote(parent))
                .Append(",\"attributes\":[");
            for (var a = 0; a < attributes.Length; a++)
            {
                json.Append(a == 0 ? string.Empty : ",").Append(Quote(attributes[a]));
            }

            json.Append("]}");
        }

        json.Append("],\"failurePath\":{\"span\":\"Failed Proxy Server Request\",")
            .Append("\"catches\":\"every exception, once\"}")
            .Append(",\"guardrails\":{\"span\":\"guardrail\",\"modes\":[\"pre_call\",\"during_call\",\"post_call\"]}")
            .Append(",\"routes\":[");
        var first = true;
        foreach (var route in routes)
        {
            json.Append(first ? string.Empty : ",");
            first = false;
            var slotMode = route.MetadataSlot.Length == 0 ? "none" : route.SharedSlot ? "shared" : "gateway";
            var handler = route.HandlerMethodName is null ? null : route.HandlerDisplayName;
            var streamHandler = route.StreamMethodName is null
                ? null
                : Parent(route.HandlerDisplayName) + "." + route.StreamMethodName;
            json.Append("{\"method\":").Append(Quote(route.HttpMethod))
                .Append(",\"path\":").Append(Quote(route.Pattern))
                .Append(",\"metadataSlot\":").Append(Quote(route.MetadataSlot.Length == 0 ? null : route.MetadataSlot))
                .Append(",\"metadataSlotMode\":").Append(Quote(slotMode))
                .Append(",\"wireFormat\":").Append(Quote(route.ErrorFormat))
                .Append(",\"operation\":").Append(Quote(route.Operation))
                .Append(",\"handler\":").Append(Quote(handler))
                .Append(",\"streamHandler\":").Append(Quote(streamHandler))
                .Append(",\"streaming\":").Append(Quote(route.Streaming))
                .Append(",\"parameters\":[");
            WriteParameters(json, route.HandlerMethodName, route.Parameters, first: true);
            WriteParameters(json, route.StreamMethodName, route.StreamParameters, first: route.Parameters.Count == 0);
            json.Append("]}");
        }

        return json.Append("]}").ToString();
    }

    /// <summary>
    /// How the route answers <c>"stream": true</c>: <c>handler</c>, <c>streamHandler</c>, <c>always</c>, <c>ignored</c>
    /// or <c>refused</c>.
    /// </summary>
    /// <remarks>
    /// <c>handler</c>: one handler serves both modes (it returns <c>LlmResult</c> or an <c>IResult</c>);
    /// <c>streamHandler</c>: a second handler streams; <c>always</c>: the only handler streams; <c>ignored</c>: the
    /// handler returns JSON only and answers with it (<c>IgnoreStream</c>, or its body type has no <c>stream</c>);
    /// <c>refused</c>: 400, the handler returns JSON only and its body reads the flag or is untyped.
    /// </remarks>
    public static string Streaming(RouteModel route) =>
        route.StreamMethodName is not null ? (route.HandlerMethodName is not null ? "streamHandler" : "always")
        : route.ServesBoth || route.ReturnsResult ? "handler"
        : route.IgnoresStream || route.StreamUnread ? "ignored"
        : "refused";

    /// <summary>
    /// Each parameter of a handler and where it comes from (<c>source</c>), with the name it is read by (<c>key</c>).
    /// </summary>
    /// <remarks>
    /// <c>source</c> is <c>body</c>, <c>bodyOrService</c> (decided when the app starts), <c>service</c>,
    /// <c>keyedService</c>, <c>route</c>, <c>query</c>, <c>header</c>, or the request's own <c>llmCall</c>,
    /// <c>httpContext</c>, <c>httpRequest</c>, <c>httpResponse</c>, <c>user</c>, <c>cancellationToken</c>; <c>key</c>
    /// is the route value, query parameter or header name (or a keyed service's key).
    /// </remarks>
    private static void WriteParameters(
        StringBuilder json,
        string? handler,
        EquatableArray<ParameterModel> parameters,
        bool first)
    {
        foreach (var parameter in parameters)
        {
            var source = (parameter.Source switch
            {
                ParameterSource.OptionalService => ParameterSource.Service,
                ParameterSource.OptionalKeyedService => ParameterSource.KeyedService,
                _ => parameter.Source,
            }).ToString();
            json.Append(first ? string.Empty : ",")
                .Append("{\"handler\":").Append(Quote(handler))
                .Append(",\"name\":").Append(Quote(parameter.Name.TrimStart('@')))
                .Append(",\"type\":").Append(Quote(parameter.TypeOfName.Replace("global::", string.Empty)))
                .Append(",\"source\":").Append(Quote(char.ToLowerInvariant(source[0]) + source.Substring(1)));
            if (parameter.Key is { } key)
            {
                json.Append(",\"key\":").Append(Quote(key));
            }

            json.Append(",\"optional\":").Append(parameter.Optionality == Optionality.Required ? "false" : "true")
                .Append('}');
            first = false;
        }
    }

    private static string Parent(string display) => display.Substring(0, display.LastIndexOf('.'));

    private static string Quote(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                default:
                    if (c < ' ')
                    {
                        quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        quoted.Append(c);
                    }

                    break;
            }
        }

        return quoted.Append('"').ToString();
    }
}
