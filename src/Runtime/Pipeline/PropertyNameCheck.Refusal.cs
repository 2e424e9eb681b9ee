using System;
using System.Text;

namespace TracedLlm.Pipeline;

// PropertyNameCheck: the verdict on two names that read as one, and the refusal that names
// the place in the client's terms (its JSON path, the names cut to a length a message may show).
internal sealed partial class PropertyNameCheck
{
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
            throw Refusal(
                b,
                $"'{Shown(b)}' and '{Shown(a)}' differ only in case, and a reader that ignores case takes them for "
                + "one property");
        }
    }

    private InvalidLlmRequestException CaseVariant(ReadOnlySpan<byte> name, string bound) =>
        Refusal(
            name,
            $"this route reads '{Shown(bound)}' whatever its case, and an upstream may not; spell it "
            + $"'{Shown(bound)}'");

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
        var refusal = new InvalidLlmRequestException(
            $"The request body is ambiguous at {path}: {why}. Send each property once, spelled as the API spells it.",
            code: ErrorCode)
        {
            JsonPath = path.ToString(),
        };

        // The walk ends here: the thread gets its instance back (a refused body costs no new one).
        Finish();
        return refusal;
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
}
