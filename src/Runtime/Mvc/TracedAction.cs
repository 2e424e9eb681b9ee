using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;

namespace TracedLlm.Pipeline;

/// <summary>One MVC controller action marked <c>[TracedLlmRoute]</c>, as the generator wrote it.</summary>
/// <remarks>
/// The action (its controller, name and parameter types), its route, and the reader that matches its metadata slot as a
/// constant. <c>AddControllers().AddTracedLlm()</c> finds it through the assembly's
/// <see cref="TracedActionTableAttribute"/> and runs the pipeline around the action. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class TracedAction
{
    /// <summary>Made by generated code.</summary>
    public TracedAction(
        Type controller,
        string method,
        Type[] parameterTypes,
        TracedRouteInfo route,
        Func<ReadOnlyMemory<byte>, TracedLlmOptions, RequestShape, RequestEnvelope> readEnvelope)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(parameterTypes);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(readEnvelope);
        Controller = controller;
        Method = method;
        ParameterTypes = parameterTypes;
        Route = route;
        ReadEnvelope = readEnvelope;
    }

    /// <summary>The type that declares the action.</summary>
    internal Type Controller { get; }

    /// <summary>The action method's name.</summary>
    internal string Method { get; }

    /// <summary>The action method's parameter types, which tell it from its overloads.</summary>
    internal IReadOnlyList<Type> ParameterTypes { get; }

    /// <summary>
    /// The route as the generator saw it; the endpoint MVC routes a request through gives the path recorded.
    /// </summary>
    internal TracedRouteInfo Route { get; }

    /// <summary>
    /// True when the action answers JSON only: a body asking for a stream is refused (unless the route ignores the
    /// flag).
    /// </summary>
    public bool RefusesStream { get; init; }

    /// <summary>
    /// For an action that returns <c>LlmResult&lt;TResponse, TChunk&gt;</c>: turns what it returned into the result MVC
    /// executes.
    /// </summary>
    public Func<object, IActionResult>? Unwrap { get; init; }

    internal Func<ReadOnlyMemory<byte>, TracedLlmOptions, RequestShape, RequestEnvelope> ReadEnvelope { get; }

    /// <summary>
    /// True when <paramref name="method"/> is this action (declared by <see cref="Controller"/>, named and typed
    /// alike).
    /// </summary>
    internal bool Is(MethodInfo method)
    {
        if (method.DeclaringType != Controller || method.Name != Method)
        {
            return false;
        }

        var parameters = method.GetParameters();
        if (parameters.Length != ParameterTypes.Count)
        {
            return false;
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].ParameterType != ParameterTypes[i])
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// The traced MVC actions of an assembly: the generator declares one derived attribute on the
/// assembly that holds them, which <c>AddControllers().AddTracedLlm()</c> reads where MVC finds the
/// controllers. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public abstract class TracedActionTableAttribute : Attribute
{
    /// <summary>The assembly's traced actions.</summary>
    public abstract IReadOnlyList<TracedAction> Actions { get; }

    /// <summary>The telemetry manifest of the assembly's routes (<c>tracedllm-manifest.json</c>'s text).</summary>
    public abstract string ManifestJson { get; }
}
