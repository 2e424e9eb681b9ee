using System;
using System.Collections.Generic;
using System.ComponentModel;
using Microsoft.AspNetCore.Http;

namespace TracedLlm;

/// <summary>
/// What one handler that serves both stream modes returns: its response, written as JSON; its chunks
/// (<see cref="LlmResult.Stream{TChunk}"/>), written as server-sent events in the route's wire format.
/// </summary>
/// <remarks>
/// Or an <see cref="IResult"/> that writes the response itself (<see cref="LlmResult.Http"/>), such as an error result.
/// The handler reads <see cref="LlmCall.IsStreaming"/> to know which the client asked for: <code>
/// [TracedLlmRoute("POST", "/v1/chat/completions")] public static async Task&lt;LlmResult&lt;ChatResponse,
/// ChatChunk&gt;&gt; Chat(ChatRequest request, LlmCall call, Upstream upstream) => call.IsStreaming ?
/// LlmResult.Stream(upstream.StreamAsync(request, call)) : await upstream.CompleteAsync(request, call); </code> A
/// response converts to it implicitly, and so do the values <see cref="LlmResult"/> makes.
/// </remarks>
/// <typeparam name="TResponse">The response written as JSON (status 200).</typeparam>
/// <typeparam name="TChunk">One chunk of a streamed response.</typeparam>
public readonly struct LlmResult<TResponse, TChunk>
{
    private readonly TResponse _response;
    private readonly IAsyncEnumerable<TChunk>? _chunks;
    private readonly IResult? _httpResult;

    private LlmResult(TResponse response, IAsyncEnumerable<TChunk>? chunks, IResult? httpResult)
    {
        _response = response;
        _chunks = chunks;
        _httpResult = httpResult;
    }

    /// <summary>True when the handler returned chunks to stream. For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool IsStream => _chunks is not null;

    /// <summary>The chunks to stream; empty when the handler returned something else. For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IAsyncEnumerable<TChunk> Chunks =>
        _chunks ?? throw new InvalidOperationException("The handler returned no stream.");

    /// <summary>The result that writes the response itself, or null. For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IResult? HttpResult => _httpResult;

    /// <summary>The response to write as JSON, when the handler returned one. For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TResponse Response => _response;

    /// <summary>The handler's response, written as JSON.</summary>
    public static implicit operator LlmResult<TResponse, TChunk>(TResponse response) => new(response, null, null);

    /// <summary>The handler's chunks, written as server-sent events.</summary>
    public static implicit operator LlmResult<TResponse, TChunk>(LlmChunks<TChunk> stream) =>
        new(
            default!,
            stream.Chunks
                ?? throw new ArgumentException(
                    "The stream has no chunks: make it with LlmResult.Stream(chunks).",
                    nameof(stream)),
            null);

    /// <summary>A result that writes the response itself.</summary>
    public static implicit operator LlmResult<TResponse, TChunk>(LlmHttpResult result) =>
        new(
            default!,
            null,
            result.Result
                ?? throw new ArgumentException(
                    "The result is empty: make it with LlmResult.Http(result).",
                    nameof(result)));
}

/// <summary>
/// Makes the values a handler returns as <see cref="LlmResult{TResponse, TChunk}"/> besides its response.
/// </summary>
public static class LlmResult
{
    /// <summary>
    /// Chunks to write as server-sent events in the route's wire format (return it when
    /// <see cref="LlmCall.IsStreaming"/>).
    /// </summary>
    public static LlmChunks<TChunk> Stream<TChunk>(IAsyncEnumerable<TChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        return new LlmChunks<TChunk>(chunks);
    }

    /// <summary>
    /// A result that writes the response itself: <c>Results.Problem(...)</c>, <c>TypedResults.NotFound()</c>, a
    /// relayed upstream answer. A status of 400 or more is a failed request on the trace (the client
    /// gets the result's own status and body).
    /// </summary>
    public static LlmHttpResult Http(IResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new LlmHttpResult(result);
    }
}

/// <summary>
/// A handler's chunks on their way to an <see cref="LlmResult{TResponse, TChunk}"/>; made by
/// <see cref="LlmResult.Stream{TChunk}"/>.
/// </summary>
/// <typeparam name="TChunk">One chunk of the streamed response.</typeparam>
public readonly struct LlmChunks<TChunk>
{
    internal LlmChunks(IAsyncEnumerable<TChunk> chunks)
    {
        Chunks = chunks;
    }

    internal IAsyncEnumerable<TChunk>? Chunks { get; }
}

/// <summary>
/// An <see cref="IResult"/> on its way to an <see cref="LlmResult{TResponse, TChunk}"/>; made by
/// <see cref="LlmResult.Http"/>.
/// </summary>
public readonly struct LlmHttpResult
{
    internal LlmHttpResult(IResult result)
    {
        Result = result;
    }

    internal IResult? Result { get; }
}
