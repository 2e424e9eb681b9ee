using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// The default provider: deterministic, in process, no network. It answers with a fixed
/// transformation of the last user message (one word a token), so `dotnet run` needs nothing else
/// and tests can assert exact responses. Delays make cancellation and streaming timings observable.
/// </summary>
public sealed class EmbeddedProvider : IChatProvider
{
    /// <summary>The provider name it records.</summary>
    public const string ProviderName = "tracedllm.embedded";

    private readonly EmbeddedProviderDelays _delays;

    /// <summary>Creates the provider.</summary>
    public EmbeddedProvider(EmbeddedProviderDelays delays)
    {
        _delays = delays;
    }

    /// <inheritdoc />
    public string Name => ProviderName;

    /// <inheritdoc />
    public async Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken)
    {
        if (_delays.Response > TimeSpan.Zero)
        {
            await Task.Delay(_delays.Response, cancellationToken).ConfigureAwait(false);
        }

        var (words, finish, inputTokens) = Answer(request);
        var text = string.Join(' ', words);
        attempt.RecordResponse(request.Model, inputTokens, words.Length);
        return new ProviderReply(IdFor(request, text), request.Model, text, finish, inputTokens, words.Length);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ProviderDelta> StreamAsync(ProviderRequest request, LlmAttempt attempt, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (words, finish, inputTokens) = Answer(request);
        var id = IdFor(request, string.Join(' ', words));
        for (var i = 0; i < words.Length; i++)
        {
            var delay = i == 0 ? _delays.FirstToken : _delays.Token;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }

            var text = i == 0 ? words[i] : " " + words[i];
            yield return i == words.Length - 1
                ? new ProviderDelta(id, request.Model, text, finish, inputTokens, words.Length)
                : new ProviderDelta(id, request.Model, text);
        }

        attempt.RecordResponse(request.Model, inputTokens, words.Length);
    }

    private static (string[] Words, string Finish, long InputTokens) Answer(ProviderRequest request)
    {
        var lastUser = request.Messages.LastOrDefault(m => m.Role == "user").Text ?? string.Empty;
        var words = $"Echo: {lastUser}".Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var inputTokens = request.Messages.Sum(m => (long)m.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        return request.MaxTokens is { } max && words.Length > max
            ? (words.Take(max).ToArray(), "length", inputTokens)
            : (words, "stop", inputTokens);
    }

    // Deterministic ids: the same request always gets the same answer.
    private static string IdFor(ProviderRequest request, string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(request.Model + "\n" + text));
        return "emb-" + Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }
}

/// <summary>The embedded provider's delays: before a whole response, before the first streamed token, between tokens.</summary>
public sealed record EmbeddedProviderDelays(TimeSpan Response, TimeSpan FirstToken, TimeSpan Token);
