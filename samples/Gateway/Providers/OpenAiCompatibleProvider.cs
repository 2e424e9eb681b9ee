using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// An OpenAI-compatible upstream (a local Ollama, vLLM, or OpenAI itself), selected by
/// <c>Upstream:BaseUrl</c>. Chat bodies are forwarded as the client sent them, minus the metadata
/// slot; other shapes are translated. Each call carries the current span's <c>traceparent</c>.
/// </summary>
public sealed class OpenAiCompatibleProvider : IChatProvider
{
    private readonly HttpClient _http;
    private readonly Uri _completionsUri;
    private readonly string? _apiKey;
    private readonly string? _modelOverride;

    /// <summary>Creates the provider.</summary>
    public OpenAiCompatibleProvider(HttpClient http, Uri baseUrl, string? apiKey, string? modelOverride)
    {
        _http = http;
        _completionsUri = new Uri(baseUrl.ToString().TrimEnd('/') + "/chat/completions");
        _apiKey = apiKey;
        _modelOverride = string.IsNullOrEmpty(modelOverride) ? null : modelOverride;
    }

    /// <inheritdoc />
    public string Name => "openai";

    /// <inheritdoc />
    public async Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmCall call, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _completionsUri)
        {
            Content = new ByteArrayContent(BuildBody(request).ToArray()),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (_apiKey is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        }

        call.ApplyTraceContext(message);
        using var response = await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // The upstream body is not passed on: it may echo credentials or internal details.
            throw new UpstreamException((int)response.StatusCode, $"The upstream provider answered {(int)response.StatusCode}.");
        }

        var json = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return ParseReply(json, request.Model);
    }

    private ReadOnlyMemory<byte> BuildBody(ProviderRequest request)
    {
        if (request.ForwardBody is { } forward && _modelOverride is null)
        {
            return forward;
        }

        var messages = new JsonArray();
        foreach (var m in request.Messages)
        {
            messages.Add(new JsonObject { ["role"] = m.Role, ["content"] = m.Text });
        }

        var body = new JsonObject { ["model"] = _modelOverride ?? request.Model, ["messages"] = messages };
        if (request.MaxTokens is { } max)
        {
            body["max_tokens"] = max;
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
            var usage = root.TryGetProperty("usage", out var u) ? u : default;
            return new ProviderReply(
                root.TryGetProperty("id", out var id) ? id.GetString() ?? "upstream" : "upstream",
                root.TryGetProperty("model", out var model) ? model.GetString() ?? requestedModel : requestedModel,
                choice.GetProperty("message").GetProperty("content").GetString() ?? string.Empty,
                choice.TryGetProperty("finish_reason", out var finish) ? finish.GetString() ?? "stop" : "stop",
                usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("prompt_tokens", out var input) ? input.GetInt64() : 0,
                usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("completion_tokens", out var output) ? output.GetInt64() : 0);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new UpstreamException(502, "The upstream provider answered with a body that is not a chat completion.", exception);
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class JsonContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
