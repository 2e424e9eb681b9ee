using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// The default provider: deterministic, in process, no network. It answers with a fixed
/// transformation of the last user message, so `dotnet run` needs nothing else and tests can
/// assert exact responses. An optional delay makes cancellation observable.
/// </summary>
public sealed class EmbeddedProvider : IChatProvider
{
    private readonly TimeSpan _delay;

    /// <summary>Creates the provider with an optional per-call delay.</summary>
    public EmbeddedProvider(TimeSpan delay)
    {
        _delay = delay;
    }

    /// <inheritdoc />
    public string Name => "tracedllm.embedded";

    /// <inheritdoc />
    public async Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmCall call, CancellationToken cancellationToken)
    {
        if (_delay > TimeSpan.Zero)
        {
            await Task.Delay(_delay, cancellationToken).ConfigureAwait(false);
        }

        var lastUser = request.Messages.LastOrDefault(m => m.Role == "user").Text ?? string.Empty;
        var text = $"Echo: {lastUser}";
        var inputTokens = request.Messages.Sum(m => CountWords(m.Text));
        var outputTokens = CountWords(text);
        if (request.MaxTokens is { } max && outputTokens > max)
        {
            text = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(max));
            outputTokens = max;
            return new ProviderReply(IdFor(request, text), request.Model, text, "length", inputTokens, outputTokens);
        }

        return new ProviderReply(IdFor(request, text), request.Model, text, "stop", inputTokens, outputTokens);
    }

    private static int CountWords(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    // Deterministic ids: the same request always gets the same answer.
    private static string IdFor(ProviderRequest request, string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(request.Model + "\n" + text));
        return "emb-" + Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }
}
