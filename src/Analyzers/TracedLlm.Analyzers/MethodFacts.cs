using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers;

/// <summary>
/// What one method body contributes to the traced-code analysis: the methods it calls, and the
/// findings that become diagnostics if the method turns out to be reached from a traced route.
/// </summary>
internal sealed class MethodFacts
{
    public List<IMethodSymbol> Calls { get; } = new();

    /// <summary>The calls made outside any attempt scope: the edges of the TLLM2006 walk.</summary>
    public List<IMethodSymbol> UnscopedCalls { get; } = new();

    /// <summary>Upstream calls (HttpClient, IChatClient) made outside any attempt scope.</summary>
    public List<UpstreamCallSite> UnscopedUpstreamCalls { get; } = new();

    public List<SlotKeyUse> SlotKeys { get; } = new();

    public List<ThrowSite> Throws { get; } = new();

    public List<FailureFilter> Filters { get; } = new();

    public List<SpanProblem> SpanProblems { get; } = new();

    public List<SwallowSite> Swallows { get; } = new();
}

/// <summary>A string key used to read or write a dictionary or JSON object.</summary>
internal readonly record struct SlotKeyUse(string Key, Location Location);

/// <summary>A throw of a known exception type.</summary>
internal readonly record struct ThrowSite(ITypeSymbol Type, Location Location);

/// <summary>A place that decides from the exception's type whether a failure is logged, and the types it lets through.</summary>
internal readonly record struct FailureFilter(Location Location, ImmutableArray<ITypeSymbol> Accepted);

/// <summary>An Activity started in a way that can leave it open or orphaned.</summary>
internal readonly record struct SpanProblem(Location Location, string Message, string Kind);

/// <summary>A catch that neither throws nor reports.</summary>
internal readonly record struct SwallowSite(Location Location, string CaughtType);

/// <summary>An upstream call and what it is.</summary>
internal readonly record struct UpstreamCallSite(string Call, Location Location);

/// <summary>A traced route as the analyzers see it.</summary>
internal sealed record TracedRoute(IMethodSymbol Handler, string Display, string Slot, string SlotConstant);
