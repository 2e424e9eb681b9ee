using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace TracedLlm.Telemetry;

/// <summary>The span contract's own names (<see cref="SpanNames"/>) are the gateway's.</summary>
/// <remarks>
/// A name a client chooses (metadata <c>generation_name</c>, which renames the LLM span, and <c>trace_name</c>, the
/// trace's name in Langfuse) may neither equal nor imitate one, or a successful request could show a <c>Failed Proxy
/// Server Request</c>. A name imitates one when its skeleton equals the name's: each character read as the plain Latin
/// letter or digit it shows (fullwidth, mathematical and circled forms, accented Latin letters, Cyrillic and Greek
/// look-alikes, the digits 0, 1 and 3 for o, l and e), lower-cased, and anything else that is no letter or digit
/// (spaces, punctuation, accents, invisible and control characters) left out. The two request-level names
/// (<see cref="SpanNames.Server"/>, <see cref="SpanNames.Failure"/>) are also imitated by a name that contains their
/// skeleton. Such a name is ignored (the span keeps its contract name) and recorded as a
/// <see cref="AttributeNames.ReservedNameEvent"/> event. The skeleton uses tables of its own, not Unicode
/// normalization, which globalization-invariant mode (the sample's, and Native AOT deployments') leaves undone.
/// </remarks>
internal static class ReservedSpanNames
{
    private static readonly string[] Names =
    {
        SpanNames.Server,
        SpanNames.Auth,
        SpanNames.PreCall,
        SpanNames.LlmRequest,
        SpanNames.Guardrail,
        SpanNames.UpstreamAttempt,
        SpanNames.Failure,
    };

    private static readonly string[] Skeletons = Names.Select(Skeleton).ToArray();

    // The request-level names: contained anywhere in a client's name, they still read as the gateway's verdict.
    private static readonly string ServerSkeleton = Skeleton(SpanNames.Server);
    private static readonly string FailureSkeleton = Skeleton(SpanNames.Failure);

    // U+00C0 to U+017F (Latin-1 Supplement, Latin Extended-A): the letter each shows, '-' for none.
    private const string AccentedLatin =
        "aaaaaaaceeeeiiiidnooooo-ouuuuypsaaaaaaaceeeeiiiidnooooo-ouuuuypy"
        + "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrr"
        + "ssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

    // Letters of other scripts that look like Latin ones (after lower-casing), each written as the pair "look-alike,
    // Latin letter".
    private static readonly Dictionary<char, char> LookAlikes = new[]
    {
        // Cyrillic
        "аa",
        "бb",
        "вb",
        "гr",
        "дd",
        "еe",
        "ёe",
        "ѕs",
        "іi",
        "їi",
        "јj",
        "кk",
        "лn",
        "мm",
        "нh",
        "оo",
        "пn",
        "рp",
        "сc",
        "тt",
        "уy",
        "хx",
        "цu",
        "чy",
        "шw",
        "щw",
        "ъb",
        "ьb",
        "ѡw",
        "ԁd",
        "ԛq",
        "ԝw",
        "һh",
        "ӏl",
        // Greek
        "αa",
        "βb",
        "γy",
        "δd",
        "εe",
        "ζz",
        "ηn",
        "θo",
        "ιi",
        "κk",
        "λl",
        "μu",
        "νv",
        "ξe",
        "οo",
        "πn",
        "ρp",
        "σo",
        "ςc",
        "τt",
        "υu",
        "φo",
        "χx",
        "ψw",
        "ωw",
        "ϲc",
        "ϳj",
        "ϵe",
        // Latin letters beyond the accented ones, and letter-like symbols
        "ɡg", "ɑa", "ɩi", "ɪi", "ʏy", "ɴn", "ʀr", "ʜh", "ʟl", "ᴅd", "ℓl", "ℯe", "ℊg", "ℎh", "ℴo",
    }.ToDictionary(pair => pair[0], pair => pair[1]);

