using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// An endpoint and the credentials sent there, shared by every destination that sends to both:
/// their spans go in one queue, one batch and one OTLP request.
/// </summary>
/// <remarks>
/// OTLP allows several resources in one request, and each destination's pieces are translated for
/// it before they join the batch (a Phoenix project is its own resource), so a batch may hold the
/// spans of any number of destinations; it has one URL and one set of headers, so destinations whose
/// endpoint or credentials differ never share one. Two keys are equal when the URL, the headers (the
/// credentials among them, compared as they are, never shown) and the timeout are. (A SHA-256 of
/// the headers cost ten thousand destinations' reload tens of milliseconds, for no secret kept.)
/// </remarks>
internal sealed class ChannelKey : IEquatable<ChannelKey>
{
    public ChannelKey(
        DestinationAddress address, int timeoutMilliseconds, string name, int destinations, string? headerText = null)
    {
        Endpoint = address.Endpoint;
        Headers = address.Headers;
        HeaderText = headerText ?? Text(address.Headers);
        TimeoutMilliseconds = timeoutMilliseconds;
        Name = name;
        Destinations = destinations;
    }

    public Uri Endpoint { get; }

    /// <summary>The request headers, credentials among them.</summary>
    public (string Name, string Value)[] Headers { get; }

    public int TimeoutMilliseconds { get; }

    /// <summary>The first name (in order) of the destinations sending here: its disk directory's, its logs'.</summary>
    public string Name { get; }

    /// <summary>How many destinations send here.</summary>
    public int Destinations { get; }

    // The headers as one text, for comparing them.
    private string HeaderText { get; }

    /// <summary>The headers as one text, names and values apart, to compare destinations' by.</summary>
    public static string Text((string Name, string Value)[] headers) =>
        string.Join("\n", headers.Select(h => h.Name + "\u0001" + h.Value));

    public bool Equals(ChannelKey? other) =>
        other is not null && Endpoint.AbsoluteUri == other.Endpoint.AbsoluteUri
        && string.Equals(HeaderText, other.HeaderText, StringComparison.Ordinal)
        && TimeoutMilliseconds == other.TimeoutMilliseconds;

    public override bool Equals(object? obj) => Equals(obj as ChannelKey);

    public override int GetHashCode() => HashCode.Combine(Endpoint.AbsoluteUri, HeaderText, TimeoutMilliseconds);

    /// <summary>Its name, how many share it, and its address: what logs may show.</summary>
    public override string ToString() => Destinations > 1
        ? string.Create(CultureInfo.InvariantCulture, $"{Name} and {Destinations - 1:N0} more destination(s) at ")
            + OtlpResponses.Address(Endpoint)
        : $"{Name} at {OtlpResponses.Address(Endpoint)}";
}

/// <summary>
/// The open delivery of a <see cref="ChannelKey"/>: its queue, batches, sends, retries, disk buffer and
/// drops.
/// </summary>
/// <remarks>
/// Its pieces are serialized on the router's one export thread (<see cref="ExportWorkers"/>) by its
/// <see cref="SharedSerializer"/>, each translated for its own destination. What one backend does
/// (hang, refuse, vanish) reaches no other: channels share nothing but the serializer, which never
/// waits for the network, and the HTTP handler, whose connection pools are per host. Opening one costs
/// its small objects only: the serializer, the handler, the HTTP client and the buffers (rented from
/// the shared pool) are the router's.
/// </remarks>
internal sealed class DestinationChannel : IDisposable
{
    /// <summary>The smallest buffer a batch rents (then what the last batch took).</summary>
    /// <remarks>
    /// A quiet destination's batch of a request or two fits in it, and a thousand of them hold a
    /// thousand of these, not of 256 KiB.
    /// </remarks>
    internal const int InitialBatchBytes = 4 * 1024;

    private static readonly string UserAgent = "OTel-OTLP-Exporter-Dotnet/"
        + (typeof(OpenTelemetry.Exporter.OtlpTraceExporter).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1");

    private long _lastUsed;
    private long _closedAt;

    public DestinationChannel(ChannelKey key, ChannelResources shared, ExportQueueOptions options)
    {
        Key = key;
        var headers = key.Headers.Select(h => (h.Name, new[] { h.Value }))
            .Append(("User-Agent", new[] { UserAgent }))
            .ToArray();
        var capture = new OtlpCapture(translation: null, key.Endpoint, headers, InitialBatchBytes);
        var client = shared.Client(key.TimeoutMilliseconds);
        Processor = new BoundedExportProcessor(
            OtlpSetup.ForDestination(shared.Serializer, capture, client, key.Name, shared.Budgets),
            options,
            message => shared.Warn(key, message),
            DiskSubdirectory(key.Name));
        _lastUsed = Stopwatch.GetTimestamp();
    }

    public ChannelKey Key { get; }

    public BoundedExportProcessor Processor { get; }

    /// <summary>When a span last came (a <see cref="Stopwatch"/> timestamp).</summary>
    public long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>When it was closed (a <see cref="Stopwatch"/> timestamp), 0 while open.</summary>
    public long ClosedAt => Interlocked.Read(ref _closedAt);

    /// <summary>Queues a span for <paramref name="route"/>'s destination; false when closed (nothing counts).</summary>
    public bool TryEnqueue(Activity span, SpanRoute route)
    {
        if (!Processor.TryEnqueue(span, route))
        {
            return false;
        }

        // A plain write: only the idle sweep reads it, and a locked exchange on every span of a request
        // (a cold line at each of a thousand teams) bought nothing.
        Volatile.Write(ref _lastUsed, Stopwatch.GetTimestamp());
        return true;
    }

    /// <summary>Closes it without waiting: no span enters after this; what it holds is delivered meanwhile.</summary>
    public void BeginClose()
    {
        if (Interlocked.CompareExchange(ref _closedAt, Stopwatch.GetTimestamp(), 0) == 0)
        {
            Processor.BeginClose();
        }
    }

    /// <summary>
    /// Waits, within <paramref name="timeoutMilliseconds"/>, for what it holds to be delivered (counting
    /// what is not), then lets it go; <paramref name="waited"/> is how long its closing was waited for already.
    /// </summary>
    public bool Finish(int timeoutMilliseconds, TimeSpan waited = default)
    {
        try
        {
            BeginClose();
            return Processor.ShutdownAfter(waited, timeoutMilliseconds);
        }
        finally
        {
            Dispose();
        }
    }

    public void Dispose() => Processor.Dispose();

    // A subdirectory of the disk buffer per channel, named for its first destination: that name as a
    // file name can hold it, and a digest of the whole name, so that two names never share one
    // (names compare without case). A destination alone keeps the directory it always had.
    internal static string DiskSubdirectory(string name)
    {
        var safe = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
            if (safe.Length == 48)
            {
                break;
            }
        }

        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name.ToUpperInvariant())))[..12];
        return Path.Combine("destinations", $"{safe}-{digest}");
    }
}
