using System.Collections.Generic;

namespace TracedLlm.Relay.Reading;

/// <summary>The wire format a relayed response was read as.</summary>
internal enum ResponseFormat : byte
{
    Unknown,
    OpenAIChatCompletions,
    OpenAIResponses,
    AnthropicMessages,
}

/// <summary>
/// What the reader found in one relayed response: each fact is null (or empty) until the response
/// stated it, and stays so when it never did: nothing is guessed.
/// </summary>
internal sealed class ResponseFacts
{
    public const int MaxFinishReasons = 16;

    public ResponseFormat Format { get; set; }

    public string? ResponseId { get; set; }

    public string? ResponseModel { get; set; }

    public List<string> FinishReasons { get; } = new();

    public long? InputTokens { get; set; }

    public long? OutputTokens { get; set; }

    /// <summary>The response's own end was seen: OpenAI's <c>[DONE]</c>, Anthropic's <c>message_stop</c>, a Responses API terminal event, or a whole JSON document.</summary>
    public bool Terminal { get; set; }

    /// <summary>A stream event or a JSON body that was not valid JSON.</summary>
    public bool Malformed { get; set; }

    /// <summary>The provider reported an error inside a successful response (an <c>error</c> event or body, a failed response).</summary>
    public bool ReportedError { get; set; }

    /// <summary>The stream ended in the middle of an event.</summary>
    public bool EndedMidEvent { get; set; }

    public static string FormatName(ResponseFormat format) => format switch
    {
        ResponseFormat.OpenAIChatCompletions => "openai.chat_completions",
        ResponseFormat.OpenAIResponses => "openai.responses",
        ResponseFormat.AnthropicMessages => "anthropic.messages",
        _ => "unknown",
    };

    public void AddFinishReason(string reason)
    {
        if (FinishReasons.Count < MaxFinishReasons)
        {
            FinishReasons.Add(reason);
        }
    }
}
