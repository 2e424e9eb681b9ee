using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Issue 40 item 4: the 1.41 structured content (<c>gen_ai.system_instructions</c>,
/// <c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>) in the latest convention mode with
/// content capture on, streamed answers included, bounded as the captured content is.
/// </summary>
public sealed class ConventionMessagesTests : IDisposable
{
    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    private static TracedLlmOptions Latest(bool capture = true, int maxContentLength = 16 * 1024) => new()
    {
        SemanticConventions = SemanticConventionMode.GenAiLatestExperimental,
        CaptureMessageContent = capture,
        MaxContentLength = maxContentLength,
    };

    [Fact]
    public async Task AChatRequestAndItsAnswerAreStructuredMessages()
    {
        var llm = await SendAsync(Latest(), "/v1/chat/completions",
            """{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi there"}"""
            + """]}""");

        // OpenAI keeps the system message in the chat history: it stays there (no gen_ai.system_instructions).
        AssertJson(
            """[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":["""
                + """{"type":"text","content":"hi there"}]}]""", llm, AttributeNames.GenAiInputMessages);
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiSystemInstructions));
        AssertJson(
            """[{"role":"assistant","parts":[{"type":"text","content":"Echo: hi there"}],"finish_reason":"stop"}]""",
            llm, AttributeNames.GenAiOutputMessages);
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiRequestStream));

        // The default capture is still there beside them.
        Assert.NotNull(llm.GetTagItem(AttributeNames.LangfuseObservationInput));
        Assert.NotNull(llm.GetTagItem(AttributeNames.LangfuseObservationOutput));
    }

    [Fact]
    public async Task AnthropicsSystemFieldIsTheSystemInstructions()
    {
        var llm =
            await SendAsync(Latest(), "/v1/messages",
                """{"model":"claude","max_tokens":32,"system":[{"type":"text","text":"answer in French"}]"""
                + ""","messages":[{"role":"user","content":[{"type":"text","text":"hello there"}]}]}""");

        AssertJson("""[{"type":"text","content":"answer in French"}]""", llm, AttributeNames.GenAiSystemInstructions);
        AssertJson("""[{"role":"user","parts":[{"type":"text","content":"hello there"}]}]""", llm,
            AttributeNames.GenAiInputMessages);
        AssertJson(
            """[{"role":"assistant","parts":[{"type":"text","content":"Echo: hello there"}],"finish_reason":"stop"}]""",
            llm, AttributeNames.GenAiOutputMessages);
    }

    [Theory]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"stream these words"}]}""",
        "Echo: stream these words")]
    [InlineData("/v1/messages",
        """{"model":"claude","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hello there"}]}""",
        "Echo: hello there")]
    public async Task AStreamedAnswerIsCapturedAsOneOutputMessage(string path, string body, string text)
    {
        var llm = await SendAsync(Latest(), path, body);

        Assert.Equal(true, llm.GetTagItem(AttributeNames.GenAiRequestStream));
        var output = JsonNode.Parse((string)llm.GetTagItem(AttributeNames.GenAiOutputMessages)!)!.AsArray();
        var message = Assert.Single(output)!;
        Assert.Equal("assistant", (string?)message["role"]);
        Assert.Equal("stop", (string?)message["finish_reason"]);
        Assert.Equal(text, (string?)message["parts"]![0]!["content"]);

        // Langfuse reads its own output key before the conventions' messages (its input key is set): the same text is
        // there.
        Assert.Equal(
            llm.GetTagItem(AttributeNames.GenAiOutputMessages),
            llm.GetTagItem(AttributeNames.LangfuseObservationOutput));
    }

    [Fact]
    public async Task TheDefaultModeAndTheLatestModeWithoutCaptureRecordNoMessages()
    {
        const string Body = """{"model":"m","messages":[{"role":"user","content":"x"}]}""";
        var byDefault = await SendAsync(
            new TracedLlmOptions { CaptureMessageContent = true },
            "/v1/chat/completions",
            Body);
        _spans.Clear();
        var uncaptured = await SendAsync(Latest(capture: false), "/v1/chat/completions", Body);

        foreach (var llm in new[] { byDefault, uncaptured })
        {
            Assert.Null(llm.GetTagItem(AttributeNames.GenAiInputMessages));
            Assert.Null(llm.GetTagItem(AttributeNames.GenAiOutputMessages));
            Assert.Null(llm.GetTagItem(AttributeNames.GenAiSystemInstructions));
        }
    }

    [Theory]
    [InlineData("mask_input", true, false)]
    [InlineData("mask_output", false, true)]
    public async Task TheRequestsMasksSuppressTheMessagesToo(string mask, bool inputMasked, bool outputMasked)
    {
        var llm = await SendAsync(Latest(), "/v1/chat/completions",
            $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"{{{mask}}}":true}}""");

        Assert.Equal(inputMasked, llm.GetTagItem(AttributeNames.GenAiInputMessages) is null);
        Assert.Equal(outputMasked, llm.GetTagItem(AttributeNames.GenAiOutputMessages) is null);
    }

    [Fact]
    public async Task LongContentIsCutInsideTheJsonWithTheMarker()
    {
        var llm = await SendAsync(Latest(maxContentLength: 90), "/v1/chat/completions",
            """{"model":"m","messages":[{"role":"user","content":"a long prompt that goes on and on and on and on """
            + """and on and on and on and on"}]}""");

        var input = (string)llm.GetTagItem(AttributeNames.GenAiInputMessages)!;
        Assert.True(input.Length <= 90, input);
        var content = (string?)JsonNode.Parse(input)![0]!["parts"]![0]!["content"];
        Assert.EndsWith(TelemetryLimits.TruncationMarker, content, StringComparison.Ordinal);
        Assert.StartsWith("a long prompt", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACredentialInAMessageIsRedacted()
    {
        var llm = await SendAsync(Latest(), "/v1/chat/completions",
            """{"model":"m","messages":[{"role":"user","content":"my key is """
            + """sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"}]}""");

        var input = (string)llm.GetTagItem(AttributeNames.GenAiInputMessages)!;
        Assert.DoesNotContain("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD", input, StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(input));
    }

    [Fact]
    public async Task EachModesSpansCarryTheSchemaUrlOfTheReleaseItFollows()
    {
        const string Body =
            """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"trace_user_id":"u"}}""";
        using (var host = new GatewayHost().WithServices(s => s.AddSingleton(Latest(capture: false))))
        using (var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body)))
        {
            var latest = await _spans.SingleTraceAsync();
            Assert.True(latest.Spans.Count >= 5);
            Assert.All(
                latest.Spans,
                s => Assert.Equal("https://opentelemetry.io/schemas/1.41.0", s.Source.TelemetrySchemaUrl)
            );
            Assert.All(latest.Spans, s => Assert.Equal(TracedLlmTelemetry.SourceName, s.Source.Name));
        }

        _spans.Clear();
        using (var host = new GatewayHost())
        using (var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body)))
        {
            var byDefault = await _spans.SingleTraceAsync();
            Assert.All(
                byDefault.Spans,
                s => Assert.Equal("https://opentelemetry.io/schemas/1.37.0", s.Source.TelemetrySchemaUrl)
            );
        }
    }

    [Fact]
    public async Task AGuardrailThatFailedIsAnErrorEvaluationWithItsErrorType()
    {
        var flaky = new GuardrailTests.TestGuardrail(
            "flaky",
            GuardrailMode.PreCall,
            (_, _) => throw new TimeoutException("moderation service timed out"));
        using var host = new GatewayHost()
            .With("TracedLlm:SemanticConventions", "GenAiLatestExperimental")
            .WithServices(s => s.AddSingleton<ILlmGuardrail>(flaky));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);

        var llm = (await _spans.SingleTraceAsync()).Single("chat m");
        var result = Assert.Single(
            llm.Events,
            e =>
                e.Name == "gen_ai.evaluation.result"
                && e.Tags.Any(t => t.Key == "gen_ai.evaluation.name" && (string?)t.Value == "flaky"));
        Assert.Equal("error", result.Tags.Single(t => t.Key == "gen_ai.evaluation.score.label").Value);
        Assert.Equal(
            typeof(TimeoutException).FullName,
            result.Tags.Single(t => t.Key == AttributeNames.ErrorType).Value);
    }

    [Fact]
    public void OpenAiToolCallsAndToolAnswersAreToolParts()
    {
        var (system, input) = GenAiMessages.FromRequest(Utf8("""
            {"model":"gpt-4o","messages":[
              {"role":"developer","content":"use tools"},
              {"role":"user","content":[{"type":"text","text":"Weather in Paris?"},
                  {"type":"image_url","image_url":{"url":"https://example.com/paris.png"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                  "function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"rainy, 57F"}]}
            """), 1000);

        Assert.Null(system);
        AssertJson("""
            [{"role":"system","parts":[{"type":"text","content":"use tools"}]},
             {"role":"user","parts":[{"type":"text","content":"Weather in Paris?"},
                 {"type":"uri","modality":"image","uri":"https://example.com/paris.png"}]},
             {"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather",
                 "arguments":{"location":"Paris"}}]},
             {"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"rainy, 57F"}]}]
            """, input);

        var output = GenAiMessages.FromResponse(Utf8("""
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o",
                "choices":[{"index":0,"message":{"role":"assistant","content":null,
             "tool_calls":[{"id":"call_2","type":"function",
                 "function":{"name":"get_weather","arguments":"{\"location\":\"Lyon\"}"}}]},
                 "finish_reason":"tool_calls"}]}
            """), 1000);
        AssertJson(
            """[{"role":"assistant","parts":[{"type":"tool_call","id":"call_2","name":"get_weather","arguments":"""
                + """{"location":"Lyon"}}],"finish_reason":"tool_call"}]""", output);
    }

    [Fact]
    public void AnthropicToolUseThinkingAndInlineImagesAreTheirParts()
    {
        var (system, input) = GenAiMessages.FromRequest(Utf8("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are terse.","messages":[
              {"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png",
                  "data":"iVBORw0KGgo="}},{"type":"text","text":"What is this?"}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"png"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"a tiny image"}]}]}
            """), 1000);

        AssertJson("""[{"type":"text","content":"You are terse."}]""", system);
        AssertJson("""
            [{"role":"user","parts":[{"type":"blob","modality":"image","mime_type":"image/png",
                "content":"iVBORw0KGgo="},{"type":"text","content":"What is this?"}]},
             {"role":"assistant","parts":[{"type":"tool_call","id":"toolu_1","name":"lookup","arguments":{"q":"png"}}]},
             {"role":"user","parts":[{"type":"tool_call_response","id":"toolu_1","response":"a tiny image"}]}]
            """, input);

        var output = GenAiMessages.FromResponse(Utf8("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
             "content":[{"type":"thinking","thinking":"It is a PNG header.","signature":"sig"},
                 {"type":"text","text":"A PNG image."}],
             "stop_reason":"max_tokens","usage":{"input_tokens":10,"output_tokens":5}}
            """), 1000);
        AssertJson(
            """[{"role":"assistant","parts":[{"type":"reasoning","content":"It is a PNG header."},"""
                + """{"type":"text","content":"A PNG image."}],"finish_reason":"length"}]""", output);
    }

    [Fact]
    public void OpenAiResponsesInstructionsInputAndOutputItemsAreMapped()
    {
        var (system, input) = GenAiMessages.FromRequest(Utf8("""
            {"model":"gpt-5","instructions":"Be kind.","input":[
              {"role":"user","content":[{"type":"input_text","text":"Add 2 and 3"}]},
              {"type":"function_call","call_id":"fc_1","name":"add","arguments":"{\"a\":2,\"b\":3}"},
              {"type":"function_call_output","call_id":"fc_1","output":"5"}]}
            """), 1000);
        AssertJson("""[{"type":"text","content":"Be kind."}]""", system);
        AssertJson("""
            [{"role":"user","parts":[{"type":"text","content":"Add 2 and 3"}]},
             {"role":"assistant","parts":[{"type":"tool_call","id":"fc_1","name":"add","arguments":{"a":2,"b":3}}]},
             {"role":"tool","parts":[{"type":"tool_call_response","id":"fc_1","response":"5"}]}]
            """, input);

        var output = GenAiMessages.FromResponse(Utf8("""
            {"id":"resp_1","object":"response","status":"completed","model":"gpt-5","output":[
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Simple sum."}]},
              {"type":"message","id":"msg_1","role":"assistant",
                  "content":[{"type":"output_text","text":"2 + 3 = 5","annotations":[]}]}]}
            """), 1000);
        AssertJson(
            """[{"role":"assistant","parts":[{"type":"reasoning","content":"Simple sum."},"""
                + """{"type":"text","content":"2 + 3 = 5"}],"finish_reason":"stop"}]""", output);
    }

    [Fact]
    public void ABodyOfAnotherShapeOrNotJsonGivesNothing()
    {
        Assert.Equal((null, null), GenAiMessages.FromRequest(Utf8("""{"model":"m","input_ids":[1,2]}"""), 100));
        Assert.Null(GenAiMessages.FromResponse(Utf8("""{"data":[{"embedding":[0.1]}]}"""), 100));
        Assert.Null(GenAiMessages.FromResponse(Utf8("""{"choices":[{"mess"""), 100));
    }

    [Theory]
    [InlineData(null, "stop")]
    [InlineData("end_turn", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_call")]
    [InlineData("tool_calls", "tool_call")]
    [InlineData("content_filter", "content_filter")]
    [InlineData("refusal", "content_filter")]
    [InlineData("something_new", "something_new")]
    public void FinishReasonsAreTheConventionsValues(string? provider, string expected) =>
        Assert.Equal(expected, GenAiMessages.FinishReason(provider));

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    private static void AssertJson(string expected, Activity span, string key) =>
        AssertJson(expected, (string?)span.GetTagItem(key));

    private static void AssertJson(string expected, string? actual)
    {
        Assert.NotNull(actual);
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)),
            $"expected {expected}{Environment.NewLine}actual   {actual}");
    }

    private async Task<Activity> SendAsync(TracedLlmOptions options, string path, string body)
    {
        using var host = new GatewayHost().WithServices(s => s.AddSingleton(options));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();
        var tree = await _spans.SingleTraceAsync();
        return Assert.Single(tree.Spans, s => s.GetTagItem(AttributeNames.LangfuseObservationType) is "generation");
    }
}
