using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// What every channel of a router shares, made once.
/// </summary>
/// <remarks>
/// The HTTP handler and its connection pools, an HTTP client per timeout, the byte budgets, and one
/// limit on the warnings they write. So a channel that opens again makes none of them anew. The
/// warnings: each channel says a kind of trouble once a warning interval, but ten thousand channels
/// whose backends are gone would each say it; together they say at most one a second, and the next says
/// how many were left out.
/// </remarks>
internal sealed class ChannelResources : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, HttpClient> _clients = new();
    private readonly SocketsHttpHandler _handler;
    private readonly Action<string> _warn;
    private long _lastWarning;
    private long _leftOut;

    public ChannelResources(
        SharedSerializer serializer, (ExportBudget Queue, ExportBudget Buffer) budgets, Action<string> warn)
    {
        Serializer = serializer;
        Budgets = budgets;
        _warn = warn;

        // One connection pool for every channel (a pool per backend host inside it); no redirect is
        // followed, as OpenTelemetry's own client follows none.
        _handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        };
    }

    /// <summary>The serializer and export thread every channel uses.</summary>
    public SharedSerializer Serializer { get; }

    /// <summary>The bytes all channels may hold together (spans queued, batches buffered).</summary>
    public (ExportBudget Queue, ExportBudget Buffer) Budgets { get; }

    /// <summary>The HTTP client timing out after <paramref name="timeoutMilliseconds"/>, made once.</summary>
    public HttpClient Client(int timeoutMilliseconds)
    {
        lock (_gate)
        {
            if (!_clients.TryGetValue(timeoutMilliseconds, out var client))
            {
                _clients[timeoutMilliseconds] = client = new HttpClient(_handler, disposeHandler: false)
                {
                    Timeout = TimeSpan.FromMilliseconds(timeoutMilliseconds),
                };
            }

            return client;
        }
    }

    /// <summary>
    /// A channel's warning, naming it: written unless another was in the last second (then counted,
    /// and said with the next).
    /// </summary>
    public void Warn(ChannelKey channel, string message)
    {
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        var due = last == 0 || Stopwatch.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(1);
        if (due && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            var leftOut = Interlocked.Exchange(ref _leftOut, 0);
            // The processor's own prefix gives way to the channel's name.
            const string Prefix = "TracedLlm export: ";
            var what = message.StartsWith(Prefix, StringComparison.Ordinal) ? message[Prefix.Length..] : message;
            var said = $"TracedLlm export to {channel}: {what}";
            var others = $" ({leftOut} warning(s) of other destinations left out since the last one.)";
            _warn(leftOut > 0 ? said + others : said);
        }
        else
        {
            Interlocked.Increment(ref _leftOut);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var client in _clients.Values)
            {
                client.Dispose();
            }
        }

        _handler.Dispose();
    }
}
