using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// An OpenAI-compatible upstream (a local Ollama, vLLM, or OpenAI itself), selected by
/// <c>Upstream:BaseUrl</c>. Chat bodies are forwarded as the client sent them, minus the metadata
/// slot; other shapes are translated. The HTTP work goes through TracedLlm's <see cref="UpstreamHttp"/>:
/// each request carries its attempt span's <c>traceparent</c>, an error status becomes an
/// <see cref="UpstreamException"/> with the upstream's <c>Retry-After</c>, a body or stream is read
/// up to the attempt's <see cref="LlmAttempt.MaxResponseBytes"/>, and streams are parsed by
/// System.Net.ServerSentEvents. A stream that ends without <c>[DONE]</c> or without a finish reason
/// is a failure, never a made-up <c>finish_reason</c>.
/// </summary>
public sealed class OpenAiCompatibleProvider : IChatProvider
{
    /// <summary>The provider name it records.</summary>
    public const string ProviderName = "openai";

    // A chunk parser for SseParser: null stands for OpenAI's "data: [DONE]".
    private static readonly System.Net.ServerSentEvents.SseItemParser<OpenAiCompletion?> ChunkParser = static (_, data) =>
        data.SequenceEqual("[DONE]"u8)
            ? null
            : JsonSerializer.Deserialize(data, OpenAiWireJsonContext.Default.OpenAiCompletion) ?? throw new JsonException("The event is JSON null.");

    private readonly HttpClient _http;
    private readonly Uri _completionsUri;
    private readonly string? _authorization;

    /// <summary>Creates the provider.</summary>
    public OpenAiCompatibleProvider(HttpClient http, Uri baseUrl, string? apiKey)
    {
        _http = http;
        _completionsUri = new Uri(baseUrl.ToString().TrimEnd('/') + "/chat/completions");
        _authorization = apiKey is null ? null : new AuthenticationHeaderValue("Bearer", apiKey).ToString();
    }

    /// <inheritdoc />
    public string Name => ProviderName;

