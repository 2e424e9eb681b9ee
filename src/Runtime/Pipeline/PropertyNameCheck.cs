using System;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Pipeline;

/// <summary>
/// The one-reading rule, checked as the route's reader walks the body: in every object, at any
/// depth, no property name may occur twice once unescaped (<c>"model"</c> and <c>"\u006dodel"</c>
/// are one name), nor two names differ only in case (readers that ignore case, System.Text.Json's
/// web defaults and Go's encoding/json among them, take them for one), nor may a name be a case
/// variant of a name the route binds whatever its case (<see cref="RequestShape"/>, the envelope's
/// own names, the slot). Readers disagree on such bodies (the first value wins, the last one
/// wins, the case matters or not), so the guardrails, the handler, the trace and the upstream
/// could each act on a different request: such a body is refused with 400, naming its JSON path.
/// <para>
/// Names are kept as offsets into the body (an escaped name, unescaped, in a scratch buffer), with
/// a hash consistent with <see cref="StringComparison.OrdinalIgnoreCase"/> (the serializer's
/// case-insensitive matching): names with equal hashes are compared once their object ends,
/// pairwise in a small object, by sorted hashes in a large one. One instance per thread is reused, so a request
/// allocates nothing here. System.Text.Json's own duplicate check
/// (<see cref="JsonSerializerOptions.AllowDuplicateProperties"/>) sees only what the handler's type
/// binds: not the properties it ignores and forwards, not the cut-out slot, not an untyped body,
/// not case variants, and its message names the C# type.
/// </para>
/// </summary>
internal sealed class PropertyNameCheck
{
    /// <summary>The OpenAI <c>code</c> of the refusal.</summary>
    public const string ErrorCode = "ambiguous_property_name";

    // An object with more names than this is checked by sorting their hashes instead of pairwise.
    private const int PairwiseLimit = 16;

    // Buffers kept by the thread's instance no larger than this many entries (a huge body's are let go).
    private const int KeptNames = 4096;

    private const int MaxPathNameLength = 64;

    private const string Duplicate = "the property appears more than once in its object (once it is unescaped)";

    [ThreadStatic]
    private static PropertyNameCheck? t_cached;

    private ReadOnlyMemory<byte> _body;
    private Name[] _names = new Name[64];
    private int _nameCount;
    private Frame[] _frames = new Frame[8];
    private int _top = -1;
    private byte[] _unescaped = new byte[256];
    private int _unescapedLength;
    private long[]? _sorted;
    private string? _slot;
    private int _slotHash;

    private PropertyNameCheck()
    {
    }

    /// <summary>The thread's instance, ready to check <paramref name="body"/>, whose root object binds <paramref name="shape"/>, the envelope's names and <paramref name="slot"/>.</summary>
    public static PropertyNameCheck Start(ReadOnlyMemory<byte> body, RequestShape shape, string slot)
    {
        var check = t_cached ?? new PropertyNameCheck();
        t_cached = null;
        check._body = body;
        check._nameCount = 0;
        check._unescapedLength = 0;
        check._top = -1;
        if (!ReferenceEquals(check._slot, slot))
        {
            check._slot = slot;
            check._slotHash = FoldedHash(slot);
        }

        check.Push(isArray: false, shape);
        return check;
    }

    /// <summary>Gives the instance back to the thread once the body is read.</summary>
    public void Finish()
    {
        _body = default;
        if (_names.Length > KeptNames || _unescaped.Length > KeptNames * 16 || _sorted is { Length: > KeptNames })
        {
            // A hostile body's buffers are not kept for the thread's life.
            return;
        }

        t_cached = this;
    }

    /// <summary>Records a top-level property name (the reader is on it) and refuses a case variant of a name the gateway reads.</summary>
    public void RootProperty(ref Utf8JsonReader reader)
    {
        var name = AddName(ref reader, out var hash);
        ref var root = ref _frames[0];
        root.Child = RequestShape.Untyped;
        if (RequestShape.Envelope.Find(name, hash, out var variantOf) is null && variantOf is null
            && hash == _slotHash && !TextEquals(name, _slot!) && EqualsIgnoreCase(name, _slot!))
        {
            variantOf = _slot;
        }

        if (variantOf is null && !root.Shape.IsOpaque)
        {
            root.Child = root.Shape.Find(name, hash, out variantOf) ?? RequestShape.Untyped;
        }

        if (variantOf is not null)
        {
            throw CaseVariant(name, variantOf);
        }
    }

    /// <summary>The refusal of a top-level property met again (the reader is on the second one's value): the slot, read where it stands.</summary>
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
                    var shape = parent.IsArray ? parent.Shape.Items : parent.Child;
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

