using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// <see cref="LlmAttempt.RecordFailureMeaning"/>: a client library's own exception goes on unchanged, read as what
/// it was said to mean.
/// </summary>
/// <remarks>By the attempt, the attempt policy and the failure path.</remarks>
public sealed class FailureMeaningTests
{
    [Fact]
    public async Task AnExplainedExceptionFailsItsAttemptAndIsAnsweredAsWhatItMeans()
    {
        var sdk = new SdkException();
        var meaning = new UpstreamException(429, "The upstream provider answered 429.", sdk)
        {
            RetryAfter = TimeSpan.FromSeconds(2),
        };

        var run = await RunAsync(call =>
        {
            using var attempt = call.StartAttempt(new LlmTarget("sdk", "model"));
            attempt.RecordFailureMeaning(sdk, meaning);
            attempt.Fail(sdk);
            return Task.CompletedTask;
        });

        var attemptSpan = Assert.Single(run.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal("failure", attemptSpan.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal("429", attemptSpan.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(429, attemptSpan.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(2.0, attemptSpan.GetTagItem(AttributeNames.AttemptRetryAfter));

        // The exception itself, or the app's own exception that wraps it, is answered as the status it means.
        Assert.Equal(429, FailurePath.Classify(run.Call, sdk).StatusCode);
        Assert.Equal(429, FailurePath.Classify(run.Call, new InvalidOperationException("wrapped", sdk)).StatusCode);
        Assert.Equal(500, FailurePath.Classify(run.Call, new SdkException()).StatusCode);
    }

    [Fact]
    public async Task ThePolicyRetriesOnWhatAnExplainedExceptionMeansAndThrowsOnWhatIsNot()
    {
        var policy = new LlmRetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.Zero, UseJitter = false };
        var tries = 0;
        var explained = await RunAsync(call => call.ExecuteAsync(new LlmTarget("sdk", "model"), policy, (attempt, _) =>
        {
            if (++tries == 1)
            {
                var sdk = new SdkException();
                var meaning = new UpstreamException(503, "The upstream provider answered 503.", sdk);
                attempt.RecordFailureMeaning(sdk, meaning);
                throw sdk;
            }

            return Task.FromResult("answered");
        }));

        Assert.Null(explained.Thrown);
        var attempts = explained.Spans.Where(s => s.DisplayName == SpanNames.UpstreamAttempt)
            .OrderBy(s => (int)s.GetTagItem(AttributeNames.AttemptIndex)!)
            .Select(s => (Tag(s, AttributeNames.AttemptKind), Tag(s, AttributeNames.ErrorType)));
        Assert.Equal(new (string?, string?)[] { ("initial", "503"), ("retry", null) }, attempts);

        // Unexplained, the library's exception is one the policy does not know: not retried, thrown as it is.
        var unknown = new SdkException();
        var unexplained = await RunAsync(call => call.ExecuteAsync<string>(
            new LlmTarget("sdk", "model"), policy, (_, _) => throw unknown));
        Assert.Same(unknown, unexplained.Thrown);
        Assert.Single(unexplained.Spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal(500, FailurePath.Classify(unexplained.Call, unknown).StatusCode);
    }

    [Fact]
    public async Task FailuresOfCallsMadeAtOnceAreEachReadAsTheirOwn()
    {
        var first = new SdkException();
        var second = new SdkException();
        var run = await RunAsync(call =>
        {
            using var one = call.StartAttempt(new LlmTarget("sdk", "one"));
            using var two = call.StartAttempt(new LlmTarget("sdk", "two"));
            one.RecordFailureMeaning(first, new UpstreamException(503, "The upstream provider answered 503.", first));
            two.RecordFailureMeaning(second, new UpstreamException(429, "The upstream provider answered 429.", second));
            one.Fail(first);
            two.Fail(second);
            return Task.CompletedTask;
        });

        // Task.WhenAll throws the first failure, not the latest: each is still what it means.
        Assert.Equal(503, FailurePath.Classify(run.Call, first).StatusCode);
        Assert.Equal(429, FailurePath.Classify(run.Call, second).StatusCode);
        var errorTypes = run.Spans.Where(s => s.DisplayName == SpanNames.UpstreamAttempt)
            .Select(s => Tag(s, AttributeNames.ErrorType)).Order();
        Assert.Equal(new[] { "429", "503" }, errorTypes);
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name) as string;

    private sealed class SdkException() : Exception("A client library's own error.");

    private sealed record Run(Activity[] Spans, Exception? Thrown, LlmCall Call);

    /// <summary>One traced request through the pipeline's own steps, its handler <paramref name="handler"/>.</summary>
    private static async Task<Run> RunAsync(Func<LlmCall, Task> handler)
    {
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services => services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(TracedLlmTelemetry.SourceName).AddInMemoryExporter(exported)));
        using var request = DirectCall.Start(host.Services, "/tests/meaning");
        Exception? thrown = null;
        try
        {
            await handler(request.Call);
        }
        catch (Exception exception)
        {
            thrown = exception;
        }

        request.End();
        return new Run(exported.Snapshot().ToArray(), thrown, request.Call);
    }
}
