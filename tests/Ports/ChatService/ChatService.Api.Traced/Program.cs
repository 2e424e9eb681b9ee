using System.ClientModel;
using System.Runtime.CompilerServices;
using ChatService.Api;
using Microsoft.Extensions.AI;
using OpenAI;
using TracedLlm;

var builder = WebApplication.CreateBuilder(args);
var openAi = builder.Configuration.GetSection("OpenAI");
var client = new OpenAIClient(
    new ApiKeyCredential(openAi["ApiKey"]!),
    new OpenAIClientOptions { Endpoint = new Uri(openAi["Endpoint"]!) });
builder.Services.AddChatClient(client.GetChatClient(openAi["Model"]!).AsIChatClient())
    .UseLogging()
    .UseTracedLlm()
    .UseOpenTelemetry();
builder.Services.AddTracedLlm(options => options.ErrorResponses = LlmErrorResponses.Host);

var app = builder.Build();

app.MapTracedLlmRoutes();

app.Run();

internal static class Routes
{
    [TracedLlmRoute("POST", "/api/chat")]
    public static async Task<IResult> Chat(
        ChatRequest request, IChatClient chat, LlmCall call, CancellationToken cancellationToken)
    {
        if (request.Messages is not { Count: > 0 })
        {
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["messages"] = ["At least one message is required."],
            });
        }

        var messages = request.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
        if (request.Stream)
        {
            return TypedResults.ServerSentEvents(StreamAsync(chat, messages, cancellationToken));
        }

        try
        {
            var response = await chat.GetResponseAsync(messages, cancellationToken: cancellationToken);
            return Results.Ok(new ChatReply(response.Text, response.ModelId, response.FinishReason?.Value));
        }
        catch (ClientResultException exception)
        {
            call.RecordHandledFailure(exception);
            return Results.Problem(
                statusCode: StatusCodes.Status502BadGateway,
                title: "The model provider failed.",
                detail: $"The provider answered {exception.Status}.");
        }
    }

    private static async IAsyncEnumerable<ChatDelta> StreamAsync(
        IChatClient chat, List<ChatMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in chat.GetStreamingResponseAsync(messages, cancellationToken: cancellationToken))
        {
            if (update.Text is { Length: > 0 } text)
            {
                yield return new ChatDelta(text);
            }
        }
    }
}
