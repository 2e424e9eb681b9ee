using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using TracedLlm.Reading;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// The relay's response reader on the providers' wire shapes: every fact found whatever the pieces
/// the body arrives in (one byte at a time, random sizes, whole), nothing guessed when a fact is
/// absent, a cut or broken body told apart from a whole one, compressed bodies read on the side,
/// and memory that does not grow with the body.
/// </summary>
public sealed class ResponseReaderTests
{
    /// <summary>
    /// Each wire shape with what must be read from it: format, id, model, finish reasons, input and output tokens,
    /// text, events (-1: not a stream).
    /// </summary>
    private static readonly (
        string Name,
        BodyKind Kind,
        string Body,
        ResponseFormat Format,
        string Id,
        string Model,
        string Finish,
        long Input,
        long Output,
        string Text,
        int Events
    )[] Shapes =
    {
        ("chat",
            BodyKind.Json,
            WireSamples.ChatCompletion,
            ResponseFormat.OpenAIChatCompletions,
            "chatcmpl-abc",
            "gpt-4o-mini-2024-07-18",
            "stop",
            12,
            6,
            "Hello \"there\" é\n😀",
            -1),
        ("chat-stream",
            BodyKind.EventStream,
            WireSamples.ChatStream,
            ResponseFormat.OpenAIChatCompletions,
            "chatcmpl-s1",
            "gpt-4o-mini",
            "stop",
            9,
            2,
            "Hello",
            4),
        ("messages",
            BodyKind.Json,
            WireSamples.AnthropicMessage,
            ResponseFormat.AnthropicMessages,
            "msg_01",
            "claude-sonnet-4-20250514",
            "end_turn",
            21,
            7,
            "Hi there",
            -1),
        ("messages-stream",
            BodyKind.EventStream,
            WireSamples.AnthropicStream,
            ResponseFormat.AnthropicMessages,
            "msg_s1",
            "claude-sonnet-4",
            "max_tokens",
            25,
            15,
            "Hello world",
            8),
        ("responses",
            BodyKind.Json,
            WireSamples.Response,
            ResponseFormat.OpenAIResponses,
            "resp_1",
            "gpt-4.1",
            "max_output_tokens",
            30,
            16,
            "Partial",
            -1),
        ("responses-stream",
            BodyKind.EventStream,
            WireSamples.ResponseStream,
            ResponseFormat.OpenAIResponses,
            "resp_s1",
            "gpt-4.1",
            "completed",
            11,
            3,
            "Hi you",
            5),
    };

