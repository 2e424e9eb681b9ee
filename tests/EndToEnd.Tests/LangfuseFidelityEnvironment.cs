using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The sample gateway in front of a loopback OpenAI-compatible upstream (node/upstream.cjs) that
/// reports usage as a real provider does and fails a marked prompt once, so a request is retried:
/// one retry allowed, message content captured, a default Langfuse environment.
/// </summary>
public class LangfuseFidelityEnvironment : SampleGatewayEnvironment
{
    public const string DefaultEnvironment = "e2e";
    public const string UpstreamApiKey = "sk-upstream-e2e-71c0";

    private ChildProcess? _upstream;
    private string _upstreamPort = string.Empty;

    public static string ApiKey => GatewayApiKey;

    /// <summary>What the upstream answered, one entry per request it got.</summary>
    public IReadOnlyList<UpstreamExchange> UpstreamLog() =>
        (_upstream?.Lines ?? Array.Empty<string>())
            .Where(line => line.StartsWith("{\"upstream\"", StringComparison.Ordinal))
            .Select(line => UpstreamExchange.From(JsonDocument.Parse(line).RootElement.GetProperty("upstream")))
            .ToList();

    public override Task DisposeAsync()
    {
        _upstream?.Dispose();
        return base.DisposeAsync();
    }

    protected override async Task StartPeersAsync()
    {
        _upstream = ChildProcess.Start("node", new[] { "upstream.cjs" }, NodeDirectory);
        _upstreamPort = await ListeningPortAsync(_upstream);
    }

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings() => new Dictionary<string, string?>
    {
        ["Upstream__BaseUrl"] = $"http://127.0.0.1:{_upstreamPort}/v1",

        // The typed path: this upstream speaks OpenAI chat only, and the sample translates its
        // Anthropic route onto it (a relay passes the Anthropic request on as it is: RelayEndToEndTests).
        ["Upstream__Relay"] = "false",
        ["Upstream__ApiKey"] = UpstreamApiKey,
        ["Upstream__FallbackToEmbedded"] = "false",
        ["Retry__MaxRetries"] = "1",
        ["Retry__BaseDelayMs"] = "10",
        ["TRACEDLLM_CAPTURE_MESSAGE_CONTENT"] = "true",
        ["LANGFUSE_TRACING_ENVIRONMENT"] = DefaultEnvironment,
    };
}

/// <summary>One request the upstream answered: the prompt, its status, the usage it reported.</summary>
public sealed record UpstreamExchange(
    string Prompt,
    int Status,
    long? PromptTokens,
    long? CompletionTokens,
    string? TraceParent)
{
    public static UpstreamExchange From(JsonElement entry) => new(
        entry.GetProperty("prompt").GetString()!,
        entry.GetProperty("status").GetInt32(),
        entry.TryGetProperty("usage", out var usage) ? usage.GetProperty("prompt_tokens").GetInt64() : null,
        entry.TryGetProperty("usage", out usage) ? usage.GetProperty("completion_tokens").GetInt64() : null,
        entry.GetProperty("traceparent").GetString());
}
