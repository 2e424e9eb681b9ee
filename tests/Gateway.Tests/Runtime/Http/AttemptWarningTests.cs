using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TracedLlm.Gateway.AttemptRoutes;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// When attempts cannot be recorded, the app is told (issue 66): code that reads
/// <see cref="LlmCall.Current"/> while it is off turns it on and the next request warns, and a
/// client whose sends are attempts warns once when it sends outside a traced request.
/// </summary>
public sealed class AttemptWarningTests
{
    /// <summary>
    /// The ambient call read while off (a hand-written handler's <c>LlmAttempt.Current</c>, no
    /// <c>EnableCurrent()</c>): the read finds nothing, the scope turns on, and exactly one later
    /// request is to say so. Run on a fresh load of the runtime: in this process it is on already.
    /// </summary>
    [Fact]
    public void ReadingTheCurrentCallWhileOffTurnsItOnAndOneRequestSaysSo()
    {
        var context = new AssemblyLoadContext("fresh runtime", isCollectible: true);
        try
        {
            var runtime = context.LoadFromAssemblyPath(typeof(LlmCall).Assembly.Location);
            var scope = runtime.GetType("TracedLlm.AmbientLlmScope", throwOnError: true)!;
            bool Enabled() =>
                (bool)scope.GetProperty("Enabled", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            bool TakeLateNotice() =>
                (bool)scope.GetMethod("TakeLateNotice", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;

            Assert.False(Enabled());
            Assert.False(TakeLateNotice());
            Assert.Null(
                runtime.GetType("TracedLlm.LlmAttempt", throwOnError: true)!.GetProperty("Current")!.GetValue(null));
            Assert.True(Enabled());
            Assert.True(TakeLateNotice());
            Assert.False(TakeLateNotice());
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>The request that takes the notice logs it as a warning, through the request's services.</summary>
    [Fact]
    public void TheNoticeIsAWarningInTheAttemptsCategory()
    {
        var logged = new ConcurrentQueue<(string Category, LogLevel Level, EventId Id, string Message)>();
        using var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(new Capture(logged)))
            .BuildServiceProvider();

        AttemptLog.CurrentWasOff(new DefaultHttpContext { RequestServices = services });

        var entry = Assert.Single(logged);
        Assert.Equal((AttemptLog.Category, LogLevel.Warning, 1), (entry.Category, entry.Level, entry.Id.Id));
        Assert.Contains(
            "LlmCall.Current (or LlmAttempt.Current) was read while it was off",
            entry.Message,
            StringComparison.Ordinal);
        Assert.Contains("Call LlmCall.EnableCurrent() at start-up", entry.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A client whose sends are attempts, used outside a traced request: it works, and says once that it records
    /// nothing there.
    /// </summary>
    [Fact]
    public async Task ASendOutsideATracedRequestWarnsOncePerClient()
    {
        var logged = new ConcurrentQueue<(string Category, LogLevel Level, EventId Id, string Message)>();
        await using var upstream = await UpstreamStub.StartAsync(200);
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => client.AddTracedLlmAttempts(),
            services: s => s.AddLogging(logging => logging.AddProvider(new Capture(logged))));
        var factory = gateway.Services.GetRequiredService<IHttpClientFactory>();

        for (var i = 0; i < 3; i++)
        {
            using var response = await factory
                .CreateClient(UpstreamChat.ClientName)
                .PostAsync("v1/chat/completions", new StringContent("{}"));
            Assert.True(response.IsSuccessStatusCode);
        }

        var warning = Assert.Single(logged, e => e.Category == AttemptLog.Category);
        Assert.Equal((LogLevel.Warning, 2), (warning.Level, warning.Id.Id));
        Assert.StartsWith(
            "HttpClient 'llm' records its sends as upstream attempts, but sent a request outside a traced request",
            warning.Message,
            StringComparison.Ordinal);
    }

    private sealed class Capture(ConcurrentQueue<(string, LogLevel, EventId, string)> logged) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, logged);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, EventId, string)> logged)
            : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(
                LogLevel logLevel,
                EventId eventId,
                TState state,
                Exception? exception,
                Func<TState, Exception?, string> formatter
            ) => logged.Enqueue((category, logLevel, eventId, formatter(state, exception)));
        }
    }
}
