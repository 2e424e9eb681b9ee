using System.Diagnostics;
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

        // Each way twice, in turn: the first pass of each is the JIT's (tiering), the second is reported.
        foreach (var (parent, report) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            using var activity = parent ? new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn").Start() : null;
            for (var i = 0; i < sends * 2; i++)
            {
                await SendAsync();
            }

            var samples = new List<(double Nanoseconds, double Bytes)>();
            for (var round = 0; round < rounds; round++)
            {
                var cpu = ProcessCpu.Now();
                var bytes = GC.GetTotalAllocatedBytes(precise: true);
                for (var i = 0; i < sends; i++)
                {
                    await SendAsync();
                }

                var spent = ProcessCpu.Now() - cpu;
                var allocatedNow = GC.GetTotalAllocatedBytes(precise: true);
                samples.Add((spent.TotalNanoseconds / sends, (allocatedNow - bytes) / (double)sends));
            }

            var ns = samples.Select(s => s.Nanoseconds).Order().ToList();
            var allocated = samples.Select(s => s.Bytes).Order().ToList();
            if (!report)
            {
                continue;
            }

            Console.WriteLine($"{Case(coverage, parent)}: {ns[ns.Count / 2]:F0} ns a send (min {ns[0]:F0}, "
                + $"max {ns[^1]:F0}), {allocated[allocated.Count / 2]:F0} B a send, {rounds} rounds of {sends}");
        }

        // The same decisions alone, as HttpClient asks them a send (no current activity: the activity's name
        // with the request, then the two old events'; with one: the start event's, the two old events', the
        // stop's), on System.Net.Http's own listener: ns a send, this thread's CPU time, median of rounds.
        var listener = HttpListenerInstance();
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://upstream.test/v1/chat/completions");
        foreach (var parent in new[] { false, true })
        {
            using var activity = parent ? new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn").Start() : null;
            var asks = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                const int Calls = 1_000_000;
                var before = ProcessCpu.ThreadNow();
                var any = false;
                for (var i = 0; i < Calls; i++)
                {
                    any |= parent
                        ? listener.IsEnabled("System.Net.Http.HttpRequestOut.Start")
                            | listener.IsEnabled("System.Net.Http.Request")
                            | listener.IsEnabled("System.Net.Http.HttpRequestOut.Stop")
                            | listener.IsEnabled("System.Net.Http.Response")
                        : listener.IsEnabled("System.Net.Http.HttpRequestOut", request)
                            | listener.IsEnabled("System.Net.Http.Request")
                            | listener.IsEnabled("System.Net.Http.Response");
                }

                asks.Add((ProcessCpu.ThreadNow() - before).TotalNanoseconds / Calls);
                GC.KeepAlive(any);
            }

            asks.Sort();
            Console.WriteLine($"{Case(coverage, parent)}: the listener's answers {asks[asks.Count / 2]:F1} ns a send "
                + $"(min {asks[0]:F1}, max {asks[^1]:F1})");
        }

        await app.StopAsync();
    }

    private static string Case(bool coverage, bool parent) =>
        $"coverage {(coverage ? "on" : "off")}, {(parent ? "a current activity" : "no current activity")}";

    private static DiagnosticListener HttpListenerInstance()
    {
        DiagnosticListener? found = null;
        var finder = new Finder(l => found ??= l.Name == "HttpHandlerDiagnosticListener" ? l : null);
        using (DiagnosticListener.AllListeners.Subscribe(finder))
        {
        }

        return found ?? throw new InvalidOperationException("System.Net.Http's listener was not created.");
    }

    private sealed class Finder(Action<DiagnosticListener> found) : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener value) => found(value);

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    /// <summary>
    /// One HTTP/1.1 connection in memory: each request read (headers, then its Content-Length) is answered with a
    /// 2-byte 200.
    /// </summary>
    private sealed class CannedServer : Stream
    {
        private static readonly byte[] Answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
        private readonly byte[] _request = new byte[4096];
        private int _requestLength;
        private int _answered = Answer.Length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        private TaskCompletionSource? _waiting;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_answered == Answer.Length)
            {
                // Nothing to read until the next request: a read that returned 0 would end the connection.
                _waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return new ValueTask<int>(_waiting.Task.ContinueWith(_ => Take(buffer), TaskScheduler.Default));
            }

            return ValueTask.FromResult(Take(buffer));
        }

        private int Take(Memory<byte> buffer)
        {
            var count = Math.Min(buffer.Length, Answer.Length - _answered);
            Answer.AsSpan(_answered, count).CopyTo(buffer.Span);
            _answered += count;
            return count;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            buffer.Span.CopyTo(_request.AsSpan(_requestLength));
            _requestLength += buffer.Length;
            var request = _request.AsSpan(0, _requestLength);
            var end = request.IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var at = request.IndexOf("Content-Length: "u8);
                var length = 0;
                if (at >= 0)
                {
                    System.Buffers.Text.Utf8Parser.TryParse(request[(at + 16)..], out length, out _);
                }

                if (_requestLength >= end + 4 + length)
                {
                    _requestLength = 0;
                    _answered = 0;
                    Interlocked.Exchange(ref _waiting, null)?.SetResult();
                }
            }

            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().Result;

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().Wait();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
