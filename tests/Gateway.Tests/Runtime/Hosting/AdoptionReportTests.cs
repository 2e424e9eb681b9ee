using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TracedLlm.Gateway.ShapeRoutes;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The adoption report through a real host: each traced route's answers that its app did not give,
/// with the setting that changes each, logged once at start and served in the manifest; what the
/// defaults keep (a DTO that never read "stream" or "metadata") is not listed.
/// </summary>
public sealed class AdoptionReportTests
{
    [Fact]
    public async Task EachTracedRouteListsTheAnswersAdoptionAddedWithTheSettingThatChangesEach()
    {
        var logs = new CoverageTests.LogCapture();
        var (app, address) = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton<ILoggerProvider>(logs);
                services.AddSingleton<ICompletionBackend>(new NoBackend());
                services.AddSingleton<ILlmAuthenticator>(new OpenAuthenticator());
                services.AddProblemDetails();
                services.AddControllers().AddApplicationPart(typeof(CompletionsController).Assembly).AddTracedLlm();
            },
            app =>
            {
                app.MapControllers();
                app.MapTracedLlmManifest();
            });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var manifest = JsonDocument.Parse(await client.GetStringAsync("/tracedllm/manifest"));
            var adoption = manifest.RootElement.GetProperty("adoption").EnumerateArray().ToList();

            // The typed action whose DTO reads "stream" and has extension data: both refusals stay, as the app's
            // validation answer.
            var create = Answers(adoption, "POST /api/Completions");
            const string Validation = "400 in the app's validation response (InvalidModelStateResponseFactory), "
                + "under the property's JSON path";
            Assert.Equal(Validation, create[Stream].Answer);
            Assert.Equal("IgnoreStream = true on [TracedLlmRoute]", create[Stream].Setting);
            var wrongType = create[WrongType];
            Assert.Equal("MetadataSlot = MetadataSlots.None on [TracedLlmRoute]", wrongType.Setting);
            Assert.Equal(Validation, create[Twice].Answer);
            // The action chose problem details for the pipeline's own errors; the plain one keeps the wire format's.
            Assert.Equal("401 or 403 in problem details", create[Refused].Answer);
            Assert.Equal("ErrorResponses on [TracedLlmRoute], or TracedLlm:ErrorResponses", create[Refused].Setting);
            Assert.Equal("TracedLlm:MaxRequestBodyBytes", create["a body larger than 8,388,608 bytes"].Setting);

            // MVC answers a body it cannot read, and a DTO that never read the flag or the slot keeps its answers.
            Assert.DoesNotContain(create.Keys, k => k.StartsWith("a body that is not", StringComparison.Ordinal));
            var plain = Answers(adoption, "POST /api/Completions/plain");
            Assert.DoesNotContain(Stream, plain.Keys);
            Assert.DoesNotContain(plain.Keys, k => k.Contains("not an object", StringComparison.Ordinal));
            Assert.Equal("read as gateway metadata and kept from MVC's binder", plain["a 'metadata' object"].Answer);
            Assert.Equal("401 or 403 in OpenAI's error JSON", plain[Refused].Answer);

            // A route with no slot lists nothing of metadata; one that ignores the flag, no stream refusal.
            var lenient = Answers(adoption, "POST /api/Completions/lenient");
            Assert.DoesNotContain(lenient.Keys, k => k.Contains("metadata", StringComparison.Ordinal));
            Assert.DoesNotContain(Stream, lenient.Keys);

            // The same report at start, one line per route.
            var logged = logs.Entries.Where(e => e.Category == TracedLlmStartupReport.AdoptionCategory).ToList();
            Assert.All(logged, e => Assert.Equal(LogLevel.Information, e.Level));
            Assert.Equal(adoption.Count, logged.Count);
            const string Create = "POST /api/Completions answers";
            var message = Assert.Single(logged, e => e.Message.StartsWith(Create, StringComparison.Ordinal)).Message;
            Assert.Contains(Stream + ": 400 in the app's validation response", message, StringComparison.Ordinal);
            Assert.Contains("(changed by IgnoreStream = true on [TracedLlmRoute])", message, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    /// <summary>
    /// A static handler's route names what minimal APIs or the app's exception handling answered before and the
    /// pipeline answers now, with the one setting that keeps their answers (<c>LlmErrorResponses.Host</c>): a typed
    /// body it cannot bind, an exception the handler lets escape; a handler that reads the body itself gets a body
    /// the pipeline cannot read, so only its parser's failure is named. Under <c>Host</c> none is listed.
    /// </summary>
    [Fact]
    public async Task AStaticRouteNamesWhatTheHostAnsweredBeforeAndTheSettingThatKeepsIt()
    {
        var (app, address) = await LoopbackApp.StartAsync(
            services => services.AddTracedLlm()
                .AddSingleton(new BackendRouter("east"))
                .AddSingleton<IBackendHealth>(new AlwaysUp()),
            app =>
            {
                app.MapShapeRoutes();
                app.MapTracedLlmManifest();
            });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var manifest = JsonDocument.Parse(await client.GetStringAsync("/tracedllm/manifest"));
            var adoption = manifest.RootElement.GetProperty("adoption").EnumerateArray().ToList();
            const string Host =
                "ErrorResponses = LlmErrorResponses.Host on [TracedLlmRoute], or TracedLlm:ErrorResponses";

            var typed = Answers(adoption, "POST /openai/deployments/{deploymentName}/chat/completions");
            var unbound = typed[Unbound];
            Assert.Equal("400 in OpenAI's error JSON, naming the place", unbound.Answer);
            Assert.Equal(Host + " (minimal APIs' 400 with no body)", unbound.Setting);
            Assert.Equal(Host + " (minimal APIs' 415 with no body)", typed[MediaType].Setting);
            Assert.StartsWith("500 in OpenAI's error JSON", typed[Escapes].Answer, StringComparison.Ordinal);
            Assert.Equal(Host + " (the app's exception handling, or the server's 500)", typed[Escapes].Setting);
            Assert.DoesNotContain(Parsed, typed.Keys);

            var parses = Answers(adoption, "POST /host/default/v1/chat/completions");
            Assert.Equal("400 in OpenAI's error JSON", parses[Parsed].Answer);
            Assert.DoesNotContain(Unbound, parses.Keys);
            Assert.Equal("ErrorResponses on [TracedLlmRoute], or TracedLlm:ErrorResponses", parses[MediaType].Setting);
            Assert.Contains(Escapes, parses.Keys);

            var kept = Answers(adoption, "POST /host/kept/v1/chat/completions");
            Assert.DoesNotContain(Parsed, kept.Keys);
            Assert.DoesNotContain(Escapes, kept.Keys);
            Assert.Equal("413 in problem details", kept["a body larger than 8,388,608 bytes"].Answer);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    private const string Unbound =
        "a body the handler's type cannot bind (cut off, not JSON, a field of another type, none)";
    private const string MediaType = "a body sent as another media type than JSON";
    private const string Escapes = "an exception the handler lets escape";
    private const string Parsed = "a body that is not a JSON object, which the handler's JSON parser fails on";
    private const string Stream = "\"stream\": true";
    private const string Refused = "a caller the ILlmAuthenticator refuses";
    private const string WrongType =
        "a 'metadata' value that is not an object, or a recognised key of another JSON type";
    private const string Twice = "a property given twice in one object, or two names that differ only in case";

    private static Dictionary<string, (string Answer, string Setting)> Answers(
        List<JsonElement> adoption, string route) =>
        Assert.Single(adoption, r => r.GetProperty("route").GetString() == route)
            .GetProperty("answers").EnumerateArray()
            .ToDictionary(a => Text(a, "when"), a => (Text(a, "answer"), Text(a, "setting")));

    private static string Text(JsonElement element, string property) => element.GetProperty(property).GetString()!;

    private sealed class NoBackend : ICompletionBackend
    {
        public Task<CompletionReply> CompleteAsync(
            CompletionRequest request, LlmCall call, CancellationToken cancellationToken) =>
            throw new NotSupportedException("The report is read at start; no request is sent.");
    }

    private sealed class AlwaysUp : IBackendHealth
    {
        public bool IsUp(string backend) => true;
    }

    private sealed class OpenAuthenticator : ILlmAuthenticator
    {
        public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken) =>
            ValueTask.FromResult(AuthResult.Success());
    }
}
