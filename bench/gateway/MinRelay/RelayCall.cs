// RelayCall: one request's state, and the forwarder's transformer for its attempts.
using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Yarp.ReverseProxy.Forwarder;

internal sealed class RelayCall(Relay relay, HttpContext context, Route route) : HttpTransformer, IDisposable
{
    private byte[]? _body;
    private int _bodyLength;
    private byte[]? _upstream;
    private int _upstreamLength;
    private MemoryStream? _upstreamStream;
    private byte[]? _held;
    private int _heldLength;
    private Exception? _failure;
    private bool _banned;
    private int _attempts;
    public AnswerFacts Facts;

    public string? Model { get; private set; }

    /// <summary>Tracing only: the metadata slot's trace name, session and tags, each bounded.</summary>
    public string? TraceName { get; private set; }

    public string? SessionId { get; private set; }

    public string[]? Tags { get; private set; }

    /// <summary>Tracing only: the call's LLM span, the parent of its attempts and guardrails.</summary>
    public Activity? Llm { get; set; }

    /// <summary>Tracing only: when a stream's first chunk came.</summary>
    public DateTime? FirstChunk { get; set; }

    private Activity? _attempt;

    public int Attempts => _attempts;

    public bool Stream { get; private set; }

    public Route Route => route;

    public RelaySettings Settings => relay.Settings;

    /// <summary>A held answer: a JSON answer waiting for the post-call guardrail, or the last error answer.</summary>
    public ReadOnlyMemory<byte>? Held => _held is null ? null : _held.AsMemory(0, _heldLength);

    /// <summary>Reads the body whole once, then checks it in one pass: refuses it (a <see cref="ClientError"/>) or makes what goes upstream.</summary>
    public async ValueTask ReadRequestAsync()
    {
        var request = context.Request;
        if (request.ContentLength > RelaySettings.MaxRequestBytes)
        {
            throw new ClientError(413, "Request body too large.");
        }

        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            if (read.Buffer.Length > RelaySettings.MaxRequestBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                throw new ClientError(413, "Request body too large.");
            }

            if (read.IsCompleted)
            {
                _bodyLength = (int)read.Buffer.Length;
                _body = ArrayPool<byte>.Shared.Rent(Math.Max(_bodyLength, 1));
                read.Buffer.CopyTo(_body);
                reader.AdvanceTo(read.Buffer.End);
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            ReadEnvelope(_body.AsSpan(0, _bodyLength));
        }
        catch (JsonException)
        {
            throw new ClientError(400, "The request body is not valid JSON.");
        }

        if (relay.Typed)
        {
            TypedRequest.Read(_upstream is null ? _body.AsSpan(0, _bodyLength) : _upstream.AsSpan(0, _upstreamLength), route);
        }
    }

    /// <summary>One attempt: YARP forwards the body without the slot; a failure before the answer starts is thrown to the pipeline.</summary>
    public async ValueTask AttemptAsync(CancellationToken token)
    {
        if (++_attempts > 1)
        {
            // A retry: the last attempt's answer is dropped, its headers too.
            ReturnHeld();
            _failure = null;
            context.Response.Clear();
        }

        _attempt = Llm is null ? null : Tracing.StartAttempt(Llm, this, relay.UpstreamUri, _attempts - 1);
        Exception? failed = null;
        try
        {
            await SendAsync(token);
        }
        catch (Exception failure)
        {
            failed = failure;
            throw;
        }
        finally
        {
            Tracing.EndAttempt(_attempt, this, failed);
            _attempt = null;
        }
    }

