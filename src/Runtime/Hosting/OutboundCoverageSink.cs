using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using Microsoft.Extensions.Logging;
using TracedLlm.Pipeline;

namespace TracedLlm;

/// <summary>One app's record of its model requests sent outside every upstream attempt.</summary>
/// <remarks>
/// What it declares a model request (<see cref="OutboundCoverageOptions"/>), each host and operation seen
/// with its count and the calling code's location, and the warning it logs once for each.
/// </remarks>
internal sealed partial class OutboundCoverageSink(
    TracedLlmGateway gateway, OutboundCoverageOptions options, ILogger logger)
{
    /// <summary>The log category of the warnings.</summary>
    public const string LoggerCategory = "TracedLlm.Coverage";

    /// <summary>How many hosts and operations the list keeps (the metric keeps counting the rest).</summary>
    internal const int MaxListed = 256;

    /// <summary>Carries a declared named client's name on its requests (<see cref="ModelClientMarker"/>).</summary>
    internal static readonly HttpRequestOptionsKey<string> ClientNameKey = new("TracedLlm.ModelHttpClient");

    private readonly ConcurrentDictionary<(string Host, string Operation), Gap> _gaps = new();
    private readonly string[] _clients = [.. options.ModelHttpClients.Where(c => c.Length > 0)];
    private readonly string[] _hosts =
        [.. options.ModelUrls.Where(u => u.Length > 0 && !u.Contains('/')).Select(u => u.ToLowerInvariant())];
    private readonly string[] _paths = [.. options.ModelUrls.Where(u => u.Contains('/'))];

    public TracedLlmGateway Gateway { get; } = gateway;

    /// <summary>The declared named clients (for the handler that marks their requests).</summary>
    public IReadOnlyList<string> ModelHttpClients => _clients;

    /// <summary>
    /// The host and operation of a model request: an LLM operation's path on any host, or a declared client, host or
    /// path; else null.
    /// </summary>
    public ModelRequest? ModelRequest(HttpRequestMessage request)
    {
        var uri = request.RequestUri!;
        var operation = ModelOperations.Of(uri.AbsolutePath);
        if (operation is null && !Declared(request, uri))
        {
            return null;
        }

        return new ModelRequest(uri.IdnHost.ToLowerInvariant(), operation ?? ModelOperations.Other);
    }

    /// <summary>
    /// Counts the request in the list; the first of its host and operation is warned, with the caller computed then
    /// (once for every app).
    /// </summary>
    public void Record(ModelRequest model, LlmCall? call, ref string? location)
    {
        var key = (model.Host, model.Operation);
        if (_gaps.TryGetValue(key, out var known))
        {
            Interlocked.Increment(ref known.Count);
            return;
        }

        if (_gaps.Count >= MaxListed)
        {
            return;
        }

        location ??= CallerLocation.Find(call);
        var gap = _gaps.GetOrAdd(key, static (_, where) => new Gap(where), location);
        if (Interlocked.Increment(ref gap.Count) == 1 && logger.IsEnabled(LogLevel.Warning))
        {
            Unattempted(logger, model.Operation, model.Host, gap.Location);
        }
    }

    /// <summary>
    /// The list as the manifest's <c>unattemptedModelRequests</c> array, in host and operation order.
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            var ordered = _gaps.OrderBy(g => g.Key.Host, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Operation, StringComparer.Ordinal);
            foreach (var ((host, operation), gap) in ordered)
            {
                json.WriteStartObject();
                json.WriteString("host", host);
                json.WriteString("operation", operation);
                json.WriteNumber("count", Volatile.Read(ref gap.Count));
                json.WriteString("location", gap.Location);
                json.WriteString("firstSeen", gap.FirstSeen);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private bool Declared(HttpRequestMessage request, Uri uri)
    {
        if (_clients.Length > 0 && request.Options.TryGetValue(ClientNameKey, out _))
        {
            return true;
        }

        foreach (var host in _hosts)
        {
            if (uri.IdnHost.Equals(host, StringComparison.OrdinalIgnoreCase)
                || uri.IdnHost.EndsWith("." + host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var path in _paths)
        {
            if (uri.AbsolutePath.Contains(path, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A host and operation seen: how often, where first, when first.</summary>
    private sealed class Gap(string location)
    {
        public long Count;

        public string Location { get; } = location;

        public string FirstSeen { get; } =
            DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message =
        "A model request ({Operation} at {Host}) was sent inside a traced request but outside every upstream attempt, "
        + "from {Location}: no attempt span records it, so its retries, failures and usage go unseen. Send it inside "
        + "call.ExecuteAsync/StreamAsync or an attempt the code starts (call.StartAttempt), or through a client with "
        + "AddTracedLlmAttempts() or UseTracedLlm(); TLLM2006 reports such a send at build time. Counted on "
        + "tracedllm.coverage.unattempted_requests and listed by the served manifest; warned once per host and "
        + "operation.")]
    private static partial void Unattempted(ILogger logger, string operation, string host, string location);
}

/// <summary>A model request's host (lowercase) and GenAI operation.</summary>
internal sealed record ModelRequest(string Host, string Operation);
