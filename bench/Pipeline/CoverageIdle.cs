using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TracedLlm.Benchmarks;

/// <summary>
/// `coverage-idle on|off [rounds] [sends]`: what outbound coverage costs an <c>HttpClient</c> send made
/// outside any traced request (its idle cost, paid by every send of the process while an app's coverage is
/// on). A host with <c>AddTracedLlm()</c> is started, coverage on (its default) or off; then a
/// <c>SocketsHttpHandler</c> whose connection is an in-memory stream (no socket: the send's own work only)
/// posts to <c>/v1/chat/completions</c>, with no current activity and with one of another source (an
/// untraced endpoint's hosting span). Process CPU time and bytes allocated a send, median of rounds.
/// Run the two modes in separate processes, in turn.
/// </summary>
internal static class CoverageIdle
{
    public static async Task RunAsync(bool coverage, int rounds, int sends)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddTracedLlm(options => options.OutboundCoverage.Enabled = coverage);
        await using var app = builder.Build();
        await app.StartAsync();

        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(new CannedServer()),
        });
        var body = new ReadOnlyMemoryContent("{}"u8.ToArray());
        async Task SendAsync()
        {
            using var response = await client.PostAsync("http://upstream.test/v1/chat/completions", body);
        }

        foreach (var parent in new[] { false, true })
        {
            using var activity = parent ? new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn").Start() : null;
            for (var i = 0; i < sends * 2; i++)
            {
                await SendAsync();
            }

            var samples = new List<(double Nanoseconds, double Bytes)>();
            for (var round = 0; round < rounds; round++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var bytes = GC.GetTotalAllocatedBytes(precise: true);
                for (var i = 0; i < sends; i++)
                {
                    await SendAsync();
                }

                var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                samples.Add((spent.TotalNanoseconds / sends, (GC.GetTotalAllocatedBytes(precise: true) - bytes) / (double)sends));
            }

            var ns = samples.Select(s => s.Nanoseconds).Order().ToList();
            var allocated = samples.Select(s => s.Bytes).Order().ToList();
            Console.WriteLine($"coverage {(coverage ? "on" : "off")}, {(parent ? "a current activity" : "no current activity")}: "
                + $"{ns[ns.Count / 2]:F0} ns a send (min {ns[0]:F0}, max {ns[^1]:F0}), {allocated[allocated.Count / 2]:F0} B a send, {rounds} rounds of {sends}");
        }

        await app.StopAsync();
    }

    /// <summary>One HTTP/1.1 connection in memory: each request read (headers, then its Content-Length) is answered with a 2-byte 200.</summary>
    private sealed class CannedServer : Stream
    {
        private static readonly byte[] Answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        private readonly MemoryStream _request = new();
        private readonly Queue<byte> _response = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = 0;
            while (count < buffer.Length && _response.Count > 0)
            {
                buffer.Span[count++] = _response.Dequeue();
            }

            return ValueTask.FromResult(count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _request.Write(buffer.Span);
            var text = Encoding.ASCII.GetString(_request.GetBuffer(), 0, (int)_request.Length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var lengthAt = text.IndexOf("Content-Length: ", StringComparison.OrdinalIgnoreCase);
                var length = lengthAt < 0 ? 0 : int.Parse(text.AsSpan(lengthAt + 16, text.IndexOf('\r', lengthAt) - lengthAt - 16));
                if (_request.Length >= end + 4 + length)
                {
                    _request.SetLength(0);
                    foreach (var b in Answer)
                    {
                        _response.Enqueue(b);
                    }
                }
            }

            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().Result;

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().Wait();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
