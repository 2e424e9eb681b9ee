using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reflection.Metadata;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// One test per failure-path bug found on main (issue 16), through the sample gateway: each failed
/// before its fix in the way its name says it no longer does.
/// </summary>
public sealed class FailurePathRegressionTests : IDisposable
{
    private const string ChatBody = """{"model":"m","messages":[{"role":"user","content":"hello there"}]}""";
    private const string MessagesBody =
        """{"model":"m","max_tokens":32,"messages":[{"role":"user","content":"hello there"}]}""";

    private readonly SpanCollector _spans = new();
    private readonly ConcurrentQueue<FailureContext> _logged = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ADuringCallGuardrailThatThrowsIsA500InTheRoutesFormatNotAnExceptionPage(bool synchronously)
    {
        // On main the failure path awaited the faulted guardrail task again and rethrew: 500 with
        // ASP.NET Core's exception page, no Failed span, no logger call.
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, synchronously
            ? (_, _) => throw new InvalidOperationException("moderation backend broke")
            : async (_, _) =>
            {
                await Task.Yield();
                throw new InvalidOperationException("moderation backend broke");
            });
        using var host = Host(s => s.AddSingleton<ILlmGuardrail>(guardrail));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("internal_error", json.RootElement.GetProperty("error").GetProperty("code").GetString());

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(InvalidOperationException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        var span = Assert.Single(
            tree.All(SpanNames.Guardrail),
            g => (string?)g.GetTagItem(AttributeNames.GuardrailName) == "moderation");
        Assert.Equal(GuardrailStatuses.FailedToRespond, span.GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Equal(500, Assert.Single(_logged).StatusCode);
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task AStreamWhoseDuringCallGuardrailThrowsEndsWithAnErrorEventNotACut(string path)
    {
        // On main: 200, every chunk, then a cut connection; no error event, no Failed span, no logger call.
        var streamed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, ct) =>
        {
            await streamed.Task.WaitAsync(ct);
            throw new InvalidOperationException("moderation backend broke");
        });
        using var host = Host(s =>
        {
            s.AddSingleton<ILlmGuardrail>(guardrail);
            s.AddSingleton(TestProviders.Router(new SignallingProvider(streamed)));
        });
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, Streamed(path)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        var error = JsonDocument.Parse(events[^1].Data).RootElement.GetProperty("error");
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        Assert.True(events.Count > 1, "no chunk before the error event");
        Assert.DoesNotContain(events, e => e.Data == "[DONE]" || e.Name == "message_stop");

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(InvalidOperationException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, tree.Server.Status);
        Assert.Single(_logged);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AClientThatLeavesWhileADuringCallGuardrailRunsIs499AndNeverGotMessageStop()
    {
        // On main message_stop was written before the during-call guardrail finished; the client
        // read it and left, the guardrail was cancelled, and the trace recorded 200 with no failure.
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, ct) =>
        {
            waiting.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return GuardrailVerdict.Allow;
        });
        using var host = Host(s => s.AddSingleton<ILlmGuardrail>(guardrail));
        using var leave = new CancellationTokenSource();
        using var response = await host.CreateClient()
            .SendAsync(
                GatewayHost.Post("/v1/messages", Streamed("/v1/messages")),
                HttpCompletionOption.ResponseHeadersRead,
                leave.Token);
        var seen = new List<string>();
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync()))
        {
            // Everything up to message_delta arrives; message_stop waits for the guardrail.
            while (await reader.ReadLineAsync() is { } line && line != "event: message_delta")
            {
                seen.Add(line);
            }

            await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // message_delta's data, then nothing while the guardrail runs (on main, message_stop
            // followed at once).
            seen.Add(await reader.ReadLineAsync() ?? string.Empty);
            seen.Add(await reader.ReadLineAsync() ?? string.Empty);
            using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                seen.Add(await reader.ReadLineAsync(quiet.Token) ?? string.Empty));
            leave.Cancel();
        }

        var tree = await _spans.SingleTraceAsync();
        Assert.DoesNotContain("event: message_stop", seen);
        Assert.Equal(499, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("client_disconnected", tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(499, Assert.Single(_logged).StatusCode);
        await _spans.WaitForAsync(stopped => stopped.Count == _spans.Started.Count ? stopped : null);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AResponseSomethingElseStartedIsCutNotLeftLookingWhole()
    {
        // Handler code that wrote to the response itself, then failed: no error can follow its
        // bytes, and a body that simply ended would pass for a whole one.
        using var host = Host(s => s.AddSingleton(TestProviders.Router(new HalfWritingProvider())));
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody), HttpCompletionOption.ResponseHeadersRead);
        await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsStringAsync());

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(InvalidOperationException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(500, Assert.Single(_logged).StatusCode);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ExceptionEventsKeepFileNamesAndLinesButNoSourceDirectories()
    {
        // This test assembly is built without PathMap, like a user's gateway may be: its frames
        // name absolute files, which no span may carry.
        using var host = Host(s => s.AddSingleton(TestProviders.Router(new ThrowingProvider())));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);

        var tree = await _spans.SingleTraceAsync();
        var stackTraces = tree.Spans.SelectMany(s => s.Events).Where(e => e.Name == "exception")
            .Select(e => (string)e.Tags.Single(t => t.Key == "exception.stacktrace").Value!).ToList();
        Assert.NotEmpty(stackTraces);
        Assert.Contains(
            stackTraces,
            t => t.Contains($" in {nameof(FailurePathRegressionTests)}.cs:line ", StringComparison.Ordinal));
        var root = RepositoryRoot();
        Assert.All(stackTraces, t => Assert.DoesNotContain(root, t, StringComparison.Ordinal));
        Assert.All(stackTraces, t => Assert.DoesNotContain("/_/", t, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("TracedLlm")]
    [InlineData("TracedLlm.OpenTelemetry")]
    [InlineData("TracedLlm.Extensions.AI")]
    [InlineData("TracedLlm.Samples.Gateway")]
    public void ShippedAssembliesAndTheSampleAreBuiltWithoutTheBuildMachinesPaths(string assembly)
    {
        // PathMap (Directory.Build.props) maps the repository to /_/ in what the compiler writes:
        // PDB documents, hence stack traces, and [CallerFilePath].
        using var pdb = File.OpenRead(Path.Combine(AppContext.BaseDirectory, assembly + ".pdb"));
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
        Assert.NotEmpty(documents);
        var root = RepositoryRoot();
        Assert.All(documents, d => Assert.DoesNotContain(root, d, StringComparison.Ordinal));
        Assert.Contains(documents, d => d.StartsWith("/_/", StringComparison.Ordinal));
    }

    private GatewayHost Host(Action<IServiceCollection> configure) =>
        new GatewayHost().WithServices(s =>
        {
            s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(_logged));
            configure(s);
        });

    private static string Streamed(string path) =>
        (path == "/v1/messages" ? MessagesBody : ChatBody).Replace(
            "{\"model\":\"m\",",
            "{\"model\":\"m\",\"stream\":true,",
            StringComparison.Ordinal);

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Generators.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName
            ?? throw new InvalidOperationException("Generators.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Streams three words and says when the stream's content is out.</summary>
    private sealed class SignallingProvider(TaskCompletionSource streamed) : TestProviders.Base
    {
        public override async IAsyncEnumerable<ProviderDelta> StreamAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < 3; i++)
            {
                await Task.Yield();
                yield return new ProviderDelta("s", request.Model, "w", i == 2 ? "stop" : null, 1, 3);
            }

            streamed.TrySetResult();
        }
    }

    private sealed class HalfWritingProvider : TestProviders.Base
    {
        public override async Task<ProviderReply> CompleteAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken)
        {
            var response = attempt.Call.HttpContext.Response;
            response.ContentType = "application/json";
            await response.WriteAsync("{\"id\":\"half", cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
            throw new InvalidOperationException("provider broke halfway");
        }
    }

    private sealed class ThrowingProvider : TestProviders.Base
    {
        public override Task<ProviderReply> CompleteAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken) => throw new InvalidOperationException("provider broke");
    }
}
