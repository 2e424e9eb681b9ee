using Microsoft.AspNetCore.Mvc;
using OpenAI.Chat;
using TracedLlm;

namespace chat_service_dotnet;

// The controller's action as a traced route on the path MVC gave it ([controller] = Chat), mapped by
// MapTracedLlmRoutes; ChatService's model call is the request's attempt.
public static class ChatController
{
    [TracedLlmRoute("POST", "/Chat")]
    public static async Task<ChatCompletion> CreateCompletion([FromQuery]string prompt, LlmCall call, ChatService _chat)
    {
        return (await _chat.GetCompletion(prompt, call.CancellationToken)).Value;
    }
}
