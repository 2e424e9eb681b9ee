using System;
using System.Text;

namespace TracedLlm.Reading;

/// <summary>
/// The output text of a relayed response, kept for the post-call guardrails up to a limit; past it, counted.
/// </summary>
/// <remarks>The text is a completion's content, or a stream's text deltas.</remarks>
internal sealed class TextSink(int maxBytes)
{
    private byte[] _buffer = Array.Empty<byte>();
    private int _length;

    // The text last made from the bytes kept (every guardrail of a check reads it), until more is kept.
    private string? _text;

    /// <summary>Every byte of text the response had, kept or not.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>True when the text was longer than the limit: <see cref="ToString"/> is only its start.</summary>
    public bool Overflowed => TotalBytes > _length;

    public void Append(ReadOnlySpan<byte> utf8)
    {
        TotalBytes += utf8.Length;
        var room = maxBytes - _length;
        if (room <= 0)
        {
            return;
        }

        var take = utf8.Length <= room ? utf8 : utf8[..room];
        if (_length + take.Length > _buffer.Length)
        {
            Array.Resize(
                ref _buffer,
                (int)Math.Min(maxBytes, Math.Max(_length + take.Length, Math.Max(64, _buffer.Length * 2L))));
        }

        take.CopyTo(_buffer.AsSpan(_length));
        _length += take.Length;
        _text = null;
    }

    /// <summary>The bytes kept so far, as they are.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    /// <summary>The text kept so far (a code point cut by the limit is dropped).</summary>
    public override string ToString()
    {
        if (_text is null)
        {
            var kept = _buffer.AsSpan(0, _length);
            _text = Encoding.UTF8.GetString(kept[..Utf8Prefix(kept)]);
        }

        return _text;
    }

    /// <summary>
    /// The length of <see cref="ToString"/> in UTF-16 code units, counted from the bytes (no string made unless one
    /// was).
    /// </summary>
    public int Length
    {
        get
        {
            if (_text is not null)
            {
                return _text.Length;
            }

            var kept = _buffer.AsSpan(0, _length);
            return Encoding.UTF8.GetCharCount(kept[..Utf8Prefix(kept)]);
        }
    }

    /// <summary>The length of the longest prefix that does not end inside a UTF-8 sequence.</summary>
    private static int Utf8Prefix(ReadOnlySpan<byte> text)
    {
        var end = text.Length;
        var start = Math.Max(0, end - 3);
        for (var i = end - 1; i >= start; i--)
        {
            var b = text[i];
            if ((b & 0xC0) != 0x80)
            {
                var need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
                return end - i >= need ? end : i;
            }
        }

        return end;
    }
}
