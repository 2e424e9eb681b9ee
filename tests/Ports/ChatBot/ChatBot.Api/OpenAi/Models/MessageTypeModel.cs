namespace ChatBot.Api.OpenAi.Models;

public enum MessageTypeModel
{
    Assistant,
    User
}
