using System;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>When a guardrail runs, relative to the upstream call.</summary>
[Flags]
public enum GuardrailMode
{
    /// <summary>Never runs.</summary>
    None = 0,
    /// <summary>Before the handler calls upstream; a block stops the call.</summary>
    PreCall = 1,
    /// <summary>Alongside the handler; a block discards the response.</summary>
    DuringCall = 2,
    /// <summary>After the handler returned; sees the response.</summary>
    PostCall = 4,
}

/// <summary>
/// A guardrail. Every run gets its own <c>guardrail</c> span under <c>litellm_request</c>, also when
/// it blocks (by verdict or by throwing <see cref="GuardrailBlockedException"/>) or fails.
/// Register implementations in DI.
/// </summary>
public interface ILlmGuardrail
{
    /// <summary>The name recorded as <c>guardrail_name</c>.</summary>
    string Name { get; }

    /// <summary>The modes this guardrail runs in.</summary>
    GuardrailMode Modes { get; }

    /// <summary>Checks the request (pre and during call) or the response (post call).</summary>
    ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken);
}

/// <summary>What a guardrail sees.</summary>
/// <param name="Call">The request's context: body, metadata, model.</param>
/// <param name="Mode">The mode of this run (exactly one flag).</param>
/// <param name="Request">The deserialized request body.</param>
/// <param name="Response">The handler's result, in post-call mode; otherwise null.</param>
public sealed record GuardrailContext(LlmCall Call, GuardrailMode Mode, object? Request, object? Response);

/// <summary>The outcome of a guardrail run.</summary>
public readonly record struct GuardrailVerdict
{
    private GuardrailVerdict(bool blocked, string? reason)
    {
        Blocked = blocked;
        Reason = reason;
    }

    /// <summary>The request may go on.</summary>
    public static GuardrailVerdict Allow { get; } = new(false, null);

    /// <summary>True when the guardrail blocks the request.</summary>
    public bool Blocked { get; }

    /// <summary>Why it blocked; sent to the client and recorded as <c>guardrail_response</c>.</summary>
    public string? Reason { get; }

    /// <summary>Blocks the request with a reason the client may read.</summary>
    public static GuardrailVerdict Block(string reason) => new(true, reason);
}
