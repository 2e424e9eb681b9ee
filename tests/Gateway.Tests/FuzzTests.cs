using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// 10,000 generated requests (mutated bodies, metadata and headers, some streaming) through the
/// in-process host: no 500, every started span stopped, and no key or secret in any span
/// attribute, event, status or log line. Seeded: TRACEDLLM_FUZZ_SEED reproduces a run, and a
/// failure prints the seed and the request.
/// </summary>
public sealed class FuzzTests
{
    private const int Requests = 10_000;
    private const string SecretKey = "sk-fuzz-9f3c7e1a5b";
    private const string LangfuseSecret = "sk-lf-fuzz-4d2b";

    private static readonly string[] Bodies =
    {
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello fuzz"}],"metadata":{"trace_name":"t","tags":["a"],"session_id":"s","prompt":{"name":"p","version":1}}}""",
        """{"model":"claude-sonnet","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"metadata":{"user_id":"u"},"litellm_metadata":{"generation_name":"g","existing_trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","parent_observation_id":"00f067aa0ba902b7"}}""",
    };

    private static readonly string[] Fragments =
    {
        "null", "true", "1e309", "-0", "\"\"", "[]", "{}", "[[[[[[[[[[[[]]]]]]]]]]]]", "\"\\u0000\"", "\"\\ud800\"", "{\"a\":", "]", "}", ",", ":", "\"metadata\"",
        "\"litellm_metadata\"", "{\"existing_trace_id\":\"zz\"}", "{\"tags\":\"x\"}", "{\"prompt\":{\"version\":\"3\"}}", "\"" + new string('x', 2000) + "\"",
        "\"" + SecretKey + "\"", "{\"mask_input\":1}", "\"stream\":true", "9999999999999999999999",
    };

    [Fact]
    public async Task TenThousandMutatedRequestsNeverFailTheGatewayOrLeakASecret()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TRACEDLLM_FUZZ_SEED"), out var fixedSeed) ? fixedSeed : 20261122;
        var started = 0;
        var stopped = 0;
        var leaks = new ConcurrentQueue<string>();
        var secrets = new[] { SecretKey, LangfuseSecret, "Bearer " + SecretKey };
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = _ => Interlocked.Increment(ref started),
            ActivityStopped = activity =>
            {
                Interlocked.Increment(ref stopped);
                var texts = activity.TagObjects.Select(t => t.Value?.ToString())
                    .Concat(activity.Events.SelectMany(e => e.Tags.Select(t => t.Value?.ToString())))
                    .Append(activity.StatusDescription);
                foreach (var text in texts)
                {
                    if (text is not null && secrets.Any(s => text.Contains(s, StringComparison.Ordinal)))
                    {
                        leaks.Enqueue($"span {activity.DisplayName}: {text}");
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var logs = new LogCapture();
        using var host = new GatewayHost()
            .With("Gateway:ApiKeys", SecretKey)
            .WithServices(s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = host.CreateClient();

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var random = new Random(seed + i);
            var (path, body, headers) = Generate(random);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            try
            {
                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                if ((int)response.StatusCode >= 500)
                {
                    failures.Enqueue($"request {i}: {(int)response.StatusCode} {text} for {path} {Encoding.UTF8.GetString(body)}");
                }

                if (secrets.Any(s => text.Contains(s, StringComparison.Ordinal)))
                {
                    leaks.Enqueue($"response {i}: {text}");
                }
            }
            catch (Exception exception)
            {
                failures.Enqueue($"request {i}: {exception.GetType().Name} {exception.Message}");
            }
        });

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref stopped) < Volatile.Read(ref started) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        foreach (var line in logs.Lines)
        {
            if (secrets.Any(s => line.Contains(s, StringComparison.Ordinal)))
            {
                leaks.Enqueue("log: " + line);
            }
        }

        var summary = $"seed {seed} (set TRACEDLLM_FUZZ_SEED to reproduce); statuses {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}x{p.Value}"))}";
        Assert.True(failures.IsEmpty, summary + "\n" + string.Join("\n", failures.Take(5)));
        Assert.True(leaks.IsEmpty, summary + "\n" + string.Join("\n", leaks.Take(5)));
        Assert.True(started > Requests, summary + $"; only {started} spans started");
        Assert.Equal(started, stopped);
        Assert.True(statuses.ContainsKey(200) && statuses.ContainsKey(400) && statuses.ContainsKey(401), summary);
    }

    private static (string Path, byte[] Body, List<(string, string)> Headers) Generate(Random random)
    {
        var choice = random.Next(Bodies.Length);
        var path = choice == 0 ? "/v1/chat/completions" : "/v1/messages";
        var body = Mutate(Bodies[choice], random);
        var headers = new List<(string, string)>();
        // Mostly the right key, so most requests reach the pipeline past auth; sometimes wrong or none.
        switch (random.Next(10))
        {
            case < 6: headers.Add(("Authorization", "Bearer " + SecretKey)); break;
            case 6: headers.Add(("x-api-key", SecretKey)); break;
            case 7: headers.Add(("Authorization", "Bearer " + LangfuseSecret)); break;
            case 8: headers.Add(("Authorization", RandomText(random, 40))); break;
        }

        if (random.Next(3) == 0)
        {
            headers.Add(("traceparent", random.Next(2) == 0
                ? $"00-{RandomHex(random, 32)}-{RandomHex(random, 16)}-0{random.Next(2)}"
                : RandomText(random, random.Next(80))));
        }

        return (path, body, headers);
    }

    private static byte[] Mutate(string json, Random random)
    {
        var text = json;
        var mutations = random.Next(4);
        for (var m = 0; m < mutations; m++)
        {
            var position = random.Next(text.Length + 1);
            text = random.Next(5) switch
            {
                0 => text[..position] + Fragments[random.Next(Fragments.Length)] + text[position..],
                1 => text[..position],
                2 when position < text.Length => text.Remove(position, Math.Min(random.Next(1, 12), text.Length - position)),
                3 => text.Replace("\"metadata\":{", "\"metadata\":" + Fragments[random.Next(Fragments.Length)] + ",\"x\":{", StringComparison.Ordinal),
                _ => text.Replace("\"hi\"", "\"" + RandomText(random, 30) + "\"", StringComparison.Ordinal),
            };
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        if (random.Next(10) == 0 && bytes.Length > 0)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return bytes;
    }

    private static string RandomHex(Random random, int length) =>
        string.Concat(Enumerable.Range(0, length).Select(_ => "0123456789abcdef"[random.Next(16)]));

    private static string RandomText(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => (char)random.Next(32, 127)).ToArray());

    /// <summary>Keeps every formatted log line the gateway writes.</summary>
    private sealed class LogCapture : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));

        public void Dispose()
        {
        }
    }
}
