using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A caller that has an activity of its own (a hosting span, a test's span) around a traced route:
/// the pipeline never parents the server span to it, and leaves it current again afterwards
/// without restoring it by hand, because an async method never changes its caller's
/// <see cref="Activity.Current"/>.
/// </summary>
public sealed class AmbientActivityTests : IDisposable
{
    private const string CallerSource = "TracedLlm.Tests.Caller";

    private readonly SpanCollector _spans = new();
    private readonly ActivityListener _callerListener = new()
    {
        ShouldListenTo = source => source.Name == CallerSource,
        Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public AmbientActivityTests() => ActivitySource.AddActivityListener(_callerListener);

    public void Dispose()
    {
        _callerListener.Dispose();
        _spans.Dispose();
    }

    [Theory]
    [InlineData(0, true)] // the embedded provider answers at once: the request completes synchronously
    [InlineData(20, false)] // it answers after a delay: the request completes after an await
    public async Task TheCallersActivityIsCurrentAgainAfterATracedRequest(
        int providerDelayMs,
        bool completesSynchronously)
    {
        using var host = new GatewayHost().With(
            "EmbeddedProvider:DelayMs",
            providerDelayMs.ToString(CultureInfo.InvariantCulture));
        using var scope = host.Services.CreateScope();
        var context = ChatRequest(scope.ServiceProvider);

        using var caller = new ActivitySource(CallerSource);
        using var ambient = caller.StartActivity("caller");
        Assert.NotNull(ambient);
        var pending = Generated.TracedLlm_Samples_Gateway_Routes_ChatCompletions.InvokeAsync(context);
        Assert.Equal(completesSynchronously, pending.IsCompleted);
        Assert.Same(ambient, Activity.Current);
        await pending;
        Assert.Same(ambient, Activity.Current);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.NotEqual(ambient.TraceId, tree.Server.TraceId);
        Assert.Equal(default, tree.Server.ParentSpanId);
        Assert.Equal(ambient.Context, Assert.Single(tree.Server.Links).Context);
        Assert.DoesNotContain(tree.Spans, span => span.TraceId == ambient.TraceId);
        _spans.AssertAllEnded();
    }

    private static DefaultHttpContext ChatRequest(IServiceProvider services)
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""");
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.Path = "/v1/chat/completions";
        context.Request.Headers.Authorization = "Bearer " + GatewayHost.ApiKey;
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body, writable: false);
        context.Response.Body = new MemoryStream();
        return context;
    }
}
