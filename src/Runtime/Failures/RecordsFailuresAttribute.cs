using System;

namespace TracedLlm;

/// <summary>
/// Marks a method, or every method of a type or interface, that keeps a failure as the failure's own record.
/// </summary>
/// <remarks>
/// A delivery adapter that returns and stores a failed delivery, an outbox writer, the app's own failure log beside the
/// route's. Analyzers TLLM2004 and TLLM2007 take a catch inside such a method, or a catch that calls one, as having
/// recorded the failure. It has no effect at run time; the spans still show only what reaches the failure path.
/// </remarks>
/// <example>
/// <code>
/// [RecordsFailures]
/// public interface IChannelAdapter { Task&lt;DeliveryResult&gt; SendAsync(Message message); }
/// </code>
/// </example>
[AttributeUsage(
    AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface,
    AllowMultiple = false,
    Inherited = false
)]
public sealed class RecordsFailuresAttribute : Attribute { }
