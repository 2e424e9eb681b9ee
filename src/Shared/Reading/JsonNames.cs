using System;

namespace TracedLlm.Reading;

/// <summary>
/// The property names the response reader follows, as small numbers, and the paths it asks about as one
/// <see cref="ulong"/> each.
/// </summary>
/// <remarks>
/// A path holds a name per byte, outermost first, array elements on their array's path (<c>choices[3].finish_reason</c>
/// is <c>Choices.FinishReason</c>). A name not listed is <see cref="Other"/>, and no path through it is asked about.
/// </remarks>
internal static class JsonNames
{
    public const byte Other = 255;

    public const byte Id = 1;
    public const byte Model = 2;
    public const byte Object = 3;
    public const byte Type = 4;
    public const byte Status = 5;
    public const byte Choices = 6;
    public const byte FinishReason = 7;
    public const byte Usage = 8;
    public const byte PromptTokens = 9;
    public const byte CompletionTokens = 10;
    public const byte InputTokens = 11;
    public const byte OutputTokens = 12;
    public const byte Message = 13;
    public const byte Delta = 14;
    public const byte Content = 15;
    public const byte Text = 16;
    public const byte Error = 17;
    public const byte Response = 18;
    public const byte StopReason = 19;
    public const byte IncompleteDetails = 20;
    public const byte Reason = 21;
    public const byte Output = 22;
    public const byte PromptTokensDetails = 23;
    public const byte CompletionTokensDetails = 24;
    public const byte InputTokensDetails = 25;
    public const byte OutputTokensDetails = 26;
    public const byte CachedTokens = 27;
    public const byte ReasoningTokens = 28;
    public const byte CacheReadInputTokens = 29;
    public const byte CacheCreationInputTokens = 30;
    public const byte CacheCreation = 31;
    public const byte Ephemeral5mInputTokens = 32;
    public const byte Ephemeral1hInputTokens = 33;
    public const byte ServiceTier = 34;

    /// <summary>A path one level below <paramref name="parent"/>; past eight levels nothing is followed.</summary>
    public static ulong Child(ulong parent, byte name) =>
        name == Other || parent >= 1UL << 56 || parent == Untracked ? Untracked : parent << 8 | name;

    /// <summary>A path no question matches.</summary>
    public const ulong Untracked = ulong.MaxValue;

    public static ulong Path(byte a) => a;

    public static ulong Path(byte a, byte b) => (ulong)a << 8 | b;

    public static ulong Path(byte a, byte b, byte c) => (ulong)a << 16 | (ulong)b << 8 | c;

    public static ulong Path(byte a, byte b, byte c, byte d) => (ulong)a << 24 | (ulong)b << 16 | (ulong)c << 8 | d;

    /// <summary>The number of a property name (as it is on the wire, unescaped), or <see cref="Other"/>.</summary>
    public static byte Lookup(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Id,
        4 when name.SequenceEqual("type"u8) => Type,
        4 when name.SequenceEqual("text"u8) => Text,
        5 when name.SequenceEqual("model"u8) => Model,
        5 when name.SequenceEqual("usage"u8) => Usage,
        5 when name.SequenceEqual("delta"u8) => Delta,
        5 when name.SequenceEqual("error"u8) => Error,
        6 when name.SequenceEqual("object"u8) => Object,
        6 when name.SequenceEqual("status"u8) => Status,
        6 when name.SequenceEqual("reason"u8) => Reason,
        6 when name.SequenceEqual("output"u8) => Output,
        7 when name.SequenceEqual("choices"u8) => Choices,
        7 when name.SequenceEqual("message"u8) => Message,
        7 when name.SequenceEqual("content"u8) => Content,
        8 when name.SequenceEqual("response"u8) => Response,
        11 when name.SequenceEqual("stop_reason"u8) => StopReason,
        12 when name.SequenceEqual("input_tokens"u8) => InputTokens,
        12 when name.SequenceEqual("service_tier"u8) => ServiceTier,
        13 when name.SequenceEqual("finish_reason"u8) => FinishReason,
        13 when name.SequenceEqual("prompt_tokens"u8) => PromptTokens,
        13 when name.SequenceEqual("output_tokens"u8) => OutputTokens,
        13 when name.SequenceEqual("cached_tokens"u8) => CachedTokens,
        14 when name.SequenceEqual("cache_creation"u8) => CacheCreation,
        16 when name.SequenceEqual("reasoning_tokens"u8) => ReasoningTokens,
        17 when name.SequenceEqual("completion_tokens"u8) => CompletionTokens,
        18 when name.SequenceEqual("incomplete_details"u8) => IncompleteDetails,
        20 when name.SequenceEqual("input_tokens_details"u8) => InputTokensDetails,
        21 when name.SequenceEqual("prompt_tokens_details"u8) => PromptTokensDetails,
        21 when name.SequenceEqual("output_tokens_details"u8) => OutputTokensDetails,
        23 when name.SequenceEqual("cache_read_input_tokens"u8) => CacheReadInputTokens,
        25 when name.SequenceEqual("completion_tokens_details"u8) => CompletionTokensDetails,
        25 when name.SequenceEqual("ephemeral_5m_input_tokens"u8) => Ephemeral5mInputTokens,
        25 when name.SequenceEqual("ephemeral_1h_input_tokens"u8) => Ephemeral1hInputTokens,
        27 when name.SequenceEqual("cache_creation_input_tokens"u8) => CacheCreationInputTokens,
        _ => Other,
    };
}
