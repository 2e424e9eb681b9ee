using System.Net.Http;

namespace TracedLlm;

/// <summary>One request message's way through an HttpClient whose sends are attempts.</summary>
/// <remarks>
/// The traced call it belongs to, whether a send reached the innermost handler, and the target read for its body. The
/// outer handler puts it on the message (<see cref="HttpRequestMessage.Options"/>); the inner one, which each re-send
/// passes, finds it there.
/// </remarks>
internal sealed class SendState(LlmCall call)
{
    public static readonly HttpRequestOptionsKey<SendState> Key = new("TracedLlm.SendState");

    public LlmCall Call { get; } = call;

    /// <summary>
    /// True once a send reached the innermost handler (an attempt, or one the app's code opened, carried it).
    /// </summary>
    public bool Sent { get; set; }

    /// <summary>The target read for <see cref="TargetContent"/>: a re-send of the same body reads it no more.</summary>
    public LlmTarget? Target { get; set; }

    public HttpContent? TargetContent { get; set; }

    /// <summary>
    /// True once the message went out carrying an attempt's <c>traceparent</c>: a re-send goes as a copy.
    /// </summary>
    public bool Stamped { get; set; }
}
