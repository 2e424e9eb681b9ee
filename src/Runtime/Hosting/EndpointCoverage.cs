using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace TracedLlm;

/// <summary>The application's endpoints that look like LLM API paths but are not traced.</summary>
/// <remarks>
/// Each endpoint a POST can reach (YARP's routes included, they are endpoints too) is matched against the paths clients
/// call LLM APIs on (OpenAI, Azure OpenAI, Anthropic, Gemini, Ollama, Bedrock), and its own template against the
/// operations those paths end in. A path a traced route serves is covered; an untraced endpoint that would take another
/// is a gap, listed in the served manifest and, optionally, logged at start
/// (<see cref="TracedLlmOptions.LogStartupReport"/>).
/// Route templates are matched without their constraints and without routing's precedence between
/// two untraced endpoints: the list errs towards naming an endpoint. Computed from the endpoints as
/// they are when asked (a YARP configuration that changes is seen on the next request), in
/// microseconds per endpoint; never on a traced request's path.
/// </remarks>
internal static class EndpointCoverage
{
    /// <summary>
    /// Endpoints' metadata type that marks a YARP route (matched by name: the runtime does not depend on YARP).
    /// </summary>
    private const string YarpRouteModel = "Yarp.ReverseProxy.Model.RouteModel";

    /// <summary>LLM API paths as clients call them, a parameter filled with a sample value.</summary>
    internal static readonly string[] LlmApiPaths =
    {
        // OpenAI, and the OpenAI-compatible servers (vLLM, LiteLLM, OpenRouter...), with and without /v1.
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/embeddings",
        "/v1/responses",
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/audio/speech",
        "/v1/audio/transcriptions",
        "/v1/audio/translations",
        "/v1/moderations",
        "/v1/rerank",
        "/chat/completions",
        "/completions",
        "/embeddings",
        "/responses",
        // Azure OpenAI: deployments, and the v1 API.
        "/openai/deployments/probe-deployment/chat/completions",
        "/openai/deployments/probe-deployment/completions",
        "/openai/deployments/probe-deployment/embeddings",
        "/openai/deployments/probe-deployment/images/generations",
        "/openai/deployments/probe-deployment/audio/speech",
        "/openai/deployments/probe-deployment/audio/transcriptions",
        "/openai/deployments/probe-deployment/audio/translations",
        "/openai/v1/chat/completions", "/openai/v1/responses", "/openai/v1/embeddings", "/openai/responses",

        // Anthropic, Gemini, Ollama, Bedrock.
        "/v1/messages",
        "/v1/complete",
        "/v1beta/models/probe-model:generateContent",
        "/v1beta/models/probe-model:streamGenerateContent",
        "/v1beta/models/probe-model:embedContent",
        "/api/chat",
        "/api/generate",
        "/api/embed",
        "/api/embeddings",
        "/model/probe-model/invoke",
        "/model/probe-model/invoke-with-response-stream",
        "/model/probe-model/converse",
        "/model/probe-model/converse-stream",
    };

    /// <summary>
    /// The operations an LLM API path ends in, as literal segments: a gateway's own path that ends so looks like one.
    /// </summary>
    private static readonly string[][] Operations =
    {
        new[] { "chat", "completions" },
        new[] { "completions" },
        new[] { "embeddings" },
        new[] { "responses" },
        new[] { "messages" },
        new[] { "images", "generations" },
        new[] { "audio", "speech" },
        new[] { "audio", "transcriptions" },
        new[] { "moderations" },
        new[] { "rerank" },
    };

    /// <summary>The untraced endpoints that look like LLM API paths, in the data source's order.</summary>
    public static IReadOnlyList<UntracedEndpoint> Find(EndpointDataSource dataSource)
    {
        var traced = new List<TemplateMatcher>();
        var others = new List<(RouteEndpoint Endpoint, TemplateMatcher Matcher)>();
        foreach (var endpoint in dataSource.Endpoints)
        {
            if (endpoint is not RouteEndpoint route || !AcceptsPost(route) || route.Order == int.MaxValue)
            {
                // Not routed by path, not reachable by a POST, or a fallback (MapFallback: a site's pages).
                continue;
            }

            var matcher = new TemplateMatcher(
                new RouteTemplate(route.RoutePattern),
                new RouteValueDictionary(route.RoutePattern.Defaults));
            if (route.Metadata.GetMetadata<TracedRouteInfo>() is not null)
            {
                traced.Add(matcher);
            }
            else
            {
                others.Add((route, matcher));
            }
        }

        var untracedPaths = LlmApiPaths.Where(path => !traced.Any(t => Matches(t, path))).ToArray();
        var found = new List<UntracedEndpoint>();
        foreach (var (endpoint, matcher) in others)
        {
            var paths = new List<string>();
            var template = endpoint.RoutePattern.RawText ?? string.Empty;
            if (EndsInOperation(endpoint.RoutePattern))
            {
                paths.Add(template);
            }

            foreach (var path in untracedPaths)
            {
                if (Matches(matcher, path) && !paths.Contains(path))
                {
                    paths.Add(path);
                }
            }

            if (paths.Count > 0)
            {
                var yarp = endpoint.Metadata.Any(m => m?.GetType().FullName == YarpRouteModel);
                found.Add(
                    new UntracedEndpoint(
                        Methods(endpoint),
                        template,
                        endpoint.DisplayName ?? template,
                        yarp ? "yarp" : "endpoint",
                        paths));
            }
        }

        return found;
    }

