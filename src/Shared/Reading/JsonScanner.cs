using System;
using System.Buffers;

namespace TracedLlm.Reading;

/// <summary>What the reader keeps of a string value.</summary>
internal enum StringInterest : byte
{
    /// <summary>Nothing: the scanner only checks it.</summary>
    None,

    /// <summary>
    /// A short value (an id, a model, a finish reason), kept as it is on the wire up to
    /// <see cref="JsonScanner.MaxValueBytes"/> bytes.
    /// </summary>
    Value,

    /// <summary>Output text, unescaped and passed on piece by piece, however long.</summary>
    Text,
}

/// <summary>
/// A JSON reader fed in pieces of any size, one document at a time, that keeps nothing but what its
/// <see cref="DocumentFacts"/> asks for.
/// </summary>
/// <remarks>
/// It checks the document's syntax, follows each value's path (<see cref="JsonNames"/>), and hands over short strings,
/// numbers and output text at the paths asked about. Its memory is fixed (a 64-level stack and a few small buffers),
/// whatever the document's size: <see cref="System.Text.Json.Utf8JsonReader"/> across pieces must keep an unfinished
/// token whole, and one token (a completion's text) can be megabytes.
/// </remarks>
internal sealed partial class JsonScanner
{
    public const int MaxValueBytes = 256;
    private const int MaxDepth = 64;
    private const int MaxNameBytes = 32;
    private const int MaxLiteralBytes = 32;
    private static readonly SearchValues<byte> StringSpecials = SearchValues.Create("\"\\"u8);

    private readonly DocumentFacts _facts;
    private readonly ulong[] _containerPaths = new ulong[MaxDepth];
    private readonly bool[] _containerIsObject = new bool[MaxDepth];
    private readonly byte[] _value = new byte[MaxValueBytes];
    private readonly byte[] _name = new byte[MaxNameBytes];
    private readonly byte[] _literal = new byte[MaxLiteralBytes];
    private readonly byte[] _utf8 = new byte[4];
    private int _depth;
    private State _state;
    private ulong _memberPath;
    private ulong _valuePath;
    private StringInterest _interest;
    private bool _escape;
    private int _unicodeDigits = -1;
    private int _unicodeValue;
    private int _highSurrogate;
    private bool _valueEscaped;
    private int _valueLength;
    private bool _valueOverflow;
    private int _nameLength;
    private bool _nameOther;
    private int _literalLength;
    private bool _literalOverflow;

    public JsonScanner(DocumentFacts facts)
    {
        _facts = facts;
    }

    private enum State : byte
    {
        Value,
        ValueOrEnd,
        NameOrEnd,
        Name,
        Colon,
        AfterValue,
        InName,
        InString,
        InLiteral,
        Done,
        Error,
    }

    /// <summary>True once the document has a syntax error: the rest of it is not read.</summary>
    public bool Invalid => _state == State.Error;

    /// <summary>Starts a new document.</summary>
    public void Reset()
    {
        _depth = 0;
        _state = State.Value;
        _escape = false;
        _unicodeDigits = -1;
        _highSurrogate = 0;
    }

    /// <summary>Reads the next piece of the document.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            switch (_state)
            {
                case State.InName:
                case State.InString:
                    i = ScanString(data, i);
                    continue;
                case State.InLiteral:
                    i = ScanLiteral(data, i);
                    continue;
                case State.Error:
                    return;
            }

            var b = data[i++];
            if (b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                continue;
            }

