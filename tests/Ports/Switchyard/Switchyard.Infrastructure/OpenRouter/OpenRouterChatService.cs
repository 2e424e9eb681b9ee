using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Switchyard.Application.Abstractions;
using Switchyard.Application.Chat;
using Switchyard.Domain;

namespace Switchyard.Infrastructure.OpenRouter;

/// <summary>Completions from an OpenRouter-compatible API, through the named HttpClient <see cref="ClientName"/>.</summary>
public sealed class OpenRouterChatService(IHttpClientFactory clients) : IChatCompletionService
{
    public const string ClientName = "openrouter";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<ChatCompletion> CompleteAsync(ChatCompletionCommand command, string model, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ClientName);
        var request = new OpenRouterRequest(model, command.Messages.Select(m => new OpenRouterMessage(m.Role, m.Content)).ToList(), command.Temperature, command.MaxTokens);
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsJsonAsync("chat/completions", request, Json, cancellationToken);
        }
        catch (HttpRequestException unreachable)
        {
            throw new ProviderUnavailableException(model, statusCode: null, unreachable);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
            {
                throw new ProviderUnavailableException(model, (int)response.StatusCode);
            }

            // Any other error is a request the provider refused: a bug of ours, not a reason to fall back.
            response.EnsureSuccessStatusCode();
            var answer = await response.Content.ReadFromJsonAsync<OpenRouterResponse>(Json, cancellationToken)
                ?? throw new InvalidOperationException("The provider answered with an empty body.");
            var choice = answer.Choices[0];
            return new ChatCompletion(answer.Id, answer.Model, choice.Message.Content, choice.FinishReason ?? "stop", answer.Usage?.PromptTokens ?? 0, answer.Usage?.CompletionTokens ?? 0);
        }
    }
}
