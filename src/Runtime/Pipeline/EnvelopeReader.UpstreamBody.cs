using System;

namespace TracedLlm.Pipeline;

// EnvelopeReader: the body to forward, rebuilt once the body is read (the slot cut out, or only
// the gateway's keys of a shared slot).
public partial struct EnvelopeReader
{
    /// <summary>The body to forward: the gateway's slot cut out.</summary>
    /// <remarks>
    /// A shared slot cut only of the keys the gateway took (whole when they were all it held, untouched when it took
    /// none).
    /// </remarks>
    private readonly ReadOnlyMemory<byte> UpstreamBody()
    {
        if (!_slotSeen || _slotLeft)
        {
            return _body;
        }

        if (_providerKeys is null)
        {
            return WithoutSlot();
        }

        if (!_metadata.IsPresent)
        {
            return _body;
        }

        return _providerKeys.Count == 0 ? WithoutSlot() : WithProviderKeys();
    }

    /// <summary>The body with the shared slot's value rebuilt of the provider's keys, each as it came.</summary>
    private readonly ReadOnlyMemory<byte> WithProviderKeys()
    {
        var span = _body.Span;
        var kept = 2L;
        foreach (var (start, end) in _providerKeys!)
        {
            kept += end - start + 1;
        }

        var result = new byte[_slotValueStart + kept - 1 + (span.Length - _slotEnd)];
        var written = (int)_slotValueStart;
        span[..written].CopyTo(result);
        result[written++] = (byte)'{';
        for (var i = 0; i < _providerKeys.Count; i++)
        {
            var (start, end) = _providerKeys[i];
            if (i > 0)
            {
                result[written++] = (byte)',';
            }

            span[(int)start..(int)end].CopyTo(result.AsSpan(written));
            written += (int)(end - start);
        }

        result[written++] = (byte)'}';
        span[(int)_slotEnd..].CopyTo(result.AsSpan(written));
        return result;
    }

    private readonly ReadOnlyMemory<byte> WithoutSlot()
    {
        var span = _body.Span;
        long cutStart;
        long cutEnd;
        if (_slotPreviousValueEnd >= 0)
        {
            // Not the first property: cut from the end of the previous value, taking the comma before the slot.
            cutStart = _slotPreviousValueEnd;
            cutEnd = _slotEnd;
        }
        else
        {
            // The first property: cut the slot and the comma after it, if another property follows.
            cutStart = _slotStart;
            cutEnd = _slotEnd;
            var next = cutEnd;
            while (next < span.Length && IsJsonWhiteSpace(span[(int)next]))
            {
                next++;
            }

            if (next < span.Length && span[(int)next] == (byte)',')
            {
                cutEnd = next + 1;
            }
        }

        var result = new byte[span.Length - (cutEnd - cutStart)];
        span[..(int)cutStart].CopyTo(result);
        span[(int)cutEnd..].CopyTo(result.AsSpan((int)cutStart));
        return result;
    }

    private static bool IsJsonWhiteSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}
