using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Relay;

/// <summary>
/// An upstream's error answer (status 400 or more), kept instead of relayed while the attempt policy decides.
/// </summary>
/// <remarks>
/// Its status, reason, headers and body (at most a limit), so that when every attempt has failed the last one can reach
/// the client as the upstream gave it.
/// </remarks>
internal sealed class UpstreamAnswer
{
    private UpstreamAnswer(
        int status,
        string? reasonPhrase,
        List<KeyValuePair<string, string[]>> headers,
        ReadOnlyMemory<byte>? body)
    {
        Status = status;
        ReasonPhrase = reasonPhrase;
        Headers = headers;
        Body = body;
    }

    public int Status { get; }

    public string? ReasonPhrase { get; }

    public List<KeyValuePair<string, string[]>> Headers { get; }

    /// <summary>The destination's transforms, which shape the answer's headers when it is relayed.</summary>
    public Yarp.ReverseProxy.Forwarder.HttpTransformer? Transformer { get; set; }

    /// <summary>The body, or null when it was larger than the limit or cut off (it is then not relayed).</summary>
    public ReadOnlyMemory<byte>? Body { get; }

    /// <summary>Reads the answer's headers and at most <paramref name="maxBodyBytes"/> of its body.</summary>
    public static async Task<UpstreamAnswer> CaptureAsync(
        HttpResponseMessage response,
        int maxBodyBytes,
        CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string[]>>();
        foreach (var header in response.Headers.NonValidated)
        {
            headers.Add(new(header.Key, Values(header.Value)));
        }

        foreach (var header in response.Content.Headers.NonValidated)
        {
            headers.Add(new(header.Key, Values(header.Value)));
        }

        ReadOnlyMemory<byte>? body;
        try
        {
            // The bounded read every upstream body gets: a body past the limit is not read on.
            body = await UpstreamHttp.ReadBodyAsync(response, maxBodyBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception
            is UpstreamResponseTooLargeException or UpstreamBadResponseException or HttpRequestException)
        {
            // Too large to relay, or cut off: its status and headers still say what happened.
            body = null;
        }

        return new UpstreamAnswer((int)response.StatusCode, response.ReasonPhrase, headers, body);
    }

    /// <summary>The answer as a response message again, for the transforms that shape the client's response.</summary>
    public HttpResponseMessage ToMessage()
    {
        var message = new HttpResponseMessage((HttpStatusCode)Status)
        {
            ReasonPhrase = ReasonPhrase,
            Content = new ReadOnlyMemoryContent(Body ?? ReadOnlyMemory<byte>.Empty),
        };
        message.Content.Headers.Clear();
        foreach (var (name, values) in Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, values))
            {
                message.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }

        return message;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Status}");

    private static string[] Values(HeaderStringValues values)
    {
        var result = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            result[i++] = value;
        }

        return result;
    }
}

/// <summary>
/// An upstream's error answer as an attempt's failure: the policy retries and falls back on it as on any
/// <see cref="UpstreamException"/>.
/// </summary>
internal sealed class UpstreamAnswerException : UpstreamException
{
    public UpstreamAnswerException(UpstreamAnswer answer, TimeSpan? retryAfter)
        : base(
            answer.Status,
            string.Create(CultureInfo.InvariantCulture, $"The upstream provider answered {answer.Status}."))
    {
        Answer = answer;
        RetryAfter = retryAfter;
    }

    public UpstreamAnswer Answer { get; }
}