    /// <summary>
    /// The contract name <paramref name="name"/> equals or imitates, or null when it is the client's own.
    /// </summary>
    public static string? Imitated(string name)
    {
        var buffer = name.Length <= 512 ? stackalloc char[name.Length] : new char[name.Length];
        var skeleton = buffer[..WriteSkeleton(name, buffer)];
        if (skeleton.IsEmpty)
        {
            return null;
        }

        for (var i = 0; i < Skeletons.Length; i++)
        {
            if (skeleton.SequenceEqual(Skeletons[i]))
            {
                return Names[i];
            }
        }

        return skeleton.IndexOf(FailureSkeleton, StringComparison.Ordinal) >= 0 ? SpanNames.Failure
            : skeleton.IndexOf(ServerSkeleton, StringComparison.Ordinal) >= 0 ? SpanNames.Server
            : null;
    }

    /// <summary>
    /// Records on <paramref name="span"/> that a client's name for <paramref name="field"/> was ignored because it
    /// imitates <paramref name="imitated"/>.
    /// </summary>
    public static void AddEvent(Activity span, int maxEvents, string field, string imitated)
    {
        if (TelemetryText.HasRoomForEvent(span, maxEvents))
        {
            span.AddEvent(
                new ActivityEvent(
                    AttributeNames.ReservedNameEvent,
                    tags: new ActivityTagsCollection
                    {
                        [AttributeNames.InvalidTraceContextField] = field,
                        [AttributeNames.InvalidTraceContextReason] =
                            $"equals or imitates the span name '{imitated}', which the span contract gives its own "
                            + "span",
                    }));
        }
    }

    /// <summary>What is left of a name to compare: see the type's summary.</summary>
    internal static string Skeleton(string name)
    {
        var buffer = new char[name.Length];
        return new string(buffer, 0, WriteSkeleton(name, buffer));
    }

    // The skeleton (never longer than the name: one character at most for each of its characters).
    private static int WriteSkeleton(string name, Span<char> skeleton)
    {
        var length = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            var shown = Shown(rune.Value);
            if (shown != '\0')
            {
                skeleton[length++] = shown;
            }
        }

        return length;
    }

    // The plain letter or digit a character shows, lower-cased ('0', '1', '3' as 'o', 'l', 'e'); another
    // letter or digit as itself, lower-cased; '\0' for anything else.
    private static char Shown(int codePoint)
    {
        var plain = codePoint switch
        {
            >= 0xFF01 and <= 0xFF5E => codePoint - 0xFEE0, // fullwidth ASCII
            >= 0x1D400 and <= 0x1D6A3 => ((codePoint - 0x1D400) % 52) is var letter && letter < 26
                ? 'A' + letter
                : 'a' + letter - 26, // mathematical letters
            >= 0x1D7CE and <= 0x1D7FF => '0' + ((codePoint - 0x1D7CE) % 10), // mathematical digits
            >= 0x24B6 and <= 0x24CF => 'a' + (codePoint - 0x24B6), // circled capitals
            >= 0x24D0 and <= 0x24E9 => 'a' + (codePoint - 0x24D0), // circled small letters
            >= 0xC0 and <= 0x17F => AccentedLatin[codePoint - 0xC0] is var b && b != '-' ? b : -1,
            _ => codePoint,
        };

        if (plain < 0 || plain > char.MaxValue)
        {
            return '\0';
        }

        var lower = char.ToLowerInvariant((char)plain);
        switch (lower)
        {
            case >= 'a' and <= 'z':
                return lower;
            case '0':
                return 'o';
            case '1':
                return 'l';
            case '3':
                return 'e';
            case < (char)0x80:
                return char.IsAsciiDigit(lower) ? lower : '\0';
        }

        if (LookAlikes.TryGetValue(lower, out var latin))
        {
            return latin;
        }

        // Marks, spaces, punctuation, symbols, format and control characters show nothing.
        return CharUnicodeInfo.GetUnicodeCategory(lower) is UnicodeCategory.UppercaseLetter
                or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.DecimalDigitNumber
            ? lower
            : '\0';
    }
}
