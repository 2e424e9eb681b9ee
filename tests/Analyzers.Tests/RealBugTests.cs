using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using static TracedLlm.Analyzers.Tests.AnalyzerHarness;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// C# versions of the two LiteLLM failures behind this project: both are flagged, and the
/// versions fixed as the diagnostics say are clean.
/// </summary>
public sealed class RealBugTests
{
    // Bug 1: the proxy keeps the parent span under the route's slot; a shared tracer helper reads
    // it from "metadata", so on /v1/messages (slot litellm_metadata) the LLM span is an orphan.
    // Bug 2: the failure logger runs only for HttpException; the guardrail's exception derives
    // from Exception, so a block is never logged and its guardrail span never emitted.
    private const string Gateway = """
        internal sealed class GuardrailRaisedException : Exception
        {
            public GuardrailRaisedException(string message) : base(message) { }
        }

        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool IsProxyOnlyLlmApiError(Exception exception) => exception is HttpException;
        }

        internal sealed class GenericGuardrailApi : ILlmGuardrail
        {
            public string Name => "generic-guardrail-api";
            public GuardrailMode Modes => GuardrailMode.PreCall;
            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
                context.Call.Model == "blocked" ? throw new GuardrailRaisedException("Violated guardrail policy") : ValueTask.FromResult(GuardrailVerdict.Allow);
        }

        internal static class OpenTelemetryLogger
        {
            private const string ParentSpanKey = "litellm_parent_otel_span";

            public static Activity? StartLlmSpan(LlmCall call)
            {
                var parent = SpanContext(call.HttpContext.Items);
                return Telemetry.Source.StartActivity("litellm_request", ActivityKind.Client, parent);
            }

            private static ActivityContext SpanContext(IDictionary<object, object?> litellmParams) =>
                litellmParams.TryGetValue("metadata", out var metadata) && metadata is IDictionary<string, object?> slot && slot.TryGetValue(ParentSpanKey, out var span) && span is Activity activity
                    ? activity.Context
                    : default;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                using var span = OpenTelemetryLogger.StartLlmSpan(call);
                return new Reply { Text = request.Model };
            }

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                using var span = OpenTelemetryLogger.StartLlmSpan(call);
                return new Reply { Text = request.Model };
            }
        }
        """;

    [Fact]
    public async Task BothLiteLlmFailuresAreFlagged()
    {
        var diagnostics = await DiagnosticsAsync(Corpus.Header + Gateway);

        Assert.Equal(new[] { "TLLM2002", "TLLM2001" }, diagnostics.Select(d => d.Id));
        Assert.StartsWith("Exception type 'Contoso.GuardrailRaisedException' thrown in traced code is accepted by no failure filter", diagnostics[0].GetMessage(), System.StringComparison.Ordinal);
        Assert.Equal("Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route 'POST /v1/messages' (slot 'litellm_metadata')", diagnostics[1].GetMessage());
    }

    [Fact]
    public async Task TheFixedVersionsAreClean()
    {
        // Bug 2 fixed as TLLM2002's fix does; bug 1 fixed by reading the span through the route's
        // typed LlmCall instead of a hard-coded slot key.
        var fixedGateway = Gateway
            .Replace("class GuardrailRaisedException : Exception", "class GuardrailRaisedException : HttpException", System.StringComparison.Ordinal)
            .Replace(
                "var parent = SpanContext(call.HttpContext.Items);",
                "var parent = call.Span?.Context ?? throw new InvalidOperationException(\"no request span\");",
                System.StringComparison.Ordinal)
            .Replace("litellmParams.TryGetValue(\"metadata\"", "litellmParams.TryGetValue(ParentSpanKey", System.StringComparison.Ordinal);

        var diagnostics = await DiagnosticsAsync(Corpus.Header + fixedGateway);

        // The InvalidOperationException it now throws is not accepted by the filter either, and says so.
        var remaining = Assert.Single(diagnostics);
        Assert.Equal("TLLM2002", remaining.Id);
        Assert.Contains("'System.InvalidOperationException'", remaining.GetMessage(), System.StringComparison.Ordinal);

        var clean = fixedGateway.Replace("throw new InvalidOperationException(\"no request span\")", "throw new HttpException(\"no request span\")", System.StringComparison.Ordinal);
        Assert.Empty(await DiagnosticsAsync(Corpus.Header + clean));
    }

    [Fact]
    public async Task SeverityIsConfigurableLikeAnEditorconfigEntry()
    {
        // dotnet_diagnostic.TLLM2001.severity = error in .editorconfig becomes this compilation option.
        var compilation = Generators.Tests.GeneratorHarness.Compile(Corpus.Header + Gateway);
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(new System.Collections.Generic.Dictionary<string, ReportDiagnostic>
        {
            ["TLLM2001"] = ReportDiagnostic.Error,
            ["TLLM2002"] = ReportDiagnostic.Suppress,
        }));

        var diagnostics = await DiagnosticsAsync(compilation);

        var mismatch = Assert.Single(diagnostics);
        Assert.Equal(("TLLM2001", DiagnosticSeverity.Error), (mismatch.Id, mismatch.Severity));
    }
}
