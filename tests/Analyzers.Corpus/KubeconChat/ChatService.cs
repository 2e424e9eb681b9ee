using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI.Chat;
using TracedLlm;

namespace chat_service_dotnet;

public class ChatService
{
    private readonly ChatClient _chatClient;

    public ChatService(ChatClient chatClient)
    {
        _chatClient = chatClient;
    }

    public async Task<ClientResult<ChatCompletion>> GetCompletion(string prompt, CancellationToken cancellationToken)
    {
        var system = ChatMessage.CreateSystemMessage("You're a helpful assistant. Keep your answers short.");
        var message = ChatMessage.CreateUserMessage(prompt);
        var options =  ModelReaderWriter.Read<ChatCompletionOptions>(BinaryData.FromString("{\"temperature\":1.0,\"max_tokens\":100}"));

        // In a traced route the model call is an attempt (Program calls LlmCall.EnableCurrent()).
#pragma warning disable OPENAI001 // ChatClient.Model is marked for evaluation
        using var attempt = LlmCall.Current?.StartAttempt(new LlmTarget("openai", _chatClient.Model));
#pragma warning restore OPENAI001
        var completion = await _chatClient.CompleteChatAsync([system, message], options, cancellationToken: cancellationToken);
        attempt?.Succeed();
        return completion;
    }
}
