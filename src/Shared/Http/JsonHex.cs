namespace TracedLlm;

/// <summary>
/// One hex digit of a JSON <c>\u</c> escape, for the runtime's check of a request's escapes
/// (<c>JsonText</c>) and the relay's scanner, which decodes escapes byte by byte across pieces.
/// Compiled into both net10.0 packages from this one file (src/Shared/Http).
/// </summary>
internal static class JsonHex
{
    /// <summary>The digit's value, 0 to 15, or -1 when <paramref name="b"/> is not a hex digit.</summary>
    public static int Digit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
