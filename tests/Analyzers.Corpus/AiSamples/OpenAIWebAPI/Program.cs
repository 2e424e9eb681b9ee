using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.AI;
using OpenAI;
using System.Text.Json;
using TracedLlm;

var builder = WebApplication.CreateBuilder(args);

builder.Configuration.AddJsonFile(
    "appsettings.local.json",
    optional: true,
    reloadOnChange: true);

builder.Services.AddSingleton(new OpenAIClient(builder.Configuration["AI:OpenAI:Key"]));

builder.Services.AddChatClient(services =>
    services.GetRequiredService<OpenAIClient>().GetChatClient(builder.Configuration["AI:OpenAI:Chat:ModelId"] ?? "gpt-4o-mini").AsIChatClient());

builder.Services.AddEmbeddingGenerator(services =>
    services.GetRequiredService<OpenAIClient>().GetEmbeddingClient(builder.Configuration["AI:OpenAI:Embedding:ModelId"] ?? "text-embedding-3-small").AsIEmbeddingGenerator());

builder.Services.AddTracedLlm();

var app = builder.Build();

app.MapTracedLlmRoutes(); // POST /chat and /embedding (TracedAiRoutes), the two lambdas before

app.Run();

// The two endpoints as traced routes, each model call an attempt. The body stays a JSON string; a traced
// route cannot bind it as [FromBody] string (TLLM1008), so it binds as a JsonElement.
static class TracedAiRoutes
{
    [TracedLlmRoute("POST", "/chat")]
    public static async Task<ChatResponse> Chat(JsonElement message, LlmCall call, IChatClient client)
    {
        using var attempt = call.StartAttempt(new LlmTarget("openai", client.GetService<ChatClientMetadata>()?.DefaultModelId ?? "gpt-4o-mini"));
        var response = await client.GetResponseAsync(message.GetString() ?? "", cancellationToken: call.CancellationToken);
        attempt.Succeed();
        return response;
    }

    [TracedLlmRoute("POST", "/embedding")]
    public static async Task<Embedding<float>> Embedding(JsonElement message, LlmCall call, IEmbeddingGenerator<string, Embedding<float>> client)
    {
        using var attempt = call.StartAttempt(new LlmTarget("openai", client.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId ?? "text-embedding-3-small"));
        var embedding = await client.GenerateAsync(message.GetString() ?? "", cancellationToken: call.CancellationToken);
        attempt.Succeed();
        return embedding;
    }
}
