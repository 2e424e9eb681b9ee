using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The sample gateway with two teams' keys, team A's traces routed to a Phoenix destination and team
/// B's to a LangSmith one (TracedLlm:Routing, DenyUnmatched), each a loopback receiver of its own
/// decoding with OpenTelemetry's JS decoder, beside the Langfuse and OTLP exporters of every
/// end-to-end run: several backends at once, each with its own delivery.
/// </summary>
public sealed class BackendFidelityEnvironment : LangfuseFidelityEnvironment
{
    public const string TeamAKey = "sk-e2e-team-a-0c4f";
    public const string TeamBKey = "sk-e2e-team-b-8e21";
    public const string LangSmithKey = "lsv2-e2e-key-57aa";

    private ChildProcess? _phoenix;
    private ChildProcess? _langsmith;
    private string _phoenixPort = string.Empty;
    private string _langsmithPort = string.Empty;

    /// <summary>What the Phoenix receiver got, as the receiver's JSON lines.</summary>
    public IReadOnlyList<string> PhoenixLines() => _phoenix?.Lines ?? Array.Empty<string>();

    /// <summary>What the LangSmith receiver got, as the receiver's JSON lines.</summary>
    public IReadOnlyList<string> LangSmithLines() => _langsmith?.Lines ?? Array.Empty<string>();

