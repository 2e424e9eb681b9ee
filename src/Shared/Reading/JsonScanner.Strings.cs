using System;
using System.Text;

namespace TracedLlm.Reading;

// JsonScanner: strings, as they cross pieces: escapes and \u surrogate pairs decoded byte by byte,
// short values kept as written up to a limit, output text unescaped and passed on as it comes.
internal sealed partial class JsonScanner
{
    private int ScanString(ReadOnlySpan<byte> data, int i)
    {
        while (i < data.Length)
        {
            if (_escape)
            {
                i = ScanEscape(data, i);
                continue;
            }

            var rest = data[i..];
            var special = rest.IndexOfAny(StringSpecials);
            var run = special < 0 ? rest : rest[..special];
            if (run.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0)
            {
                _state = State.Error;
                return data.Length;
            }

            Append(run);
            if (special < 0)
            {
                return data.Length;
            }

            i += special + 1;
            if (rest[special] == (byte)'\\')
            {
                if (_interest == StringInterest.Value && _state == State.InString)
                {
                    AppendValue((byte)'\\');
                }

                _escape = true;
                _valueEscaped = true;
                if (_state == State.InName)
                {
                    _nameOther = true;
                }
            }
            else
            {
                EndString();
                return i;
            }
        }

        return i;
    }

    private int ScanEscape(ReadOnlySpan<byte> data, int i)
    {
        var b = data[i++];
        if (_interest == StringInterest.Value && _state == State.InString)
        {
            // A short value is kept as written, escapes and all, and unescaped once whole.
            AppendValue(b);
        }

        if (_unicodeDigits >= 0)
        {
            var digit = JsonHex.Digit(b);
            if (digit < 0)
            {
                _state = State.Error;
                return data.Length;
            }

            _unicodeValue = (_unicodeValue << 4) | digit;
            if (++_unicodeDigits == 4)
            {
                _unicodeDigits = -1;
                _escape = false;
                AppendCodeUnit(_unicodeValue);
            }

            return i;
        }

        byte unescaped;
        switch (b)
        {
            case (byte)'"': unescaped = (byte)'"'; break;
            case (byte)'\\': unescaped = (byte)'\\'; break;
            case (byte)'/': unescaped = (byte)'/'; break;
            case (byte)'b': unescaped = (byte)'\b'; break;
            case (byte)'f': unescaped = (byte)'\f'; break;
            case (byte)'n': unescaped = (byte)'\n'; break;
            case (byte)'r': unescaped = (byte)'\r'; break;
            case (byte)'t': unescaped = (byte)'\t'; break;
            case (byte)'u':
                _unicodeDigits = 0;
                _unicodeValue = 0;
                return i;
            default:
                _state = State.Error;
                return data.Length;
        }

        _escape = false;
        FlushSurrogate();
        if (_interest == StringInterest.Text && _state == State.InString)
        {
            _facts.OnText(new ReadOnlySpan<byte>(in unescaped));
        }

        return i;
    }

    /// <summary>
    /// A UTF-16 code unit from <c>\uXXXX</c>: paired into one code point when it is half of a surrogate pair.
    /// </summary>
    private void AppendCodeUnit(int unit)
    {
        if (_interest != StringInterest.Text || _state != State.InString)
        {
            return;
        }

        if (char.IsHighSurrogate((char)unit))
        {
            FlushSurrogate();
            _highSurrogate = unit;
            return;
        }

        var scalar = unit;
        if (char.IsLowSurrogate((char)unit))
        {
            scalar = _highSurrogate != 0 ? char.ConvertToUtf32((char)_highSurrogate, (char)unit) : 0xFFFD;
            _highSurrogate = 0;
        }
        else
        {
            FlushSurrogate();
        }

        var written = new Rune(scalar).EncodeToUtf8(_utf8);
        _facts.OnText(_utf8.AsSpan(0, written));
    }

    /// <summary>A high surrogate with no low one after it stands for U+FFFD.</summary>
    private void FlushSurrogate()
    {
        if (_highSurrogate != 0)
        {
            _highSurrogate = 0;
            var written = Rune.ReplacementChar.EncodeToUtf8(_utf8);
            _facts.OnText(_utf8.AsSpan(0, written));
        }
    }

    private void Append(ReadOnlySpan<byte> run)
    {
        if (run.IsEmpty)
        {
            return;
        }

        if (_state == State.InName)
        {
            if (_nameLength + run.Length <= MaxNameBytes)
            {
                run.CopyTo(_name.AsSpan(_nameLength));
                _nameLength += run.Length;
            }
            else
            {
                _nameOther = true;
            }

            return;
        }

        switch (_interest)
        {
            case StringInterest.Value:
                if (_valueLength + run.Length <= MaxValueBytes)
                {
                    run.CopyTo(_value.AsSpan(_valueLength));
                    _valueLength += run.Length;
                }
                else
                {
                    _valueOverflow = true;
                }

                break;
            case StringInterest.Text:
                FlushSurrogate();
                _facts.OnText(run);
                break;
        }
    }

    private void AppendValue(byte b)
    {
        if (_valueLength < MaxValueBytes)
        {
            _value[_valueLength++] = b;
        }
        else
        {
            _valueOverflow = true;
        }
    }

    private void EndString()
    {
        if (_state == State.InName)
        {
            var name = _nameOther ? JsonNames.Other : JsonNames.Lookup(_name.AsSpan(0, _nameLength));
            _memberPath = JsonNames.Child(_containerPaths[_depth - 1], name);
            _state = State.Colon;
            return;
        }

        if (_interest == StringInterest.Value && !_valueOverflow)
        {
            _facts.OnString(_valuePath, _value.AsSpan(0, _valueLength), _valueEscaped);
        }
        else if (_interest == StringInterest.Text)
        {
            FlushSurrogate();
        }

        ValueEnded();
    }
}
