using System;

namespace TracedLlm;

/// <summary>
/// Says that a project without routes holds code a traced route calls (an orchestrator, a provider
/// service, a <c>DelegatingHandler</c>), so the TracedLlm analyzers read it as traced code. On the
/// assembly (<c>[assembly: TracedLlmCode]</c>) every entry point another project can call is traced
/// code: the public and protected methods of public types, interface implementations and overrides,
/// hosted services left out. On a type or method, only that type's entry points or that method.
/// </summary>
/// <remarks>
/// The attribute has no effect at run time. A route's own project needs none: its routes are the roots.
/// </remarks>
[AttributeUsage(
    AttributeTargets.Assembly
        | AttributeTargets.Class
        | AttributeTargets.Struct
        | AttributeTargets.Interface
        | AttributeTargets.Method,
    AllowMultiple = false,
    Inherited = false)]
public sealed class TracedLlmCodeAttribute : Attribute
{
    /// <summary>
    /// The metadata slot of the routes that call this code (<c>metadata</c> or <c>litellm_metadata</c>), when
    /// they all use one: TLLM2001 then reports a key of the other slot here. Unset, TLLM2001 is not checked here.
    /// </summary>
    public string? MetadataSlot { get; set; }
}
