using System.Collections.Generic;

namespace TracedLlm;

/// <summary>
/// Whose a queued span is and how its backend reads it.
/// </summary>
/// <remarks>
/// The destination it was routed to (naming its drops) and the rewriter of that destination's
/// translation, shared by every destination that translates the same way. Destinations that send to one
/// endpoint with the same credentials share one queue and one batch (<see cref="DestinationChannel"/>);
/// each span keeps its route there, so that its pieces are translated for its own destination and its
/// drops are counted under its own name.
/// </remarks>
internal sealed class SpanRoute(string destination, OtlpRewriter? rewriter)
{
    /// <summary>The <c>destination</c> tag of the export's counters: the destination's configured name.</summary>
    public KeyValuePair<string, object?> Tag { get; } = new(BoundedExportProcessor.DestinationTag, destination);

    /// <summary>The translation of its pieces (null: as serialized); only the export thread uses it.</summary>
    public OtlpRewriter? Rewriter { get; } = rewriter;
}
