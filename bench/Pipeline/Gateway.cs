using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm.Benchmarks;

/// <summary>The request every implementation handles.</summary>
public sealed class ChatRequest
{
    public string? Model { get; set; }
    public List<ChatMessage> Messages { get; set; } = new();
}

public sealed class ChatMessage
{
    public string? Role { get; set; }
    public string? Content { get; set; }
}

public sealed class Reply
{
    public string? Text { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(Reply))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
}

/// <summary>The services every benchmark's gateway starts from: logging, the benchmark's JSON, TracedLlm.</summary>
public static class BenchServices
{
    public static ServiceCollection Create(Action<TracedLlmOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, BenchJsonContext.Default);
        });
        services.AddTracedLlm(configure);
        return services;
    }
}

/// <summary>The traced route: the generated pipeline runs around it.</summary>
public static class Routes
{
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static Reply Chat(ChatRequest request, LlmCall call) => Handler.Handle(request, call);
}

/// <summary>The handler's work, shared by all three implementations.</summary>
public static class Handler
{
    public static readonly Reply Answer = new() { Text = "ok" };

    /// <summary>Traced requests handled so far (what an export's bytes are divided by).</summary>
    public static long Calls;

    public static Reply Handle(ChatRequest request, LlmCall call)
    {
        Interlocked.Increment(ref Calls);
        call.RecordUsage(12, 3);
        return Answer;
    }
}

/// <summary>Key check against one precomputed hash.</summary>
public sealed class BenchAuthenticator : ILlmAuthenticator
{
    public const string KeyHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken) =>
        ValueTask.FromResult(llmCall.HttpContext.Request.Headers.Authorization.Count == 1 ? AuthResult.Success(KeyHash) : AuthResult.Fail("no key"));
}

/// <summary>A pre-call guardrail that looks at the prompt.</summary>
public sealed class BenchGuardrail : ILlmGuardrail
{
    public string Name => "length";

    public GuardrailMode Modes => GuardrailMode.PreCall;

    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(context.Request is ChatRequest { Messages.Count: < 100 } ? GuardrailVerdict.Allow : GuardrailVerdict.Block("too long"));
}

/// <summary>
/// The `spancost` mode's route: the sample gateway's seven-span request (two guardrails, one pre-call
/// and one post-call, and one upstream attempt that answers), on the typed path.
/// </summary>
public static class SpanCostRoutes
{
    [TracedLlmRoute("POST", "/spancost/v1/chat/completions")]
    public static Reply Chat(ChatRequest request, LlmCall call) => SpanCostHandler.Handle(request, call);
}

/// <summary>The handler's work: one attempt on one upstream target, its answer's model and usage.</summary>
public static class SpanCostHandler
{
    public static readonly LlmTarget Target = new("openai", "gpt-4o-mini") { BackendId = "openai-1", Endpoint = new Uri("http://127.0.0.1:8081/v1") };

    public static Reply Handle(ChatRequest request, LlmCall call)
    {
        Interlocked.Increment(ref Handler.Calls);
        using (var attempt = call.StartAttempt(Target))
        {
            attempt.RecordResponse("gpt-4o-mini-2024-07-18", 12, 3);
            attempt.Succeed();
        }

        call.RecordResponse("gpt-4o-mini-2024-07-18", "chatcmpl-bench", "stop");
        call.RecordUsage(12, 3);
        return Handler.Answer;
    }
}

/// <summary>A post-call guardrail that looks at the answer (the sample's response-length check).</summary>
public sealed class BenchResponseGuardrail : ILlmGuardrail
{
    public string Name => "response-length";

    public GuardrailMode Modes => GuardrailMode.PostCall;

    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(context.Response is Reply { Text.Length: < 8000 } ? GuardrailVerdict.Allow : GuardrailVerdict.Block("too long"));
}
