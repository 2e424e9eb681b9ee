using System;
using System.Collections.Generic;

namespace TracedLlm;

/// <summary>
/// Where an <see cref="AttemptSequence"/> gets its targets: a primary and fallbacks fixed up front,
/// or the gateway's own chooser, asked before the first attempt and after each failure.
/// </summary>
internal readonly struct TargetSource
{
    private readonly LlmTarget? _primary;
    private readonly IReadOnlyList<LlmTarget>? _fallbacks;
    private readonly Func<LlmAttemptFailure?, LlmTarget?>? _chooser;

    public TargetSource(LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(fallbacks);
        _primary = primary;
        _fallbacks = fallbacks;
        _chooser = null;
    }

    public TargetSource(Func<LlmAttemptFailure?, LlmTarget?> chooser)
    {
        _primary = null;
        _fallbacks = null;
        _chooser = chooser;
    }

    /// <summary>True when the gateway chooses each target.</summary>
    public bool IsChosen => _chooser is not null;

    public int FallbackCount => _fallbacks?.Count ?? 0;

    /// <summary>The first target: the primary, or the gateway's first choice (null when it has none).</summary>
    public LlmTarget? First() => _chooser is null ? _primary : _chooser(null);

    public LlmTarget Fallback(int index) => _fallbacks![index];

    public LlmTarget? Choose(LlmAttemptFailure failure) => _chooser!(failure);
}
