using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text;

namespace TracedLlm;

/// <summary>
/// Where a destination's batches go and with which headers, as its backend's own SDKs compute them.
/// </summary>
/// <remarks>
/// Langfuse's <c>{host}/api/public/otel/v1/traces</c> with Basic auth and ingestion version 4, Phoenix's
/// <c>{collector}/v1/traces</c> with <c>authorization: Bearer</c> (arize-phoenix-otel), LangSmith's
/// <c>{endpoint}/otel/v1/traces</c> with <c>x-api-key</c> and <c>Langsmith-Project</c> (the langsmith SDK's OTLP
/// exporter), an OTLP endpoint as given; then the destination's own headers.
/// </remarks>
internal readonly record struct DestinationAddress(Uri Endpoint, (string Name, string Value)[] Headers)
{
    /// <summary>Phoenix's local default (<c>PHOENIX_COLLECTOR_ENDPOINT</c> unset).</summary>
    internal const string PhoenixDefault = "http://localhost:6006";

    /// <summary>LangSmith's default API endpoint (<c>LANGSMITH_ENDPOINT</c> unset).</summary>
    internal const string LangSmithDefault = "https://api.smith.langchain.com";

    /// <summary>The headers the exporter sets itself, which a destination may not name.</summary>
    private static readonly string[] Reserved =
    {
        "Content-Type",
        "Content-Length",
        "User-Agent",
        "Content-Encoding",
        "Host"
    };

    /// <summary>
    /// The address of <paramref name="options"/>, or why there is none (one sentence naming the setting, never a
    /// value).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryCreate(TraceDestinationOptions options, out DestinationAddress address, out string? problem)
    {
        address = default;
        var given = string.IsNullOrWhiteSpace(options.Endpoint) ? null : options.Endpoint.Trim();
        string? url = options.Kind switch
        {
            TraceDestinationKind.Otlp => given,
            TraceDestinationKind.Langfuse => WithScheme(given ?? LangfuseExporterOptions.DefaultHost).TrimEnd('/')
                + LangfuseExporterOptions.TracesPath,
            TraceDestinationKind.Phoenix => WithPath(WithScheme(given ?? PhoenixDefault), "/v1/traces"),
            TraceDestinationKind.LangSmith => WithPath(WithScheme(given ?? LangSmithDefault), "/otel/v1/traces"),
            _ => null,
        };
        if (url is null)
        {
            problem =
                options.Kind == TraceDestinationKind.Otlp
                    ? "Endpoint is missing: an OTLP destination needs its traces URL (http://collector:4318/v1/traces)."
                    : "Kind is not known.";
            return false;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint)
            || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)
            || endpoint.Host.Length == 0)
        {
            problem = "Endpoint is not an http(s) URL.";
            return false;
        }

        var headers = new List<(string Name, string Value)>();
        switch (options.Kind)
        {
            case TraceDestinationKind.Langfuse:
                var pair = Encoding.UTF8.GetBytes($"{options.PublicKey}:{options.SecretKey}");
                headers.Add(("Authorization", "Basic " + Convert.ToBase64String(pair)));
                headers.Add(("x-langfuse-ingestion-version", LangfuseExporterOptions.IngestionVersion));
                break;
            case TraceDestinationKind.Phoenix when !string.IsNullOrWhiteSpace(options.ApiKey):
                headers.Add(("authorization", "Bearer " + options.ApiKey.Trim()));
                break;
            case TraceDestinationKind.LangSmith:
                headers.Add(("x-api-key", options.ApiKey?.Trim() ?? string.Empty));
                if (!string.IsNullOrWhiteSpace(options.Project))
                {
                    headers.Add(("Langsmith-Project", options.Project.Trim()));
                }

                break;
        }

        if (!TryParseHeaders(options.Headers, out var extra, out problem))
        {
            return false;
        }

        foreach (var header in extra)
        {
            if (headers.Exists(h => string.Equals(h.Name, header.Name, StringComparison.OrdinalIgnoreCase)))
            {
                problem = $"Headers names {header.Name}, which the {options.Kind} destination sets itself.";
                return false;
            }

            headers.Add(header);
        }

        address = new DestinationAddress(endpoint, headers.ToArray());
        problem = null;
        return true;
    }

    /// <summary>
    /// Reads <c>name=value,name=value</c> as OpenTelemetry's <c>OTEL_EXPORTER_OTLP_HEADERS</c> is read
    /// (the whole string percent-decoded, then split): each name a valid HTTP header name, given once,
    /// none of the headers the exporter sets itself. The problem never quotes a value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseHeaders(string? text, out List<(string Name, string Value)> headers, out string? problem)
    {
        headers = new List<(string, string)>();
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            problem = "Headers cannot be percent-decoded.";
            return false;
        }

        var probe = new HttpRequestMessage().Headers;
        foreach (var pair in decoded.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? string.Empty : pair[..equals].Trim();
            if (name.Length == 0)
            {
                problem = "Headers must be name=value pairs separated by commas.";
                return false;
            }

            if (!probe.TryAddWithoutValidation(name, "x")
                || Array.Exists(Reserved, r => string.Equals(r, name, StringComparison.OrdinalIgnoreCase)))
            {
                problem =
                    $"Headers names {(IsToken(name) ? name : "a header")} that cannot be sent (not a valid header "
                    + $"name, or one the exporter sets itself).";
                return false;
            }

            if (headers.Exists(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                problem = $"Headers names {name} twice.";
                return false;
            }

            headers.Add((name, pair[(equals + 1)..].Trim()));
        }

        return true;
    }

    private static bool IsToken(string name)
    {
        foreach (var c in name)
        {
            if (c is <= ' ' or >= (char)127 or '(' or ')' or ',' or '/' or ':' or ';' or '<' or '=' or '>' or '?' or '@'
                or '[' or '\\' or ']' or '{' or '}' or '"')
            {
                return false;
            }
        }

        return true;
    }

    private static string WithScheme(string host) =>
        host.Contains("://", StringComparison.Ordinal) ? host : "https://" + host;

    // The backend's traces path under the base it was given, unless the base already ends in it.
    private static string WithPath(string baseUrl, string path)
    {
        var trimmed = baseUrl.TrimEnd('/');
        return trimmed.EndsWith(path, StringComparison.OrdinalIgnoreCase) ? trimmed : trimmed + path;
    }
}
