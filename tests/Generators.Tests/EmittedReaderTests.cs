using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using TracedLlm.Pipeline;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// Runs the emitted Utf8JsonReader-based body reader of compiled routes: it reads only the route's
/// own slot and cuts exactly that slot out of the body forwarded upstream.
/// </summary>
public sealed class EmittedReaderTests
{
    private static readonly Lazy<Assembly> Routes = new(() =>
    {
        using var stream = new MemoryStream();
        var emit = GeneratorHarness.Run(Sources.Gateway).Output.Emit(stream);
        Assert.True(emit.Success);
        return Assembly.Load(stream.ToArray());
    });

    private static readonly Lazy<Assembly> SharedSlotRoutes = new(() =>
    {
        using var stream = new MemoryStream();
        var emit = GeneratorHarness.Run(Sources.SharedSlot).Output.Emit(stream);
        Assert.True(emit.Success);
        return Assembly.Load(stream.ToArray());
    });

    [Theory]
    [InlineData("""{"metadata":{"trace_name":"t"},"model":"m"}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","metadata":{"trace_name":"t"},"stream":false}""", """{"model":"m","stream":false}""")]
    [InlineData("""{"model":"m","metadata":{"trace_name":"t"}}""", """{"model":"m"}""")]
    [InlineData("""{"metadata":{"trace_name":"t"}}""", """{}""")]
    [InlineData("{\n  \"model\": \"m\",\n  \"metadata\" : { \"trace_name\": \"t\" }\n}", "{\n  \"model\": \"m\"\n}")]
    [InlineData("""{ "metadata" : {"trace_name":"t"} , "model":"m"}""", """{  "model":"m"}""")]
    [InlineData("""{"meta\u0064ata":{"trace_name":"t"},"model":"m"}""", """{"model":"m"}""")]
    public void ChatRouteCutsItsSlotWhereverItStands(string body, string upstream)
    {
        var envelope = Read("Contoso_Gateway_Routes_Chat", body);

        Assert.Null(envelope.Error);
        Assert.Equal("t", envelope.Metadata.TraceName);
        Assert.Equal(upstream, Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
        Assert.Equal(body, Encoding.UTF8.GetString(envelope.Body.Span));
    }

    [Theory]
    [InlineData(
        """{"model":"m","metadata":{"trace_name":"t","purpose":"eval"}}""",
        """{"model":"m","metadata":{"purpose":"eval"}}"""
    )]
    [InlineData(
        """{"metadata":{"purpose":"eval","trace_name":"t","tier":"b"},"model":"m"}""",
        """{"metadata":{"purpose":"eval","tier":"b"},"model":"m"}"""
    )]
    [InlineData("""{"metadata":{"trace_name":"t"},"model":"m"}""", """{"model":"m"}""")]
    [InlineData(
        """{"model":"m","metadata":{"trace_name":"t","tags":"not-an-array"}}""",
        """{"model":"m","metadata":{"tags":"not-an-array"}}"""
    )]
    public void ASharedSlotRouteCutsOnlyTheGatewaysKeys(string body, string upstream)
    {
        var envelope = Read("Contoso_Shared_Routes_SharedChat", body, assembly: SharedSlotRoutes.Value);

        Assert.Null(envelope.Error);
        Assert.Equal("t", envelope.Metadata.TraceName);
        Assert.Empty(envelope.Metadata.Tags);
        Assert.Empty(envelope.Metadata.ObservationMetadata);
        Assert.Equal(upstream, Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
    }

    [Theory]
    [InlineData("""{"model":"m","metadata":"a string"}""")]
    [InlineData("""{"model":"m","metadata":[{"trace_name":"t"}]}""")]
    [InlineData("""{"model":"m","metadata":{"purpose":"eval"}}""")]
    public void ASharedSlotRouteLeavesTheProvidersValueAlone(string body)
    {
        var envelope = Read("Contoso_Shared_Routes_SharedChat", body, assembly: SharedSlotRoutes.Value);

        Assert.Null(envelope.Error);
        Assert.False(envelope.Metadata.IsPresent);
        Assert.Equal(body, Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
    }

    [Fact]
    public void MessagesRouteReadsLiteLlmMetadataAndKeepsTheNativeMetadata()
    {
        const string body =
            """{"model":"claude","metadata":{"user_id":"native"},"litellm_metadata":"""
            + """{"trace_user_id":"gateway-user","generation_name":"g"},"max_tokens":9}""";
        var envelope = Read("Contoso_Gateway_Routes_Messages", body);

        Assert.Equal("gateway-user", envelope.Metadata.UserId);
        Assert.Equal("g", envelope.Metadata.GenerationName);
        Assert.Equal("claude", envelope.Parameters.Model);
        Assert.Equal(9, envelope.Parameters.MaxTokens);
        Assert.Equal(
            """{"model":"claude","metadata":{"user_id":"native"},"max_tokens":9}""",
            Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
    }

    [Fact]
    public void MessagesRouteNeverReadsTheOtherSlot()
    {
        const string body =
            """{"model":"claude","metadata":"""
            + """{"trace_user_id":"wrong-slot","existing_trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}""";
        var envelope = Read("Contoso_Gateway_Routes_Messages", body);

        Assert.False(envelope.Metadata.IsPresent);
        Assert.Null(envelope.Metadata.UserId);
        Assert.Null(envelope.Metadata.ExistingTraceId);
        Assert.Equal(body, Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
    }

    [Fact]
    public void CustomSlotIsReadAndCut()
    {
        var envelope = Read(
            "Contoso_Gateway_Routes_Embeddings",
            """{"input":"x","gateway_meta":{"session_id":"s","extra_key":{"a":1}}}""");

        Assert.Equal("s", envelope.Metadata.SessionId);
        Assert.Equal("""{"a":1}""", envelope.Metadata.ObservationMetadata["extra_key"]);
        Assert.Equal("""{"input":"x"}""", Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
    }

    [Fact]
    public void FullLangfusePromptObjectGivesNameAndVersion()
    {
        var envelope = Read(
            "Contoso_Gateway_Routes_Chat",
            """{"metadata":{"prompt":{"name":"support","version":3,"prompt":[{"role":"system","content":"x"}]"""
            + ""","config":{},"labels":["production"],"type":"chat","isFallback":false}}}""");

        Assert.Equal("support", envelope.Metadata.PromptName);
        Assert.Equal(3, envelope.Metadata.PromptVersion);
    }

    [Theory]
    [InlineData(
        """{"metadata":{},"metadata":{}}""",
        "The request body is ambiguous at $.metadata: the property appears more than once in its object (once it is "
        + "unescaped). Send each property once, spelled as the API spells it."
    )]
    [InlineData("""{"metadata":{"mask_input":"yes"}}""", "'metadata.mask_input' must be true or false, not a string.")]
    [InlineData(
        """{"metadata":{"trace_metadata":[1]}}""",
        "'metadata.trace_metadata' must be an object, not an array."
    )]
    public void WrongShapesAreClientErrorsNamingTheKey(string body, string message)
    {
        // Strict metadata: the route's request type has no 'metadata' member, so by default such values are left out.
        var exception = Assert.Throws<TargetInvocationException>(
            () => Read("Contoso_Gateway_Routes_Chat", body, strictMetadata: true));
        Assert.Equal(message, Assert.IsType<InvalidLlmRequestException>(exception.InnerException).Message);
    }

    [Theory]
    [InlineData("""{"model":"m","metadata":"x"}""", true)]
    [InlineData("""{"model":"m","metadata":{"mask_input":"yes","trace_name":"t"}}""", false)]
    [InlineData("""{"model":"m","metadata":{"trace_metadata":[1],"prompt":{"name":5},"trace_name":"t"}}""", false)]
    public void ATypeThatNeverReadTheSlotLeavesAWrongTypedValueAsSent(string body, bool keptInBody)
    {
        var envelope = Read("Contoso_Gateway_Routes_Chat", body);

        // A value that is not an object stays for the app, as the client sent it; a wrong-typed key is not read.
        var upstream = Encoding.UTF8.GetString(envelope.UpstreamBody.Span);
        Assert.Equal(keptInBody, upstream.Contains("metadata", StringComparison.Ordinal));
        Assert.Equal(keptInBody ? null : "t", envelope.Metadata.TraceName);
        Assert.False(envelope.Metadata.MaskInput);
        Assert.Empty(envelope.Metadata.TraceMetadata);
        Assert.Null(envelope.Metadata.PromptName);
    }

    [Theory]
    [InlineData("""{"model":"a","model":"b"}""", "at $.model: the property appears more than once")]
    [InlineData("""{"model":"a","\u006dodel":"b"}""", "at $.model: the property appears more than once")]
    [InlineData(
        """{"x":1,"messages":[{"role":"user","content":"a"},{"role":"user","content":"a","content":"b"}]}""",
        "at $.messages[1].content: the property appears more than once"
    )]
    [InlineData(
        """{"messages":[{"content":[{"type":"text","text":"a"},{"type":"text","text":"a","te\u0078t":"b"}]}]}""",
        "at $.messages[0].content[1].text: the property appears more than once"
    )]
    [InlineData("""{"tools":[{"a":1}],"tools":[]}""", "at $.tools: the property appears more than once")]
    [InlineData(
        """{"metadata":{"trace_name":"a","trace_name":"b"}}""",
        "at $.metadata.trace_name: the property appears more than once"
    )]
    [InlineData(
        """{"messages":[{"Content":"a","content":"b"}]}""",
        "at $.messages[0].content: 'content' and 'Content' differ only in case"
    )]
    [InlineData("""{"Model":"a"}""", "at $.Model: this route reads 'model' whatever its case")]
    [InlineData(
        """{"model":"a","MAX_TOKENS":4096,"max_tokens":16}""",
        "at $.MAX_TOKENS: this route reads 'max_tokens' whatever its case"
    )]
    [InlineData(
        """{"model":"a","Metadata":{"trace_name":"t"}}""",
        "at $.Metadata: this route reads 'metadata' whatever its case"
    )]
    [InlineData("""{"model":"a","\u0053tream":true}""", "at $.Stream: this route reads 'stream' whatever its case")]
    [InlineData(
        """{"a":{"b":[{"c":1,"d":2,"e.f":3,"e.f":4}]}}""",
        "at $.a.b[0]['e.f']: the property appears more than once"
    )]
    public void BodiesThatReadTwoWaysAreRefusedNamingTheirPath(string body, string message)
    {
        var exception = Assert.Throws<TargetInvocationException>(() => Read("Contoso_Gateway_Routes_Chat", body));
        var refusal = Assert.IsType<InvalidLlmRequestException>(exception.InnerException);
        Assert.Contains("The request body is ambiguous " + message, refusal.Message, StringComparison.Ordinal);
        Assert.Equal(400, refusal.StatusCode);
        Assert.Equal("ambiguous_property_name", refusal.Code);
    }

    [Fact]
    public void LargeObjectsAreCheckedByHashAndCaseVariantsOfUnboundNamesAloneAreKept()
    {
        var names = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"k{i}\":{i}"));
        Assert.Null(Read("Contoso_Gateway_Routes_Chat", "{\"logit_bias\":{" + names + "}}").Error);
        var exception = Assert.Throws<TargetInvocationException>(() =>
            Read("Contoso_Gateway_Routes_Chat", "{\"logit_bias\":{" + names + ",\"K4321\":1}}"));
        Assert.Contains(
            "at $.logit_bias.K4321: 'K4321' and 'k4321' differ only in case",
            exception.InnerException!.Message,
            StringComparison.Ordinal);

        // A name no type binds may be spelled any way once; so may unrelated names that only share letters.
        var kept = Read(
            "Contoso_Gateway_Routes_Chat",
            """{"model":"m","messages":[{"Role":"user","TEXT":"a","text2":"b"}],"Modelx":1}""");
        Assert.Equal("m", kept.Parameters.Model);
    }

    [Fact]
    public void NoOtherCharacterEqualsAnAsciiOneIgnoringCaseSoTheCheckHashesAsciiNamesApart()
    {
        // The check hashes ASCII and other names in two ways: sound only while no name of one kind
        // equals a name of the other ignoring case, as OrdinalIgnoreCase (the serializer's matching) compares.
        for (var c = 0x80; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            for (var a = 0; a < 0x80; a++)
            {
                Assert.False(
                    string.Equals(((char)c).ToString(), ((char)a).ToString(), StringComparison.OrdinalIgnoreCase),
                    $"U+{c:X4} equals U+{a:X4} ignoring case");
            }
        }

        // So a name that differs from a bound one by such a look-alike is another name, for the serializer and the
        // check alike.
        Assert.Null(
            Read(
                "Contoso_Gateway_Routes_Chat",
                "{\"\u017ftream\":true,\"\u212aey\":1,\"key\":2,\"\u00e9t\u00e9\":1,\"\u00c9T\u00c9x\":2}").Error);
        var exception = Assert.Throws<TargetInvocationException>(() =>
            Read("Contoso_Gateway_Routes_Chat", "{\"\u00e9t\u00e9\":1,\"\u00c9T\u00c9\":2}"));
        Assert.Contains(
            "'ÉTÉ' and 'été' differ only in case",
            exception.InnerException!.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void TheOutputLimitIsMaxCompletionTokensWhateverTheOrder()
    {
        Assert.Equal(
            4096,
            Read(
                "Contoso_Gateway_Routes_Chat",
                """{"max_tokens":16,"max_completion_tokens":4096}""").Parameters.MaxTokens);
        Assert.Equal(
            4096,
            Read(
                "Contoso_Gateway_Routes_Chat",
                """{"max_completion_tokens":4096,"max_tokens":16}""").Parameters.MaxTokens);
        Assert.Equal(16, Read("Contoso_Gateway_Routes_Chat", """{"max_tokens":16}""").Parameters.MaxTokens);
    }

    [Fact]
    public void MetadataNestedTooDeeplyIsRejected()
    {
        var deep = "{\"metadata\":{\"trace_metadata\":" + new string('[', 9) + new string(']', 9) + "}}";
        var exception = Assert.Throws<TargetInvocationException>(() => Read("Contoso_Gateway_Routes_Chat", deep));
        Assert.Equal("'metadata' is nested deeper than 8 levels.", exception.InnerException!.Message);
        Assert.Null(
            Read(
                "Contoso_Gateway_Routes_Chat",
                "{\"metadata\":{\"x\":" + new string('[', 6) + new string(']', 6) + "}}").Error);
    }

    [Fact]
    public void MetadataOverTheLimitIsRejected()
    {
        var body = "{\"metadata\":{\"trace_name\":\"" + new string('x', 200) + "\"}}";
        var exception = Assert.Throws<TargetInvocationException>(() =>
            Read("Contoso_Gateway_Routes_Chat", body, maxMetadataBytes: 100));
        Assert.Equal("'metadata' is larger than the limit of 100 bytes.", exception.InnerException!.Message);
    }

    private static readonly Lazy<Assembly> ControllerRoutes = new(() =>
    {
        using var stream = new MemoryStream();
        var emit = GeneratorHarness.Run(SnapshotScenarios.Controllers).Output.Emit(stream);
        Assert.True(emit.Success);
        return Assembly.Load(stream.ToArray());
    });

    /// <summary>
    /// A route with no slot (a static handler's, an action's) reads nothing as gateway metadata and forwards the body
    /// whole.
    /// </summary>
    [Theory]
    [InlineData("Contoso_Controllers_Routes_Embeddings")]
    [InlineData("Contoso_Controllers_ChatController_Relay_affd018b")]
    public void ARouteWithNoSlotForwardsTheBodyAsItCame(string route)
    {
        const string Body =
            """{"model":"m","metadata":{"trace_name":"t","user_id":"u-1"},"litellm_metadata":{"generation_name":"g"}"""
            + """}""";
        var envelope = Read(route, Body, assembly: ControllerRoutes.Value);

        Assert.Null(envelope.Error);
        Assert.Null(envelope.Metadata.TraceName);
        Assert.Null(envelope.Metadata.GenerationName);
        Assert.Equal(Body, Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
        Assert.Equal("m", envelope.Parameters.Model);

        // It still reads one way only: a name given twice is refused as it is read.
        var refused = Assert.Throws<TargetInvocationException>(() =>
            Read(route, """{"model":"a","model":"b"}""", assembly: ControllerRoutes.Value));
        Assert.IsType<InvalidLlmRequestException>(refused.InnerException);
    }

    /// <summary>
    /// An action's reader, which MVC's binder reads after: the action's slot cut, the rest as it came.
    /// </summary>
    [Fact]
    public void AnActionsReaderCutsItsSlotForMvcsBinder()
    {
        var envelope = Read(
            "Contoso_Controllers_ChatController_Messages",
            """{"model":"m","metadata":{"user_id":"u"},"litellm_metadata":{"trace_name":"t"}}""",
            assembly: ControllerRoutes.Value);

        Assert.Equal("t", envelope.Metadata.TraceName);
        Assert.Equal(
            """{"model":"m","metadata":{"user_id":"u"}}""",
            Encoding.UTF8.GetString(envelope.UpstreamBody.Span));
    }

    private static RequestEnvelope Read(
        string route, string body, int maxMetadataBytes = 65536, Assembly? assembly = null, bool strictMetadata = false)
    {
        var type = (assembly ?? Routes.Value).GetType("TracedLlm.Generated." + route, throwOnError: true)!;
        var read = type.GetMethod("ReadEnvelope", BindingFlags.NonPublic | BindingFlags.Static)!;
        var options = new TracedLlmOptions { MaxMetadataBytes = maxMetadataBytes, StrictMetadata = strictMetadata };
        return (RequestEnvelope)
            read.Invoke(
                null,
                new object[] { new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(body)), options, RequestShape.Untyped }
            )!;
    }
}
