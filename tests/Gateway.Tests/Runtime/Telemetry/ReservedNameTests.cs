using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A client-chosen name (metadata <c>generation_name</c>, which renames the LLM span, and
/// <c>trace_name</c>) never equals or imitates a span name of the contract: such a name is ignored
/// (the LLM span keeps <c>litellm_request</c>, the trace gets no name of the client's) and a
/// <c>tracedllm.reserved_name</c> event says so. Generated imitations of every contract name: case,
/// spacing and punctuation, invisible characters, combining and precomposed accents, look-alike
/// letters of other scripts, digits for letters, fullwidth, circled and mathematical letters, and
/// the request-level names inside a longer name. (The sample runs in globalization-invariant mode,
/// where Unicode normalization does nothing: the check reads these characters from tables of its own.)
/// </summary>
public sealed class ReservedNameTests : IDisposable
{
    private static readonly string[] ContractNames =
    {
        SpanNames.Server,
        SpanNames.Auth,
        SpanNames.PreCall,
        SpanNames.LlmRequest,
        SpanNames.Guardrail,
        SpanNames.UpstreamAttempt,
        SpanNames.Failure,
    };

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task NoClientNameEqualsOrImitatesASpanNameOfTheContract()
    {
        var cases = new List<(string Field, string Name, string Route, bool Reserved)>();
        foreach (var (name, reserved) in Imitations().Select(n => (n, true)).Concat(OwnNames().Select(n => (n, false))))
        {
            foreach (var field in new[] { "generation_name", "trace_name" })
            {
                cases.Add((field, name, cases.Count % 2 == 0 ? "/v1/chat/completions" : "/v1/messages", reserved));
            }
        }

        using var host = new GatewayHost();
        using var client = host.CreateClient();
        var failures = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (@case, _) =>
        {
            var traceId = ActivityTraceId.CreateRandom();
            var metadata = JsonSerializer.Serialize(new Dictionary<string, string> { [@case.Field] = @case.Name });
            var body = @case.Route == "/v1/messages"
                ? $$"""{"model":"claude-sonnet","max_tokens":16,"messages":["""
                    + $$"""{"role":"user","content":"hi"}],"litellm_metadata":{{metadata}}}"""
                : $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":{{metadata}}}""";
            using var response = await client.SendAsync(GatewayHost.Post(@case.Route, body, traceparent: $"00-{traceId}"
                + $"-{ActivitySpanId.CreateRandom()}-01"));
            var spans = await _spans.WaitForAsync(all =>
            {
                var trace = all.Where(s => s.TraceId == traceId).ToList();
                return trace.Any(s => s.DisplayName == SpanNames.Server) ? trace : null;
            });
            var why = Check(@case.Field, @case.Name, @case.Reserved, (int)response.StatusCode, spans);
            if (why is not null)
            {
                failures.Enqueue($"{@case.Field} '{Escaped(@case.Name)}' on {@case.Route}: {why}");
            }
        });

        Assert.True(cases.Count(c => c.Reserved) >= 300, $"{cases.Count(c => c.Reserved)} imitations");
        Assert.True(
            failures.IsEmpty,
            $"{failures.Count} of {cases.Count} cases:\n" + string.Join("\n", failures.Take(10)));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnImitatingGenerationNameKeepsTheContractNameAndRecordsWhy()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions",
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":"""
            + """{"generation_name":"Failed Proxy Server Request","trace_name":"Received Proxy Server Request"}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            new[]
            {
                "Received Proxy Server Request",
                "auth",
                "guardrail",
                "guardrail",
                "litellm_request",
                "proxy_pre_call",
                "raw_gen_ai_request"
            },
            tree.Names);
        var llm = tree.Single(SpanNames.LlmRequest);
        var reserved = Assert.Single(llm.Events, e => e.Name == AttributeNames.ReservedNameEvent);
        Assert.Equal("generation_name", reserved.Tags.Single(t => t.Key == "tracedllm.field").Value);
        Assert.Contains(
            "'Failed Proxy Server Request'",
            (string)reserved.Tags.Single(t => t.Key == "tracedllm.reason").Value!,
            StringComparison.Ordinal);
        Assert.All(tree.Spans, s => Assert.Null(s.GetTagItem(AttributeNames.LangfuseTraceName)));
        Assert.Equal(
            "trace_name",
            Assert
                .Single(tree.Server.Events, e => e.Name == AttributeNames.ReservedNameEvent)
                .Tags.Single(t => t.Key == "tracedllm.field")
                .Value);
    }

    private static string? Check(string field, string name, bool reserved, int status, IReadOnlyList<Activity> trace)
    {
        if (status != 200)
        {
            return $"answered {status}";
        }

        var server = trace.Single(s => s.DisplayName == SpanNames.Server);
        var llm = trace.SingleOrDefault(s => s.ParentSpanId == server.SpanId && s.Kind == ActivityKind.Client);
        if (llm is null)
        {
            return "no LLM span";
        }

        // Whatever the client sent, only the contract's own spans carry the contract's names.
        if (trace.Count(s => s.DisplayName == SpanNames.Failure) > 0)
        {
            return "a successful request shows a failure span";
        }

        var events = (field == "generation_name" ? llm : server)
            .Events.Where(e => e.Name == AttributeNames.ReservedNameEvent)
            .ToList();
        var recordedName =
            field == "generation_name"
                ? llm.DisplayName
                : server.GetTagItem(AttributeNames.LangfuseTraceName) as string;
        if (reserved)
        {
            if (field == "generation_name" ? recordedName != SpanNames.LlmRequest : recordedName is not null)
            {
                return $"recorded as '{Escaped(recordedName ?? string.Empty)}'";
            }

            return events.Count == 1 ? null : $"{events.Count} reserved-name events";
        }

        if (recordedName != name || events.Count != 0)
        {
            return $"an own name was not kept: recorded '{Escaped(recordedName ?? "(none)")}', {events.Count} events";
        }

        return null;
    }

    /// <summary>Imitations of every contract name, each generated from the name itself.</summary>
    private static IEnumerable<string> Imitations()
    {
        foreach (var name in ContractNames)
        {
            var words = name.Split(' ', '_');
            var variants = new List<string>
            {
                name,
                name.ToUpperInvariant(),
                name.ToLowerInvariant(),
                string.Join(' ', words.Select(w => char.ToUpperInvariant(w[0]) + w[1..])),
                string.Join("-", words),
                string.Join(".", words),
                string.Join("  ", words),
                string.Concat(words),
                string.Join("\u200b", words),
                string.Join("\u00a0", words),
                "  " + name + "  ",
                "[" + name + "]",
                name + ".",
                string.Concat(name.Select(c => c == ' ' ? "\t" : c.ToString())),
                string.Concat(name.Select(c => c is 'a' or 'e' or 'o' ? c + "\u0301" : c.ToString())),
                string.Concat(
                    name.Select(c =>
                        c switch
                        {
                            'a' => 'á',
                            'e' => 'ë',
                            'o' => 'ø',
                            'i' => 'ı',
                            'u' => 'ü',
                            'r' => 'ř',
                            _ => c
                        })),
                string.Concat(name.Select(c => c is >= 'a' and <= 'z' ? (char)(0x24D0 + c - 'a') : c)),
                string.Concat(
                    name.Select(c =>
                        c switch
                        {
                            'a' => 'а',
                            'e' => 'е',
                            'o' => 'о',
                            'p' => 'р',
                            'c' => 'с',
                            _ => c
                        })),
                string.Concat(
                    name.Select(c =>
                        c switch
                        {
                            'o' => 'ο',
                            'a' => 'α',
                            'i' => 'ι',
                            't' => 'τ',
                            _ => c
                        })),
                string.Concat(
                    name.Select(c =>
                        c switch
                        {
                            'o' => '0',
                            'l' => '1',
                            'e' => '3',
                            _ => c
                        })),
                string.Concat(name.Select(c => c is >= '!' and <= '~' ? (char)(c - '!' + '！') : c)),
                string.Concat(
                    name.Select(c =>
                        c is >= 'a' and <= 'z' ? char.ConvertFromUtf32(0x1D41A + c - 'a')
                        : c is >= 'A' and <= 'Z' ? char.ConvertFromUtf32(0x1D400 + c - 'A')
                        : c.ToString())),
                string.Concat(name.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c))),
                name + "\u200d",
                "\u202e" + name,
                string.Join("\u00ad", words),
                string.Join("\u3000", words),
                name + "\n",
                "_" + name + ":",
                string.Concat(name.Select(c => c is 'i' or 'u' or 'r' ? c + "\u0323" : c.ToString())),
                string.Concat(
                    name.ToUpperInvariant()
                        .Select(c =>
                            c switch
                            {
                                'A' => 'А',
                                'E' => 'Е',
                                'O' => 'О',
                                'P' => 'Р',
                                'C' => 'С',
                                'T' => 'Т',
                                _ => c
                            })),
            };

            if (name is SpanNames.Server or SpanNames.Failure)
            {
                variants.Add("[ERROR] " + name + " (retry 2)");
                variants.Add("step 3: " + name.ToLowerInvariant());
            }

            foreach (var variant in variants.Distinct(StringComparer.Ordinal))
            {
                yield return variant;
            }
        }
    }

    /// <summary>Names of the client's own, some close to the contract's: kept as sent.</summary>
    private static IEnumerable<string> OwnNames() =>
        new[]
        {
            "chat-gen",
            "summarize ticket",
            "authentication check",
            "auth-v2",
            "guardrails eval",
            "pre call",
            "litellm",
            "request",
            "Received Proxy Request",
            "proxy server",
            "raw gen",
            "Failed Payment Retry",
            "Réponse générée",
            "ответ модели",
            "生成",
        };

    private static string Escaped(string text) =>
        string.Concat(text.Select(c => c < 0x20 || c > 0x7e ? $"\\u{(int)c:x4}" : c.ToString()));
}
