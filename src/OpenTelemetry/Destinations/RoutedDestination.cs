using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// One open destination of a router: its own export queue, batches, delivery (retries, memory and
/// disk buffer) and drop counts, its pieces serialized on the router's one export thread
/// (<see cref="ExportWorkers"/>) by its <see cref="SharedSerializer"/> and translated for its backend. What one destination's backend
/// does (hang, refuse, vanish) reaches no other: they share nothing but the serializer, which never
/// waits for the network.
/// </summary>
internal sealed class RoutedDestination : IDisposable
{
    private static readonly string UserAgent = "OTel-OTLP-Exporter-Dotnet/" + (typeof(OpenTelemetry.Exporter.OtlpTraceExporter).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1");

    private readonly HttpClient _client;
    private int _users;
    private long _lastUsed;
    private int _closed;

    public RoutedDestination(DestinationDefinition definition, SharedSerializer serializer, HttpMessageHandler handler, ExportQueueOptions options, (ExportBudget Queue, ExportBudget Buffer) budgets, Action<string> warn)
    {
        Definition = definition;
        var headers = definition.Headers.Select(h => (h.Name, new[] { h.Value })).Append(("User-Agent", new[] { UserAgent })).ToArray();
        var capture = new OtlpCapture(SpanTranslation.For(definition.Kind, definition.CaptureContent, definition.Project), definition.Endpoint, headers);
        _client = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromMilliseconds(definition.TimeoutMilliseconds) };
        var named = $"TracedLlm export to {definition.Name}: ";
        Processor = new BoundedExportProcessor(
            OtlpSetup.ForDestination(serializer, capture, _client, definition.Name, budgets),
            options,
            message => warn(message.StartsWith("TracedLlm export: ", StringComparison.Ordinal) ? named + message["TracedLlm export: ".Length..] : named + message),
            DiskSubdirectory(definition.Name));
        _lastUsed = Stopwatch.GetTimestamp();
    }

    public DestinationDefinition Definition { get; }

    public BoundedExportProcessor Processor { get; }

    /// <summary>When a span last came (a <see cref="Stopwatch"/> timestamp).</summary>
    public long LastUsed => Interlocked.Read(ref _lastUsed);

    public bool IsClosed => Volatile.Read(ref _closed) == 1;

    /// <summary>Takes a turn: false when the destination is closed (it is then not used).</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _users);
        if (IsClosed)
        {
            Interlocked.Decrement(ref _users);
            return false;
        }

        Interlocked.Exchange(ref _lastUsed, Stopwatch.GetTimestamp());
        return true;
    }

    public void Exit() => Interlocked.Decrement(ref _users);

    /// <summary>
    /// Closes it: no new span enters; those entering already are waited for (they are queueing a
    /// span, a matter of microseconds), then the queue is delivered within its shut-down bound.
    /// </summary>
    public bool Close(int timeoutMilliseconds)
    {
        Interlocked.Exchange(ref _closed, 1);
        var spin = new SpinWait();
        while (Volatile.Read(ref _users) > 0)
        {
            spin.SpinOnce();
        }

        return Processor.Shutdown(timeoutMilliseconds);
    }

    public void Dispose()
    {
        Processor.Dispose();
        _client.Dispose();
    }

    // A subdirectory of the disk buffer per destination: its name as a file name can hold it, and a
    // digest of the whole name, so that two names never share one (names compare without case).
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
