using System.Threading.Tasks;
using TracedLlm.Gateway.Tests;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>What every relay test has: a span collector and a fresh fake upstream.</summary>
public abstract class RelayTestBase : IAsyncLifetime
{
    internal SpanCollector Spans { get; } = new();

    protected FakeUpstream Upstream { get; private set; } = null!;

    public async Task InitializeAsync() => Upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        await Upstream.DisposeAsync();
        Spans.Dispose();
    }
}
