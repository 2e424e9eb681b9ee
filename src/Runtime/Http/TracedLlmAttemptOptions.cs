using System;
using System.Net.Http;

namespace TracedLlm;

/// <summary>
/// How a named <c>HttpClient</c> records its sends as upstream attempts
/// (<c>IHttpClientBuilder.AddTracedLlmAttempts()</c>).
/// </summary>
/// <remarks>
/// Each request it sends from a traced route is one <c>raw_gen_ai_request</c> attempt, every re-send by the client's
/// resilience handler too. Configured per client name, as <c>services.Configure&lt;TracedLlmAttemptOptions&gt;(name,
/// ...)</c>.
/// </remarks>
public sealed class TracedLlmAttemptOptions
{
    /// <summary>
    /// The <c>gen_ai.provider.name</c> of the client's attempts (<c>openai</c>, <c>anthropic</c>,
    /// <c>azure.ai.openai</c>, ...). Default: told from the request's host (OpenAI, Anthropic, Azure
    /// OpenAI, Gemini, Mistral, ... by their API hosts), else from its path (<c>/messages</c>: Anthropic's
    /// API; any other: <c>openai</c>, the API OpenAI-compatible servers speak).
    /// </summary>
    public string? ProviderName { get; set; }

    /// <summary>Names each send's target from the request and the target read from it.</summary>
    /// <remarks>
    /// The provider, the body's top-level <c>model</c> (else the traced request's own model), and the URL's scheme,
    /// host and port as <see cref="LlmTarget.Endpoint"/>. Return it as it is or changed (<c>(request, target) => target
    /// with { BackendId = "eastus" }</c>); two sends on equal targets are a retry, on different ones a fallback. Called
    /// once per request message, not per re-send.
    /// </remarks>
    public Func<HttpRequestMessage, LlmTarget, LlmTarget>? NameTarget { get; set; }

    /// <summary>
    /// Whether each send carries its own attempt's W3C <c>traceparent</c> (and <c>tracestate</c>),
    /// re-sends included (default true). HttpClient's own propagation stamps a span of its own that
    /// no exporter records unless HttpClient is instrumented, and on a re-sent message it replaces
    /// any <c>traceparent</c> already there; with this on, the handler sends a copy of the message
    /// for each re-send, so the upstream sees the attempt's span. False leaves the headers to HttpClient.
    /// </summary>
    public bool PropagateTraceContext { get; set; } = true;

    /// <summary>
    /// Whether the response's model, id, finish reasons and token usage are read from its body as the app reads it
    /// (default true).
    /// </summary>
    /// <remarks>
    /// An OpenAI-compatible or Anthropic answer, JSON or a stream of server-sent events, compressed or not; the body is
    /// read once, by the app, and passes through unchanged. The attempt then ends when the app has read the body (or
    /// disposed the response). False ends each attempt when its headers arrive.
    /// </remarks>
    public bool RecordResponse { get; set; } = true;

    /// <summary>
    /// The largest request body (in bytes) whose <c>model</c> is read when the body is not already in memory
    /// (<c>JsonContent</c>, another SDK's content of a known length).
    /// </summary>
    /// <remarks>
    /// It is buffered once, and sent from that buffer. Default 4 MiB; 0 reads only bodies already in memory.
    /// </remarks>
    public int MaxBufferedRequestBytes { get; set; } = 4 * 1024 * 1024;
}
