using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Samples.Gateway.Providers;

namespace TracedLlm.Gateway.Tests;

/// <summary>Providers that fail or record on purpose, behind the sample's own router.</summary>
internal static class TestProviders
{
    public static ProviderRouter Router(params IChatProvider[] providers) =>
        new(providers, new RetrySettings(0, TimeSpan.Zero));

    /// <summary>
    /// The sample's embedded provider alone, answering at once: for hosts whose routes must start but are not the
    /// point.
    /// </summary>
    public static ProviderRouter Embedded() =>
        Router(
            new ChatClientProvider(
                EmbeddedChatClient.ProviderName,
                new EmbeddedChatClient(new EmbeddedProviderDelays(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero))));

    /// <summary>A provider whose every method fails unless overridden.</summary>
    public abstract class Base : IChatProvider
    {
        public virtual string Name => "test";

        public virtual Task<ProviderReply> CompleteAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken) => throw new NotSupportedException();

        public virtual IAsyncEnumerable<ProviderDelta> StreamAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
