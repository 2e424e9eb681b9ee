using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Gateway.Fixture;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The fixture gateway (tests/Gateway.Fixture), written as the real proxies are: its own priority
/// backends with Retry-After health, its own failover loop or a router the policy asks, on Kestrel
/// against fake backends. The attempts follow the gateway's choices: their order, index, kind,
/// backend and endpoint, and the live re-pick from health on the next request.
/// </summary>
public sealed class FixtureGatewayTests : IDisposable
{
    private const string AzurePath = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
    private const string AzureBackendPath = "/openai/deployments/{deployment}/chat/completions";
    private const string OpenAiPath = "/v1/chat/completions";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task TheGatewaysOwnLoopRecordsEachBackendItTriedInOrderThenRepicksFromHealth()
    {
        await using var gateway = await FixtureGateway.StartAsync(AzureBackendPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "30")) }),
            ("BACKEND_2", 2, new[] { UpstreamStub.Reply.Status(500) }),
            ("BACKEND_3", 3, new[] { UpstreamStub.Reply.Status(200) }));

        using (var response = await gateway.PostAsync(AzurePath, """{"messages":[{"role":"user","content":"hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var attempts = await AttemptsAsync();
        Assert.Equal(new[] { 0, 1, 2 }, attempts.Select(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!));
        Assert.Equal(
            new[] { "initial", "fallback", "fallback" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(
            new[] { "BACKEND_1", "BACKEND_2", "BACKEND_3" },
            attempts.Select(a => a.GetTagItem(AttributeNames.BackendId)));
        Assert.Equal(
            new[] { "failure", "failure", "success" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(
            new object?[] { 429, 500, null },
            attempts.Select(a => a.GetTagItem(AttributeNames.HttpResponseStatusCode)));
        Assert.Equal(30.0, attempts[0].GetTagItem(AttributeNames.AttemptRetryAfter));
        Assert.Equal(
            new object?[] { null, typeof(UpstreamException).FullName, typeof(UpstreamException).FullName },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptReason)));
        for (var i = 0; i < 3; i++)
        {
            // The provider stays the provider; the backend is told apart by its id and endpoint.
            Assert.Equal(ChatForwarder.AzureProvider, attempts[i].GetTagItem(AttributeNames.GenAiProviderName));
            Assert.Equal("gpt-4o", attempts[i].GetTagItem(AttributeNames.GenAiRequestModel));
            Assert.Equal("127.0.0.1", attempts[i].GetTagItem(AttributeNames.ServerAddress));
            Assert.Equal(gateway.Backends[i].Port, attempts[i].GetTagItem(AttributeNames.ServerPort));
        }

        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal("BACKEND_3", llm.GetTagItem(AttributeNames.BackendId));
        Assert.Equal(ChatForwarder.AzureProvider, llm.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal(0, llm.GetTagItem(AttributeNames.AttemptRetries));
        Assert.Equal(2, llm.GetTagItem(AttributeNames.AttemptFallbacks));

        // The next request: backends 1 and 2 are out for their pause, so the loop goes straight to 3.
        _spans.Clear();
        using (var response = await gateway.PostAsync(AzurePath,
            """{"messages":[{"role":"user","content":"again"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var next = Assert.Single(await AttemptsAsync());
        Assert.Equal(
            ("initial", 0, "BACKEND_3"),
            ((string)next.GetTagItem(AttributeNames.AttemptKind)!,
                (int)next.GetTagItem(AttributeNames.AttemptIndex)!,
                (string)next.GetTagItem(AttributeNames.BackendId)!));
        Assert.Equal(new[] { 1, 1, 2 }, gateway.Backends.Select(b => b.Calls));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ABackendThatAsksForNoPauseIsTriedAgainAsARetry()
    {
        await using var gateway = await FixtureGateway.StartAsync(
            AzureBackendPath,
            ("BACKEND_1",
                1,
                new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "0")), UpstreamStub.Reply.Status(200) }));

        using var response = await gateway.PostAsync(AzurePath, """{"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var attempts = await AttemptsAsync();
        Assert.Equal(new[] { "initial", "retry" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(new[] { 0, 1 }, attempts.Select(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!));
        Assert.True((double)attempts[1].GetTagItem(AttributeNames.AttemptDelay)! >= 0);
        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(1, llm.GetTagItem(AttributeNames.AttemptRetries));
        Assert.Equal(0, llm.GetTagItem(AttributeNames.AttemptFallbacks));
    }

    [Fact]
    public async Task ThePolicyAsksTheRouterForTheNextBackendAfterEachFailure()
    {
        await using var gateway = await FixtureGateway.StartAsync(OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "30")) }),
            ("BACKEND_2", 2, new[] { UpstreamStub.Reply.Status(503) }),
            ("BACKEND_3", 3, new[] { UpstreamStub.Reply.Status(200) }));

        using (var response = await gateway.PostAsync(OpenAiPath,
            """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("0", Header(response, "x-litellm-attempted-retries"));
            Assert.Equal("2", Header(response, "x-litellm-attempted-fallbacks"));
        }

        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[] { "initial", "fallback", "fallback" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(new[] { 0, 1, 2 }, attempts.Select(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!));
        Assert.Equal(
            new[] { "BACKEND_1", "BACKEND_2", "BACKEND_3" },
            attempts.Select(a => a.GetTagItem(AttributeNames.BackendId)));
        Assert.Equal(
            new object?[] { null, typeof(UpstreamException).FullName, typeof(UpstreamException).FullName },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptReason)));

        // The router heard of both failures: the next request goes to backend 3 at once.
        _spans.Clear();
        using (var response = await gateway.PostAsync(OpenAiPath,
            """{"model":"gpt-4o","messages":[{"role":"user","content":"again"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var next = Assert.Single(await AttemptsAsync());
        Assert.Equal("BACKEND_3", next.GetTagItem(AttributeNames.BackendId));
        Assert.Equal("initial", next.GetTagItem(AttributeNames.AttemptKind));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheRouterChoosingTheBackendThatJustFailedIsARetryAfterItsRetryAfter()
    {
        await using var gateway = await FixtureGateway.StartAsync(
            OpenAiPath,
            ("BACKEND_1",
                1,
                new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "0")), UpstreamStub.Reply.Status(200) }),
            ("BACKEND_2", 2, new[] { UpstreamStub.Reply.Status(200) }));

        using var response = await gateway.PostAsync(OpenAiPath,
            """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", Header(response, "x-litellm-attempted-retries"));
        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[] { ("initial", "BACKEND_1"), ("retry", "BACKEND_1") },
            attempts.Select(a =>
                ((string)a.GetTagItem(AttributeNames.AttemptKind)!, (string)a.GetTagItem(AttributeNames.BackendId)!)));
        Assert.Equal(0.0, attempts[1].GetTagItem(AttributeNames.AttemptDelay));
        Assert.Equal(0, gateway.Backends[1].Calls);
    }

    [Fact]
    public async Task WhenTheRouterHasNoHealthyBackendLeftTheLastFailureIsTheCalls()
    {
        await using var gateway = await FixtureGateway.StartAsync(OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "30")) }),
            ("BACKEND_2", 1, new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "30")) }));

        using (var response = await gateway.PostAsync(OpenAiPath,
            """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("rate_limit_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        }

        // Random within a priority: either backend first, each once.
        var attempts = await AttemptsAsync();
        Assert.Equal(new[] { "initial", "fallback" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(
            new[] { "BACKEND_1", "BACKEND_2" },
            attempts.Select(a => (string)a.GetTagItem(AttributeNames.BackendId)!).Order());
        Assert.Single((await _spans.SingleTraceAsync()).All(SpanNames.Failure));

        // Both are out now: the router has no target, so no attempt is made.
        _spans.Clear();
        using (var response = await gateway.PostAsync(OpenAiPath,
            """{"model":"gpt-4o","messages":[{"role":"user","content":"again"}]}"""))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("upstream_unavailable", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        var tree = await _spans.SingleTraceAsync();
        Assert.Empty(tree.All(SpanNames.UpstreamAttempt));
        Assert.Equal(
            typeof(UpstreamUnavailableException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(new[] { 1, 1 }, gateway.Backends.Select(b => b.Calls));
    }

    [Fact]
    public async Task WithACircuitBreakerAnOpenCircuitIsAFailureWithoutAnAttemptThatTheChooserHears()
    {
        await using var gateway = await FixtureGateway.StartAsync(OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(500) }),
            ("BACKEND_2", 2, new[] { UpstreamStub.Reply.Status(200) }));
        const string Path = "/by-priority/v1/chat/completions";
        const string Body = """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""";

        // Two failures of two on backend 1 open its circuit; each request still answers from backend 2.
        for (var i = 0; i < 2; i++)
        {
            using var response = await gateway.PostAsync(Path, Body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            _spans.Clear();
        }

        using (var response = await gateway.PostAsync(Path, Body))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Backend 1 was not called: no attempt for it, and the one made names the open circuit.
        var attempt = Assert.Single(await AttemptsAsync());
        Assert.Equal(
            ("BACKEND_2", "fallback", typeof(UpstreamCircuitOpenException).FullName),
            ((string)attempt.GetTagItem(AttributeNames.BackendId)!,
                (string)attempt.GetTagItem(AttributeNames.AttemptKind)!,
                (string?)attempt.GetTagItem(AttributeNames.AttemptReason)));
        Assert.Equal(new[] { 2, 3 }, gateway.Backends.Select(b => b.Calls));
        var heard = gateway.Services.GetRequiredService<ChatForwarder>().ChooserHeard.ToArray();
        Assert.Equal(3, heard.Length);
        Assert.All(
            heard.Take(2),
            failure => Assert.Equal((500, "BACKEND_1"), (failure.StatusCode!.Value, failure.Target.BackendId!)));
        Assert.IsType<UpstreamCircuitOpenException>(heard[2].Exception);
        Assert.Null(heard[2].Attempt);
        Assert.Equal("BACKEND_1", heard[2].Target.BackendId);
    }

    [Fact]
    public async Task ACallWithNoFallbackLeftSharesItsTargetsCircuitWithCallsThatHaveOne()
    {
        // A call with nothing to fall back to runs its target's pipeline without the fallback strategy:
        // the circuit is the same one either way, whichever kind of call opened it.
        await using var gateway = await FixtureGateway.StartAsync(OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(500) }),
            ("BACKEND_2", 2, new[] { UpstreamStub.Reply.Status(200) }));
        const string Body = """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""";

        // Two calls with no fallback fail on backend 1 and open its circuit.
        for (var i = 0; i < 2; i++)
        {
            using var failed = await gateway.PostAsync("/by-list/v1/chat/completions?fallback=false", Body);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            _spans.Clear();
        }

        // A call that can fall back finds it open: backend 1 is not called, backend 2 answers and names why.
        using (var response = await gateway.PostAsync("/by-list/v1/chat/completions", Body))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var attempt = Assert.Single(await AttemptsAsync());
        Assert.Equal(
            ("BACKEND_2", "fallback", typeof(UpstreamCircuitOpenException).FullName),
            ((string)attempt.GetTagItem(AttributeNames.BackendId)!,
                (string)attempt.GetTagItem(AttributeNames.AttemptKind)!,
                (string?)attempt.GetTagItem(AttributeNames.AttemptReason)));
        _spans.Clear();

        // And a call with no fallback finds it open too: no attempt, the open circuit is its failure.
        using (var open = await gateway.PostAsync("/by-list/v1/chat/completions?fallback=false", Body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, open.StatusCode);
        }

        var tree = await _spans.SingleTraceAsync();
        Assert.Empty(tree.All(SpanNames.UpstreamAttempt));
        Assert.Equal(
            typeof(UpstreamCircuitOpenException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(new[] { 2, 1 }, gateway.Backends.Select(b => b.Calls));
    }

    [Fact]
    public async Task ABackendTheLoopSkipsBeforeSendingIsAnAbandonedAttemptAndTheNextOneAFallback()
    {
        var misconfigured = new BackendConfig
        {
            Id = "BACKEND_0",
            Url = "backend-0.example:443/openai",
            Priority = 0,
            ApiKey = "backend-key-0",
            Models = new[] { "gpt-4o" }
        };
        await using var gateway = await FixtureGateway.StartAsync(
            AzureBackendPath,
            new[] { misconfigured },
            ("BACKEND_1", 1, "gpt-4o", null, new[] { UpstreamStub.Reply.Status(200) }));

        using (var response = await gateway.PostAsync(AzurePath, """{"messages":[{"role":"user","content":"hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[] { (0, "initial", "BACKEND_0", "abandoned"), (1, "fallback", "BACKEND_1", "success") },
            attempts.Select(a =>
                ((int)a.GetTagItem(AttributeNames.AttemptIndex)!,
                    (string)a.GetTagItem(AttributeNames.AttemptKind)!,
                    (string)a.GetTagItem(AttributeNames.BackendId)!,
                    (string)a.GetTagItem(AttributeNames.AttemptOutcome)!)));
        Assert.Equal(ActivityStatusCode.Error, attempts[0].Status);
        Assert.Null(attempts[0].GetTagItem(AttributeNames.ServerAddress));

        // Abandoned is not failed: nothing names a failure as the fallback's reason, and the request succeeded.
        Assert.Null(attempts[1].GetTagItem(AttributeNames.AttemptReason));
        var tree = await _spans.SingleTraceAsync();
        Assert.Empty(tree.All(SpanNames.Failure));
        Assert.Equal(1, tree.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.AttemptFallbacks));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ABackendsEndpointIsRecordedAsItsHostAndPortOnly()
    {
        await using var stub = await UpstreamStub.StartAtAsync(AzureBackendPath, UpstreamStub.Reply.Status(200));
        var withCredentials = new UriBuilder(stub.Address) { UserName = "gateway", Password = "url-secret" }
            .Uri.ToString()
            .TrimEnd('/');
        await using var gateway = await FixtureGateway.StartAsync(
            AzureBackendPath,
            new[]
            {
                new BackendConfig
                {
                    Id = "BACKEND_1",
                    Url = withCredentials,
                    Priority = 1,
                    ApiKey = "backend-key",
                    Models = new[] { "gpt-4o" }
                }
            });

        using (var response = await gateway.PostAsync(AzurePath, """{"messages":[{"role":"user","content":"hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var attempt = Assert.Single(await AttemptsAsync());
        Assert.Equal(
            ("127.0.0.1", stub.Port),
            ((string)attempt.GetTagItem(AttributeNames.ServerAddress)!,
                (int)attempt.GetTagItem(AttributeNames.ServerPort)!));
        var tree = await _spans.SingleTraceAsync();
        Assert.DoesNotContain(
            tree.Spans,
            s => s.TagObjects.Any(t => t.Value?.ToString()?.Contains("url-secret", StringComparison.Ordinal) == true));
        Assert.Equal(1, stub.Calls);
    }

    [Fact]
    public async Task AGatewayThatSaysTheKindGetsItsOwnRetriesAndFallbacksCountedInOrder()
    {
        // LiteLLM's terms: another deployment of the model group is a retry, the fallback group's a fallback.
        await using var gateway = await FixtureGateway.StartAsync(OpenAiPath,
            ("EASTUS", 1, "gpt-4o", "gpt-4o-mini", new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "30")) }),
            ("WESTUS", 2, "gpt-4o", "gpt-4o-mini", new[] { UpstreamStub.Reply.Status(200) }),
            ("MINI_1", 1, "gpt-4o-mini", null, new[] { UpstreamStub.Reply.Status(200) }));
        const string Path = "/groups/v1/chat/completions";

        // The second deployment cannot be reached.
        await gateway.Backends[1].DisposeAsync();

        using (var response =
            await gateway.PostAsync(Path, """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[]
            {
                (0, "initial", "EASTUS", "gpt-4o"),
                (1, "retry", "WESTUS", "gpt-4o"),
                (2, "fallback", "MINI_1", "gpt-4o-mini")
            },
            attempts.Select(a =>
                ((int)a.GetTagItem(AttributeNames.AttemptIndex)!,
                    (string)a.GetTagItem(AttributeNames.AttemptKind)!,
                    (string)a.GetTagItem(AttributeNames.BackendId)!,
                    (string)a.GetTagItem(AttributeNames.GenAiRequestModel)!)));
        Assert.Equal(
            new object?[] { null, typeof(UpstreamException).FullName, typeof(HttpRequestException).FullName },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptReason)));
        Assert.Equal(
            new[] { "failure", "failure", "success" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(
            (1, 1, "MINI_1"),
            ((int)llm.GetTagItem(AttributeNames.AttemptRetries)!,
                (int)llm.GetTagItem(AttributeNames.AttemptFallbacks)!,
                (string)llm.GetTagItem(AttributeNames.BackendId)!));

        // Both gpt-4o deployments are out (the first for its Retry-After, the second for the default pause): the next
        // request starts on the fallback group, an initial attempt.
        _spans.Clear();
        using (var response =
            await gateway.PostAsync(Path, """{"model":"gpt-4o","messages":[{"role":"user","content":"again"}]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var next = Assert.Single(await AttemptsAsync());
        Assert.Equal(
            (0, "initial", "MINI_1"),
            ((int)next.GetTagItem(AttributeNames.AttemptIndex)!,
                (string)next.GetTagItem(AttributeNames.AttemptKind)!,
                (string)next.GetTagItem(AttributeNames.BackendId)!));
        Assert.Equal(new[] { 1, 0, 2 }, gateway.Backends.Select(b => b.Calls));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AStreamFallsBackToTheNextBackendTheRouterChoosesBeforeItsFirstChunk()
    {
        await using var gateway = await FixtureGateway.StartAsync(OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(503) }),
            ("BACKEND_2", 2, new[] { UpstreamStub.Reply.Status(200) }));

        using var response = await gateway.PostAsync(OpenAiPath,
            """{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1].Data);
        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[] { ("initial", "BACKEND_1", "failure"), ("fallback", "BACKEND_2", "success") },
            attempts.Select(a =>
                ((string)a.GetTagItem(AttributeNames.AttemptKind)!,
                    (string)a.GetTagItem(AttributeNames.BackendId)!,
                    (string)a.GetTagItem(AttributeNames.AttemptOutcome)!)));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task WhenEveryBackendIsThrottledTheLastAnswerIsTheClientsAndOneFailureOnTheTrace()
    {
        await using var gateway = await FixtureGateway.StartAsync(AzureBackendPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "30")) }),
            ("BACKEND_2", 2, new[] { UpstreamStub.Reply.Status(429, ("Retry-After", "20")) }));

        using var response = await gateway.PostAsync(AzurePath, """{"messages":[{"role":"user","content":"hi"}]}""");

        // The backend's own answer, as the load balancer gave it: status, body, Retry-After.
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("20", response.Headers.RetryAfter?.ToString());
        Assert.Equal("""{"error":{"message":"upstream says no, key sk-upstream-secret"}}""",
            await response.Content.ReadAsStringAsync());

        // On the trace: an error result is a failure, once, and the backend's body is in no span.
        var tree = await _spans.SingleTraceAsync();
        var failed = tree.Single(SpanNames.Failure);
        Assert.Equal("429", failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, tree.Single(SpanNames.LlmRequest).Status);
        Assert.Equal(ActivityStatusCode.Error, tree.Server.Status);
        Assert.Equal(
            new[] { "failure", "failure" },
            (await AttemptsAsync()).Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.DoesNotContain(
            tree.Spans,
            s =>
                s.TagObjects.Any(t =>
                    t.Value?.ToString()?.Contains("sk-upstream-secret", StringComparison.Ordinal) == true)
                || s.Events.Any(e =>
                    e.Tags.Any(t =>
                        t.Value?.ToString()?.Contains("sk-upstream-secret", StringComparison.Ordinal) == true)));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ABackendThatCannotBeReachedIsAFailedAttemptAndTheGatewaysProblemAnswer()
    {
        await using var gateway = await FixtureGateway.StartAsync(
            AzureBackendPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(200) }));
        await gateway.Backends[0].DisposeAsync();

        using var response = await gateway.PostAsync(AzurePath, """{"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal("502", tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        var attempt = Assert.Single(await AttemptsAsync());
        Assert.Equal(typeof(HttpRequestException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal("BACKEND_1", attempt.GetTagItem(AttributeNames.BackendId));
    }

    [Fact]
    public async Task AnUnknownModelIsTheRoutesOwnNotFoundAndAFailure()
    {
        await using var gateway = await FixtureGateway.StartAsync(
            OpenAiPath,
            ("BACKEND_1", 1, new[] { UpstreamStub.Reply.Status(200) }));

        using var response = await gateway.PostAsync(OpenAiPath, """{"model":"gpt-0","messages":[]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("model_not_found", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal("404", tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Empty(tree.All(SpanNames.UpstreamAttempt));
        Assert.Equal(0, gateway.Backends[0].Calls);
    }

    [Fact]
    public async Task AnAnswerThatLandsAsADuringCallGuardrailFailsIsNotTheCallsFailureTheGuardrailsIs()
    {
        // Found by the fault matrix under load (target chooser x during-call guardrail): the backend's
        // 503 arrived just as the guardrail failed and cancelled the call, the chooser was not asked,
        // and the request was recorded as that 503 instead of the guardrail's failure.
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var guardrail = new GuardrailTests.TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, _) =>
        {
            await sent.Task;
            throw new InvalidOperationException("moderation backend broke");
        });
        var logged = new ConcurrentQueue<FailureContext>();
        var backends = new[] { new BackendConfig { Id = "BACKEND_1", Url = "http://127.0.0.1:9", Priority = 1,
            ApiKey = "backend-key", Models = new[] { "gpt-4o" } } };
        var (app, address) = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddFixtureGateway(backends);
                services.AddSingleton<ILlmGuardrail>(guardrail);
                services.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(logged));
                services
                    .AddHttpClient(nameof(ChatForwarder))
                    .ConfigurePrimaryHttpMessageHandler(() =>
                        new AnswersOnceCancelled(sent, HttpStatusCode.ServiceUnavailable));
            },
            app => app.MapFixtureGateway());
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.PostAsync(OpenAiPath,
                new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8,
                    "application/json"));

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var tree = await _spans.SingleTraceAsync();
            Assert.Equal(
                typeof(InvalidOperationException).FullName,
                tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
            Assert.IsType<InvalidOperationException>(Assert.Single(logged).Exception);

            // The attempt keeps what the backend answered.
            var attempt = Assert.Single(tree.All(SpanNames.UpstreamAttempt));
            Assert.Equal(503, attempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
            Assert.Empty(app.Services.GetRequiredService<ChatForwarder>().ChooserHeard);
            _spans.AssertAllEnded();
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    /// <summary>
    /// A backend whose answer arrives only once the call has been cancelled (and is not cancelled itself).
    /// </summary>
    private sealed class AnswersOnceCancelled(TaskCompletionSource sent, HttpStatusCode status) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(
            HttpRequestMessage request,
            CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult()))
            {
                sent.TrySetResult();
                await cancelled.Task;
            }

            return new HttpResponseMessage(status) { Content =
                new StringContent("""{"error":{"message":"busy"}}""", Encoding.UTF8, "application/json") };
        }
    }

    private async Task<IReadOnlyList<Activity>> AttemptsAsync()
    {
        var tree = await _spans.SingleTraceAsync();
        return tree.All(SpanNames.UpstreamAttempt)
            .OrderBy(a => a.StartTimeUtc)
            .ThenBy(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!)
            .ToList();
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}