    /// <summary>Every shape, in pieces of 1, 2, 3, 7 and 64 bytes and of random sizes (0).</summary>
    public static TheoryData<string, int> ShapesInPieces
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var shape in Shapes)
            {
                foreach (var size in new[] { 0, 1, 2, 3, 7, 64 })
                {
                    data.Add(shape.Name, size);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ShapesInPieces))]
    public void EveryFactIsReadWhateverThePieces(string name, int pieceSize)
    {
        var shape = Shapes.Single(s => s.Name == name);
        var (facts, text, events) = Read(shape.Kind, shape.Body, pieceSize);
        Assert.Equal(shape.Format, facts.Format);
        Assert.Equal(shape.Id, facts.ResponseId);
        Assert.Equal(shape.Model, facts.ResponseModel);
        Assert.Equal(new[] { shape.Finish }, facts.FinishReasons);
        Assert.Equal(shape.Input, facts.InputTokens);
        Assert.Equal(shape.Output, facts.OutputTokens);
        Assert.Equal(shape.Text, text);
        Assert.True(facts.Terminal);
        Assert.False(facts.Malformed);
        Assert.False(facts.ReportedError);
        if (shape.Events >= 0)
        {
            Assert.Equal(shape.Events, events);
        }
    }

    [Fact]
    public void AStreamThatStatesNoUsageLeavesItUnknown()
    {
        var noUsage = WireSamples.ChatStream.Replace(
            ",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}",
            string.Empty,
            StringComparison.Ordinal);
        var (facts, _, _) = Read(BodyKind.EventStream, noUsage, 5);
        Assert.Null(facts.InputTokens);
        Assert.Null(facts.OutputTokens);
        Assert.Equal(new[] { "stop" }, facts.FinishReasons);
        Assert.True(facts.Terminal);
    }

    [Fact]
    public void CarriageReturnsCommentsAndDataOnSeveralLinesAreOneEvent()
    {
        var stream = ": keep-alive\r\n\r\n"
            + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\r\ndata: "
            + "\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"length\"}]}\r\n\r\n"
            + "data:[DONE]\r\r";
        var (facts, text, events) = Read(BodyKind.EventStream, stream, 1);
        Assert.Equal("c", facts.ResponseId);
        Assert.Equal("m", facts.ResponseModel);
        Assert.Equal(new[] { "length" }, facts.FinishReasons);
        Assert.True(facts.Terminal);
        Assert.False(facts.Malformed);
        Assert.Equal("a", text);
        Assert.Equal(1, events);
    }

    [Fact]
    public void AStreamCutMidEventEndsMidEvent()
    {
        var cut = WireSamples.AnthropicStream[
            ..(WireSamples.AnthropicStream.IndexOf("message_delta", StringComparison.Ordinal) + 40)
        ];
        var (facts, _, _) = Read(BodyKind.EventStream, cut, 3);
        Assert.True(facts.EndedMidEvent);
        Assert.False(facts.Terminal);
        Assert.Equal(25, facts.InputTokens);
        Assert.Equal(1, facts.OutputTokens);
    }

    [Fact]
    public void AStreamCutBetweenEventsHasNoTerminalEvent()
    {
        var cut = WireSamples.ChatStream[..WireSamples.ChatStream.IndexOf("data: [DONE]", StringComparison.Ordinal)];
        var (facts, _, _) = Read(BodyKind.EventStream, cut, 4);
        Assert.False(facts.EndedMidEvent);
        Assert.False(facts.Terminal);
        Assert.Equal(9, facts.InputTokens);
    }

    [Fact]
    public void ABodyCutShortIsNotWholeButNotMalformed()
    {
        var (facts, _, _) = Read(BodyKind.Json, WireSamples.ChatCompletion[..100], 9);
        Assert.False(facts.Terminal);
        Assert.False(facts.Malformed);
    }

    [Theory]
    [InlineData("{\"id\":\"x\",}")]
    [InlineData("{\"id\" \"x\"}")]
    [InlineData("{\"id\":\"x\"}}")]
    [InlineData("{\"id\":\"a\u0001b\"}")]
    [InlineData("{\"id\":tru}")]
    [InlineData("[1,2,]")]
    [InlineData("{\"id\":\"\\q\"}")]
    public void InvalidJsonIsMalformed(string body)
    {
        var (facts, _, _) = Read(BodyKind.Json, body, 1);
        Assert.True(facts.Malformed);
        Assert.False(facts.Terminal);
    }

    [Fact]
    public void AnEventThatIsNotJsonIsMalformed()
    {
        var (facts, _, _) = Read(BodyKind.EventStream, "data: {\"id\":\"a\"\n\ndata: [DONE]\n\n", 2);
        Assert.True(facts.Malformed);
    }

    [Fact]
    public void AnErrorInTheStreamIsReported()
    {
        var anthropic =
            "event: error\ndata: "
            + "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        Assert.True(Read(BodyKind.EventStream, anthropic, 3).Facts.ReportedError);
        var openAi = "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
        Assert.True(Read(BodyKind.EventStream, openAi, 3).Facts.ReportedError);
    }

    /// <summary>
    /// An event the provider names <c>error</c> reports one, whatever its data, in any pieces; a longer name does not.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void AnEventNamedErrorIsReportedWhateverItsData(int pieceSize)
    {
        var named = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
            + "event: error\ndata: {\"message\":\"overloaded\"}\n\n";
        Assert.True(Read(BodyKind.EventStream, named, pieceSize).Facts.ReportedError);
        Assert.True(Read(BodyKind.EventStream, "event:error\r\ndata: {}\r\n\r\n", pieceSize).Facts.ReportedError);
        var longer = "event: errors\ndata: {}\n\nevent: error_count\ndata: {}\n\n";
        Assert.False(Read(BodyKind.EventStream, longer, pieceSize).Facts.ReportedError);

        // The last event: line of an event names it; the next event starts unnamed.
        var renamed = "event: error\nevent: ping\ndata: {}\n\ndata: {}\n\n";
        Assert.False(Read(BodyKind.EventStream, renamed, pieceSize).Facts.ReportedError);
    }

    /// <summary>
    /// OpenAI-compatible servers (vLLM's) answer an error as <c>"object": "error"</c>, whole or as an event.
    /// </summary>
    [Fact]
    public void AnErrorObjectIsReported()
    {
        const string vllm =
            "{\"object\":\"error\",\"message\":\"The model does not exist.\",\"type\":\"NotFoundError\",\"code\":404}";
        Assert.True(Read(BodyKind.Json, vllm, 3).Facts.ReportedError);
        Assert.True(Read(BodyKind.EventStream, $"data: {vllm}\n\n", 3).Facts.ReportedError);
    }

    /// <summary>
    /// A stream that reports an error and then ends without its last event failed with the error it reported, not as
    /// cut off.
    /// </summary>
    [Fact]
    public void TheReportedErrorIsTheFailureOfAStreamItEnded()
    {
        var reader = new ResponseReader(BodyKind.EventStream, text: null, onEvent: null);
        const string error = "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n";
        reader.Write(WireSamples.Utf8(UpstreamChunk + error));
        reader.Complete();
        var failure = Assert.IsType<UpstreamBadResponseException>(reader.Failure());
        Assert.False(failure.Truncated);
        Assert.Equal("upstream_bad_response", failure.Code);

        var cut = new ResponseReader(BodyKind.EventStream, text: null, onEvent: null);
        cut.Write(WireSamples.Utf8(UpstreamChunk));
        cut.Complete();
        Assert.True(Assert.IsType<UpstreamBadResponseException>(cut.Failure()).Truncated);
    }

    private const string UpstreamChunk = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n";

    [Fact]
    public void AnotherKindOfBodyGivesItsUsageAndNoFormat()
    {
        var embeddings =
            "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,-2.5e-3]}],"
            + "\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}";
        var (facts, _, _) = Read(BodyKind.Json, embeddings, 3);
        Assert.Equal(ResponseFormat.Unknown, facts.Format);
        Assert.Equal(5, facts.InputTokens);
        Assert.Null(facts.OutputTokens);
        Assert.True(facts.Terminal);
    }

    [Fact]
    public void TheTerminalEventIsFoundWhereItStarts()
    {
        var body = WireSamples.Utf8(WireSamples.AnthropicStream);
        var reader = new ResponseReader(BodyKind.EventStream, null, null);
        reader.Write(body);
        var stop = Encoding.UTF8.GetByteCount(
            WireSamples.AnthropicStream[
                ..WireSamples.AnthropicStream.IndexOf("event: message_stop", StringComparison.Ordinal)
            ]);
        Assert.Equal(stop, reader.TerminalEventStart);
        Assert.Equal(body.Length, reader.EventBoundary);

        var chat = new ResponseReader(BodyKind.EventStream, null, null);
        var half = WireSamples.Utf8(WireSamples.ChatStream);
        chat.Write(half.AsSpan(0, half.Length - 3));
        Assert.Equal(-1, chat.TerminalEventStart);
        Assert.Equal(half.Length - "data: [DONE]\n\n".Length, chat.EventBoundary);
        chat.Write(half.AsSpan(half.Length - 3));
        Assert.Equal(half.Length - "data: [DONE]\n\n".Length, chat.TerminalEventStart);
    }

    [Fact]
    public void AHugeCompletionIsReadInFixedMemoryAndItsUsageStillFound()
    {
        // Eight megabytes of content, then the usage: the reader keeps none of the content.
        var head =
            "{\"id\":\"big\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"";
        var tail = "\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":4000000}}";
        var reader = new ResponseReader(BodyKind.Json, null, null);
        var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("lorem \\\"ipsum\\\" ", 4096)));
        var before = GC.GetAllocatedBytesForCurrentThread();
        reader.Write(Encoding.UTF8.GetBytes(head));
        for (var written = 0L; written < 8 * 1024 * 1024; written += chunk.Length)
        {
            reader.Write(chunk);
        }

        reader.Write(Encoding.UTF8.GetBytes(tail));
        reader.Complete();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"reading 8 MiB allocated {allocated} bytes");
        Assert.Equal(4_000_000, reader.Facts.OutputTokens);
        Assert.Equal(new[] { "length" }, reader.Facts.FinishReasons);
        Assert.True(reader.Facts.Terminal);
    }

    [Fact]
    public void TextPastItsLimitIsCountedNotKept()
    {
        var text = new TextSink(5);
        var reader = new ResponseReader(BodyKind.Json, text, null);
        reader.Write(WireSamples.Utf8(WireSamples.AnthropicMessage));
        reader.Complete();
        Assert.True(text.Overflowed);
        Assert.Equal(8, text.TotalBytes);
        Assert.Equal("Hi th", text.ToString());
        Assert.Equal(7, reader.Facts.OutputTokens);

        var cut = new TextSink(7);
        cut.Append("ab\u00e9\u00e9\u00e9"u8);
        Assert.Equal(4, cut.Length);
        Assert.Equal("ab\u00e9\u00e9", cut.ToString());
    }

    [Theory]
    [InlineData("", 64)]
    [InlineData("plain", 64)]
    [InlineData("caf\u00e9 \u20ac \U0001F600 \u4e2d\u6587", 64)]
    [InlineData("\U0001F600\U0001F600", 6)]
    [InlineData("a\u20ac", 3)]
    public void TheTextsLengthIsCountedFromItsBytesAsTheStringWouldHaveIt(string written, int limit)
    {
        // Counted before and after the string is made: both are the string's own Length (UTF-16 code units, a code
        // point cut by the limit left out).
        var text = new TextSink(limit);
        text.Append(System.Text.Encoding.UTF8.GetBytes(written));
        var counted = text.Length;
        Assert.Equal(text.ToString().Length, counted);
        Assert.Equal(counted, text.Length);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public void ACompressedBodyIsReadOnTheSide(string coding)
    {
        foreach (var (kind, body) in new[]
            {
                (BodyKind.EventStream, WireSamples.AnthropicStream),
                (BodyKind.Json, WireSamples.ChatCompletion)
            })
        {
            var compressed = Compress(coding, WireSamples.Utf8(body));
            var text = new TextSink(1024);
            var reader = new ResponseReader(kind, text, null);
            Assert.True(ContentDecoder.TryCreate(coding, reader, 1 << 20, out var decoder));
            using (decoder)
            {
                for (var i = 0; i < compressed.Length; i++)
                {
                    decoder!.Write(compressed.AsSpan(i, 1));
                }
            }

            reader.Complete();
            Assert.True(reader.Facts.Terminal, coding + " " + kind);
            Assert.False(reader.Facts.Malformed);
            Assert.NotNull(reader.Facts.InputTokens);
            Assert.NotEmpty(text.ToString());
        }
    }

    [Fact]
    public void AnUnknownCodingIsNotRead()
    {
        var reader = new ResponseReader(BodyKind.Json, null, null);
        Assert.False(ContentDecoder.TryCreate("zstd", reader, 1 << 20, out _));
        Assert.False(ContentDecoder.TryCreate("gzip, br", reader, 1 << 20, out _));
        Assert.True(ContentDecoder.TryCreate("identity", reader, 1 << 20, out var none));
        Assert.Null(none);
    }

    [Theory]
    [InlineData("gzip, identity")]
    [InlineData("identity, gzip")]
    [InlineData("x-gzip,")]
    public void IdentityBesideACodingIsNoCodingAtAllAsForARequest(string contentEncoding)
    {
        // The runtime reads a request's Content-Encoding the same way (Gateway.Tests, ContentCodingTests).
        var compressed = Compress("gzip", WireSamples.Utf8(WireSamples.ChatCompletion));
        var reader = new ResponseReader(BodyKind.Json, null, null);
        Assert.True(ContentDecoder.TryCreate(contentEncoding, reader, 1 << 20, out var decoder));
        using (decoder)
        {
            Assert.NotNull(decoder);
            decoder!.Write(compressed);
        }

        reader.Complete();
        Assert.True(reader.Facts.Terminal);
        Assert.Equal("chatcmpl-abc", reader.Facts.ResponseId);
        Assert.Equal(12L, reader.Facts.InputTokens);
    }

    [Fact]
    public void ABombStopsTheDecoderAtItsLimit()
    {
        var bomb = Compress("gzip", new byte[4 * 1024 * 1024]);
        var reader = new ResponseReader(BodyKind.Json, null, null);
        Assert.True(ContentDecoder.TryCreate("gzip", reader, 1024 * 1024, out var decoder));
        using (decoder)
        {
            decoder!.Write(bomb);
            Assert.True(decoder.Stopped);
        }
    }

    /// <summary>
    /// Cache and reasoning counts on the providers' wire samples: input counted with the cached tokens (Anthropic's
    /// added, OpenAI's already in), reasoning within output.
    /// </summary>
    private static readonly (
        string Name,
        BodyKind Kind,
        string Body,
        long Input,
        long Output,
        long? CacheRead,
        long? CacheCreation,
        long? Reasoning
    )[] UsageShapes =
    {
        ("anthropic-cache-read", BodyKind.Json, WireSamples.AnthropicCachedMessage, 14 + 2186, 9, 2186, 0, null),
        ("anthropic-cache-write-stream",
            BodyKind.EventStream,
            WireSamples.AnthropicCachedStream,
            3 + 1854,
            27,
            0,
            1854,
            null),
        ("openai-chat-cached", BodyKind.Json, WireSamples.ChatCachedCompletion, 2006, 300, 1920, null, 0),
        ("openai-chat-cached-stream", BodyKind.EventStream, WireSamples.ChatCachedStream, 1536, 2, 1408, null, 0),
        ("openai-chat-reasoning", BodyKind.Json, WireSamples.ChatReasoningCompletion, 75, 1186, 0, null, 1024),
        ("responses-cached-reasoning", BodyKind.Json, WireSamples.ResponseCachedReasoning, 3072, 610, 2944, null, 576),
        ("responses-cached-reasoning-stream",
            BodyKind.EventStream,
            WireSamples.ResponseCachedReasoningStream,
            3072,
            610,
            2944,
            null,
            576),
        ("anthropic-no-cache-fields-stream",
            BodyKind.EventStream,
            WireSamples.AnthropicStream,
            25,
            15,
            null,
            null,
            null),
    };

    public static TheoryData<string, int> UsageShapesInPieces
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var shape in UsageShapes)
            {
                foreach (var size in new[] { 0, 1, 7, 4096 })
                {
                    data.Add(shape.Name, size);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(UsageShapesInPieces))]
    public void CacheAndReasoningTokensAreReadInTheSamePass(string name, int pieceSize)
    {
        var shape = UsageShapes.Single(s => s.Name == name);
        var (facts, _, _) = Read(shape.Kind, shape.Body, pieceSize);
        Assert.True(facts.Terminal);
        Assert.Equal(shape.Input, facts.InputTokens);
        Assert.Equal(shape.Output, facts.OutputTokens);
        Assert.Equal(shape.CacheRead, facts.CacheReadInputTokens);
        Assert.Equal(shape.CacheCreation, facts.CacheCreationInputTokens);
        Assert.Equal(shape.Reasoning, facts.ReasoningOutputTokens);
    }

    /// <summary>
    /// The tier each API says it served, in every shape it states one, whatever the pieces: null where none is stated.
    /// </summary>
    private static readonly (string Name, BodyKind Kind, string Body, string? Tier)[] ServiceTierShapes =
    {
        ("openai-chat", BodyKind.Json, WireSamples.ChatPriorityCompletion, "priority"),
        ("openai-chat-stream", BodyKind.EventStream, WireSamples.ChatPriorityStream, "priority"),
        ("openai-responses", BodyKind.Json, WireSamples.ResponseFlex, "flex"),
        ("openai-responses-stream-served-not-asked", BodyKind.EventStream, WireSamples.ResponseFlexStream, "flex"),
        ("anthropic-message", BodyKind.Json, WireSamples.AnthropicCachedMessage, "standard"),
        ("anthropic-stream", BodyKind.EventStream, WireSamples.AnthropicCachedStream, "standard"),
        ("none-stated", BodyKind.EventStream, WireSamples.ChatStream, null),
        ("not-a-token",
            BodyKind.Json,
            WireSamples.ChatPriorityCompletion.Replace("\"priority\"", "\"pri ority\""),
            null),
        ("too-long",
            BodyKind.Json,
            WireSamples.ChatPriorityCompletion.Replace("\"priority\"", "\"" + new string('p', 33) + "\""),
            null),
        ("not-a-string",
            BodyKind.Json,
            WireSamples.ChatPriorityCompletion.Replace("\"priority\"", "{\"tier\":\"priority\"}"),
            null),
        ("an-array", BodyKind.Json, WireSamples.ChatPriorityCompletion.Replace("\"priority\"", "[\"priority\"]"), null),
        ("escaped",
            BodyKind.Json,
            WireSamples.ChatPriorityCompletion.Replace("\"priority\"", "\"\\u0070riority\""),
            "priority"),
    };

    public static TheoryData<string, int> ServiceTierShapesInPieces
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var shape in ServiceTierShapes)
            {
                foreach (var size in new[] { 0, 1, 4096 })
                {
                    data.Add(shape.Name, size);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ServiceTierShapesInPieces))]
    public void TheServedServiceTierIsReadInTheSamePass(string name, int pieceSize)
    {
        var shape = ServiceTierShapes.Single(s => s.Name == name);
        var (facts, _, _) = Read(shape.Kind, shape.Body, pieceSize);
        Assert.True(facts.Terminal);
        Assert.Equal(shape.Tier, facts.ServiceTier);
    }

    /// <summary>
    /// A value given as an array is no value: a string or number inside an array is nobody's model, id or count.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public void AValueGivenAsAnArrayIsNotRead(int pieceSize)
    {
        var body = WireSamples.ChatPriorityCompletion
            .Replace("\"gpt-4o-2024-08-06\"", "[\"gpt-4o-2024-08-06\"]")
            .Replace("\"id\":\"chatcmpl-p2\"", "\"id\":[\"chatcmpl-p2\"]")
            .Replace("\"prompt_tokens\":8", "\"prompt_tokens\":[8]");
        var (facts, text, _) = Read(BodyKind.Json, body, pieceSize);
        Assert.True(facts.Terminal);
        Assert.Null(facts.ResponseModel);
        Assert.Null(facts.ResponseId);
        Assert.Null(facts.InputTokens);
        Assert.Equal(1, facts.OutputTokens);
        Assert.Equal("priority", facts.ServiceTier);
        Assert.Equal("Fast", text);
    }

    private static (ResponseFacts Facts, string Text, int Events) Read(BodyKind kind, string body, int pieceSize)
    {
        var bytes = WireSamples.Utf8(body);
        var text = new TextSink(4096);
        var events = 0;
        var reader = new ResponseReader(kind, text, () => events++);
        var random = new Random(pieceSize);
        for (var i = 0; i < bytes.Length;)
        {
            // Size 0: random pieces of 1 to 40 bytes.
            var size = Math.Min(bytes.Length - i, pieceSize == 0 ? random.Next(1, 41) : pieceSize);
            reader.Write(bytes.AsSpan(i, size));
            i += size;
        }

        reader.Complete();
        return (reader.Facts, text.ToString(), events);
    }

    private static byte[] Compress(string coding, byte[] data)
    {
        using var output = new MemoryStream();
        using (Stream compressor = coding switch
        {
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }
}
