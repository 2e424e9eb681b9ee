using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TracedLlm.Pipeline;

/// <summary>
/// The property names a route's request type binds whatever their case, object by object, as
/// <see cref="PropertyNameCheck"/> needs them.
/// </summary>
/// <remarks>
/// With <see cref="JsonSerializerOptions.PropertyNameCaseInsensitive"/> (ASP.NET Core's default) the handler reads
/// <c>"Model"</c> as <c>model</c> while a case-sensitive upstream reads nothing, so a case variant of a bound name is
/// refused. Built once per request type from its <see cref="JsonTypeInfo"/> (no reflection of its own). For generated
/// code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class RequestShape
{
    private static readonly RequestShape OpaqueShape = new(Array.Empty<BoundName>(), items: null);

    // The names the gateway itself reads at the top of every body (the envelope), whatever the route's type.
    private static readonly string[] EnvelopeNames =
        { "model", "stream", "temperature", "top_p", "max_tokens", "max_completion_tokens" };

    private BoundName[] _names;
    private ulong[] _keys;
    private RequestShape? _items;

    // The root shapes of this type for each slot it has been read with (a slot is a route's
    // constant, so there are one or two); replaced whole when one is added.
    private (string Slot, RequestShape Root)[] _roots = Array.Empty<(string, RequestShape)>();

    private RequestShape(BoundName[] names, RequestShape? items)
    {
        _names = names;
        _keys = Keys(names);
        _items = items;
    }

    /// <summary>
    /// A body no type binds: a <c>JsonElement</c> or <c>JsonNode</c> handler, or none; only the envelope's own names
    /// are bound.
    /// </summary>
    public static RequestShape Untyped => OpaqueShape;

    /// <summary>The shape of a body's top level on a route whose slot is <paramref name="slot"/>.</summary>
    /// <remarks>
    /// This type's names, the envelope's (<c>model</c>, <c>stream</c>, <c>temperature</c>, <c>top_p</c>,
    /// <c>max_tokens</c>, <c>max_completion_tokens</c>) and the slot, each read whatever its case by the handler, the
    /// trace or the gateway itself.
    /// </remarks>
    internal RequestShape Root(string slot)
    {
        foreach (var (known, root) in _roots)
        {
            if (ReferenceEquals(known, slot))
            {
                return root;
            }
        }

        var names = new List<BoundName>(_names);
        // A route with no slot (MetadataSlots.None) binds the envelope's names only.
        foreach (var name in slot.Length == 0 ? EnvelopeNames : EnvelopeNames.Append(slot))
        {
            if (!names.Exists(n => n.Name == name))
            {
                names.Add(new BoundName(name, OpaqueShape));
            }
        }

        var added = new RequestShape(names.ToArray(), _items);
        _roots = [.. _roots, (slot, added)];
        return added;
    }

    /// <summary>True when nothing here is bound: names need no look-up.</summary>
    internal bool IsOpaque => _names.Length == 0 && _items is null;

    /// <summary>The shape of an array's items or a dictionary's values.</summary>
    internal RequestShape Items => _items ?? OpaqueShape;

    /// <summary>
    /// The shape of <typeparamref name="T"/> as <paramref name="gateway"/>'s JSON options read it, for
    /// a route whose body parameter is a <typeparamref name="T"/>: built once per gateway from its type info.
    /// </summary>
    public static RequestShape Of<T>(TracedLlmGateway gateway) => Cache<T>.Get(gateway);

    /// <summary>
    /// The shape of a parameter that is the body unless DI has its type
    /// (<see cref="PreCallStage.ReadRequestOrService{T}"/>): its type's when it is the body, else
    /// <paramref name="otherwise"/> (the next such parameter's, or <see cref="Untyped"/>).
    /// </summary>
    public static RequestShape OfBodyOrService<T>(TracedLlmGateway gateway, RequestShape otherwise)
    {
        System.ArgumentNullException.ThrowIfNull(gateway);
        return gateway.IsService<T>() ? otherwise : Cache<T>.Get(gateway);
    }

    /// <summary>The shape of the JSON <paramref name="typeInfo"/> reads.</summary>
    internal static RequestShape For(JsonTypeInfo typeInfo)
    {
        // Case-sensitive binding reads only the exact name, as a case-sensitive upstream does.
        if (!typeInfo.Options.PropertyNameCaseInsensitive)
        {
            return OpaqueShape;
        }

        var built = new Dictionary<Type, RequestShape>();
        return Build(typeInfo, built, depth: 0);
    }

    /// <summary>
    /// Looks a body's property name up: the child shape of an exactly bound name, or, for a name
    /// that differs from a bound one only in case, that bound name.
    /// </summary>
    internal RequestShape? Find(ReadOnlySpan<byte> name, ulong key, out string? variantOf)
    {
        variantOf = null;
        var keys = _keys.AsSpan();
        var from = 0;
        while (keys[from..].IndexOf(key) is var at and >= 0)
        {
            var bound = _names[from + at];
            if (name.SequenceEqual(bound.Utf8))
            {
                return bound.Shape;
            }

            if (PropertyNameCheck.EqualsIgnoreCase(name, bound.Name))
            {
                variantOf = bound.Name;
                return null;
            }

            from += at + 1;
        }

        return null;
    }

    private static RequestShape Build(JsonTypeInfo typeInfo, Dictionary<Type, RequestShape> built, int depth)
    {
        if (built.TryGetValue(typeInfo.Type, out var known))
        {
            return known;
        }

        // Past any depth a body can reach (the reader's MaxDepth), nothing more is bound.
        if (depth > 64)
        {
            return OpaqueShape;
        }

        switch (typeInfo.Kind)
        {
            case JsonTypeInfoKind.Object:
            {
                // Registered before its properties: a type that contains itself refers to this node.
                var shape = new RequestShape(Array.Empty<BoundName>(), items: null);
                built[typeInfo.Type] = shape;
                var names = new List<BoundName>();
                AddProperties(typeInfo, names, built, depth);
                if (typeInfo.PolymorphismOptions is { } polymorphism)
                {
                    // A polymorphic type binds the names of each derived type it may be read as.
                    foreach (var derived in polymorphism.DerivedTypes)
                    {
                        if (RequestMismatch.TryGetTypeInfo(typeInfo.Options, derived.DerivedType, out var derivedInfo)
                            && derivedInfo.Kind == JsonTypeInfoKind.Object)
                        {
                            AddProperties(derivedInfo, names, built, depth);
                        }
                    }
                }

                shape._names = names.ToArray();
                shape._keys = Keys(shape._names);
                return shape;
            }

            case JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary when typeInfo.ElementType is { } element:
            {
                // A dictionary's keys are data, not bound names; its values and an array's items have the element's
                // shape.
                var shape = new RequestShape(Array.Empty<BoundName>(), items: null);
                built[typeInfo.Type] = shape;
                shape._items = RequestMismatch.TryGetTypeInfo(typeInfo.Options, element, out var elementInfo)
                    ? Build(elementInfo, built, depth + 1)
                    : OpaqueShape;
                if (shape._items.IsOpaque)
                {
                    shape._items = null;
                    built[typeInfo.Type] = OpaqueShape;
                    return OpaqueShape;
                }

                return shape;
            }

            default:
                // JsonElement, JsonNode, primitives, custom converters: read as a whole, no names bound.
                built[typeInfo.Type] = OpaqueShape;
                return OpaqueShape;
        }
    }

    private static void AddProperties(
        JsonTypeInfo typeInfo, List<BoundName> names, Dictionary<Type, RequestShape> built, int depth)
    {
        foreach (var property in typeInfo.Properties)
        {
            // Every name the type declares, read-only ones too: a constructor parameter may bind it.
            if (property.IsExtensionData)
            {
                continue;
            }

            var child = property.CustomConverter is null
                && RequestMismatch.TryGetTypeInfo(typeInfo.Options, property.PropertyType, out var propertyInfo)
                ? Build(propertyInfo, built, depth + 1)
                : OpaqueShape;
            if (!names.Exists(n => n.Name == property.Name))
            {
                names.Add(new BoundName(property.Name, child));
            }
        }
    }

    /// <summary>
    /// The last gateway's shape for <typeparamref name="T"/>, one entry replaced whole (as the gateway keeps its type
    /// infos).
    /// </summary>
    private static class Cache<T>
    {
        private static Entry? s_last;

        public static RequestShape Get(TracedLlmGateway gateway)
        {
            var last = s_last;
            if (last is not null && ReferenceEquals(last.Gateway, gateway))
            {
                return last.Shape;
            }

            var shape = For(gateway.GetTypeInfo<T>());
            s_last = new Entry(gateway, shape);
            return shape;
        }

        private sealed record Entry(TracedLlmGateway Gateway, RequestShape Shape);
    }

    private static ulong[] Keys(BoundName[] names)
    {
        var keys = new ulong[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            keys[i] = PropertyNameCheck.Key(names[i].Utf8);
        }

        return keys;
    }

    private readonly record struct BoundName(string Name, RequestShape Shape)
    {
        public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(Name);
    }
}
