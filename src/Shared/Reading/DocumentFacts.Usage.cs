using System;
using System.Buffers.Text;
using static TracedLlm.Reading.JsonNames;

namespace TracedLlm.Reading;

// DocumentFacts: the numbers a response states, the token counts gathered under its usage object (and its details)
// whatever the provider calls them.
internal sealed partial class DocumentFacts
{
    public void OnNumber(ulong path, ReadOnlySpan<byte> raw)
    {
        if (!Utf8Parser.TryParse(raw, out long value, out var consumed) || consumed != raw.Length || value < 0
            || !UsageRoot(path, out var root, out var field))
        {
            return;
        }

        ref var usage = ref root == Message
            ? ref _messageUsage
            : ref root == Response ? ref _responseUsage : ref _usage;
        switch (field)
        {
            case PromptTokens:
                usage.Prompt = value;
                break;
            case CompletionTokens:
                usage.Completion = value;
                break;
            case InputTokens:
                usage.Input = value;
                break;
            case OutputTokens:
                usage.Output = value;
                break;
            case CacheReadInputTokens:
                usage.CacheRead = value;
                break;
            case CacheCreationInputTokens:
                usage.CacheCreation = value;
                break;
            case (ulong)PromptTokensDetails << 8 | CachedTokens or (ulong)InputTokensDetails << 8 | CachedTokens:
                usage.Cached = value;
                break;
            case (ulong)CompletionTokensDetails << 8 | ReasoningTokens
            or (ulong)OutputTokensDetails << 8 | ReasoningTokens:
                usage.Reasoning = value;
                break;
            case (ulong)CacheCreation << 8 | Ephemeral5mInputTokens:
                usage.CacheCreation5m = value;
                break;
            case (ulong)CacheCreation << 8 | Ephemeral1hInputTokens:
                usage.CacheCreation1h = value;
                break;
        }
    }

    /// <summary>Whether <paramref name="path"/> is a count in a usage object.</summary>
    /// <remarks>
    /// The usage object is at the top, in <c>message</c> or in <c>response</c> (<paramref name="root"/> 0,
    /// <see cref="Message"/>, <see cref="Response"/>); the count is in it directly or one level down in a
    /// <c>*_tokens_details</c> object or Anthropic's <c>cache_creation</c> (<paramref name="field"/> is then that
    /// object's name and the count's, one byte each).
    /// </remarks>
    private static bool UsageRoot(ulong path, out byte root, out ulong field)
    {
        field = path & 0xFF;
        var parent = path >> 8;
        if (IsDetails((byte)parent)
            && parent >> 8 is Usage or ((ulong)Message << 8 | Usage) or ((ulong)Response << 8 | Usage))
        {
            field = path & 0xFFFF;
            parent >>= 8;
        }

        root = (byte)(parent >> 8);
        return parent is Usage or ((ulong)Message << 8 | Usage) or ((ulong)Response << 8 | Usage);
    }

    private static bool IsDetails(byte name) =>
        name
            is PromptTokensDetails
                or CompletionTokensDetails
                or InputTokensDetails
                or OutputTokensDetails
                or CacheCreation;

    /// <summary>The counts of one usage object: -1 when absent.</summary>
    private struct UsageNumbers
    {
        public static readonly UsageNumbers None = new()
        {
            Prompt = -1,
            Completion = -1,
            Input = -1,
            Output = -1,
            CacheRead = -1,
            CacheCreation = -1,
            CacheCreation5m = -1,
            CacheCreation1h = -1,
            Cached = -1,
            Reasoning = -1
        };

        public long Prompt,
            Completion,
            Input,
            Output,
            CacheRead,
            CacheCreation,
            CacheCreation5m,
            CacheCreation1h,
            Cached,
            Reasoning;
    }
}
