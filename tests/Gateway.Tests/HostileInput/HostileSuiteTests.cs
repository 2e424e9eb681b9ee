using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TracedLlm;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The hostile-input suite: 7,000 generated requests (<see cref="HostileCases"/>: both routes,
/// streaming and not, thirteen categories) through the in-process host, and raw HTTP/1.1 abuse
/// through Kestrel; the differential suite (<see cref="DifferentialSuiteTests"/>), the content
/// codings (<see cref="ContentCodingTests"/>) and the reserved names (<see cref="ReservedNameTests"/>)
/// are its friends. Asserted over every request: no 5xx; no secret in any span, log line, console line or
/// response; nothing a client chose in the trace of a request that failed authentication; every
/// span ended, none outliving its parent; no control character reaching the console or a log line.
/// Seeded: TRACEDLLM_HOSTILE_SEED reproduces a run, and a failure prints the seed and the cases.
/// </summary>
public sealed class HostileSuiteTests
{
    private static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("TRACEDLLM_HOSTILE_SEED"), out var seed) ? seed : 20261123;

    [Fact]
    public async Task GeneratedHostileRequestsNeverFailTheGatewayLeakASecretOrWriteAnUnauthenticatedTrace()
    {
        var spans = new SpanLedger();
        using var listener = spans.Listen();
        var logs = new LogCapture();
        var console = new StringWriter();
        var cases = HostileCases.Generate(Seed).ToList();
        var outcomes = new ConcurrentBag<(HostileCase Case, int Status)>();
        var failures = new ConcurrentQueue<string>();
        var leaks = new ConcurrentQueue<string>();

        using (var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(TracedLlmTelemetry.SourceName)
                .AddTracedLlmConsoleTree(console)
                .Build())
        using (var host = new GatewayHost()
                .With("Gateway:ApiKeys", HostileCases.ApiKey)
                .With("Gateway:AllowedModels", "gpt-4o-mini,claude-sonnet")
                .WithServices(s => s.AddSingleton<ILoggerProvider>(logs)))
        {
            using var client = host.CreateClient();
            await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 16 },
                async (hostile, _) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post,
                    hostile.Path) { Content = new ByteArrayContent(hostile.Body) };
                request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                foreach (var (name, value) in hostile.Headers)
                {
                    if (!request.Headers.TryAddWithoutValidation(name, value))
                    {
                        // A content header (Content-Encoding).
                        request.Content.Headers.TryAddWithoutValidation(name, value);
                    }
                }

                try
                {
                    using var response = await client.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    var status = (int)response.StatusCode;
                    outcomes.Add((hostile, status));
                    if (status >= 500)
                    {
                        failures.Enqueue($"{status} {Cut(text)} for {hostile.Describe()}");
                    }

                    // An error is the gateway's own text; a 200 is the model's answer (the sample's echoes the prompt
                    // back).
                    if (status >= 400 && FindSecret(text) is { } secret)
                    {
                        leaks.Enqueue($"error response of {hostile.Describe()} holds {secret}");
                    }
                }
                catch (Exception exception)
                {
                    failures.Enqueue($"{exception.GetType().Name} {exception.Message} for {hostile.Describe()}");
                }
            });

            await spans.WaitUntilAllStoppedAsync();
            provider.ForceFlush();
        }

        var summary =
            $"seed {Seed} (TRACEDLLM_HOSTILE_SEED reproduces it); {cases.Count} cases; statuses "
            + string.Join(
                ", ",
                outcomes.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"));
        Assert.True(cases.Count >= 5000, summary);
        Assert.True(failures.IsEmpty, summary + "\n" + string.Join("\n", failures.Take(5)));

        // Secrets: nowhere in a span (collected as they stop), a log line, or the console.
        foreach (var leak in spans.Leaks
                .Concat(logs.Lines.Select(l => FindSecret(l) is { } s ? $"log line holds {s}: {Cut(l)}" : null))
                .OfType<string>())
        {
            leaks.Enqueue(leak);
        }

        var printed = console.ToString();
        if (FindSecret(printed) is { } printedSecret)
        {
            leaks.Enqueue("the console tree holds " + printedSecret);
        }

        Assert.True(leaks.IsEmpty, summary + "\n" + string.Join("\n", leaks.Take(5)));

        // No line can be forged: the console and the logs hold no control character but their own line breaks.
        Assert.Null(FirstControl(printed));
        Assert.All(logs.Lines, line => Assert.Null(FirstControl(line)));

        // Every span ended, no child outlived its parent.
        spans.AssertAllEnded();

        // A request refused by authentication: a trace of its own, with nothing its client chose.
        var refused = outcomes.Where(o => o.Status == 401).ToList();
        Assert.True(refused.Count >= 500, summary);
        var untrusted = spans.Servers.Where(s => s.TraceJoin == "unauthenticated").ToList();
        Assert.Equal(refused.Count, untrusted.Count);
        var refusedIds = refused.SelectMany(o => o.Case.ClientTraceIds).ToHashSet(StringComparer.Ordinal);
        foreach (var server in untrusted)
        {
            Assert.True(
                server.TagKeys.All(TrustBoundaryTests.RouteOnly.Contains),
                $"unauthenticated server span with {string.Join(", ", server.TagKeys)}");
            Assert.Equal(0, server.Links);
            Assert.Equal(default, server.Span.ParentSpanId);
            var trace = spans.Trace(server.Span.TraceId);
            Assert.All(
                trace,
                s => Assert.Contains(s.Name, new[] { SpanNames.Server, SpanNames.Auth, SpanNames.Failure }));
            Assert.DoesNotContain(trace, s => s.HasClientMarker);
        }

        Assert.DoesNotContain(spans.Servers, s => refusedIds.Contains(s.Span.TraceId.ToHexString()));

        // The suite reached the pipeline's depths, not only its front door.
        Assert.True(outcomes.Count(o => o.Status == 200) >= 500, summary);
        Assert.True(outcomes.Count(o => o.Status == 200 && o.Case.Stream) >= 100, summary);
        Assert.True(outcomes.Count(o => o.Status == 400) >= 500, summary);
        Assert.Contains(outcomes, o => o.Status == 413);
    }

    [Fact]
    public async Task RawHttpAbuseThroughKestrelNeverGetsA5xx()
    {
        using var listener = new SpanLedger().Listen();
        using var host = new GatewayHost().With("Gateway:ApiKeys", HostileCases.ApiKey);
        var address = host.StartKestrel();
        var cases = RawCases(new Random(Seed)).ToList();
        var statuses = new ConcurrentBag<string>();
        var failures = new ConcurrentQueue<string>();

        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (raw, _) =>
        {
            var (name, bytes, halfClose) = raw;
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            var stream = tcp.GetStream();
            try
            {
                await stream.WriteAsync(bytes);
                if (halfClose)
                {
                    tcp.Client.Shutdown(SocketShutdown.Send);
                }
            }
            catch (IOException)
            {
                // Kestrel may answer and close before a huge request is fully written: read what it said.
            }

            var response = await ReadStatusLineAsync(stream);
            statuses.Add(response.Length >= 12 ? response[9..12] : "closed");

            // The one 5xx HTTP itself prescribes for a client: 505 for a protocol version the server
            // does not speak (RFC 9110, 15.6.6). Kestrel sends it before any route runs.
            var unsupportedVersion = name.StartsWith("http version", StringComparison.Ordinal)
                && response.StartsWith("HTTP/1.1 505 ", StringComparison.Ordinal);
            if (response.StartsWith("HTTP/1.1 5", StringComparison.Ordinal) && !unsupportedVersion)
            {
                failures.Enqueue($"{name}: {response}");
            }
        });

        var summary = $"seed {Seed}; statuses " + string.Join(", ",
            statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"));
        Assert.True(failures.IsEmpty, $"{summary}; {failures.Count} 5xx\n" + string.Join("\n", failures.Take(8)));
        Assert.True(cases.Count >= 300);

        // Most answers are read before Kestrel closes the connection (a reset can discard one in flight).
        Assert.True(statuses.Count(s => s == "400") >= 100, summary);
        Assert.True(statuses.Count(s => s != "closed") >= cases.Count * 3 / 4, summary);
    }

    private static IEnumerable<(string Name, byte[] Bytes, bool HalfClose)> RawCases(Random random)
    {
        static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);
        string Head(string path, string extra = "") =>
            $"POST {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {HostileCases.ApiKey}\r\nContent-Type: "
            + $"application/json\r\n{extra}";
        const string body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        for (var i = 0; i < 320; i++)
        {
            var path = random.Next(2) == 0 ? HostileCases.Chat : HostileCases.Messages;
            var kind = i % 8;
            yield return kind switch
            {
                0 => (
                    "chunk size " + i,
                    Ascii(
                        Head(path, "Transfer-Encoding: chunked\r\n\r\n")
                            + "5\r\n{\"a\":\r\n"
                            + new[]
                            {
                                "FFFFFFFFFFFFFFFFFF",
                                "7FFFFFFFFFFFFFFF",
                                "zz",
                                "-1",
                                "1;" + new string('e', random.Next(100, 10_000))
                            }[random.Next(5)]
                            + "\r\n"),
                    false),
                1 => (
                    "header size " + i,
                    Ascii(
                        Head(
                            path,
                            $"x-big: {new string('h', random.Next(40_000, 120_000))}\r\nContent-Length: "
                            + $"{body.Length}\r\n\r\n"
                        ) + body),
                    false),
                2 => (
                    "header count " + i,
                    Ascii(
                        Head(
                            path,
                            string.Concat(
                                Enumerable
                                    .Range(0, random.Next(150, 400))
                                    .Select(h => $"x-h{h}: {new string('v', 200)}\r\n")
                            ) + $"Content-Length: {body.Length}\r\n\r\n"
                        ) + body),
                    false),
                3 => (
                    "bare CR " + i,
                    Ascii(Head(path, $"x-injected: a\rb\r\nContent-Length: {body.Length}\r\n\r\n") + body),
                    false),
                4 => (
                    "control bytes in traceparent " + i,
                    Ascii(
                        Head(
                            path,
                            $"traceparent: 00-\u001b[31m{new string('a', 30)}-\u00ff-01\r\nContent-Length: "
                            + $"{body.Length}\r\n\r\n"
                        ) + body),
                    false),
                5 => (
                    "short body " + i,
                    Ascii(Head(path, $"Content-Length: {body.Length + random.Next(1, 1000)}\r\n\r\n") + body),
                    true),
                6 => (
                    "declared too large " + i,
                    Ascii(Head(path, $"Content-Length: {9L * 1024 * 1024 + random.Next(1000)}\r\n\r\n") + body),
                    true),
                _ => random.Next(4) switch
                {
                    0 => ("http version " + i, Ascii("POST /v1/chat/completions HTTP/9.9\r\nHost: x\r\n\r\n"), false),
                    1 => ("request line " + i, Ascii("\u0000\u0001\u0002\r\n\r\n"), false),
                    2 => ("request line " + i, Ascii("POST  HTTP/1.1\r\nHost: x\r\n\r\n"), false),
                    _ => (
                        "request line " + i,
                        Ascii($"POST {path}?{new string('q', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n"),
                        false),
                },
            };
        }
    }

    private static async Task<string> ReadStatusLineAsync(NetworkStream stream)
    {
        var buffer = new byte[256];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
                if (Encoding.Latin1.GetString(buffer, 0, read).Contains("\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // Reset by the server after its answer: what was read stands.
        }

        var text = Encoding.Latin1.GetString(buffer, 0, read);
        return text.Split("\r\n")[0];
    }

    private static string? FindSecret(string text) =>
        HostileCases.Secrets.FirstOrDefault(s => text.Contains(s, StringComparison.Ordinal));

    /// <summary>The first character that could forge a line or drive a terminal, other than a line break.</summary>
    private static string? FirstControl(string text)
    {
        foreach (var c in text)
        {
            if (c != '\n'
                && (char.IsControl(c)
                    || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')))
            {
                return $"U+{(int)c:X4}";
            }
        }

        return null;
    }

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>
    /// Every TracedLlm span, recorded as it stops: checked for secrets there and then, kept as a small
    /// record (ids, name, tag keys, whether it holds a client-chosen value) for the trace-level checks.
    /// </summary>
    private sealed class SpanLedger
    {
        private readonly ConcurrentQueue<Record> _records = new();
        private readonly ConcurrentQueue<string> _leaks = new();
        private long _started;
        private long _stopped;

        public IEnumerable<string> Leaks => _leaks;

        public IEnumerable<Record> Servers => _records.Where(r => r.Name == SpanNames.Server);

        public IReadOnlyList<Record> Trace(ActivityTraceId traceId) =>
            _records.Where(r => r.Span.TraceId == traceId).ToList();

        public ActivityListener Listen()
        {
            var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                    ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = _ => Interlocked.Increment(ref _started),
                ActivityStopped = Stopped,
            };
            ActivitySource.AddActivityListener(listener);
            return listener;
        }

        public async Task WaitUntilAllStoppedAsync()
        {
            // AssertAllEnded then says which spans did not end, if any.
            await Eventually.TryAsync(
                () => Interlocked.Read(ref _stopped) >= Interlocked.Read(ref _started),
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(20));
        }

        public void AssertAllEnded()
        {
            Assert.Equal(Interlocked.Read(ref _started), Interlocked.Read(ref _stopped));
            var byId = _records.ToDictionary(r => (r.Span.TraceId, r.Span.SpanId));
            foreach (var record in _records)
            {
                if (byId.TryGetValue((record.Span.TraceId, record.Span.ParentSpanId), out var parent))
                {
                    Assert.True(record.End <= parent.End, $"{record.Name} outlived {parent.Name}");
                }
            }
        }

        private void Stopped(Activity span)
        {
            var texts = TelemetryBoundsTests.Texts(span).ToList();
            foreach (var text in texts)
            {
                if (FindSecret(text) is { } secret)
                {
                    _leaks.Enqueue($"span {Cut(span.DisplayName)} holds {secret}: {Cut(text)}");
                }
            }

            _records.Enqueue(
                new Record(
                    span.Context,
                    span.DisplayName,
                    span.StartTimeUtc + span.Duration,
                    span.TagObjects.Select(t => t.Key).ToArray(),
                    span.Links.Count(),
                    span.GetTagItem(AttributeNames.TraceJoin) as string,
                    texts.Any(t => t.Contains(HostileCases.Marker, StringComparison.Ordinal)))
                {
                    ParentSpanId = span.ParentSpanId
                });
            Interlocked.Increment(ref _stopped);
        }
    }

    private sealed record Record(
        ActivityContext Context,
        string Name,
        DateTime End,
        string[] TagKeys,
        int Links,
        string? TraceJoin,
        bool HasClientMarker)
    {
        public ActivitySpanId ParentSpanId { get; init; }

        public (ActivityTraceId TraceId, ActivitySpanId SpanId, ActivitySpanId ParentSpanId) Span =>
            (Context.TraceId, Context.SpanId, ParentSpanId);
    }

    /// <summary>Keeps every formatted log line the gateway writes.</summary>
    private sealed class LogCapture : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter
        ) => _lines.Enqueue(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));

        public void Dispose()
        {
        }
    }
}
