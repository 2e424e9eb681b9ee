using System;
using System.Collections.Generic;
using TracedLlm;

namespace TracedLlm.Reading;

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

    // Exactly as long as the reasons found (most answers have one): recorded on the span as it is,
    // never changed after (a later reason makes a new array).
    private string[] _finishReasons = Array.Empty<string>();

    public string[] FinishReasons => _finishReasons;

    /// <summary>
    /// All input tokens, cached ones included as the GenAI conventions count them (Anthropic's <c>input_tokens</c> plus
    /// its cache reads and writes, by <see cref="LlmUsage.FromAnthropic(long, long, long?, long?)"/>'s rule).
    /// </summary>
    public long? InputTokens => ReportedInputTokens is { } input && InputExcludesCache
        ? LlmUsage.FromAnthropic(input, outputTokens: 0, CacheReadInputTokens, CacheCreationInputTokens).InputTokens
        : ReportedInputTokens;

    /// <summary>The input count as the response stated it.</summary>
    public long? ReportedInputTokens { get; set; }

    /// <summary>The stated input count leaves out the cache reads and writes (Anthropic's).</summary>
    public bool InputExcludesCache { get; set; }

    public long? OutputTokens { get; set; }

    /// <summary>
    /// The tier the answer says it was served at (OpenAI's <c>service_tier</c>, Anthropic's <c>usage.service_tier</c>),
    /// a short token.
    /// </summary>
    public string? ServiceTier { get; set; }

    /// <summary>OpenAI's <c>cached_tokens</c>, Anthropic's <c>cache_read_input_tokens</c>.</summary>
    public long? CacheReadInputTokens { get; set; }

    /// <summary>Anthropic's <c>cache_creation_input_tokens</c>.</summary>
    public long? CacheCreationInputTokens { get; set; }

    /// <summary>
    /// Anthropic's <c>cache_creation.ephemeral_5m_input_tokens</c> (a part of <see cref="CacheCreationInputTokens"/>).
    /// </summary>
    public long? CacheCreation5mInputTokens { get; set; }

    /// <summary>
    /// Anthropic's <c>cache_creation.ephemeral_1h_input_tokens</c> (a part of <see cref="CacheCreationInputTokens"/>).
    /// </summary>
    public long? CacheCreation1hInputTokens { get; set; }

    /// <summary>OpenAI's <c>reasoning_tokens</c> (counted in <see cref="OutputTokens"/> too).</summary>
    public long? ReasoningOutputTokens { get; set; }

    /// <summary>The usage with its cache and reasoning counts, for the call.</summary>
    public LlmUsage Usage(long inputTokens, long outputTokens) => new(inputTokens, outputTokens)
    {
        CacheReadInputTokens = CacheReadInputTokens,
        CacheCreationInputTokens = CacheCreationInputTokens,
        CacheCreation5mInputTokens = CacheCreation5mInputTokens,
        CacheCreation1hInputTokens = CacheCreation1hInputTokens,
        ReasoningOutputTokens = ReasoningOutputTokens,
    };

    /// <summary>
    /// The response's own end was seen: OpenAI's <c>[DONE]</c>, Anthropic's <c>message_stop</c>, a Responses API
    /// terminal event, or a whole JSON document.
    /// </summary>
    public bool Terminal { get; set; }

    /// <summary>A stream event or a JSON body that was not valid JSON.</summary>
    public bool Malformed { get; set; }

    /// <summary>
    /// The provider reported an error inside a successful response (an <c>error</c> event or body, a failed response).
    /// </summary>
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
        var count = _finishReasons.Length;
        if (count < MaxFinishReasons)
        {
            var reasons = new string[count + 1];
            _finishReasons.CopyTo(reasons, 0);
            reasons[count] = reason;
            _finishReasons = reasons;
        }
    }
}
