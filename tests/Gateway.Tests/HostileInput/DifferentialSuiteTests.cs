using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TracedLlm.Gateway.FaultRoutes;
using TracedLlm.Samples.Gateway;
using TracedLlm.Samples.Gateway.Policies;
using TracedLlm.Telemetry;
using Xunit.Abstractions;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The differential suite of the hostile-input suite: for every property the gateway reads or
/// forwards, of both wire formats, streamed and not, the duplicate, escaped-duplicate and
/// case-variant forms in both orders (<see cref="DifferentialCases"/>), sent to every kind of route:
/// the sample gateway as it ships (its chat route forwards the body, its messages route translates
/// it), and relay routes whose handler takes the sample's typed request, a <c>JsonElement</c>, a
/// <c>JsonNode</c>, or no body at all with YARP's forwarder sending the HTTP request on. Each
/// answered request is compared three ways and more: what the guardrail saw, what the trace
/// recorded, and what a fake upstream received, read as readers read JSON (the first of repeated
/// properties or the last, names matched as the route matches them or exactly), and the client's
/// own body read the same ways. Either every reading agrees, or the request was refused with a 4xx:
/// anything else is a bypass. No answer is a 5xx.
/// </summary>
public sealed class DifferentialSuiteTests(ITestOutputHelper output)
{
    private const string ApiKey = "sk-differential-2c71f0";