    /// <summary>
    /// The hash names are compared by, consistent with <see cref="StringComparison.OrdinalIgnoreCase"/>:
    /// an ASCII name upper-cased and hashed with <see cref="HashCode"/>, any other name by
    /// <see cref="string.GetHashCode(ReadOnlySpan{char}, StringComparison)"/>. (Two names equal
    /// ignoring case are both ASCII or both not, as no other character equals an ASCII one
    /// ignoring case.) Both are seeded per process, so a client cannot send many names that collide.
    /// </summary>
    public static int FoldedHash(ReadOnlySpan<byte> name)
    {
        if (Ascii.IsValid(name))
        {
            // In chunks of a fixed size, so a name hashes alike wherever it comes from.
            Span<byte> upper = stackalloc byte[256];
            var hash = default(HashCode);
            while (!name.IsEmpty)
            {
                var chunk = name[..Math.Min(name.Length, upper.Length)];
                Ascii.ToUpper(chunk, upper, out var written);
                hash.AddBytes(upper[..written]);
                name = name[chunk.Length..];
            }

            return hash.ToHashCode();
        }

        char[]? rented = null;
        var chars = name.Length <= 256 ? stackalloc char[name.Length] : (rented = ArrayPool<char>.Shared.Rent(name.Length));
        var length = Encoding.UTF8.GetChars(name, chars);
        var result = string.GetHashCode(chars[..length], StringComparison.OrdinalIgnoreCase);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary><see cref="FoldedHash(ReadOnlySpan{byte})"/> of a name given as text.</summary>
    public static int FoldedHash(string name)
    {
        byte[]? rented = null;
        var count = Encoding.UTF8.GetByteCount(name);
        var bytes = count <= 256 ? stackalloc byte[count] : (rented = ArrayPool<byte>.Shared.Rent(count));
        var hash = FoldedHash(bytes[..Encoding.UTF8.GetBytes(name, bytes)]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return hash;
    }

    /// <summary>True when two UTF-8 names are equal as <see cref="StringComparison.OrdinalIgnoreCase"/> compares their text (the serializer's case-insensitive matching).</summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (Ascii.IsValid(left) && Ascii.IsValid(right))
        {
            return Ascii.EqualsIgnoreCase(left, right);
        }

        char[]? rented = null;
        var chars = left.Length + right.Length <= 512 ? stackalloc char[left.Length + right.Length] : (rented = ArrayPool<char>.Shared.Rent(left.Length + right.Length));
        var leftLength = Encoding.UTF8.GetChars(left, chars);
        var rightLength = Encoding.UTF8.GetChars(right, chars[leftLength..]);
        var equal = MemoryExtensions.Equals(chars[..leftLength], chars.Slice(leftLength, rightLength), StringComparison.OrdinalIgnoreCase);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return equal;
    }

    /// <summary>True when a UTF-8 name is exactly <paramref name="text"/>.</summary>
    private static bool TextEquals(ReadOnlySpan<byte> name, string text)
    {
        if (Ascii.IsValid(text))
        {
            return Ascii.Equals(name, text);
        }

        char[]? rented = null;
        var chars = name.Length <= 256 ? stackalloc char[name.Length] : (rented = ArrayPool<char>.Shared.Rent(name.Length));
        var equal = chars[..Encoding.UTF8.GetChars(name, chars)].SequenceEqual(text);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return equal;
    }

    /// <summary><see cref="EqualsIgnoreCase(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> against a name given as text.</summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, string right)
    {
        char[]? rented = null;
        var chars = left.Length <= 256 ? stackalloc char[left.Length] : (rented = ArrayPool<char>.Shared.Rent(left.Length));
        var length = Encoding.UTF8.GetChars(left, chars);
        var equal = MemoryExtensions.Equals(chars[..length], right, StringComparison.OrdinalIgnoreCase);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return equal;
    }

    private void Property(ref Utf8JsonReader reader)
    {
        var name = AddName(ref reader, out var hash);
        ref var frame = ref _frames[_top];
        if (frame.Shape.IsOpaque)
        {
            frame.Child = RequestShape.Untyped;
            return;
        }

        frame.Child = frame.Shape.Find(name, hash, out var variantOf) ?? RequestShape.Untyped;
        if (variantOf is not null)
        {
            throw CaseVariant(name, variantOf);
        }
    }

    private ReadOnlySpan<byte> AddName(ref Utf8JsonReader reader, out int hash)
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
            entry = new Name(_unescapedLength, length, FoldedHash(name), Unescaped: true);
            _unescapedLength += length;
        }
        else
        {
            name = reader.ValueSpan;

            // The token starts at its opening quote.
            entry = new Name(checked((int)reader.TokenStartIndex + 1), name.Length, FoldedHash(name), Unescaped: false);
        }

