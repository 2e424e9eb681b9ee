using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TracedLlm.Pipeline;

// PropertyNameCheck: how names are compared ignoring case, as System.Text.Json's case-insensitive
// matching compares them (keys, seeded hashes, equality), apart from the walk that collects them.
internal sealed partial class PropertyNameCheck
{
    private const ulong HighBits = 0x8080808080808080;

    /// <summary>
    /// The key of every name that is not ASCII: such names are compared in full with each other, never with an ASCII
    /// one.
    /// </summary>
    public const ulong NonAsciiKey = ulong.MaxValue;

    // Seeds the hash of a large object's short names: a client cannot choose names that meet.
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();

    /// <summary>
    /// A name's key, equal for names that are equal ignoring case as <see cref="StringComparison.OrdinalIgnoreCase"/>
    /// compares them (the serializer's case-insensitive matching).
    /// </summary>
    /// <remarks>
    /// An ASCII name's length and its first eight bytes with a-z folded to A-Z; <see cref="NonAsciiKey"/> for any other
    /// name (two names equal ignoring case are both ASCII or both not: no other character equals an ASCII one ignoring
    /// case). Names with equal keys are compared in full; a large object's names by a seeded hash instead
    /// (<see cref="FoldedHash(ReadOnlySpan{byte})"/>), so a client cannot make many names meet.
    /// </remarks>
    public static ulong Key(ReadOnlySpan<byte> name)
    {
        ulong first;
        if (name.Length >= sizeof(ulong))
        {
            first = BinaryPrimitives.ReadUInt64LittleEndian(name);
            if ((first & HighBits) != 0 || (name.Length > sizeof(ulong) && !Ascii.IsValid(name[sizeof(ulong)..])))
            {
                return NonAsciiKey;
            }
        }
        else
        {
            first = 0;
            for (var i = 0; i < name.Length; i++)
            {
                first |= (ulong)name[i] << (8 * i);
            }

            if ((first & HighBits) != 0)
            {
                return NonAsciiKey;
            }
        }

        return (UpperCase(first) * 31) + (ulong)name.Length;
    }

    // Key() of a name shorter than eight bytes, given the eight bytes from its start (little-endian).
    private static ulong ShortKey(ulong bytes, int length)
    {
        var first = bytes & ((1UL << (8 * length)) - 1);
        return (first & HighBits) != 0 ? NonAsciiKey : (UpperCase(first) * 31) + (ulong)length;
    }

    /// <summary>
    /// The hash a large object's names are compared by, consistent with
    /// <see cref="StringComparison.OrdinalIgnoreCase"/>.
    /// </summary>
    /// <remarks>
    /// An ASCII name's letters folded to upper case eight bytes at a time and hashed with <see cref="HashCode"/>, any
    /// other name by <see cref="string.GetHashCode(ReadOnlySpan{char}, StringComparison)"/>. Both are seeded per
    /// process, so a client cannot send many names that collide.
    /// </remarks>
    public static int FoldedHash(ReadOnlySpan<byte> name)
    {
        var hash = default(HashCode);
        hash.Add(name.Length);
        var rest = name;
        while (rest.Length >= sizeof(ulong))
        {
            var chunk = BinaryPrimitives.ReadUInt64LittleEndian(rest);
            if ((chunk & HighBits) != 0)
            {
                return NonAsciiHash(name);
            }

            hash.Add(UpperCase(chunk));
            rest = rest[sizeof(ulong)..];
        }

        if (!rest.IsEmpty)
        {
            var chunk = 0UL;
            for (var i = 0; i < rest.Length; i++)
            {
                chunk |= (ulong)rest[i] << (8 * i);
            }

            if ((chunk & HighBits) != 0)
            {
                return NonAsciiHash(name);
            }

            hash.Add(UpperCase(chunk));
        }

        return hash.ToHashCode();
    }

    // Eight ASCII bytes with a-z turned to A-Z: a byte is a lower-case letter when adding 0x1F sets
    // its high bit (at least 'a') and adding 0x05 does not ('z' at most); no sum carries into the next byte.
    private static ulong UpperCase(ulong ascii)
    {
        const ulong Ones = 0x0101010101010101;
        var atLeastA = ascii + (Ones * (0x80 - 'a'));
        var pastZ = ascii + (Ones * (0x80 - 'z' - 1));
        return ascii ^ ((atLeastA & ~pastZ & HighBits) >> 2);
    }

    private static int NonAsciiHash(ReadOnlySpan<byte> name)
    {
        char[]? rented = null;
        var chars = name.Length <= 256
            ? stackalloc char[name.Length]
            : (rented = ArrayPool<char>.Shared.Rent(name.Length));
        var length = Encoding.UTF8.GetChars(name, chars);
        var result = string.GetHashCode(chars[..length], StringComparison.OrdinalIgnoreCase);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary>
    /// True when two UTF-8 names are equal as <see cref="StringComparison.OrdinalIgnoreCase"/> compares their text (the
    /// serializer's case-insensitive matching).
    /// </summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (Ascii.IsValid(left) && Ascii.IsValid(right))
        {
            return Ascii.EqualsIgnoreCase(left, right);
        }

        char[]? rented = null;
        var chars = left.Length + right.Length <= 512
            ? stackalloc char[left.Length + right.Length]
            : (rented = ArrayPool<char>.Shared.Rent(left.Length + right.Length));
        var leftLength = Encoding.UTF8.GetChars(left, chars);
        var rightLength = Encoding.UTF8.GetChars(right, chars[leftLength..]);
        var equal = MemoryExtensions.Equals(
            chars[..leftLength], chars.Slice(leftLength, rightLength), StringComparison.OrdinalIgnoreCase);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return equal;
    }

    /// <summary>
    /// <see cref="EqualsIgnoreCase(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> against a name given as text.
    /// </summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, string right)
    {
        char[]? rented = null;
        var chars = left.Length <= 256
            ? stackalloc char[left.Length]
            : (rented = ArrayPool<char>.Shared.Rent(left.Length));
        var length = Encoding.UTF8.GetChars(left, chars);
        var equal = MemoryExtensions.Equals(chars[..length], right, StringComparison.OrdinalIgnoreCase);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return equal;
    }
}
