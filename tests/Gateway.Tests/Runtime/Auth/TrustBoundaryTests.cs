using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Nothing a client sends reaches a trace before it is authenticated: a refused caller's request is
/// a new root with the route, status and failure reason only; an accepted caller's trace is joined;
/// the auth span keeps the authenticator's real times; an unsampled caller's failures are still
/// recorded, in a linked trace of their own.
/// </summary>
public sealed class TrustBoundaryTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string CallerTrace = "0af7651916cd43dd8448eb211c80319c";
    private const string CallerSpan = "b7ad6b7169203331";
    private const string MetadataTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

    // Every value a client chose, so that none of them can be looked for in vain.
    private static readonly string[] ClientValues =
    {
        CallerTrace,
        CallerSpan,
        MetadataTrace,
        "client-trace-name",
        "client-user",
        "client-session",
        "client-tag",
        "client-meta",
        "client-generation",
        "client-model",
        "client-release"
    };

    private static readonly string ClientBody = $$$"""
        {"model":"client-model","messages":[{"role":"user","content":"x"}],
         "metadata":{"existing_trace_id":"{{{MetadataTrace}}}","parent_observation_id":"00f067aa0ba902b7",
             "trace_name":"client-trace-name",
                     "trace_user_id":"client-user","session_id":"client-session","tags":["client-tag"],
                         "trace_metadata":{"k":"client-meta"},
                     "generation_name":"client-generation","release":"client-release","custom":"client-meta"}}
        """;

    // What a refused caller's server span may carry: the route, how (not) joined, the status and failure.
    /// <summary>
    /// What a refused request's server span may carry: the route's own facts, the gateway's verdict, nothing a client
    /// chose.
    /// </summary>
    internal static readonly HashSet<string> RouteOnly = new(StringComparer.Ordinal)
    {
        AttributeNames.HttpRequestMethod,
        AttributeNames.HttpRoute,
        AttributeNames.MetadataSlot,
        AttributeNames.TraceJoin,
        AttributeNames.HttpResponseStatusCode,
        AttributeNames.ErrorType,
        AttributeNames.LangfuseObservationType,
    };

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData("wrong key", 401)]
    [InlineData("no key", 401)]
    [InlineData("forbidden", 403)]
    [InlineData("authenticator throws", 500)]
    public async Task ARefusedCallerGetsANewRootWithTheRouteStatusAndReasonOnly(string refusal, int status)
    {
        using var host = new GatewayHost().WithServices(s =>
        {
            if (refusal is "forbidden" or "authenticator throws")
            {
                s.RemoveAll<ILlmAuthenticator>();
                s.AddSingleton<ILlmAuthenticator>(
                    new FixedAuthenticator(
                        refusal == "forbidden" ? AuthResult.Fail("Not for you.", forbidden: true) : null));
            }
        });
        var request = GatewayHost.Post(
            Chat,
            ClientBody,
            apiKey: refusal == "no key" ? null
                : refusal == "wrong key" ? "sk-wrong-key-123456"
                : GatewayHost.ApiKey,
            traceparent: $"00-{CallerTrace}-{CallerSpan}-01");
        request.Headers.Add("tracestate", "client=client-meta");
        using var response = await host.CreateClient().SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        using (var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            Assert.Equal(
                status == 403 ? "permission_error"
                    : status == 401 ? "authentication_error"
                    : "api_error",
                json.RootElement.GetProperty("error").GetProperty("type").GetString());
        }

        var tree = await _spans.SingleTraceAsync();
        _spans.AssertAllEnded();
        Assert.Equal(
            new[] { SpanNames.Failure, SpanNames.Server, SpanNames.Auth }.Order(StringComparer.Ordinal),
            tree.Names);
        Assert.Equal(default, tree.Server.ParentSpanId);
        Assert.False(tree.Server.HasRemoteParent);
        Assert.Empty(tree.Server.Links);
        Assert.DoesNotContain(tree.Server.Events, e => e.Name == AttributeNames.InvalidTraceContextEvent);
        Assert.Equal("unauthenticated", tree.Server.GetTagItem(AttributeNames.TraceJoin));
        Assert.Equal(status, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, tree.Server.Status);
        Assert.All(tree.Server.TagObjects, t => Assert.Contains(t.Key, RouteOnly));
        Assert.Equal(string.Empty, tree.Server.TraceStateString ?? string.Empty);
        Assert.Null(tree.Single(SpanNames.Auth).GetTagItem(AttributeNames.UserApiKeyHash));
        Assert.Equal(ActivityStatusCode.Error, tree.Single(SpanNames.Auth).Status);
        AssertNoClientValue(tree.Spans);
    }

    [Fact]
    public async Task AnAcceptedCallersTraceIsJoinedAndItsMetadataRecorded()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient()
            .SendAsync(
                GatewayHost.Post(
                    Chat,
                    ClientBody.Replace("client-model", "gpt-4o-mini", StringComparison.Ordinal),
                    traceparent: $"00-{MetadataTrace}-{CallerSpan}-01"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(MetadataTrace, tree.Server.TraceId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", tree.Server.ParentSpanId.ToHexString());
        Assert.Equal("metadata", tree.Server.GetTagItem(AttributeNames.TraceJoin));
        Assert.Equal("client-trace-name", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));
        Assert.Equal("client-user", tree.Server.GetTagItem(AttributeNames.LangfuseUserId));
        Assert.Equal("client-meta", tree.Server.GetTagItem(AttributeNames.LangfuseTraceMetadataPrefix + "k"));
        tree.AssertChild("client-generation", tree.Server, ActivityKind.Client);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheAuthSpanIsAChildOfTheServerSpanWithTheAuthenticatorsRealTimes()
    {
        using var host = new GatewayHost().WithServices(s =>
        {
            s.RemoveAll<ILlmAuthenticator>();
            s.AddSingleton<ILlmAuthenticator>(
                new FixedAuthenticator(AuthResult.Success(), delay: TimeSpan.FromMilliseconds(150)));
        });
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var auth = tree.AssertChild(SpanNames.Auth, tree.Server, ActivityKind.Internal);
        var preCall = tree.Single(SpanNames.PreCall);

        // Recorded after the fact, but with the times the authenticator really ran: within the server
        // span, before pre-call, and as long as the authenticator took (it waited 150 ms).
        Assert.True(auth.Duration >= TimeSpan.FromMilliseconds(140), $"auth lasted {auth.Duration}");
        Assert.True(auth.StartTimeUtc >= tree.Server.StartTimeUtc);
        Assert.True(auth.StartTimeUtc + auth.Duration <= preCall.StartTimeUtc);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AKeyFingerprintIsKeyedWithTheConfiguredSecret()
    {
        const string secret = "fingerprint-secret-for-tests";
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { ApiKeyFingerprintSecret = secret }));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var fingerprint = (string?)tree.Single(SpanNames.Auth).GetTagItem(AttributeNames.UserApiKeyHash);
        var expected = Convert.ToHexStringLower(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(GatewayHost.ApiKey)));
        Assert.Equal(expected, fingerprint);
        Assert.NotEqual(
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(GatewayHost.ApiKey))),
            fingerprint);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnOpenRouteJoinsItsCallerUnlessJoiningRequiresAuthentication(bool requireAuthentication)
    {
        using var host = new GatewayHost().WithServices(s =>
        {
            s.RemoveAll<ILlmAuthenticator>();
            s.AddSingleton(new TracedLlmOptions { RequireAuthenticationToJoinTrace = requireAuthentication });
        });
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat,
                """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"trace_name":"open"}}""",
                apiKey: null, traceparent: $"00-{CallerTrace}-{CallerSpan}-01"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Empty(tree.All(SpanNames.Auth));
        Assert.Equal(!requireAuthentication, tree.Server.TraceId.ToHexString() == CallerTrace);
        Assert.Equal(requireAuthentication ? "none" : "traceparent", tree.Server.GetTagItem(AttributeNames.TraceJoin));

        // The route is open: its callers' trace attributes are recorded either way.
        Assert.Equal("open", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));
    }

    [Fact]
    public async Task AnUnsampledCallersFailureIsRecordedInATraceOfItsOwnLinkedToTheCaller()
    {
        var exported = new List<Activity>();
        using (var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(TracedLlmTelemetry.SourceName)
                .AddInMemoryExporter(exported)
                .Build())
        using (var host = new GatewayHost().With("Gateway:AllowedModels", "gpt-4o-mini"))
        {
            _spans.Dispose();
            var client = host.CreateClient();
            var unsampled = $"00-{CallerTrace}-{CallerSpan}-00";

            // Unsampled and successful: the caller asked for no trace, and gets none.
            using (var ok = await client.SendAsync(GatewayHost.Post(Chat,
                """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}""", traceparent: unsampled)))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            // Unsampled and failed: recorded anyway, in a new trace linked to the caller's span.
            using (var failed = await client.SendAsync(GatewayHost.Post(Chat,
                """{"model":"not-allowed","messages":[{"role":"user","content":"x"}]}""", traceparent: unsampled)))
            {
                Assert.Equal(HttpStatusCode.NotFound, failed.StatusCode);
            }

            provider.ForceFlush();
        }

        var server = Assert.Single(exported, s => s.DisplayName == SpanNames.Server);
        Assert.NotEqual(CallerTrace, server.TraceId.ToHexString());
        Assert.Equal(default, server.ParentSpanId);
        var link = Assert.Single(server.Links);
        Assert.Equal(CallerTrace, link.Context.TraceId.ToHexString());
        Assert.Equal(CallerSpan, link.Context.SpanId.ToHexString());
        Assert.Equal("link", server.GetTagItem(AttributeNames.TraceJoin));
        Assert.Equal(404, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, server.Status);
        var failure = Assert.Single(exported, s => s.DisplayName == SpanNames.Failure);
        Assert.Equal(server.SpanId, failure.ParentSpanId);
        Assert.Equal(2, exported.Count);
        Assert.DoesNotContain(exported, s => s.TraceId.ToHexString() == CallerTrace);
    }

    [Fact]
    public async Task AnUnauthenticatedRequestRecordsNoClientChosenMetricValue()
    {
        var models = new ConcurrentQueue<(int Status, object? Model)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName
                    && instrument.Name == "gen_ai.server.request.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>(
            (_, _, tags, _) =>
            {
                var all = tags.ToArray();
                models.Enqueue(
                    ((int)all.Single(t => t.Key == AttributeNames.HttpResponseStatusCode).Value!,
                        all.Single(t => t.Key == AttributeNames.GenAiRequestModel).Value));
            });
        listener.Start();

        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"client-chosen-model-7f3","messages":[{"role":"user","content":"x"}]}""",
                apiKey: "sk-wrong-key-123456"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await _spans.SingleTraceAsync();

        var recorded = Assert.Single(models, m => m.Status == 401);
        Assert.Equal("unknown", recorded.Model);
        Assert.DoesNotContain(models, m => Equals(m.Model, "client-chosen-model-7f3"));
    }

    private static void AssertNoClientValue(IEnumerable<Activity> spans)
    {
        foreach (var span in spans)
        {
            var texts = span.TagObjects.Select(t => t.Value?.ToString())
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => t.Value?.ToString())))
                .Append(span.DisplayName)
                .Append(span.StatusDescription)
                .Append(span.TraceId.ToHexString())
                .Append(span.ParentSpanId.ToHexString());
            foreach (var text in texts)
            {
                Assert.DoesNotContain(ClientValues, value => text?.Contains(value, StringComparison.Ordinal) == true);
            }
        }
    }

    /// <summary>Answers every request with one result (null: throws), optionally after a delay.</summary>
    private sealed class FixedAuthenticator : ILlmAuthenticator
    {
        private readonly AuthResult? _result;
        private readonly TimeSpan _delay;

        public FixedAuthenticator(AuthResult? result, TimeSpan delay = default)
        {
            _result = result;
            _delay = delay;
        }

        public async ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
        {
            if (_delay > TimeSpan.Zero)
            {
                await Task.Delay(_delay, cancellationToken);
            }

            return _result ?? throw new InvalidOperationException("The identity service said: client-meta");
        }
    }
}