    private async ValueTask SendAsync(CancellationToken token)
    {
        var request = context.Request;
        _upstreamStream ??= new MemoryStream(_upstream ?? _body!, 0, _upstream is null ? _bodyLength : _upstreamLength, writable: false);
        _upstreamStream.Position = 0;
        request.Body = _upstreamStream;
        request.ContentLength = _upstreamStream.Length;
        request.Headers.Remove("Content-Encoding");
        request.Headers.Remove("Transfer-Encoding");
        var error = await relay.Forwarder.SendAsync(context, relay.Settings.Upstream, relay.Invoker, relay.RequestConfig, this, token);
        if (_failure is { } failure)
        {
            throw failure;
        }

        if (error == ForwarderError.None || context.Response.HasStarted)
        {
            // Done, or a stream cut after its first byte, which the event reader ended with an error event.
            return;
        }

        // The deadline (Polly makes it a TimeoutRejectedException) or the client leaving; else the upstream failed.
        token.ThrowIfCancellationRequested();
        throw error == ForwarderError.RequestTimedOut ? new TimeoutException() : new HttpRequestException(error.ToString());
    }

    /// <summary>After the attempts: a held JSON answer goes through the post-call guardrail, then out with its length.</summary>
    public Task FinishAsync()
    {
        if (_held is null)
        {
            return Task.CompletedTask;
        }

        var response = context.Response;
        if (Facts.TextCharacters > Settings.MaxAnswerCharacters)
        {
            response.Clear();
            WriteAttemptHeaders();
            return Errors.WriteAsync(context, route, 400, "invalid_request_error", AnswerTooLong, "guardrail_blocked");
        }

        response.ContentLength = _heldLength;
        return response.Body.WriteAsync(_held.AsMemory(0, _heldLength)).AsTask();
    }

    /// <summary>Fails the attempt before anything of its answer reached the client (the forwarder then clears the response).</summary>
    public Exception Fail(Exception failure) => _failure = failure;

    /// <summary>LiteLLM's attempt headers, which the sample's relay writes on every answer after its attempts.</summary>
    public void WriteAttemptHeaders()
    {
        if (_attempts == 0)
        {
            return;
        }

        var headers = context.Response.Headers;
        headers["x-litellm-attempted-retries"] = _attempts == 1 ? "0" : (_attempts - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers["x-litellm-attempted-fallbacks"] = "0";
    }

    public string AnswerTooLong => $"The response is longer than {Settings.MaxAnswerCharacters} characters.";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        // The sample's UpstreamTransformer: the client's headers less its credentials and its Host, the gateway's own key in their place.
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var headers = proxyRequest.Headers;
        headers.Host = null;
        headers.Remove("Authorization");
        headers.Remove("x-api-key");
        if (relay.Settings.UpstreamAuthorization is { } authorization)
        {
            headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (_attempt is { } attempt)
        {
            // The upstream joins the attempt's trace.
            headers.Remove("traceparent");
            headers.Remove("tracestate");
            headers.TryAddWithoutValidation("traceparent", attempt.Id);
        }

        if (Stream)
        {
            // The stream is read as it is on the wire.
            headers.Remove("Accept-Encoding");
            headers.TryAddWithoutValidation("Accept-Encoding", "identity");
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is null)
        {
            return false;
        }

        var status = (int)proxyResponse.StatusCode;
        var content = proxyResponse.Content;
        if (status >= 400)
        {
            // Held for the pipeline: retried, counted against the circuit, or relayed as it came.
            var retryAfter = proxyResponse.Headers.RetryAfter is { } after ? after.Delta ?? after.Date - DateTimeOffset.UtcNow : null;
            _failure = new UpstreamAnswer(status, retryAfter);
            if (!await HoldAsync(content, RelaySettings.MaxErrorBytes, cancellationToken))
            {
                ReturnHeld();
            }

            return false;
        }

        WriteAttemptHeaders();
        if (string.Equals(content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            // The stream may end otherwise than the upstream's did (an error event): it goes without a length.
            httpContext.Response.ContentLength = null;
            proxyResponse.Content = new EventStreamContent(content, this);
            return true;
        }

        if (Stream)
        {
            _failure = new BadAnswer("upstream_bad_response", "The upstream provider answered a streaming request with a body that is not an event stream.");
            return false;
        }

        // Held whole for the post-call guardrail; FinishAsync sends it.
        if (!await HoldAsync(content, RelaySettings.MaxHeldBytes, cancellationToken))
        {
            _failure = new BadAnswer("upstream_response_too_large", $"The upstream provider's answer is larger than {RelaySettings.MaxHeldBytes} bytes.");
            return false;
        }

        if (content.Headers.ContentEncoding.Count == 0 && content.Headers.ContentType?.MediaType is { } type && type.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                Facts.Read(_held.AsSpan(0, _heldLength));
            }
            catch (JsonException)
            {
                _failure = new BadAnswer("upstream_bad_response", "The upstream provider's answer is not valid JSON.");
            }
        }

        return false;
    }

    public void Dispose()
    {
        ReturnHeld();
        Return(ref _body);
        Return(ref _upstream);
    }

    // The body, in one Utf8JsonReader pass: model, stream, max_tokens, the messages' text (the banned
    // word), the slot's place; each top-level name once. Then the sample's checks, and the body without the slot.
    private void ReadEnvelope(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        if (body.IsEmpty)
        {
            throw new ClientError(400, "The request body is empty: send a JSON object.");
        }

        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ClientError(400, $"The request body must be a JSON object, not {Describe(reader.TokenType)}.");
        }

        var names = new TopLevelNames();
        long previousEnd = -1, slotStart = -1, slotEnd = -1, beforeSlot = -1, maxTokens = 0;
        var messages = 0;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                names.Add(ref reader);
                var nameStart = reader.TokenStartIndex;
                if (reader.ValueTextEquals(route.Slot))
                {
                    (slotStart, beforeSlot) = (nameStart, previousEnd);
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new ClientError(400, $"'{System.Text.Encoding.UTF8.GetString(route.Slot)}' must be a JSON object, not {Describe(reader.TokenType)}.");
                    }

                    if (relay.Traced)
                    {
                        ReadMetadata(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }

                    slotEnd = reader.BytesConsumed;
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    Model = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    Stream = reader.TokenType == JsonTokenType.True;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("max_tokens"u8))
                {
                    reader.Read();
                    maxTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : 0;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    messages = ReadMessages(ref reader);
                }
                else if (route.Anthropic && reader.ValueTextEquals("system"u8))
                {
                    reader.Read();
                    CheckContent(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }

                previousEnd = reader.BytesConsumed;
            }

            // Anything but white space after the closing brace throws here.
            reader.Read();
        }
        finally
        {
            names.Dispose();
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            throw new ClientError(400, "'model' is required.");
        }

