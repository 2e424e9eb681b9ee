namespace AICentral.Core;

public enum AICallResponseType
{
    NonStreaming = 0,
    Streaming = 1
}