    /// <summary>The list as the manifest's <c>untracedEndpoints</c> array.</summary>
    public static string ToJson(IReadOnlyList<UntracedEndpoint> endpoints)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var endpoint in endpoints)
            {
                json.WriteStartObject();
                json.WriteString("method", endpoint.Method);
                json.WriteString("path", endpoint.Pattern);
                json.WriteString("endpoint", endpoint.DisplayName);
                json.WriteString("source", endpoint.Source);
                json.WriteStartArray("llmPaths");
                foreach (var path in endpoint.LlmPaths)
                {
                    json.WriteStringValue(path);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>One line for the start-up log: each endpoint with the first LLM paths it would take.</summary>
    public static string Describe(IReadOnlyList<UntracedEndpoint> endpoints) =>
        string.Join(
            "; ",
            endpoints.Select(endpoint =>
            {
                var shown = string.Join(", ", endpoint.LlmPaths.Take(4));
                var more = endpoint.LlmPaths.Count > 4 ? $" and {endpoint.LlmPaths.Count - 4} more" : string.Empty;
                var what =
                    endpoint.Source == "yarp" ? $"YARP route '{endpoint.DisplayName}'" : $"'{endpoint.DisplayName}'";
                return $"{what} ({endpoint.Method} {endpoint.Pattern}) takes {shown}{more}";
            }));

    private static bool Matches(TemplateMatcher matcher, string path) =>
        matcher.TryMatch(new PathString(path), new RouteValueDictionary());

    private static bool AcceptsPost(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods
        || methods.HttpMethods.Count == 0
        || methods.HttpMethods.Contains(HttpMethods.Post, StringComparer.OrdinalIgnoreCase);

    private static string Methods(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 } methods
            ? string.Join(",", methods.HttpMethods)
            : "*";

    /// <summary>
    /// True when the template's last segments are the literal segments of an LLM operation
    /// (<c>.../chat/completions</c>).
    /// </summary>
    private static bool EndsInOperation(RoutePattern pattern)
    {
        var segments = pattern.PathSegments;
        foreach (var operation in Operations)
        {
            if (segments.Count < operation.Length)
            {
                continue;
            }

            var all = true;
            for (var i = 0; i < operation.Length && all; i++)
            {
                var segment = segments[segments.Count - operation.Length + i];
                all = segment.IsSimple && segment.Parts[0] is RoutePatternLiteralPart literal
                    && string.Equals(literal.Content, operation[i], StringComparison.OrdinalIgnoreCase);
            }

            if (all)
            {
                return true;
            }
        }

        // Gemini's operations ride on the model segment: models/{model}:generateContent.
        return segments.Count > 0 && segments[^1].Parts[^1] is RoutePatternLiteralPart last
            && last.Content.Contains("Content", StringComparison.Ordinal) && last.Content.StartsWith(':');
    }

}

/// <summary>An endpoint that looks like an LLM API path but is not traced.</summary>
/// <param name="Method">The HTTP methods it accepts, comma-separated, or <c>*</c>.</param>
/// <param name="Pattern">Its route template.</param>
/// <param name="DisplayName">Its display name (a YARP route's id).</param>
/// <param name="Source"><c>yarp</c> for a YARP route, else <c>endpoint</c>.</param>
/// <param name="LlmPaths">The LLM API paths it would take untraced: its own template when it ends in an LLM operation,
/// and the well-known paths it matches that no traced route serves.</param>
internal sealed record UntracedEndpoint(
    string Method,
    string Pattern,
    string DisplayName,
    string Source,
    IReadOnlyList<string> LlmPaths);
