using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TracedLlm;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Secrets never reach a span or the console: secret-like metadata keys (at any depth) and
/// credential-shaped values (anywhere a client's text is recorded) are redacted; the console tree
/// escapes control characters so that no value forges a line.
/// </summary>
public sealed class RedactionTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string OpenAiKey = "sk-proj-Ab3dEf6hIj9kLm2nOp5q";
    private const string LangfuseKey = "sk-lf-1f2e3d4c-5b6a-7980";
    private const string Jwt =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    private const string Bearer = "Bearer abcdefghijklmnop0123";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task SecretLikeMetadataKeysAreRedactedAtAnyDepth()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, """
            {"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{
              "api_key":"plain-1","Authorization":"plain-2","x-api-key":"plain-3","user_password":"plain-4",
                  "client_secret":"plain-5",
              "Cookie":"plain-6","refresh_token":"plain-7","team":"kept-1",
              "nested":{"inner":{"passwd":"plain-8","ok":"kept-2"},"list":[{"private_key":"plain-9"}]},
              "trace_metadata":{"db_password":"plain-10","region":"kept-3","conn":{"secret":"plain-11"}}}}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var texts = tree.Spans.SelectMany(TelemetryBoundsTests.Texts).ToList();
        Assert.DoesNotContain(texts, t => t.Contains("plain-", StringComparison.Ordinal));
        var llm = tree.Single(SpanNames.LlmRequest);
        Assert.Equal(
            SecretRedaction.Marker,
            llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "api_key"));
        Assert.Equal(
            SecretRedaction.Marker,
            llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "Cookie"));
        Assert.Equal("kept-1", llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "team"));
        Assert.Equal("""{"inner":{"passwd":"[redacted]","ok":"kept-2"},"list":[{"private_key":"[redacted]"}]}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "nested"));
        Assert.Equal("kept-3", tree.Server.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + "region"));
        Assert.Equal("""{"secret":"[redacted]"}""", tree.Server.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix
            + "conn"));
    }

    [Theory]
    [InlineData(OpenAiKey)]
    [InlineData(LangfuseKey)]
    [InlineData(Jwt)]
    [InlineData(Bearer)]
    public async Task CredentialShapedValuesAreRedactedWhereverAClientPutsThem(string secret)
    {
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { CaptureMessageContent = true }));
        var body = $$$"""
            {"model":"gpt-{{{secret}}}","messages":[{"role":"user","content":"my key is {{{secret}}}"}],
             "metadata":{"trace_name":"t {{{secret}}}","trace_user_id":"{{{secret}}}","tags":["{{{secret}}}"],
                 "generation_name":"g-{{{secret}}}","note":"see {{{secret}}} here"}}
            """;
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var token = secret.Split(' ').Last();
        Assert.DoesNotContain(
            tree.Spans.SelectMany(TelemetryBoundsTests.Texts),
            t => t.Contains(token, StringComparison.Ordinal));
        Assert.Equal("t [redacted]", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        Assert.Equal(
            "see [redacted] here",
            tree.Single("g-[redacted]").GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "note"));
        Assert.Contains(
            "my key is [redacted]",
            (string)tree.Single("g-[redacted]").GetTagItem(AttributeNames.LangfuseObservationInput)!,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task-runner-abcdefgh", false)]
    [InlineData("sk-learn", false)]
    [InlineData("use scikit sk-learn pipelines", false)]
    [InlineData("Bearer", false)]
    [InlineData("eyJhbGciOiJIUzI1NiJ9", false)]
    [InlineData("gpt-4o-mini", false)]
    [InlineData("key=sk-abcdefgh12", true)]
    [InlineData("SK-ABCDEFGH12", true)]
    [InlineData("authorization: basic dXNlcjpwYXNzd29yZA==", true)]
    [InlineData("ghp_0123456789abcdefABCDEF", true)]
    [InlineData("AKIAIOSFODNN7EXAMPLE", true)]
    public void ValueShapesAreRecognizedAtWordBoundaries(string value, bool secret)
    {
        var redaction = new SecretRedaction();
        Assert.Equal(secret, redaction.ContainsSecret(value));
        Assert.Equal(secret, redaction.Redact(value).Contains(SecretRedaction.Marker, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("api_key", true)]
    [InlineData("X-Api-Key", true)]
    [InlineData("OPENAI.APIKEY", true)]
    [InlineData("session_token", true)]
    [InlineData("set-cookie", true)]
    [InlineData("session_id", false)]
    [InlineData("author", false)]
    [InlineData("trace_name", false)]
    public void KeyNamesAreComparedWithoutCaseOrSeparators(string key, bool secret) =>
        Assert.Equal(secret, new SecretRedaction().IsSecretKey(key));

    [Fact]
    public async Task TheListsAreConfigurable()
    {
        using var host = new GatewayHost().WithServices(s =>
        {
            var options = new TracedLlmOptions();
            options.Redaction.KeyFragments.Add("ssn");
            options.Redaction.ValuePrefixes.Add("acme_");
            s.AddSingleton(options);
        });
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"""
                + """{"customer_ssn":"123-45-6789","ticket":"acme_0123456789"}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(
            SecretRedaction.Marker,
            llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "customer_ssn"));
        Assert.Equal(
            SecretRedaction.Marker,
            llm.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "ticket"));
    }

    [Fact]
    public async Task AClientsSecretInAnErrorMessageIsRedactedInTheResponseAndTheSpans()
    {
        using var host = new GatewayHost().With("Gateway:AllowedModels", "gpt-4o-mini");
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, $$"""{"model":"{{OpenAiKey}}","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using (var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            Assert.Equal(
                "The model '[redacted]' does not exist on this gateway.",
                json.RootElement.GetProperty("error").GetProperty("message").GetString());
        }

        var tree = await _spans.SingleTraceAsync();
        Assert.DoesNotContain(
            tree.Spans.SelectMany(TelemetryBoundsTests.Texts),
            t => t.Contains(OpenAiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AProviderStreamsCleanupFailureIsRedactedAndBoundedOnTheAttemptSpan()
    {
        // A stream's enumerator that fails while it is disposed: the failure is kept on the attempt span
        // (the answer was already whole), and its message is treated like every other exception's.
        var leaked = "cleanup of " + OpenAiKey + " failed: " + new string('x', 20_000);
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(TestProviders.Router(new FailingCleanupProvider(leaked))));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith(
            "data: [DONE]",
            (await response.Content.ReadAsStringAsync()).TrimEnd(),
            StringComparison.Ordinal);
        var tree = await _spans.SingleTraceAsync();
        var attempt = tree.Single(SpanNames.UpstreamAttempt);
        var cleanup = Assert.Single(attempt.Events, e => e.Name == "exception");
        var message = (string)cleanup.Tags.Single(t => t.Key == "exception.message").Value!;
        Assert.StartsWith("cleanup of [redacted] failed: xxx", message, StringComparison.Ordinal);
        Assert.True(
            message.Length <= new TracedLlmOptions().Limits.MaxAttributeValueLength,
            $"{message.Length} characters");
        Assert.DoesNotContain(
            tree.Spans.SelectMany(TelemetryBoundsTests.Texts),
            t => t.Contains(OpenAiKey, StringComparison.Ordinal));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData(
        "Incorrect API key provided: sk-proj-********************************abcd. You can find your API key at "
        + "https://platform.openai.com."
    )]
    [InlineData("Incorrect API key provided: sk-ant-api03-****************WXYZ")]
    [InlineData("key sk-****************1234 was refused")]
    [InlineData("Authentication Fails, Your api key: ****b2c1 is invalid")]
    [InlineData("Incorrect API key provided: xa***Y2. You can obtain an API key from https://console.x.ai.")]
    [InlineData("invalid key 'AbCd1234*************************wXyZ'")]
    public void AProvidersMaskedKeyInItsErrorIsACredential(string message)
    {
        var redacted = new SecretRedaction().Redact(message);
        Assert.Contains(SecretRedaction.Marker, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("***", redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("***bold*** and **strong** text")]
    [InlineData("a rule *** between two parts")]
    [InlineData("2 * 3 ** 4 = 162")]
    public void AsterisksInProseAreNotAMaskedKey(string text) => Assert.Same(text, new SecretRedaction().Redact(text));

    [Fact]
    public async Task ExceptionEventsRedactAndBoundTheMessagesOfInnerExceptionsAtEveryDepth()
    {
        // An SDK's failure as providers raise it: the 401 three exceptions deep, beside another in an
        // AggregateException, each message quoting a key as the provider masked it, one of 20 KB.
        var failure = new HttpRequestException(
            "the provider refused the call",
            new InvalidOperationException(
                "Authentication Fails, Your api key: ****b2c1 is invalid",
                new AggregateException(
                    new UnauthorizedAccessException("Incorrect API key provided: xa***Y2. " + new string('x', 20_000)),
                    new UnauthorizedAccessException("Incorrect API key provided: " + OpenAiKey))));
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(TestProviders.Router(new ThrowingProvider(failure))));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var events = tree.Spans.SelectMany(s => s.Events).Where(e => e.Name == "exception").ToList();
        Assert.NotEmpty(events);
        var limit = new TracedLlmOptions().Limits.MaxAttributeValueLength;
        foreach (var text in events
                .SelectMany(e => e.Tags)
                .Where(t => t.Key is "exception.message" or "exception.stacktrace")
                .Select(t => (string)t.Value!))
        {
            Assert.True(text.Length <= limit, $"{text.Length} characters");
            Assert.DoesNotContain("***", text, StringComparison.Ordinal);
            Assert.DoesNotContain(OpenAiKey, text, StringComparison.Ordinal);
        }

        // The inner messages are there, with their keys redacted: a reader still sees why it failed.
        Assert.Contains(
            events.SelectMany(e => e.Tags),
            t =>
                t.Key == "exception.stacktrace"
                && ((string)t.Value!).Contains(
                    "Authentication Fails, Your api key: [redacted] is invalid",
                    StringComparison.Ordinal));
        Assert.DoesNotContain(
            tree.Spans.SelectMany(TelemetryBoundsTests.Texts),
            t => t.Contains("***", StringComparison.Ordinal) || t.Contains(OpenAiKey, StringComparison.Ordinal));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheConsoleTreeEscapesControlCharactersSoNoValueForgesALine()
    {
        var output = new StringWriter();
        using (var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(TracedLlmTelemetry.SourceName)
                .AddTracedLlmConsoleTree(output)
                .Build())
        using (var host = new GatewayHost())
        {
            var body =
                """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"""
                + """{"generation_name":"ok\r\ntrace """
                + """00000000000000000000000000000000\r\n\u001b[2J\u001b[31mforged\u2028line\u202e"}}""";
            using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await _spans.SingleTraceAsync();
            provider.ForceFlush();
        }

        var printed = output.ToString();
        Assert.Contains(
            @"ok\r\ntrace 00000000000000000000000000000000\r\n\u001B[2J\u001B[31mforged\u2028line\u202E",
            printed,
            StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', printed);
        Assert.DoesNotContain('\u2028', printed);
        Assert.Single(printed.Split('\n'), line => line.StartsWith("trace ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheConsoleTreeShowsWhatFailedOnEachFailedSpan()
    {
        var output = new StringWriter();
        using (var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(TracedLlmTelemetry.SourceName)
                .AddTracedLlmConsoleTree(output)
                .Build())
        using (var host = new GatewayHost())
        {
            using var response = await host.CreateClient().SendAsync(
                GatewayHost.Post(Chat, """{"model":"m","messages":[]}"""));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            await _spans.SingleTraceAsync();
            provider.ForceFlush();
        }

        var lines = output.ToString().Split('\n');
        foreach (var name in new[] { "Received Proxy Server Request", "litellm_request", "Failed Proxy Server Request" }
        )
        {
            var line = Assert.Single(
                lines,
                l => l.TrimStart(' ', '│', '├', '└', '─').StartsWith(name + " ", StringComparison.Ordinal));
            Assert.Contains(
                " Error: 'messages' must contain at least one message. "
                + "[error.type=TracedLlm.InvalidLlmRequestException] ",
                line,
                StringComparison.Ordinal);
        }

        // A span that did not fail says nothing of an error.
        Assert.DoesNotContain(
            "error.type",
            Assert.Single(lines, l => l.Contains("auth ", StringComparison.Ordinal)),
            StringComparison.Ordinal);
    }

    [Fact]
    public void EscapeLeavesPrintableTextAlone()
    {
        Assert.Equal("litellm_request ünïcödé 名前", ConsoleTreeExporter.Escape("litellm_request ünïcödé 名前"));
        Assert.Equal(@"a\tb\u0000c\u009Bd", ConsoleTreeExporter.Escape("a\tb\0c\u009bd"));
    }

    /// <summary>Fails every call with <paramref name="failure"/>.</summary>
    private sealed class ThrowingProvider(Exception failure) : TestProviders.Base
    {
        public override Task<Samples.Gateway.Providers.ProviderReply> CompleteAsync(
            Samples.Gateway.Providers.ProviderRequest request,
            LlmAttempt attempt,
            System.Threading.CancellationToken cancellationToken
        ) => Task.FromException<Samples.Gateway.Providers.ProviderReply>(failure);
    }

    /// <summary>Streams one word; its enumerator throws <paramref name="message"/> when it is disposed.</summary>
    private sealed class FailingCleanupProvider(string message) : TestProviders.Base
    {
        public override System.Collections.Generic.IAsyncEnumerable<Samples.Gateway.Providers.ProviderDelta>
            StreamAsync(
                Samples.Gateway.Providers.ProviderRequest request,
                LlmAttempt attempt,
                System.Threading.CancellationToken cancellationToken) =>
            new Chunks(request.Model, message);

        private sealed class Chunks(string model, string message)
            : System.Collections.Generic.IAsyncEnumerable<Samples.Gateway.Providers.ProviderDelta>,
                System.Collections.Generic.IAsyncEnumerator<Samples.Gateway.Providers.ProviderDelta>
        {
            private int _moved;

            public Samples.Gateway.Providers.ProviderDelta Current { get; } = new("s", model, "w", "stop", 1, 1);

            public System.Collections.Generic.IAsyncEnumerator<Samples.Gateway.Providers.ProviderDelta>
                GetAsyncEnumerator(System.Threading.CancellationToken cancellationToken = default) => this;

            public ValueTask<bool> MoveNextAsync() => ValueTask.FromResult(++_moved == 1);

            public ValueTask DisposeAsync() => throw new InvalidOperationException(message);
        }
    }
}