            switch (_state)
            {
                case State.Value:
                    StartValue(b);
                    break;
                case State.ValueOrEnd:
                    if (b == (byte)']')
                    {
                        EndContainer();
                    }
                    else
                    {
                        StartValue(b);
                    }

                    break;
                case State.NameOrEnd:
                case State.Name:
                    if (b == (byte)'}' && _state == State.NameOrEnd)
                    {
                        EndContainer();
                    }
                    else if (b == (byte)'"')
                    {
                        _nameLength = 0;
                        _nameOther = false;
                        _state = State.InName;
                    }
                    else
                    {
                        _state = State.Error;
                    }

                    break;
                case State.Colon:
                    _state = b == (byte)':' ? State.Value : State.Error;
                    break;
                case State.AfterValue:
                    var inObject = _containerIsObject[_depth - 1];
                    if (b == (byte)',')
                    {
                        _state = inObject ? State.Name : State.Value;
                    }
                    else if ((b == (byte)'}' && inObject) || (b == (byte)']' && !inObject))
                    {
                        EndContainer();
                    }
                    else
                    {
                        _state = State.Error;
                    }

                    break;
                default:
                    // Done: only whitespace may follow the document.
                    _state = State.Error;
                    break;
            }
        }
    }

    /// <summary>Ends the document: true when it was whole and valid.</summary>
    public bool End()
    {
        if (_state == State.InLiteral && _depth == 0)
        {
            EndLiteral();
        }

        return _state == State.Done;
    }

    private ulong CurrentValuePath() =>
        _depth == 0 ? 0
        : _containerIsObject[_depth - 1] ? _memberPath
        : _containerPaths[_depth - 1];

    /// <summary>
    /// The path of the current string, number or literal, or none when it stands directly in an array.
    /// </summary>
    /// <remarks>
    /// A scalar directly inside an array is no member's value: an object there reads on its array's path
    /// (<c>choices[].finish_reason</c>), but a model, tier or count given as an array is not one.
    /// </remarks>
    private ulong CurrentScalarPath() =>
        _depth > 0 && !_containerIsObject[_depth - 1] ? JsonNames.Untracked : CurrentValuePath();

    private void StartValue(byte b)
    {
        var path = CurrentValuePath();
        switch (b)
        {
            case (byte)'{':
                _facts.OnObject(path);
                Push(path, isObject: true);
                _state = _state == State.Error ? State.Error : State.NameOrEnd;
                break;
            case (byte)'[':
                _facts.OnArray(path);
                Push(path, isObject: false);
                _state = _state == State.Error ? State.Error : State.ValueOrEnd;
                break;
            case (byte)'"':
                _valuePath = CurrentScalarPath();
                _interest = _facts.InterestIn(_valuePath);
                _valueLength = 0;
                _valueOverflow = false;
                _valueEscaped = false;
                _state = State.InString;
                break;
            default:
                if (b is (byte)'-' or >= (byte)'0' and <= (byte)'9' or (byte)'t' or (byte)'f' or (byte)'n')
                {
                    _valuePath = CurrentScalarPath();
                    _literal[0] = b;
                    _literalLength = 1;
                    _literalOverflow = false;
                    _state = State.InLiteral;
                }
                else
                {
                    _state = State.Error;
                }

                break;
        }
    }

    private void Push(ulong path, bool isObject)
    {
        if (_depth == MaxDepth)
        {
            _state = State.Error;
            return;
        }

        _containerPaths[_depth] = path;
        _containerIsObject[_depth] = isObject;
        _depth++;
    }

    private void EndContainer()
    {
        _depth--;
        ValueEnded();
    }

    private void ValueEnded() => _state = _depth == 0 ? State.Done : State.AfterValue;

    private int ScanLiteral(ReadOnlySpan<byte> data, int i)
    {
        while (i < data.Length)
        {
            var b = data[i];
            if (!(b is (byte)'-' or (byte)'+' or (byte)'.' or >= (byte)'0' and <= (byte)'9'
                    or >= (byte)'a' and <= (byte)'z' or (byte)'E'))
            {
                EndLiteral();
                return i;
            }

            if (_literalLength < MaxLiteralBytes)
            {
                _literal[_literalLength++] = b;
            }
            else
            {
                _literalOverflow = true;
            }

            i++;
        }

        return i;
    }

    private void EndLiteral()
    {
        var literal = _literal.AsSpan(0, _literalLength);
        if (literal[0] is (byte)'-' or >= (byte)'0' and <= (byte)'9')
        {
            if (!_literalOverflow && DocumentFacts.WantsNumber(_valuePath))
            {
                _facts.OnNumber(_valuePath, literal);
            }

            ValueEnded();
        }
        else if (literal.SequenceEqual("true"u8) || literal.SequenceEqual("false"u8) || literal.SequenceEqual("null"u8))
        {
            ValueEnded();
        }
        else
        {
            _state = State.Error;
        }
    }
}
