using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace TracedLlm.Pipeline;

/// <summary>The one-reading rule, checked as the route's reader walks the body.</summary>
/// <remarks>
/// <para>
/// In every object, at any depth, no property name may occur twice once unescaped (<c>"model"</c> and
/// <c>"\u006dodel"</c> are one name), nor two names differ only in case (readers that ignore case, System.Text.Json's
/// web defaults and Go's encoding/json among them, take them for one), nor may a name be a case variant of a name the
/// route binds whatever its case (<see cref="RequestShape"/>, the envelope's own names, the slot). Readers disagree on
/// such bodies (the first value wins, the last one wins, the case matters or not), so the guardrails, the handler,
/// the trace and the upstream could each act on a different request: such a body is refused with 400, naming its
/// JSON path.
/// </para>
/// <para>
/// Names are kept as offsets into the body (an escaped name, unescaped, in a scratch buffer), with
/// a key consistent with <see cref="StringComparison.OrdinalIgnoreCase"/> (the serializer's
/// case-insensitive matching): once their object ends, names are compared in full where their keys
/// meet in a small object, where their seeded hashes meet in a large one. One instance per thread
/// is reused, so a request allocates nothing here. System.Text.Json's own duplicate check
/// (<see cref="JsonSerializerOptions.AllowDuplicateProperties"/>) sees only what the handler's type
/// binds: not the properties it ignores and forwards, not the cut-out slot, not an untyped body,
/// not case variants, and its message names the C# type.
/// </para>
/// </remarks>
internal sealed partial class PropertyNameCheck
{
    /// <summary>The OpenAI <c>code</c> of the refusal.</summary>
    public const string ErrorCode = "ambiguous_property_name";

    // An object with more names than this is checked through a hash table instead of pairwise.
    private const int PairwiseLimit = 16;

    // Buffers kept by the thread's instance no larger than this many entries (a huge body's are let go).
    private const int KeptNames = 4096;

    private const int MaxPathNameLength = 64;

    private const string Duplicate = "the property appears more than once in its object (once it is unescaped)";

    [ThreadStatic]
    private static PropertyNameCheck? t_cached;

    private ReadOnlyMemory<byte> _body;
    private int _bodyLength;
    private Name[] _names = new Name[64];
    private int _nameCount;
    private Frame[] _frames = new Frame[8];
    private int _top = -1;
    private byte[] _unescaped = new byte[256];
    private int _unescapedLength;
    private int[]? _table;
    private int[]? _hashes;

    private PropertyNameCheck()
    {
    }

    /// <summary>
    /// The thread's instance, ready to check <paramref name="body"/>, whose root object binds <paramref name="shape"/>,
    /// the envelope's names and <paramref name="slot"/>.
    /// </summary>
    public static PropertyNameCheck Start(ReadOnlyMemory<byte> body, RequestShape shape, string slot)
    {
        var root = shape.Root(slot);
        var check = t_cached ?? new PropertyNameCheck();
        t_cached = null;
        check._body = body;
        check._bodyLength = body.Length;
        check._nameCount = 0;
        check._unescapedLength = 0;
        check._top = -1;
        check.Push(isArray: false, root);
        return check;
    }

    /// <summary>Gives the instance back to the thread once the body is read.</summary>
    public void Finish()
    {
        _body = default;
        if (_names.Length > KeptNames
            || _unescaped.Length > KeptNames * 16
            || _table is { Length: > KeptNames * 2 }
            || _hashes is { Length: > KeptNames })
        {
            // A hostile body's buffers are not kept for the thread's life.
            return;
        }

        t_cached = this;
    }

    /// <summary>
    /// Records a top-level property name (the reader is on it) and refuses a case variant of a name the gateway reads.
    /// </summary>
    public void RootProperty(ref Utf8JsonReader reader)
    {
        // The root shape binds the envelope's names and the slot besides the type's.
        Property(ref reader);
    }

    /// <summary>
    /// The refusal of a top-level property met again (the reader is on the second one's value): the slot, read where it
    /// stands.
    /// </summary>
    public InvalidLlmRequestException Repeated() => Refusal(NameText(_frames[0].CurrentName), Duplicate);

    /// <summary>Checks the root object's names once its closing brace is read.</summary>
    public void EndRoot() => CheckObject();

    /// <summary>
    /// Walks a value from its first token to its last (as <see cref="Utf8JsonReader.Skip"/> would),
    /// checking every object in it. False when the value nests deeper than <paramref name="maxDepth"/>
    /// containers (the value's own counts as 1); the reader is then left where it stopped.
    /// </summary>
    public bool Value(ref Utf8JsonReader reader, int maxDepth = int.MaxValue)
    {
        var start = _top;
        while (true)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                {
                    ref var parent = ref _frames[_top];
                    var shape = parent.IsArray ? parent.Shape.Items
                        : parent.Shape.IsOpaque ? RequestShape.Untyped
                        : parent.Child;
                    NextItem(ref parent);
                    Push(reader.TokenType == JsonTokenType.StartArray, shape);
                    if (_top - start > maxDepth)
                    {
                        Unwind(start);
                        return false;
                    }

                    break;
                }

                case JsonTokenType.EndObject:
                    CheckObject();
                    Pop();
                    break;
                case JsonTokenType.EndArray:
                    Pop();
                    break;
                case JsonTokenType.PropertyName:
                    Property(ref reader);
                    break;
                default:
                    NextItem(ref _frames[_top]);
                    break;
            }