/// <summary>
/// The fixture gateway on a loopback port, with its fake backends (one <see cref="UpstreamStub"/> each).
/// </summary>
internal sealed class FixtureGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;

    private FixtureGateway(WebApplication app, string address, IReadOnlyList<UpstreamStub> backends)
    {
        _app = app;
        Backends = backends;
        _client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public IReadOnlyList<UpstreamStub> Backends { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts one backend per entry (answering on <paramref name="backendPattern"/>), then the gateway over them, every
    /// backend serving gpt-4o.
    /// </summary>
    public static Task<FixtureGateway> StartAsync(
        string backendPattern,
        params (string Id, int Priority, UpstreamReply[] Replies)[] backends) =>
        StartAsync(
            backendPattern,
            backends.Select(b => (b.Id, b.Priority, "gpt-4o", (string?)null, b.Replies)).ToArray());

    /// <summary>As above, each backend serving its own model group, with the group it falls back to.</summary>
    public static Task<FixtureGateway> StartAsync(
        string backendPattern,
        params (string Id, int Priority, string Model, string? FallbackModel, UpstreamReply[] Replies)[] backends
    ) => StartAsync(backendPattern, Array.Empty<BackendConfig>(), backends);

    /// <summary>As above, with backends configured beside the fake ones (a misconfigured one, say).</summary>
    public static async Task<FixtureGateway> StartAsync(
        string backendPattern,
        BackendConfig[] configured,
        params (string Id, int Priority, string Model, string? FallbackModel, UpstreamReply[] Replies)[] backends)
    {
        var stubs = new List<UpstreamStub>();
        foreach (var backend in backends)
        {
            stubs.Add(await UpstreamStub.StartAtAsync(backendPattern, backend.Replies));
        }

        var configs = backends
            .Select(
                (backend, i) =>
                    new BackendConfig
                    {
                        Id = backend.Id,
                        Url = stubs[i].Address,
                        Priority = backend.Priority,
                        ApiKey = "backend-key-" + i,
                        Models = new[] { backend.Model },
                        FallbackModel = backend.FallbackModel,
                    })
            .Concat(configured)
            .ToArray();
        var (app, address) = await LoopbackApp.StartAsync(
            services => services.AddFixtureGateway(configs),
            app => app.MapFixtureGateway());
        return new FixtureGateway(app, address, stubs);
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        _client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await LoopbackApp.StopAsync(_app);
        foreach (var backend in Backends)
        {
            await backend.DisposeAsync();
        }
    }
}