    /// <summary>
    /// Posts an OpenAI chat request with <paramref name="key"/> in a trace of <paramref name="traceId"/>; returns the
    /// answer's status.
    /// </summary>
    public async Task<HttpStatusCode> ChatAsync(string key, string traceId, string prompt, string metadata = "{}")
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, GatewayUrl + "/v1/chat/completions")
        {
            Content = new StringContent(
                $$"""{"model":"gpt-4o-mini","messages":"""
                + $$"""[{"role":"user","content":{{JsonSerializer.Serialize(prompt)}}}],"metadata":{{metadata}}}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("traceparent", $"00-{traceId}-{Guid.NewGuid().ToString("N")[..16]}-01");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    public override Task DisposeAsync()
    {
        _phoenix?.Dispose();
        _langsmith?.Dispose();
        return base.DisposeAsync();
    }

    protected override async Task StartPeersAsync()
    {
        await base.StartPeersAsync();
        _phoenix = ChildProcess.Start("node", new[] { "receiver.cjs" }, NodeDirectory);
        _phoenixPort = await ListeningPortAsync(_phoenix);
        _langsmith = ChildProcess.Start("node", new[] { "receiver.cjs" }, NodeDirectory);
        _langsmithPort = await ListeningPortAsync(_langsmith);
    }

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings() =>
        base.GatewaySettings()
            .Concat(
                new Dictionary<string, string?>
                {
                    ["Gateway__Teams__team-a__ApiKeys"] = TeamAKey,
                    ["Gateway__Teams__team-a__Alias"] = "Team A",
                    ["Gateway__Teams__team-b__ApiKeys"] = TeamBKey,
                    ["TracedLlm__Routing__DenyUnmatched"] = "true",
                    ["TracedLlm__Routing__Destinations__team-a-phoenix__Kind"] = "Phoenix",
                    ["TracedLlm__Routing__Destinations__team-a-phoenix__Endpoint"] = $"http://127.0.0.1:{_phoenixPort}",
                    ["TracedLlm__Routing__Destinations__team-a-phoenix__Project"] = "team-a",
                    ["TracedLlm__Routing__Destinations__team-a-phoenix__Teams__0"] = "team-a",
                    ["TracedLlm__Routing__Destinations__team-b-langsmith__Kind"] = "LangSmith",
                    ["TracedLlm__Routing__Destinations__team-b-langsmith__Endpoint"] =
                        $"http://127.0.0.1:{_langsmithPort}",
                    ["TracedLlm__Routing__Destinations__team-b-langsmith__ApiKey"] = LangSmithKey,
                    ["TracedLlm__Routing__Destinations__team-b-langsmith__Project"] = "team-b",
                    ["TracedLlm__Routing__Destinations__team-b-langsmith__Teams__0"] = "team-b",
                });
}

/// <summary>
/// Phoenix and LangSmith read the spans the way each reads: the spans a team's destination received,
/// read back with that ecosystem's own published conventions (node/phoenix-view.cjs on
/// @arizeai/openinference-semantic-conventions, node/langsmith-view.cjs on the langsmith SDK's OTel
/// names). A request is one trace, the LLM call one LLM span / llm run with its model, usage, cost,
/// input and output; guardrails and attempts in their places; each team's traces at its own backend only.
/// </summary>
public sealed class BackendFidelityTests(BackendFidelityEnvironment environment)
    : IClassFixture<BackendFidelityEnvironment>
{
    [Fact]
    public async Task PhoenixReadsTeamAsRequestAsOneTraceWithOneLlmSpan()
    {
        var traceId = Guid.NewGuid().ToString("N");
        var prompt = $"[fail-once] phoenix reads {Guid.NewGuid():N}";
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.ChatAsync(
                BackendFidelityEnvironment.TeamAKey,
                traceId,
                prompt,
                """{"session_id":"s-a","trace_user_id":"u-a"}"""));

        var trace = await TraceAsync("phoenix-view.cjs", environment.PhoenixLines, traceId, "spans", 8);
        Assert.Equal(new[] { "team-a" }, trace.GetProperty("projects").EnumerateArray().Select(p => p.GetString()));
        var kinds = trace
            .GetProperty("spans")
            .EnumerateArray()
            .ToLookup(s => s.GetProperty("kind").GetString(), s => s.GetProperty("name").GetString());
        Assert.Equal(new[] { "litellm_request" }, kinds["LLM"]);
        Assert.Equal(new[] { "guardrail", "guardrail" }, kinds["GUARDRAIL"]);
        Assert.Equal(
            new[]
            {
                "Received Proxy Server Request",
                "auth",
                "proxy_pre_call",
                "raw_gen_ai_request",
                "raw_gen_ai_request"
            }.Order(StringComparer.Ordinal),
            kinds["CHAIN"].Order(StringComparer.Ordinal));

        // One root, every other span under it.
        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        var ids = spans.Select(s => s.GetProperty("spanId").GetString()).ToHashSet();
        Assert.Single(spans, s => !ids.Contains(s.GetProperty("parentSpanId").GetString()));

        var llm = Assert.Single(trace.GetProperty("llm").EnumerateArray());
        var reported = Assert.Single(environment.UpstreamLog(), e => e.Prompt == prompt && e.Status == 200);
        Assert.Equal("gpt-4o-mini", llm.GetProperty("model").GetString());
        Assert.Equal(reported.PromptTokens, llm.GetProperty("promptTokens").GetInt64());
        Assert.Equal(reported.CompletionTokens, llm.GetProperty("completionTokens").GetInt64());
        Assert.Equal(reported.PromptTokens + reported.CompletionTokens, llm.GetProperty("totalTokens").GetInt64());
        Assert.Contains(prompt, llm.GetProperty("input").GetString(), StringComparison.Ordinal);
        Assert.Contains("Upstream says", llm.GetProperty("output").GetString(), StringComparison.Ordinal);
        var input = llm.GetProperty("inputMessages").EnumerateArray().Last();
        Assert.Equal(
            ("user", prompt),
            (input.GetProperty("role").GetString(), input.GetProperty("content").GetString()));
        Assert.StartsWith(
            "Upstream says",
            llm.GetProperty("outputMessages")[0].GetProperty("content").GetString(),
            StringComparison.Ordinal);
        Assert.Equal("team-a", llm.GetProperty("metadata").GetProperty("user_api_key_team_id").GetString());
        Assert.Equal(("s-a", "u-a"), (llm.GetProperty("sessionId").GetString(), llm.GetProperty("userId").GetString()));

        // The failed attempt is an error in its place; nothing of team A's reached team B's backend.
        Assert.Contains(
            spans,
            s => s.GetProperty("name").GetString() == "raw_gen_ai_request" && s.GetProperty("status").GetInt32() == 2);
        Assert.DoesNotContain(environment.LangSmithLines(), line => line.Contains(traceId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LangSmithReadsTeamBsRequestAsOneTraceWithOneLlmRun()
    {
        var traceId = Guid.NewGuid().ToString("N");
        var prompt = $"langsmith reads {Guid.NewGuid():N}";
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.ChatAsync(
                BackendFidelityEnvironment.TeamBKey,
                traceId,
                prompt,
                """{"session_id":"s-b","tags":["beta"]}"""));

        var trace = await TraceAsync("langsmith-view.cjs", environment.LangSmithLines, traceId, "runs", 7);
        var runs = trace.GetProperty("runs").EnumerateArray().ToList();
        Assert.All(
            runs,
            r =>
                Assert.Equal(
                    ("team-b", BackendFidelityEnvironment.LangSmithKey),
                    (r.GetProperty("project").GetString(), r.GetProperty("apiKey").GetString())));
        var llm = Assert.Single(runs, r => r.GetProperty("runType").GetString() == "llm");
        Assert.All(
            runs.Where(r => r.GetProperty("spanId").GetString() != llm.GetProperty("spanId").GetString()),
            r => Assert.Equal("chain", r.GetProperty("runType").GetString()));
        Assert.Equal(2, runs.Count(r => r.GetProperty("name").GetString() == "guardrail"));

        var reported = Assert.Single(environment.UpstreamLog(), e => e.Prompt == prompt);
        Assert.Equal("gpt-4o-mini", llm.GetProperty("model").GetString());
        Assert.Equal("openai", llm.GetProperty("system").GetString());
        var usage = llm.GetProperty("usageMetadata");
        Assert.Equal(reported.PromptTokens, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(reported.CompletionTokens, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(reported.PromptTokens + reported.CompletionTokens, llm.GetProperty("totalTokens").GetInt64());
        Assert.Equal(prompt, llm.GetProperty("inputs").GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.StartsWith(
            "Upstream says",
            llm.GetProperty("outputs")
                .GetProperty("choices")[0]
                .GetProperty("message")
                .GetProperty("content")
                .GetString(),
            StringComparison.Ordinal);
        Assert.Equal("team-b", llm.GetProperty("metadata").GetProperty("user_api_key_team_id").GetString());
        Assert.Equal("s-b", llm.GetProperty("metadata").GetProperty("session_id").GetString());
        Assert.Equal("beta", llm.GetProperty("tags").GetString());
        Assert.DoesNotContain(environment.PhoenixLines(), line => line.Contains(traceId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AKeyOfNoTeamReachesNeitherTeamsBackendUnderDenyUnmatched()
    {
        var traceId = Guid.NewGuid().ToString("N");
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.ChatAsync(LangfuseFidelityEnvironment.ApiKey, traceId, "no team"));

        // Its spans reach the gateway's own Langfuse exporter (every span goes there)...
        await environment.GatewayTraceAsync(traceId, 7);

        // ...and by then, had they been routed to a team, they would be at its backend too.
        await Task.Delay(500);
        Assert.DoesNotContain(environment.PhoenixLines(), line => line.Contains(traceId, StringComparison.Ordinal));
        Assert.DoesNotContain(environment.LangSmithLines(), line => line.Contains(traceId, StringComparison.Ordinal));
    }

    // The view of one trace, once the view script finds at least the expected spans in it.
    private static async Task<JsonElement> TraceAsync(
        string view,
        Func<IReadOnlyList<string>> lines,
        string traceId,
        string items,
        int expected)
    {
        var file = Path.GetTempFileName();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                await File.WriteAllLinesAsync(file, lines());
                var output = await ChildProcess.RunAsync(
                    "node",
                    new[] { view, file },
                    SampleGatewayEnvironment.NodeDirectory,
                    TimeSpan.FromMinutes(1));
                var report = JsonDocument
                    .Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last())
                    .RootElement.Clone();
                var trace = report
                    .GetProperty("traces")
                    .EnumerateArray()
                    .FirstOrDefault(t => t.GetProperty("traceId").GetString() == traceId);
                if (trace.ValueKind == JsonValueKind.Object && trace.GetProperty(items).GetArrayLength() >= expected)
                {
                    return trace;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The {view} view of trace {traceId}: {trace}");
                }

                await Task.Delay(200);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