    [Fact]
    public async Task EveryRouteKindReadsEveryBodyOneWayOrRefusesIt()
    {
        var ledger = new Ledger();
        using var listener = ledger.Listen();
        var outcomes = new ConcurrentQueue<Outcome>();

        // The relay routes: each kind of handler, forwarding what it read.
        var upstream = new FakeUpstream(ledger);
        await using (var relay = await StartRelayAsync(ledger, upstream))
        {
            using var client = relay.GetTestClient();
            foreach (var shape in new[] { WireShape.OpenAIChat, WireShape.AnthropicMessages })
            {
                var path = shape == WireShape.OpenAIChat ? "/v1/chat/completions/" : "/v1/messages/";
                foreach (var kind in new[] { RouteKind.Typed, RouteKind.Element, RouteKind.Node, RouteKind.Forwarder })
                {
                    foreach (var stream in kind == RouteKind.Forwarder ? new[] { false } : new[] { false, true })
                    {
                        var target = new Target(
                            kind,
                            shape,
                            path + kind.ToString().ToLowerInvariant(),
                            Translated: false);
                        await RunAsync(
                            client,
                            target,
                            DifferentialCases.Generate(shape, stream, outcomes.Count),
                            ledger,
                            outcomes);
                    }
                }
            }
        }

        // The sample gateway on its typed path (it translates the Anthropic route onto the OpenAI-compatible
        // upstream), against a fake OpenAI-compatible upstream on a loopback port; the relay is the Forwarder kind.
        await using (var stub = await UpstreamStub.StartAsync(200))
        using (var sample = new GatewayHost()
            .With("Gateway:ApiKeys", ApiKey)
            .With("Upstream:BaseUrl", stub.BaseUrl)
            .With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false")
            .WithServices(services => services.AddSingleton<ILlmGuardrail>(new RecordingGuardrail(ledger))))
        {
            using var client = sample.CreateClient();
            foreach (var shape in new[] { WireShape.OpenAIChat, WireShape.AnthropicMessages })
            {
                foreach (var stream in new[] { false, true })
                {
                    // The chat route forwards the client's body when it does not stream; otherwise the sample
                    // translates the request.
                    var target = new Target(
                        RouteKind.Sample,
                        shape,
                        shape == WireShape.OpenAIChat ? "/v1/chat/completions" : "/v1/messages",
                        Translated: shape != WireShape.OpenAIChat || stream);
                    await RunAsync(
                        client,
                        target,
                        DifferentialCases.Generate(shape, stream, outcomes.Count),
                        ledger,
                        outcomes,
                        stub);
                }
            }
        }

        var all = outcomes.ToList();
        var summary =
            $"{all.Count} cases; statuses "
            + string.Join(", ", all.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"))
            + "; answered by kind "
            + string.Join(
                ", ",
                all.Where(o => o.Status == 200).GroupBy(o => o.Target.Kind).Select(g => $"{g.Key}x{g.Count()}"))
            + $"; {all.Count(o => o.Disagreements.Count > 0)} bypasses";
        output.WriteLine(summary);
        Assert.True(all.Count >= 1000, summary);
        Assert.True(
            all.All(o => o.Status < 500),
            summary + "\n" + string.Join("\n", all.Where(o => o.Status >= 500).Take(5).Select(o => o.Describe())));

        // Every well-formed control is answered, with every reading agreeing: the comparison is real.
        var controls = all.Where(o => o.Case.Form == AmbiguityForm.None).ToList();
        Assert.Equal(2 * (4 * 2 - 1) + 4, controls.Count);
        Assert.True(
            controls.All(o => o.Status == 200),
            summary + "\n" + string.Join("\n", controls.Where(o => o.Status != 200).Select(o => o.Describe())));

        // No bypass: an answered request was read one way by everyone.
        var bypasses = all.Where(o => o.Disagreements.Count > 0).ToList();
        Assert.True(
            bypasses.Count == 0,
            $"{bypasses.Count} bypasses. {summary}\n" + string.Join("\n", bypasses.Take(8).Select(o => o.Describe())));

        // A repeated property, however it is spelled, is refused as ambiguous, naming its path.
        var repeated = all.Where(o =>
                o.Case.Form is AmbiguityForm.Duplicate or AmbiguityForm.EscapedDuplicate
                    or AmbiguityForm.CaseVariantPair)
            .ToList();
        Assert.All(
            repeated,
            o =>
                Assert.True(
                    o.Status == 400 && o.Text.Contains("The request body is ambiguous at $", StringComparison.Ordinal),
                    o.Describe()));

        // A lone case variant is refused where the route reads the name whatever its case, and read
        // one way elsewhere (a name no reader binds, such as a content part's "Text"): both happen.
        var lone = all.Where(o =>
                o.Case.Form is AmbiguityForm.CaseVariantAlone or AmbiguityForm.EscapedCaseVariantAlone)
            .ToList();
        Assert.All(
            lone,
            o =>
                Assert.True(
                    o.Status == 200
                        || (o.Status == 400
                            && o.Text.Contains("The request body is ambiguous at $", StringComparison.Ordinal)),
                    o.Describe()));
        Assert.Contains(lone, o => o.Status == 200);
        Assert.Contains(lone, o => o.Status == 400 && o.Text.Contains("whatever its case", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"please say forbidden"}],"messages":["""
            + """{"role":"user","content":"hi"}]}""", "$.messages", "appears more than once")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"\u006dessages":["""
            + """{"role":"user","content":"please say forbidden"}]}""", "$.messages", "appears more than once")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","Messages":[{"role":"user","content":"please say forbidden"}],"messages":["""
            + """{"role":"user","content":"hi"}]}""", "$.Messages", "whatever its case")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"please say forbidden","content":"hi"}]}""",
        "$.messages[0].content", "appears more than once")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"please say """
            + """forbidden","text":"hi"}]}]}""", "$.messages[0].content[0].text", "appears more than once")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", "$.model",
        "appears more than once")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","Model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", "$.Model",
        "whatever its case")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","stream":false,"stream":true,"messages":[{"role":"user","content":"hi"}]}""",
        "$.stream", "appears more than once")]
    [InlineData("/v1/messages",
        """{"model":"claude-sonnet","max_tokens":16,"MAX_TOKENS":4096,"messages":[{"role":"user","content":"hi"}]}""",
        "$.MAX_TOKENS", "whatever its case")]
    [InlineData("/v1/chat/completions",
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"Metadata":{"trace_name":"t"}}""",
        "$.Metadata", "whatever its case")]
    [InlineData("/v1/messages",
        """{"model":"claude-sonnet","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"Litellm_Metadata":"""
            + """{"trace_name":"t"}}""", "$.Litellm_Metadata", "whatever its case")]
    public async Task TheIssuesBodiesAreRefusedNamingTheirPath(string path, string body, string jsonPath, string why)
    {
        await using var stub = await UpstreamStub.StartAsync(200);
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", stub.BaseUrl)
            .With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.StartsWith($"The request body is ambiguous at {jsonPath}: ", message, StringComparison.Ordinal);
        Assert.Contains(why, message, StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(0, stub.Calls);
    }

    [Fact]
    public async Task TheForwarderSendsTheCheckedBodyDecodedWithoutTheSlot()
    {
        var ledger = new Ledger();
        using var listener = ledger.Listen();
        await using var relay = await StartRelayAsync(ledger, new FakeUpstream(ledger));
        using var client = relay.GetTestClient();
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = ContentCodingTests.Encoded("/v1/messages/forwarder",
            """{"model":"claude-sonnet","max_tokens":16,"metadata":{"user_id":"native"},"messages":["""
                + """{"role":"user","content":"hi"}],"litellm_metadata":{"trace_name":"t"}}""", "gzip");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"model":"claude-sonnet","max_tokens":16,"metadata":{"user_id":"native"},"messages":["""
                + """{"role":"user","content":"hi"}]}""", Assert.Single(ledger.Upstream(traceId)));

        // An ambiguous body never reaches it.
        using var ambiguous = ContentCodingTests.Encoded("/v1/messages/forwarder",
            """{"model":"claude-sonnet","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"MESSAGES":[]}""",
            "gzip");
        ambiguous.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        var otherTrace = ActivityTraceId.CreateRandom().ToHexString();
        ambiguous.Headers.Add("traceparent", $"00-{otherTrace}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var refused = await client.SendAsync(ambiguous);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Empty(ledger.Upstream(otherTrace));
    }

    private static async Task RunAsync(
        HttpClient client,
        Target target,
        IEnumerable<DifferentialCase> cases,
        Ledger ledger,
        ConcurrentQueue<Outcome> outcomes,
        UpstreamStub? stub = null)
    {
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (@case, _) =>
        {
            var traceId = ActivityTraceId.CreateRandom().ToHexString();
            using var request = new HttpRequestMessage(HttpMethod.Post,
                target.Path) { Content = new StringContent(@case.Body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Authorization", "Bearer " + ApiKey);
            request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var outcome = new Outcome(target, @case, (int)response.StatusCode, text);
            if (outcome.Status == 200)
            {
                await ledger.WaitForServerSpanAsync(traceId);
                var received = stub is null ? ledger.Upstream(traceId)
                    : stub.Received.Where(r => r.Traceparent?.Contains(traceId,
                        StringComparison.Ordinal) == true).Select(r => r.Body).ToList();
                outcome.Disagreements.AddRange(Compare(target, @case, ledger, traceId, received));
            }

            outcomes.Enqueue(outcome);
        });
    }

    /// <summary>
    /// Every reading of one answered request: the client's body, the guardrail, the trace, the upstream; the values
    /// that differ.
    /// </summary>
    private static IEnumerable<string> Compare(
        Target target,
        DifferentialCase @case,
        Ledger ledger,
        string traceId,
        IReadOnlyList<string> received)
    {
        var binding = target.Kind is RouteKind.Typed or RouteKind.Sample
            ? CaseBinding.Typed(target.Shape)
            : CaseBinding.Untyped(target.Shape);
        var readings = new List<(string Who, Dictionary<string, string?> Fields)>();
        using (var client = JsonDocument.Parse(@case.Body))
        {
            foreach (var reader in BodyReader.All)
            {
                var fields = BodyFields.Request(client.RootElement, target.Shape, reader, binding);
                foreach (var (key, value) in BodyFields.Slot(client.RootElement, target.Shape, reader, binding))
                {
                    fields[key] = value;
                }

                readings.Add(("client body, " + reader.Name, fields));
            }
        }

        if (ledger.Guardrail(traceId) is not { } guardrail)
        {
            yield return "the guardrail saw no request";
            yield break;
        }

        readings.Add(("guardrail", guardrail));
        readings.Add(("trace", ledger.Trace(traceId)));
        if (received.Count != 1)
        {
            yield return $"the upstream received {received.Count} requests";
            yield break;
        }

        using (var upstream = JsonDocument.Parse(received[0]))
        {
            // A translated request is the sample's own OpenAI body: only what translation carries is compared.
            var upstreamShape = target.Translated ? WireShape.OpenAIChat : target.Shape;
            var upstreamBinding = target.Translated ? CaseBinding.Untyped(WireShape.OpenAIChat) : binding;
            foreach (var reader in BodyReader.All)
            {
                var fields = BodyFields.Request(upstream.RootElement, upstreamShape, reader, upstreamBinding);
                if (target.Translated)
                {
                    fields = fields
                        .Where(f =>
                            f.Key is BodyFields.Model or BodyFields.Prompt or BodyFields.MaxTokens or BodyFields.Stream)
                        .ToDictionary(f => f.Key, f => f.Value);
                }

                readings.Add(("upstream, " + reader.Name, fields));
                if (BodyFields.SlotReached(upstream.RootElement, target.Shape, reader, binding) == "true")
                {
                    yield return $"the slot reached the upstream ({reader.Name})";
                }
            }
        }

        foreach (var key in readings.SelectMany(r => r.Fields.Keys).Distinct())
        {
            var values = readings
                .Where(r => r.Fields.ContainsKey(key))
                .Select(r => (r.Who, Value: r.Fields[key]))
                .ToList();
            if (values.Select(v => v.Value).Distinct().Count() > 1)
            {
                yield return $"{key}: "
                    + string.Join(
                        "; ",
                        values
                            .GroupBy(v => v.Value)
                            .Select(g => $"{Show(g.Key)} by {string.Join(", ", g.Select(v => v.Who))}"));
            }
        }
    }

    private static string Show(string? value) =>
        value is null ? "(none)" : $"'{(value.Length > 80 ? value[..80] + "…" : value)}'";

    private static async Task<WebApplication> StartRelayAsync(Ledger ledger, FakeUpstream upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            // ASP.NET Core's defaults (case-insensitive names) with the sample's naming.
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
            options.SerializerOptions.TypeInfoResolverChain.Insert(1, RelayJsonContext.Default);
        });
        builder.Services.AddTracedLlm();
        builder.Services.AddSingleton<ILlmAuthenticator>(new ApiKeyAuthenticator(new[] { ApiKey }));
        builder.Services.AddSingleton<ILlmGuardrail>(new RecordingGuardrail(ledger));
        builder.Services.AddSingleton<ILlmGuardrail>(new BannedWordGuardrail(DifferentialCases.Banned));
        builder.Services.AddSingleton(new RelayUpstream(upstream));
        builder.Services.AddHttpForwarder();
        builder.Services.AddFaultRouteServices();
        var app = builder.Build();
        app.MapRelayRoutes();
        await app.StartAsync();
        return app;
    }

    private enum RouteKind
    {
        Typed,
        Element,
        Node,
        Forwarder,
        Sample,
    }

    private sealed record Target(RouteKind Kind, WireShape Shape, string Path, bool Translated);

    private sealed record Outcome(Target Target, DifferentialCase Case, int Status, string Text)
    {
        public List<string> Disagreements { get; } = new();

        public string Describe() =>
            $"{Target.Kind} {Target.Path} -> {Status} {(Text.Length > 200 ? Text[..200] + "…" : Text)}\n  "
            + $"{Case.Describe()}"
            + string.Concat(Disagreements.Select(d => "\n  " + d));
    }

    /// <summary>
    /// What each reader of a request saw, by trace id: the guardrail's reading, the spans, the upstream's bodies.
    /// </summary>
    private sealed class Ledger
    {
        private readonly ConcurrentDictionary<string, Dictionary<string, string?>> _guardrail = new();
        private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _upstream = new();
        private readonly ConcurrentDictionary<string, Dictionary<string, string?>> _llm = new();
        private readonly ConcurrentDictionary<string, Dictionary<string, string?>> _server = new();

        public ActivityListener Listen()
        {
            var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                    ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = Stopped,
            };
            ActivitySource.AddActivityListener(listener);
            return listener;
        }

        public void RecordGuardrail(string traceId, Dictionary<string, string?> fields) => _guardrail[traceId] = fields;

        public void RecordUpstream(string traceId, string body) =>
            _upstream.GetOrAdd(traceId, _ => new ConcurrentQueue<string>()).Enqueue(body);

        public Dictionary<string, string?>? Guardrail(string traceId) => _guardrail.GetValueOrDefault(traceId);

        public IReadOnlyList<string> Upstream(string traceId) =>
            _upstream.TryGetValue(traceId, out var bodies) ? bodies.ToList() : new List<string>();

        /// <summary>
        /// The trace's reading: the LLM span's request attributes and name, the server span's trace attributes.
        /// </summary>
        public Dictionary<string, string?> Trace(string traceId)
        {
            var fields = new Dictionary<string, string?>(
                _llm.GetValueOrDefault(traceId) ?? new Dictionary<string, string?>());
            foreach (var (key, value) in _server.GetValueOrDefault(traceId) ?? new Dictionary<string, string?>())
            {
                fields[key] = value;
            }

            return fields;
        }

        public async Task WaitForServerSpanAsync(string traceId)
        {
            // Not a failure by itself when it never comes: the comparison then names the trace's missing readings.
            await Eventually.TryAsync(
                () => _server.ContainsKey(traceId),
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(5));
        }

        private void Stopped(Activity span)
        {
            var traceId = span.TraceId.ToHexString();
            if (span.DisplayName == SpanNames.Server)
            {
                _server[traceId] = new Dictionary<string, string?>
                {
                    [BodyFields.TraceName] = span.GetTagItem(AttributeNames.LangfuseTraceName) as string,
                    [BodyFields.SessionId] = span.GetTagItem(AttributeNames.LangfuseSessionId) as string,
                    [BodyFields.UserId] = span.GetTagItem(AttributeNames.LangfuseUserId) as string,
                    [BodyFields.Tags] = span.GetTagItem(AttributeNames.LangfuseTraceTags) is string[] tags
                        ? string.Join("|", tags)
                        : null,
                };
            }
            else if (span.GetTagItem(AttributeNames.LangfuseObservationType) as string
                == LangfuseObservationTypes.Generation)
            {
                _llm[traceId] = new Dictionary<string, string?>
                {
                    [BodyFields.Model] = span.GetTagItem(AttributeNames.GenAiRequestModel) as string,
                    [BodyFields.OutputLimit] = (
                        span.GetTagItem(AttributeNames.GenAiRequestMaxTokens) as long?
                    )?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    [BodyFields.Temperature] = BodyFields.Number(
                        span.GetTagItem(AttributeNames.GenAiRequestTemperature) as double?),
                    [BodyFields.TopP] = BodyFields.Number(span.GetTagItem(AttributeNames.GenAiRequestTopP) as double?),
                    [BodyFields.Stream] = span.GetTagItem(AttributeNames.StreamChunks) is null ? "false" : "true",
                    [BodyFields.GenerationName] = span.DisplayName == SpanNames.LlmRequest ? null : span.DisplayName,
                };
            }
        }
    }

    /// <summary>Records what a pre-call guardrail sees, as each kind of handler reads its body.</summary>
    private sealed class RecordingGuardrail(Ledger ledger) : ILlmGuardrail
    {
        public string Name => "recording";

        public GuardrailMode Modes => GuardrailMode.PreCall;

        public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
        {
            var call = context.Call;
            var shape =
                call.Route.ErrorFormat == WireFormat.Anthropic ? WireShape.AnthropicMessages : WireShape.OpenAIChat;
            var fields = context.Request switch
            {
                ChatCompletionRequest chat => new Dictionary<string, string?>
                {
                    [BodyFields.Model] = chat.Model,
                    [BodyFields.Stream] = chat.Stream == true ? "true" : "false",
                    [BodyFields.MaxTokens] = chat.MaxTokens?.ToString(
                        System.Globalization.CultureInfo.InvariantCulture),
                    [BodyFields.Temperature] = BodyFields.Number(chat.Temperature),
                    [BodyFields.User] = chat.User,
                    [BodyFields.Prompt] = BodyFields.PromptText(chat.PromptMessages().Select(m => (m.Role, m.Text))),
                },
                MessagesRequest messages => new Dictionary<string, string?>
                {
                    [BodyFields.Model] = messages.Model,
                    [BodyFields.Stream] = messages.Stream == true ? "true" : "false",
                    [BodyFields.MaxTokens] = messages.MaxTokens?.ToString(
                        System.Globalization.CultureInfo.InvariantCulture),
                    [BodyFields.NativeUserId] = messages.Metadata?.UserId,
                    [BodyFields.Prompt] = BodyFields.PromptText(
                        messages.PromptMessages().Select(m => (m.Role, m.Text))),
                },
                JsonElement element => Untyped(element.GetRawText(), shape),
                JsonNode node => Untyped(node.ToJsonString(), shape),

                // No body parameter: a relay's guardrail reads the body the relay forwards.
                _ => Untyped(Encoding.UTF8.GetString(call.UpstreamBody.Span), shape),
            };

            var metadata = call.Metadata;
            fields[BodyFields.TraceName] = metadata.TraceName;
            fields[BodyFields.GenerationName] = metadata.GenerationName;
            fields[BodyFields.SessionId] = metadata.SessionId;
            fields[BodyFields.UserId] = metadata.UserId;
            fields[BodyFields.Tags] = metadata.Tags.Count == 0 ? null : string.Join("|", metadata.Tags);
            ledger.RecordGuardrail(call.Span!.TraceId.ToHexString(), fields);
            return ValueTask.FromResult(GuardrailVerdict.Allow);
        }

        private static Dictionary<string, string?> Untyped(string json, WireShape shape)
        {
            using var document = JsonDocument.Parse(json);
            return BodyFields.Request(document.RootElement, shape, BodyReader.Element, CaseBinding.Untyped(shape));
        }
    }

    /// <summary>
    /// An upstream in memory: keeps each body it receives under the trace id of its <c>traceparent</c>, answers 200.
    /// </summary>
    private sealed class FakeUpstream(Ledger ledger) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(
            HttpRequestMessage request,
            CancellationToken cancellationToken)
        {
            var body = request.Content is null
                ? string.Empty
                : await request.Content.ReadAsStringAsync(cancellationToken);
            if (request.Content?.Headers.ContentEncoding.Count > 0)
            {
                body = "(sent with Content-Encoding " + string.Join(",", request.Content.Headers.ContentEncoding) + ")";
            }

            var traceparent = request.Headers.TryGetValues("traceparent", out var values)
                ? values.First()
                : string.Empty;
            ledger.RecordUpstream(traceparent.Split('-') is { Length: 4 } parts ? parts[1] : string.Empty, body);
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK)
            {
                Content =
                    new StringContent("""{"id":"up-1","object":"chat.completion","model":"upstream","choices":[]}""",
                        Encoding.UTF8, "application/json"),
            };
        }
    }
}