            if (_top == start)
            {
                return true;
            }

            reader.Read();
        }
    }

    private void Property(ref Utf8JsonReader reader)
    {
        var name = AddName(ref reader, out var key);
        ref var frame = ref _frames[_top];
        if (frame.Shape.IsOpaque)
        {
            // Nothing is bound here: no look-up, and the value's shape is read from the frame's (Value).
            return;
        }

        frame.Child = frame.Shape.Find(name, key, out var variantOf) ?? RequestShape.Untyped;
        if (variantOf is not null)
        {
            throw CaseVariant(name, variantOf);
        }
    }

    private ReadOnlySpan<byte> AddName(ref Utf8JsonReader reader, out ulong key)
    {
        ReadOnlySpan<byte> name;
        Name entry;
        if (reader.ValueIsEscaped)
        {
            // Unescaping never lengthens a name.
            var raw = reader.ValueSpan.Length;
            if (_unescapedLength + raw > _unescaped.Length)
            {
                Array.Resize(ref _unescaped, Math.Max(_unescaped.Length * 2, _unescapedLength + raw));
            }

            var length = reader.CopyString(_unescaped.AsSpan(_unescapedLength));
            name = _unescaped.AsSpan(_unescapedLength, length);
            entry = new Name(_unescapedLength, length, Key(name), Unescaped: true);
            _unescapedLength += length;
        }
        else
        {
            name = reader.ValueSpan;

            // The token starts at its opening quote. A short name is followed in the body by its
            // closing quote and more: its first eight bytes are read at once where the body has them.
            var start = (int)reader.TokenStartIndex + 1;
            var shortKey = name.Length < sizeof(ulong) && start + sizeof(ulong) <= _bodyLength
                ? ShortKey(Unsafe.ReadUnaligned<ulong>(ref MemoryMarshal.GetReference(name)), name.Length)
                : Key(name);
            entry = new Name(start, name.Length, shortKey, Unescaped: false);
        }

        if (_nameCount == _names.Length)
        {
            Array.Resize(ref _names, _names.Length * 2);
        }

        _frames[_top].CurrentName = _nameCount;
        _names[_nameCount++] = entry;
        key = entry.Key;
        return name;
    }

    private ReadOnlySpan<byte> NameText(int index)
    {
        var name = _names[index];
        return name.Unescaped ? _unescaped.AsSpan(name.Start, name.Length) : _body.Span.Slice(name.Start, name.Length);
    }

    /// <summary>
    /// Compares the names of the object that ends, pairwise when it has few, through a hash table when it has many.
    /// </summary>
    private void CheckObject()
    {
        ref var frame = ref _frames[_top];
        var first = frame.FirstName;
        var count = _nameCount - first;
        if (count < 2)
        {
            return;
        }

        if (count <= PairwiseLimit)
        {
            for (var i = first; i < _nameCount; i++)
            {
                for (var j = i + 1; j < _nameCount; j++)
                {
                    if (_names[i].Key == _names[j].Key)
                    {
                        Compare(i, j);
                    }
                }
            }

            return;
        }

        // An open-addressing table of the names' indexes, by hash (seeded: a client cannot make the probes long).
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)count * 2);
        if (_table is null || _table.Length < size)
        {
            _table = new int[Math.Max(size, 256)];
        }

        if (_hashes is null || _hashes.Length < count)
        {
            _hashes = new int[Math.Max(count, 256)];
        }

        var table = _table.AsSpan(0, size);
        var hashes = _hashes.AsSpan(0, count);
        table.Fill(-1);
        for (var i = first; i < _nameCount; i++)
        {
            // A short ASCII name's key is the whole name (folded): mixed with the process's seed, it is its hash.
            var name = _names[i];
            var hash = hashes[i - first] = name.Length <= sizeof(ulong) && name.Key != NonAsciiKey
                ? (int)(((name.Key ^ Seed) * 0x9E3779B97F4A7C15) >> 32)
                : FoldedHash(NameText(i));
            var at = hash & (size - 1);
            while (table[at] is var earlier and >= 0)
            {
                if (hashes[earlier - first] == hash)
                {
                    Compare(earlier, i);
                }

                at = (at + 1) & (size - 1);
            }

            table[at] = i;
        }
    }

    private readonly record struct Name(int Start, int Length, ulong Key, bool Unescaped);
}
