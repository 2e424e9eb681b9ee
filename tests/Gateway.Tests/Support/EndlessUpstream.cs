using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// An upstream that answers 200 and then sends a body without end (up to 1 GiB), on a raw socket so
/// that what it counts is what the gateway really took: once a peer stops reading, a socket write
/// waits, and once it hangs up, a write fails (Kestrel would take the writes and drop them).
/// </summary>
internal sealed class EndlessUpstream : IAsyncDisposable
{
    private const long Limit = 1L << 30;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _events;
    private readonly Task _accepting;
    private long _bytesSent;
    private int _calls;

    /// <param name="events">To a streaming request: valid chunks without end (true), or one event line that never
    /// ends.</param>
    public EndlessUpstream(bool events = true)
    {
        _events = events;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1";

    /// <summary>Bytes of body the gateway took, over every call.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception exception)
            when (exception is OperationCanceledException or SocketException or ObjectDisposedException) { }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var streaming = await ReadRequestAsync(stream);
                Interlocked.Increment(ref _calls);
                var chunks = streaming && _events;
                var head =
                    $"HTTP/1.1 200 OK\r\nContent-Type: "
                    + $"{(streaming ? "text/event-stream" : "application/json")}\r\nConnection: close\r\n\r\n"
                    + (
                        chunks ? string.Empty
                        : streaming ? "data: {\"id\":\""
                        : "{\"id\":\"");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                var piece = Encoding.UTF8.GetBytes(
                    chunks ? string.Concat(Enumerable.Repeat(UpstreamStub.FirstChunk, 64)) : new string('x', 64 * 1024)
                );
                for (long sent = 0; sent < Limit; sent += piece.Length)
                {
                    await stream.WriteAsync(piece, _stop.Token);
                    Interlocked.Add(ref _bytesSent, piece.Length);
                }
            }
            catch (Exception exception)
                when (exception is IOException or SocketException or OperationCanceledException
                    or ObjectDisposedException)
            {
                // The gateway hung up (or the test ended).
            }
        }
    }

    /// <summary>Reads the request's head and body; true when it asks for a stream.</summary>
    private async Task<bool> ReadRequestAsync(NetworkStream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                throw new IOException("The request ended before its head.");
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var head = Encoding.ASCII.GetString(received.ToArray(), 0, headEnd);
        var lengthLine = head.Split("\r\n")
            .FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null
            ? 0
            : int.Parse(
                lengthLine["Content-Length:".Length..].Trim(),
                System.Globalization.CultureInfo.InvariantCulture);
        while (received.Count < headEnd + 4 + length)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var body = Encoding.UTF8.GetString(received.ToArray(), headEnd + 4, received.Count - headEnd - 4);
        return body.Contains("\"stream\":true", StringComparison.Ordinal);
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> value) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).IndexOf(value);
}