        if (_nameCount == _names.Length)
        {
            Array.Resize(ref _names, _names.Length * 2);
        }

        _frames[_top].CurrentName = _nameCount;
        _names[_nameCount++] = entry;
        hash = entry.Hash;
        return name;
    }

    private ReadOnlySpan<byte> NameText(int index)
    {
        var name = _names[index];
        return name.Unescaped ? _unescaped.AsSpan(name.Start, name.Length) : _body.Span.Slice(name.Start, name.Length);
    }

    /// <summary>Compares the names of the object that ends, pairwise when it has few, by sorted hashes when it has many.</summary>
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
                    if (_names[i].Hash == _names[j].Hash)
                    {
                        Compare(i, j);
                    }
                }
            }

            return;
        }

        if (_sorted is null || _sorted.Length < count)
        {
            _sorted = new long[Math.Max(count, 256)];
        }

        var sorted = _sorted.AsSpan(0, count);
        for (var i = 0; i < count; i++)
        {
            sorted[i] = ((long)_names[first + i].Hash << 32) | (uint)(first + i);
        }

        sorted.Sort();
        for (var i = 0; i < count; i++)
        {
            for (var j = i + 1; j < count && (int)(sorted[j] >> 32) == (int)(sorted[i] >> 32); j++)
            {
                // In the order they were sent, so the message names the later one.
                var (a, b) = ((int)sorted[i], (int)sorted[j]);
                Compare(Math.Min(a, b), Math.Max(a, b));
            }
        }
    }

    private void Compare(int earlier, int later)
    {
        var a = NameText(earlier);
        var b = NameText(later);
        if (a.SequenceEqual(b))
        {
            throw Refusal(b, Duplicate);
        }

        if (EqualsIgnoreCase(a, b))
        {
            throw Refusal(b, $"'{Shown(b)}' and '{Shown(a)}' differ only in case, and a reader that ignores case takes them for one property");
        }
    }

    private InvalidLlmRequestException CaseVariant(ReadOnlySpan<byte> name, string bound) =>
        Refusal(name, $"this route reads '{Shown(bound)}' whatever its case, and an upstream may not; spell it '{Shown(bound)}'");

    private InvalidLlmRequestException Refusal(ReadOnlySpan<byte> name, string why)
    {
        var path = new StringBuilder("$");
        for (var i = 0; i < _top; i++)
        {
            ref var frame = ref _frames[i];
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else
            {
                AppendName(path, NameText(frame.CurrentName));
            }
        }

        AppendName(path, name);
        return new InvalidLlmRequestException(
            $"The request body is ambiguous at {path}: {why}. Send each property once, spelled as the API spells it.",
            code: ErrorCode);
    }

    private static void AppendName(StringBuilder path, ReadOnlySpan<byte> name)
    {
        var text = Shown(name);
        var simple = text.Length > 0;
        foreach (var c in text)
        {
            simple &= char.IsAsciiLetterOrDigit(c) || c == '_';
        }

        if (simple)
        {
            path.Append('.').Append(text);
        }
        else
        {
            path.Append("['").Append(text.Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
        }
    }

    // A client's name as an error message may show it: cut, so a huge name is not echoed whole.
    private static string Shown(ReadOnlySpan<byte> name)
    {
        var text = Encoding.UTF8.GetString(name);
        return Shown(text);
    }

    private static string Shown(string name) =>
        name.Length <= MaxPathNameLength ? name : string.Concat(name.AsSpan(0, MaxPathNameLength), "…");

    private static void NextItem(ref Frame frame)
    {
        if (frame.IsArray)
        {
            frame.Index++;
        }
    }

    private void Push(bool isArray, RequestShape shape)
    {
        if (++_top == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }

        _frames[_top] = new Frame
        {
            IsArray = isArray,
            Shape = shape,
            Child = RequestShape.Untyped,
            FirstName = _nameCount,
            UnescapedMark = _unescapedLength,
            Index = -1,
        };
    }

    private void Pop()
    {
        ref var frame = ref _frames[_top];
        _nameCount = frame.FirstName;
        _unescapedLength = frame.UnescapedMark;
        frame.Shape = null!;
        frame.Child = null!;
        _top--;
    }

    private void Unwind(int depth)
    {
        while (_top > depth)
        {
            Pop();
        }
    }

    private readonly record struct Name(int Start, int Length, int Hash, bool Unescaped);

    private struct Frame
    {
        public bool IsArray;
        public RequestShape Shape;

        // The shape of the value of the object's current property.
        public RequestShape Child;
        public int FirstName;
        public int UnescapedMark;

        // The array's current item, or the object's current property (an index into the names).
        public int Index;
        public int CurrentName;
    }
}