        if (messages == 0)
        {
            throw new ClientError(400, "'messages' must contain at least one message.");
        }

        if (route.Anthropic && maxTokens < 1)
        {
            throw new ClientError(400, "'max_tokens' is required and must be at least 1.");
        }

        if (_banned)
        {
            throw new ClientError(400, "Violated guardrail policy: the prompt contains a banned word.", "guardrail_blocked");
        }

        if (slotStart >= 0)
        {
            Cut(body, beforeSlot >= 0 ? beforeSlot : slotStart, beforeSlot >= 0 ? slotEnd : AfterComma(body, slotEnd));
        }
    }

    // Tracing only: the slot's trace_name, session_id and tags (strings, each bounded; at most MaxTags tags).
    private void ReadMetadata(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("trace_name"u8))
            {
                reader.Read();
                TraceName = Bounded(ref reader);
            }
            else if (reader.ValueTextEquals("session_id"u8))
            {
                reader.Read();
                SessionId = Bounded(ref reader);
            }
            else if (reader.ValueTextEquals("tags"u8) && reader.Read() && reader.TokenType == JsonTokenType.StartArray)
            {
                var tags = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (Bounded(ref reader) is { } tag && tags.Count < Tracing.MaxTags)
                    {
                        tags.Add(tag);
                    }
                }

                Tags = tags.ToArray();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static string? Bounded(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        var length = reader.ValueSpan.Length;
        if (length <= Tracing.MaxValueLength)
        {
            return reader.GetString();
        }

        var rented = ArrayPool<char>.Shared.Rent(length);
        try
        {
            return new string(rented, 0, Math.Min(reader.CopyString(rented), Tracing.MaxValueLength));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private int ReadMessages(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 0;
        }

        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            count++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isContent = reader.ValueTextEquals("content"u8);
                reader.Read();
                if (isContent)
                {
                    CheckContent(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return count;
    }

    // A content value: a string, or an array of parts whose "text" strings are the text (the sample's ContentText).
    private void CheckContent(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            _banned |= HasBannedWord(ref reader);
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isText = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (isText && reader.TokenType == JsonTokenType.String)
                {
                    _banned |= HasBannedWord(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
    }

    // The sample's BannedWordGuardrail: the word anywhere in a text, ignoring case.
    private bool HasBannedWord(ref Utf8JsonReader reader)
    {
        var length = reader.ValueSpan.Length;
        char[]? rented = null;
        var text = length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            return text[..reader.CopyString(text)].Contains(relay.Settings.BannedWord, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    // The body without [start, end): the one copy of the request.
    private void Cut(ReadOnlySpan<byte> body, long start, long end)
    {
        _upstreamLength = body.Length - (int)(end - start);
        _upstream = ArrayPool<byte>.Shared.Rent(Math.Max(_upstreamLength, 1));
        body[..(int)start].CopyTo(_upstream);
        body[(int)end..].CopyTo(_upstream.AsSpan((int)start));
    }

    // The slot was the first property: the comma after it goes with it.
    private static long AfterComma(ReadOnlySpan<byte> body, long end)
    {
        var next = (int)end;
        while (next < body.Length && body[next] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            next++;
        }

        return next < body.Length && body[next] == (byte)',' ? next + 1 : end;
    }

    private async ValueTask<bool> HoldAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        _held = ArrayPool<byte>.Shared.Rent(content.Headers.ContentLength is { } length && length < limit ? (int)length + 1 : 16 * 1024);
        _heldLength = 0;
        await using var body = await content.ReadAsStreamAsync(cancellationToken);
        while (true)
        {
            if (_heldLength == _held.Length)
            {
                var grown = ArrayPool<byte>.Shared.Rent(_held.Length * 2);
                _held.AsSpan(0, _heldLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_held);
                _held = grown;
            }

            var read = await body.ReadAsync(_held.AsMemory(_heldLength), cancellationToken);
            if (read == 0)
            {
                return true;
            }

            _heldLength += read;
            if (_heldLength > limit)
            {
                return false;
            }
        }
    }

    private void ReturnHeld() => Return(ref _held);

    private static void Return(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "a value",
    };

    /// <summary>The top-level names seen so far, unescaped, in pooled memory: a second one is refused as the sample refuses it.</summary>
    private struct TopLevelNames : IDisposable
    {
        private byte[]? _bytes;
        private int[]? _ends;
        private int _count;

        public void Add(ref Utf8JsonReader reader)
        {
            _bytes ??= ArrayPool<byte>.Shared.Rent(256);
            _ends ??= ArrayPool<int>.Shared.Rent(16);
            var start = _count == 0 ? 0 : _ends[_count - 1];
            Grow(ref _bytes, start + reader.ValueSpan.Length);
            var name = _bytes.AsSpan(start, reader.CopyString(_bytes.AsSpan(start)));
            for (var i = 0; i < _count; i++)
            {
                var earlier = i == 0 ? 0 : _ends[i - 1];
                if (name.SequenceEqual(_bytes.AsSpan(earlier, _ends[i] - earlier)))
                {
                    var text = System.Text.Encoding.UTF8.GetString(name);
                    throw new ClientError(400, $"The request body is ambiguous at $.{text}: the property appears more than once in its object (once it is unescaped). Send each property once, spelled as the API spells it.", "ambiguous_property_name");
                }
            }

            Grow(ref _ends, _count + 1);
            _ends[_count++] = start + name.Length;
        }

        public void Dispose()
        {
            if (_bytes is not null)
            {
                ArrayPool<byte>.Shared.Return(_bytes);
                ArrayPool<int>.Shared.Return(_ends!);
            }
        }

        private static void Grow<T>(ref T[] array, int needed)
        {
            if (needed > array.Length)
            {
                var grown = ArrayPool<T>.Shared.Rent(Math.Max(needed, array.Length * 2));
                array.CopyTo(grown, 0);
                ArrayPool<T>.Shared.Return(array);
                array = grown;
            }
        }
    }
}
