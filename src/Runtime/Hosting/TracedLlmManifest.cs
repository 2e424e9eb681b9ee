using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using TracedLlm.Pipeline;

namespace TracedLlm;

/// <summary>
/// The build-time telemetry manifests of the routes an application mapped (one per assembly whose
/// <c>MapTracedLlmRoutes()</c> ran), kept per application, served by <c>MapTracedLlmManifest()</c>.
/// </summary>
internal static class TracedLlmManifest
{
    private static readonly ConditionalWeakTable<TracedLlmGateway, Entry> Manifests = new();

    public static void Register(TracedLlmGateway gateway, string manifestJson)
    {
        var entry = Manifests.GetValue(gateway, static _ => new Entry());
        lock (entry)
        {
            if (!entry.Documents.Contains(manifestJson))
            {
                entry.Documents.Add(manifestJson);
                entry.Served = null;
            }
        }
    }

    /// <summary>
    /// The manifest to serve: the one document, or several merged into one with every route; null when no traced route
    /// was mapped.
    /// </summary>
    public static string? Get(TracedLlmGateway gateway)
    {
        if (!Manifests.TryGetValue(gateway, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            return entry.Served ??= entry.Documents.Count switch
            {
                0 => null,
                1 => entry.Documents[0],
                _ => Merge(entry.Documents),
            };
        }
    }

    /// <summary>
    /// The manifest with the convention mode in force (<c>conventionMode</c>, the release it follows as
    /// <c>conventionVersion</c>, its <c>schemaUrl</c>) and the application's <c>untracedEndpoints</c>
    /// added as its last properties.
    /// </summary>
    public static string WithCoverage(
        string manifest,
        IReadOnlyList<UntracedEndpoint> untraced,
        SemanticConventionMode mode = SemanticConventionMode.Default)
    {
        // The generator's document is one JSON object: the properties go before its closing brace.
        var end = manifest.LastIndexOf('}');
        return string.Concat(
            manifest.AsSpan(0, end),
            ",\"conventionMode\":\"" + SemanticConventions.NameOf(mode)
            + "\",\"conventionVersion\":\"" + SemanticConventions.VersionOf(mode)
            + "\",\"schemaUrl\":\"" + SemanticConventions.SchemaUrlOf(mode) + "\"",
            ",\"untracedEndpoints\":" + EndpointCoverage.ToJson(untraced),
            "}");
    }

    // Every generator writes the same schema and span contract; only the routes differ.
    private static string Merge(List<string> documents)
    {
        var merged = JsonNode.Parse(documents[0])!.AsObject();
        var routes = merged["routes"]!.AsArray();
        for (var i = 1; i < documents.Count; i++)
        {
            foreach (var route in JsonNode.Parse(documents[i])!["routes"]!.AsArray())
            {
                routes.Add(route!.DeepClone());
            }
        }

        return merged.ToJsonString();
    }

    private sealed class Entry
    {
        public List<string> Documents { get; } = new();

        public string? Served { get; set; }
    }
}
