using System;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TracedLlm.Gateway.Fixture;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The provider's own <c>metadata</c> (OpenAI's chat completions: stored completions) on the fixture
/// gateway's untyped routes: kept whole where gateway metadata has a slot of its own, shared where
/// the slot is <c>metadata</c> too (the gateway's keys taken, the rest forwarded), never a gateway 400
/// for a value that is the provider's; and the start-up message that says what a slot consumes.
/// </summary>
public sealed class ProviderMetadataTests : IDisposable
{
    private const string AzurePath = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
    private const string OpenAiPath = "/v1/chat/completions";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task WithGatewayMetadataInItsOwnSlotTheProvidersMetadataReachesTheBackendAsSent()
    {
        await using var gateway = await FixtureGateway.StartAsync("/openai/deployments/{deployment}/chat/completions",
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(200) }));
        using var response = await gateway.PostAsync(AzurePath,
            """{"store":true,"metadata":{"purpose":"eval", "user_id":"u-7"},"litellm_metadata":"""
            + """{"generation_name":"azure-chat","trace_user_id":"alice"},"messages":"""
            + """[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(gateway.Backends[0].Received).Body;
        Assert.Equal(
            """{"store":true,"metadata":{"purpose":"eval", "user_id":"u-7"},"messages":"""
                + """[{"role":"user","content":"hi"}]}""",
            sent);
        var tree = await _spans.SingleTraceAsync();
        var llm = tree.Single("azure-chat");
        Assert.Equal("alice", llm.GetTagItem(AttributeNames.LangfuseUserId));
    }

    [Theory]
    [InlineData("\"tag-1\"")]
    [InlineData("[1,2]")]
    [InlineData("7")]
    public async Task AProviderMetadataThatIsNotAnObjectIsTheBackendsBusinessNotAGateway400(string value)
    {
        await using var gateway = await FixtureGateway.StartAsync(
            "/openai/deployments/{deployment}/chat/completions",
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(200) }));
        var body = $$"""{"metadata":{{value}},"messages":[{"role":"user","content":"hi"}]}""";
        using var response = await gateway.PostAsync(AzurePath, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Assert.Single(gateway.Backends[0].Received).Body);
    }

    [Fact]
    public async Task ASharedSlotGivesTheGatewayItsKeysAndTheBackendTheRest()
    {
        await using var gateway = await FixtureGateway.StartAsync(OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(200) }));
        using var response = await gateway.PostAsync(OpenAiPath,
            """{"model":"gpt-4o","store":true,"metadata":{"generation_name":"shared-chat","purpose":"eval","tags":"""
            + """["batch-7"],"environment":{"region":"eu"},"trace_user_id":"alice","mask_input":"no"},"messages":[]"""
            + """}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The gateway took its keys of its types; an 'environment' object and a string 'mask_input' are the provider's.
        var sent = JsonNode.Parse(Assert.Single(gateway.Backends[0].Received).Body)!;
        Assert.Equal("""{"purpose":"eval","environment":{"region":"eu"},"mask_input":"no"}""",
            sent["metadata"]!.ToJsonString());
        Assert.True((bool)sent["store"]!);
        var tree = await _spans.SingleTraceAsync();
        var llm = tree.Single("shared-chat");
        Assert.Equal("alice", llm.GetTagItem(AttributeNames.LangfuseUserId));
        Assert.Equal(new[] { "batch-7" }, (string[])llm.GetTagItem(AttributeNames.LangfuseTraceTags)!);

        // The provider's keys are not the gateway's observation metadata (the gateway's own facts, mirrored there,
        // are).
        Assert.DoesNotContain(
            llm.TagObjects,
            t =>
                t.Key.StartsWith(AttributeNames.LangfuseObservationMetadataPrefix, StringComparison.Ordinal)
                && t.Key != AttributeNames.LangfuseMetadataBackendId);
        Assert.Null(llm.GetTagItem(AttributeNames.LangfuseEnvironment));
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","metadata":{"generation_name":"only-ours"},"messages":[]}""",
        """{"model":"gpt-4o","messages":[]}""")]
    [InlineData("""{"metadata":{"generation_name":"only-ours"},"model":"gpt-4o","messages":[]}""",
        """{"model":"gpt-4o","messages":[]}""")]
    [InlineData("""{"model":"gpt-4o","metadata":{"purpose":"eval"},"messages":[]}""",
        """{"model":"gpt-4o","metadata":{"purpose":"eval"},"messages":[]}""")]
    [InlineData("""{"model":"gpt-4o","metadata": { "a" : 1 ,"generation_name" : "x", "b":[true] } ,"messages":[]}""",
        """{"model":"gpt-4o","metadata": {"a" : 1,"b":[true]} ,"messages":[]}""")]
    [InlineData("""{"model":"gpt-4o","metadata":"a-string","messages":[]}""",
        """{"model":"gpt-4o","metadata":"a-string","messages":[]}""")]
    [InlineData("""{"model":"gpt-4o","metadata":null,"messages":[]}""",
        """{"model":"gpt-4o","metadata":null,"messages":[]}""")]
    [InlineData("""{"model":"gpt-4o","metadata":{},"messages":[]}""",
        """{"model":"gpt-4o","metadata":{},"messages":[]}""")]
    public async Task ASharedSlotIsCutOnlyOfTheGatewaysKeys(string body, string forwarded)
    {
        await using var gateway = await FixtureGateway.StartAsync(
            OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(200) }));
        using var response = await gateway.PostAsync(OpenAiPath, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(forwarded, Assert.Single(gateway.Backends[0].Received).Body);
    }

    [Fact]
    public async Task TheStartUpReportSaysWhatEachSlotOnAProviderFieldConsumes()
    {
        var logs = new CoverageTests.LogCapture();

        // The sample's chat route keeps the default: the gateway takes the whole 'metadata'.
        using (var sample = new GatewayHost().WithServices(s => s.AddSingleton<ILoggerProvider>(logs)))
        {
            sample.CreateClient().Dispose();
        }

        var taken = Assert.Single(
            logs.Entries,
            e =>
                e.Category == TracedLlmStartupReport.LoggerCategory
                && e.Message.Contains("reads gateway metadata from 'metadata'", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, taken.Level);
        const string None = "or MetadataSlot = MetadataSlots.None if the route never had gateway metadata";
        Assert.Contains(None, taken.Message, StringComparison.Ordinal);
        Assert.StartsWith(
            "POST /v1/chat/completions reads gateway metadata from 'metadata', a field OpenAI chat completions "
            + "defines too",
            taken.Message,
            StringComparison.Ordinal);

        // The fixture's OpenAI-compatible route shares it, and says which keys are the gateway's.
        var fixtureLogs = new CoverageTests.LogCapture();
        var (app, _) = await LoopbackApp.StartAsync(
            services =>
                services
                    .AddFixtureGateway(
                        new[]
                        {
                            new BackendConfig
                            {
                                Id = "B",
                                Url = "http://127.0.0.1:9",
                                ApiKey = "k",
                                Models = new[] { "gpt-4o" }
                            }
                        })
                    .AddSingleton<ILoggerProvider>(fixtureLogs),
            app => app.MapFixtureGateway());
        await LoopbackApp.StopAsync(app);
        var reported = fixtureLogs.Entries.Where(e => e.Category == TracedLlmStartupReport.LoggerCategory).ToList();
        Assert.Equal(
            new[]
            {
                "POST /by-list/v1/chat/completions",
                "POST /by-priority/v1/chat/completions",
                "POST /groups/v1/chat/completions",
                "POST /v1/chat/completions"
            },
            reported
                .Select(e => e.Message[..e.Message.IndexOf(" shares", StringComparison.Ordinal)])
                .Order(StringComparer.Ordinal));
        var shared = Assert.Single(
            reported,
            e => e.Message.StartsWith("POST /v1/chat/completions", StringComparison.Ordinal));
        Assert.Equal(
            "POST /v1/chat/completions shares 'metadata' with OpenAI chat completions: the gateway takes only "
            + "generation_name, trace_name, existing_trace_id, trace_id, parent_observation_id, session_id, "
            + "trace_user_id, user_id, tags, trace_metadata, prompt, prompt_name, prompt_version, version, release, "
            + "environment, mask_input, mask_output (each of the JSON type it reads) and forwards every other key, "
            + "and a value that is not an object, upstream.",
            shared.Message);
    }
}
