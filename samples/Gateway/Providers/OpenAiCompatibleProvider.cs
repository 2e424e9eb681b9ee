using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// An OpenAI-compatible upstream (a local Ollama, vLLM, or OpenAI itself), selected by
/// <c>Upstream:BaseUrl</c>. Chat bodies are forwarded as the client sent them, minus the metadata
/// slot; other shapes are translated. Each attempt's request carries the attempt span's <c>traceparent</c>.
/// </summary>
public sealed class OpenAiCompatibleProvider : IChatProvider
{
    /// <summary>The provider name it records.</summary>
    public const string ProviderName = "openai";

    private readonly HttpClient _http;
    private readonly Uri _completionsUri;
    private readonly string? _apiKey;

    /// <summary>Creates the provider.</summary>
    public OpenAiCompatibleProvider(HttpClient http, Uri baseUrl, string? apiKey)
    {
        _http = http;
        _completionsUri = new Uri(baseUrl.ToString().TrimEnd('/') + "/chat/completions");
        _apiKey = apiKey;
    }

    /// <inheritdoc />
    public string Name => ProviderName;

    /// <inheritdoc />
    public async Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken)
    {
        using var message = CreateRequest(request, attempt, stream: false);
        using var response = await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response);
        var json = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var reply = ParseReply(json, request.Model);
        attempt.RecordResponse(reply.Model, reply.InputTokens, reply.OutputTokens);
        return reply;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ProviderDelta> StreamAsync(ProviderRequest request, LlmAttempt attempt, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var message = CreateRequest(request, attempt, stream: true);
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        // OpenAI sends the finish reason on the last text chunk and, with include_usage, the usage on
        // a chunk of its own after it; both are held back and carried by the one final delta.
        ProviderDelta? pending = null;
        string? finish = null;
        long? input = null, output = null;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]")
            {
                continue;
            }

            var delta = ParseDelta(line["data: ".Length..], request.Model);
            finish = delta.FinishReason ?? finish;
            input = delta.InputTokens ?? input;
            output = delta.OutputTokens ?? output;
            if (pending is not null)
            {
                yield return pending;
            }

            pending = delta with { FinishReason = null, InputTokens = null, OutputTokens = null };
        }

        if (pending is not null)
        {
            attempt.RecordResponse(pending.Model, input, output);
            yield return pending with { FinishReason = finish ?? "stop", InputTokens = input, OutputTokens = output };
        }
    }

    private HttpRequestMessage CreateRequest(ProviderRequest request, LlmAttempt attempt, bool stream)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, _completionsUri)
        {
            Content = new ByteArrayContent(BuildBody(request, stream).ToArray()),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (_apiKey is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        }

        attempt.ApplyTraceContext(message);
        return message;
    }

    private static void EnsureSuccess(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            // The upstream body is not passed on: it may echo credentials or internal details.
            throw new UpstreamException((int)response.StatusCode, $"The upstream provider answered {(int)response.StatusCode}.");
        }
    }

    private static ReadOnlyMemory<byte> BuildBody(ProviderRequest request, bool stream)
    {
        if (request.ForwardBody is { } forward && !stream)
        {
            return forward;
        }

        var messages = new JsonArray();
        foreach (var m in request.Messages)
        {
            messages.Add(new JsonObject { ["role"] = m.Role, ["content"] = m.Text });
        }

        var body = new JsonObject { ["model"] = request.Model, ["messages"] = messages };
        if (request.MaxTokens is { } max)
        {
            body["max_tokens"] = max;
        }

        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return JsonSerializer.SerializeToUtf8Bytes(body, JsonContext.Default.JsonObject);
    }

    private static ProviderReply ParseReply(byte[] json, string requestedModel)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var choice = root.GetProperty("choices")[0];
            var (input, output) = Usage(root);
            return new ProviderReply(
                root.TryGetProperty("id", out var id) ? id.GetString() ?? "upstream" : "upstream",
                root.TryGetProperty("model", out var model) ? model.GetString() ?? requestedModel : requestedModel,
                choice.GetProperty("message").GetProperty("content").GetString() ?? string.Empty,
                choice.TryGetProperty("finish_reason", out var finish) ? finish.GetString() ?? "stop" : "stop",
                input ?? 0,
                output ?? 0);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new UpstreamException(502, "The upstream provider answered with a body that is not a chat completion.", exception);
        }
    }

    private static ProviderDelta ParseDelta(string json, string requestedModel)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var (input, output) = Usage(root);
            string text = string.Empty;
            string? finish = null;
            if (root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                text = choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) ? content.GetString() ?? string.Empty : string.Empty;
                finish = choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;
            }

            return new ProviderDelta(
                root.TryGetProperty("id", out var id) ? id.GetString() ?? "upstream" : "upstream",
                root.TryGetProperty("model", out var model) ? model.GetString() ?? requestedModel : requestedModel,
                text,
                finish,
                input,
                output);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            throw new UpstreamException(502, "The upstream provider streamed a chunk that is not a chat completion chunk.", exception);
        }
    }

    private static (long? Input, long? Output) Usage(JsonElement root) =>
        root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
            ? (usage.TryGetProperty("prompt_tokens", out var input) ? input.GetInt64() : null,
               usage.TryGetProperty("completion_tokens", out var output) ? output.GetInt64() : null)
            : (null, null);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class JsonContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
