using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TracedLlm.Telemetry;

/// <summary>
/// The span contract's own names (<see cref="SpanNames"/>) are the gateway's: a name a client
/// chooses (metadata <c>generation_name</c>, which renames the LLM span, and <c>trace_name</c>, the
/// trace's name in Langfuse) may neither equal nor imitate one, or a successful request could show
/// a <c>Failed Proxy Server Request</c>. A name imitates one when its skeleton equals the name's:
/// compatibility-decomposed (fullwidth and mathematical letters become plain ones), accents,
/// spaces, punctuation, invisible and control characters removed, Cyrillic and Greek look-alikes
/// and the digits 0, 1 and 3 read as the Latin letters they resemble, and lower-cased. The two
/// request-level names (<see cref="SpanNames.Server"/>, <see cref="SpanNames.Failure"/>) are also
/// imitated by a name that contains their skeleton. Such a name is ignored (the span keeps its
/// contract name) and recorded as a <see cref="AttributeNames.ReservedNameEvent"/> event.
/// </summary>
internal static class ReservedSpanNames
{
    private static readonly string[] Skeletons =
    {
        Skeleton(SpanNames.Server), Skeleton(SpanNames.Auth), Skeleton(SpanNames.PreCall), Skeleton(SpanNames.LlmRequest),
        Skeleton(SpanNames.Guardrail), Skeleton(SpanNames.UpstreamAttempt), Skeleton(SpanNames.Failure),
    };

    private static readonly string[] Names =
    {
        SpanNames.Server, SpanNames.Auth, SpanNames.PreCall, SpanNames.LlmRequest, SpanNames.Guardrail, SpanNames.UpstreamAttempt, SpanNames.Failure,
    };

    // The request-level names: contained anywhere in a client's name, they still read as the gateway's verdict.
    private static readonly string ServerSkeleton = Skeleton(SpanNames.Server);
    private static readonly string FailureSkeleton = Skeleton(SpanNames.Failure);

    // Letters of other scripts that look like Latin ones (after lower-casing), each written as the pair "look-alike, Latin letter".
    private static readonly Dictionary<char, char> LookAlikes = new[]
    {
        // Cyrillic
        "аa", "бb", "вb", "гr", "дd", "еe", "ёe", "ѕs", "іi", "їi", "јj", "кk", "лn", "мm", "нh", "оo", "пn", "рp", "сc", "тt", "уy", "хx",
        "цu", "чy", "шw", "щw", "ъb", "ьb", "ѡw", "ԁd", "ԛq", "ԝw", "һh", "ӏl",

        // Greek
        "αa", "βb", "γy", "δd", "εe", "ζz", "ηn", "θo", "ιi", "κk", "λl", "μu", "νv", "ξe", "οo", "πn", "ρp", "σo", "ςc", "τt", "υu",
        "φo", "χx", "ψw", "ωw", "ϲc", "ϳj", "ϵe",

        // Latin letters that are not a-z
        "ɡg", "ɑa", "ɩi", "ɪi", "ʏy", "ɴn", "ʀr", "ʜh", "ʟl", "ᴅd", "ℓl", "ıi", "ſs", "ßb", "ðd", "øo", "ŀl", "łl",
    }.ToDictionary(pair => pair[0], pair => pair[1]);

    /// <summary>The contract name <paramref name="name"/> equals or imitates, or null when it is the client's own.</summary>
    public static string? Imitated(string name)
    {
        // Plain text needs no decomposition (and the common name allocates nothing here).
        var decomposed = name.IsNormalized(NormalizationForm.FormKD) ? name : name.Normalize(NormalizationForm.FormKD);
        var buffer = decomposed.Length <= 512 ? stackalloc char[decomposed.Length] : new char[decomposed.Length];
        var skeleton = buffer[..WriteSkeleton(decomposed, buffer)];
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

    /// <summary>What is left of a name to compare: see the type's summary.</summary>
    internal static string Skeleton(string name)
    {
        var decomposed = name.Normalize(NormalizationForm.FormKD);
        var buffer = new char[decomposed.Length];
        return new string(buffer, 0, WriteSkeleton(decomposed, buffer));
    }

    // The skeleton of decomposed text (never longer than it).
    private static int WriteSkeleton(string decomposed, Span<char> skeleton)
    {
        var length = 0;
        foreach (var c in decomposed)
        {
            var lower = char.ToLowerInvariant(c);
            var mapped = lower switch
            {
                >= 'a' and <= 'z' => lower,
                '0' => 'o',
                '1' => 'l',
                '3' => 'e',
                _ => LookAlike(lower),
            };
            if (mapped != '\0')
            {
                skeleton[length++] = mapped;
            }
            else if (char.IsLetterOrDigit(c))
            {
                skeleton[length++] = lower;
            }

            // Anything else (marks, spaces, punctuation, format and control characters) is left out.
        }

        return length;
    }

    private static char LookAlike(char c) => c < 0x80 ? '\0' : LookAlikes.GetValueOrDefault(c);
}