    /// <inheritdoc />
    public async Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken)
    {
        using var message = CreateRequest(request, stream: false);
        using var response = await UpstreamHttp.SendAsync(_http, message, attempt, cancellationToken).ConfigureAwait(false);
        var body = await UpstreamHttp.ReadBodyAsync(response, attempt.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        var reply = ParseReply(body.Span, request.Model);
        attempt.RecordResponse(reply.Model, reply.InputTokens, reply.OutputTokens);
        return reply;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ProviderDelta> StreamAsync(ProviderRequest request, LlmAttempt attempt, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var message = CreateRequest(request, stream: true);
        using var response = await UpstreamHttp.SendAsync(_http, message, attempt, cancellationToken).ConfigureAwait(false);

        // OpenAI sends the finish reason on the last text chunk and, with include_usage, the usage on
        // a chunk of its own after it; both are held back and carried by the one final delta. Only
        // the deltas from the finish reason on wait for the next one: held back from the first, the
        // first delta would wait for the upstream's second event, and the attempt timeout, which
        // times the first chunk, would time the upstream's first event and the pause after it together.
        ProviderDelta? pending = null;
        string? finish = null;
        long? input = null, output = null, cached = null, reasoning = null;
        var done = false;
        await foreach (var item in UpstreamHttp.ReadEventsAsync(response, ChunkParser, attempt.MaxResponseBytes, cancellationToken).ConfigureAwait(false))
        {
            if (item.Data is not { } chunk)
            {
                done = true;
                break;
            }

            var delta = ParseDelta(chunk, request.Model);
            finish = delta.FinishReason ?? finish;
            input = delta.InputTokens ?? input;
            output = delta.OutputTokens ?? output;
            cached = delta.CachedInputTokens ?? cached;
            reasoning = delta.ReasoningOutputTokens ?? reasoning;
            if (pending is not null)
            {
                yield return pending;
            }

            pending = delta with { FinishReason = null, InputTokens = null, OutputTokens = null, CachedInputTokens = null, ReasoningOutputTokens = null };
            if (finish is null)
            {
                // Not the last delta yet: it goes on at once.
                yield return pending;
                pending = null;
            }
        }

        if (!done || finish is null)
        {
            // Cut off, or complete without saying why it stopped: what arrived is passed on, then the
            // stream fails. Its end is not made up.
            if (pending is not null)
            {
                yield return pending;
            }

            throw done
                ? new UpstreamBadResponseException("The upstream provider's stream ended without a finish reason.")
                : UpstreamHttp.Truncated();
        }

        attempt.RecordResponse(pending!.Model, input, output);
        yield return pending with { FinishReason = finish, InputTokens = input, OutputTokens = output, CachedInputTokens = cached, ReasoningOutputTokens = reasoning };
    }

    private HttpRequestMessage CreateRequest(ProviderRequest request, bool stream)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, _completionsUri)
        {
            Content = new ReadOnlyMemoryContent(BuildBody(request, stream)),
        };

        // Constant header values as text: written as they are, with no header value object to build and format per request.
        message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        if (_authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", _authorization);
        }

        return message;
    }

    private static ReadOnlyMemory<byte> BuildBody(ProviderRequest request, bool stream)
    {
        if (request.ForwardBody is { } forward && !stream)
        {
            return forward;
        }

        var body = new OpenAiChatRequest
        {
            Model = request.Model,
            Messages = request.Messages.Select(m => new OpenAiMessage { Role = m.Role, Content = m.Text }).ToList(),
            MaxTokens = request.MaxTokens,
            Stream = stream ? true : null,
            StreamOptions = stream ? new OpenAiStreamOptions { IncludeUsage = true } : null,
        };
        return JsonSerializer.SerializeToUtf8Bytes(body, OpenAiWireJsonContext.Default.OpenAiChatRequest);
    }

    private static ProviderReply ParseReply(ReadOnlySpan<byte> json, string requestedModel)
    {
        OpenAiCompletion? completion;
        try
        {
            completion = JsonSerializer.Deserialize(json, OpenAiWireJsonContext.Default.OpenAiCompletion);
        }
        catch (JsonException exception)
        {
            throw NotACompletion(exception);
        }

        if (completion?.Choices is not [{ Message: { } message } choice, ..])
        {
            throw NotACompletion(null);
        }

        if (choice.FinishReason is not { } finish)
        {
            throw new UpstreamBadResponseException("The upstream provider's completion has no finish reason.");
        }

        return new ProviderReply(
            completion.Id ?? "upstream",
            completion.Model ?? requestedModel,
            message.Content ?? string.Empty,
            finish,
            completion.Usage?.PromptTokens ?? 0,
            completion.Usage?.CompletionTokens ?? 0,
            completion.Usage?.PromptTokensDetails?.CachedTokens,
            completion.Usage?.CompletionTokensDetails?.ReasoningTokens);
    }

    private static ProviderDelta ParseDelta(OpenAiCompletion chunk, string requestedModel)
    {
        if (chunk.Error is not null)
        {
            // The upstream's error text is not passed on: it may carry anything.
            throw new UpstreamBadResponseException("The upstream provider reported an error in its stream.");
        }

        var choice = chunk.Choices is [var first, ..] ? first : null;
        return new ProviderDelta(
            chunk.Id ?? "upstream",
            chunk.Model ?? requestedModel,
            choice?.Delta?.Content ?? string.Empty,
            choice?.FinishReason,
            chunk.Usage?.PromptTokens,
            chunk.Usage?.CompletionTokens,
            chunk.Usage?.PromptTokensDetails?.CachedTokens,
            chunk.Usage?.CompletionTokensDetails?.ReasoningTokens);
    }

    private static UpstreamBadResponseException NotACompletion(Exception? inner) =>
        new("The upstream provider answered with a body that is not a chat completion.", truncated: false, inner);
}
