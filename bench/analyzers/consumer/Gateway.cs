using System.Diagnostics;
using Microsoft.Extensions.AI;
using TracedLlm;

namespace App;

public sealed record ChatRequest(string Model, ChatTurn[] Messages);
public sealed record ChatTurn(string Role, string Content);
public sealed record ChatReply(string Model, string Content);
public sealed record MessagesRequest(string Model, ChatTurn[] Messages, int MaxTokens);

public sealed class UpstreamUnavailable(string message) : Exception(message);

public static class Routes
{
    private static readonly ActivitySource Source = new("App");

    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static Task<ChatReply> Chat(ChatRequest request, LlmCall call, IChatClient upstream)
    {
        if (request.Messages.Length == 0)
        {
            throw new InvalidLlmRequestException("messages must not be empty");
        }

        return call.ExecuteAsync(new LlmTarget("openai", request.Model), LlmRetryPolicy.None, async (attempt, ct) =>
        {
            var messages = request.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content));
            var response = await upstream.GetResponseAsync(messages, new ChatOptions { ModelId = request.Model }, ct);
            return new ChatReply(response.ModelId ?? request.Model, response.Text);
        });
    }

    [TracedLlmRoute("POST", "/v1/messages")]
    public static async Task<ChatReply> Messages(MessagesRequest request, LlmCall call, IChatClient upstream)
    {
        if (request.MaxTokens <= 0)
        {
            throw new InvalidLlmRequestException("max_tokens must be positive");
        }

        using var span = Source.StartActivity("prepare");
        return await call.ExecuteAsync(new LlmTarget("anthropic", request.Model), LlmRetryPolicy.None, async (attempt, ct) =>
        {
            var messages = request.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content));
            var response = await upstream.GetResponseAsync(messages, new ChatOptions { ModelId = request.Model }, ct);
            return response.Text.Length == 0 ? throw new UpstreamUnavailable("empty answer") : new ChatReply(request.Model, response.Text);
        });
    }
}

public sealed class ApiKeyAuthenticator(IConfiguration configuration) : ILlmAuthenticator
{
    public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
    {
        var key = llmCall.HttpContext.Request.Headers.Authorization.ToString();
        if (key.Length == 0)
        {
            throw new LlmAuthenticationException("missing API key");
        }

        return ValueTask.FromResult(key == "Bearer " + configuration["Gateway:ApiKey"] ? AuthResult.Success() : AuthResult.Fail("unknown API key"));
    }
}

public sealed class BannedWordGuardrail : ILlmGuardrail
{
    public string Name => "banned-word";

    public GuardrailMode Modes => GuardrailMode.PreCall;

    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
    {
        if (context.Request is ChatRequest chat && chat.Messages.Any(m => m.Content.Contains("forbidden", StringComparison.OrdinalIgnoreCase)))
        {
            throw new GuardrailBlockedException("banned-word", "the prompt contains a banned word");
        }

        return ValueTask.FromResult(GuardrailVerdict.Allow);
    }
}

public sealed class FailureFilter(ILogger<FailureFilter> logger) : ILlmFailureLogger
{
    [FailureLoggingPath]
    public static bool ShouldLog(Exception exception) => exception is GatewayException or UpstreamUnavailable;

    public ValueTask LogFailureAsync(FailureContext failure)
    {
        if (ShouldLog(failure.Exception))
        {
            logger.LogWarning("request failed with {Status}: {Type}", failure.StatusCode, failure.ErrorType);
        }

        return ValueTask.CompletedTask;
    }
}
