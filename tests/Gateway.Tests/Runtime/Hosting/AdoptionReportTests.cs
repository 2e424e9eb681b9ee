using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
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

            // The typed action whose DTO reads "stream" and has extension data: both refusals stay, in the app's validation answer.
            var create = Answers(adoption, "POST /api/Completions");
            Assert.Equal("400 in the app's validation response (InvalidModelStateResponseFactory), under the property's JSON path", create["\"stream\": true"].Answer);
            Assert.Equal("IgnoreStream = true on [TracedLlmRoute]", create["\"stream\": true"].Setting);
            var wrongType = create["a 'metadata' value that is not an object, or a recognised key of another JSON type"];
            Assert.Equal("MetadataSlot = MetadataSlots.None on [TracedLlmRoute]", wrongType.Setting);
            Assert.StartsWith("400 in the app's validation response", create["a property given twice in one object, or two names that differ only in case"].Answer, StringComparison.Ordinal);
            // The action chose problem details for the pipeline's own errors; the plain one keeps the wire format's.
            Assert.Equal("401 or 403 in problem details", create["a caller the ILlmAuthenticator refuses"].Answer);
            Assert.Equal("ErrorResponses on [TracedLlmRoute], or TracedLlm:ErrorResponses", create["a caller the ILlmAuthenticator refuses"].Setting);
            Assert.Equal("TracedLlm:MaxRequestBodyBytes", create["a body larger than 8,388,608 bytes"].Setting);

            // MVC answers a body it cannot read, and a DTO that never read the flag or the slot keeps its answers.
            Assert.DoesNotContain(create.Keys, k => k.StartsWith("a body that is not a JSON object", StringComparison.Ordinal));
            var plain = Answers(adoption, "POST /api/Completions/plain");
            Assert.DoesNotContain("\"stream\": true", plain.Keys);
            Assert.DoesNotContain(plain.Keys, k => k.Contains("not an object", StringComparison.Ordinal));
            Assert.Equal("read as gateway metadata and kept from MVC's binder", plain["a 'metadata' object"].Answer);
            Assert.Equal("401 or 403 in OpenAI's error JSON", plain["a caller the ILlmAuthenticator refuses"].Answer);

            // A route with no slot lists nothing of metadata; one that ignores the flag, no stream refusal.
            var lenient = Answers(adoption, "POST /api/Completions/lenient");
            Assert.DoesNotContain(lenient.Keys, k => k.Contains("metadata", StringComparison.Ordinal));
            Assert.DoesNotContain("\"stream\": true", lenient.Keys);

            // The same report at start, one line per route.
            var logged = logs.Entries.Where(e => e.Category == TracedLlmStartupReport.AdoptionCategory).ToList();
            Assert.All(logged, e => Assert.Equal(LogLevel.Information, e.Level));
            Assert.Equal(adoption.Count, logged.Count);
            var line = Assert.Single(logged, e => e.Message.StartsWith("POST /api/Completions answers", StringComparison.Ordinal)).Message;
            Assert.Contains("\"stream\": true: 400 in the app's validation response", line, StringComparison.Ordinal);
            Assert.Contains("(changed by IgnoreStream = true on [TracedLlmRoute])", line, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    private static System.Collections.Generic.Dictionary<string, (string Answer, string Setting)> Answers(System.Collections.Generic.List<JsonElement> adoption, string route) =>
        Assert.Single(adoption, r => r.GetProperty("route").GetString() == route)
            .GetProperty("answers").EnumerateArray()
            .ToDictionary(a => a.GetProperty("when").GetString()!, a => (a.GetProperty("answer").GetString()!, a.GetProperty("setting").GetString()!));

    private sealed class NoBackend : ICompletionBackend
    {
        public Task<CompletionReply> CompleteAsync(CompletionRequest request, LlmCall call, System.Threading.CancellationToken cancellationToken) =>
            throw new NotSupportedException("The report is read at start; no request is sent.");
    }

    private sealed class OpenAuthenticator : ILlmAuthenticator
    {
        public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, System.Threading.CancellationToken cancellationToken) =>
            ValueTask.FromResult(AuthResult.Success());
    }
}
