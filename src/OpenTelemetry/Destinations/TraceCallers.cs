using System.Collections.Generic;

namespace TracedLlm;

/// <summary>Callers named by their teams, organisations, keys or users, as a destination's rules name them.</summary>
/// <remarks>
/// <see cref="TraceRoutingOptions.Nowhere"/> is one: the requests of the callers it names are
/// exported nowhere, defaults included (bound from <c>TracedLlm:Routing:Nowhere</c>).
/// </remarks>
public sealed class TraceCallers
{
    /// <summary>The teams (<see cref="LlmCaller.TeamId"/>).</summary>
    public List<string> Teams { get; } = new();

    /// <summary>The organisations (<see cref="LlmCaller.OrganizationId"/>).</summary>
    public List<string> Organizations { get; } = new();

    /// <summary>
    /// The keys, by alias (<see cref="LlmCaller.KeyAlias"/>) or fingerprint (<see cref="LlmCaller.KeyHash"/>).
    /// </summary>
    public List<string> Keys { get; } = new();

    /// <summary>The users (<see cref="LlmCaller.UserId"/>).</summary>
    public List<string> Users { get; } = new();
}
