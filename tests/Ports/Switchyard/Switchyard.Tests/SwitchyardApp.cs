using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Switchyard.Tests;

/// <summary>
/// One of the two Switchyard apps in process, pointed at the test's upstream, its fallback chain,
/// Polly's retries and prompt limit set for the tests; its spans exported in memory through its own
/// OpenTelemetry set-up.
/// </summary>
internal sealed class SwitchyardApp<TProgram>(string upstream) : WebApplicationFactory<TProgram>
    where TProgram : class
{
    public const string Model = "openai/gpt-4o";

    /// <summary>
    /// How many sends Polly makes to one model (a first and one retry), each retry after a few milliseconds.
    /// </summary>
    public const int TriesPerModel = 2;

    public ExportedActivities Exported { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("OpenRouter:BaseUrl", upstream);
        builder.UseSetting("Models:Fallbacks:" + Model + ":0", "anthropic/claude-3.5-sonnet");
        builder.UseSetting("Models:Fallbacks:" + Model + ":1", "meta-llama/llama-3.1-70b-instruct");
        builder.UseSetting("Limits:MaxPromptCharacters", "64");
        builder.UseSetting(
            "OpenRouter:Resilience:Retry:MaxRetryAttempts",
            (TriesPerModel - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("OpenRouter:Resilience:Retry:Delay", "00:00:00.005");
        builder.UseSetting("Logging:LogLevel:Default", "None");
        builder.ConfigureTestServices(services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Exported)));
    }
}

/// <summary>
/// The test classes that run a Switchyard app: one at a time, since every tracer provider in the
/// process listens to TracedLlm's source and would export the other class's spans too.
/// </summary>
internal static class SwitchyardApp
{
    public const string Collection = "Switchyard apps";
}

/// <summary>The spans an app exported, safe to add to from the threads that end them.</summary>
internal sealed class ExportedActivities : ICollection<Activity>
{
    private readonly List<Activity> _items = new();

    public int Count { get { lock (_items) { return _items.Count; } } }

    public bool IsReadOnly => false;

    public List<Activity> Snapshot() { lock (_items) { return _items.ToList(); } }

    public void Add(Activity item) { lock (_items) { _items.Add(item); } }

    public void Clear() { lock (_items) { _items.Clear(); } }

    public bool Contains(Activity item) { lock (_items) { return _items.Contains(item); } }

    public void CopyTo(Activity[] array, int arrayIndex) { lock (_items) { _items.CopyTo(array, arrayIndex); } }

    public bool Remove(Activity item) { lock (_items) { return _items.Remove(item); } }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
