using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;

namespace TracedLlm;

/// <summary>What is redacted before anything a client sent reaches a span, a log line or the console.</summary>
/// <remarks>
/// The value of every metadata key whose name looks like a secret (at any depth), and every value that has the shape of
/// a credential wherever it appears (a model name, a trace name, an error message). Redacted text is replaced by
/// <see cref="Marker"/>. The lists are read when the first request runs; change them in <c>AddTracedLlm(options =&gt;
/// ...)</c>.
/// </remarks>
public sealed class SecretRedaction
{
    /// <summary>What a redacted value or token is replaced by.</summary>
    public const string Marker = "[redacted]";

    // A token after a prefix must be at least this long to count as a credential, so that words
    // such as "sk-learn" in prose stay readable while real keys (tens of characters) never pass.
    private const int MinimumSecretLength = 8;

    private Compiled? _compiled;

    /// <summary>
    /// A key is secret when, lower-cased with <c>-</c>, <c>_</c>, <c>.</c> and spaces removed, it
    /// contains one of these. Defaults cover API keys, authorization, bearer tokens, passwords,
    /// secrets, cookies, private keys, credentials and tokens.
    /// </summary>
    public IList<string> KeyFragments { get; } =
        new List<string>
        {
            "apikey",
            "authorization",
            "bearer",
            "password",
            "passwd",
            "secret",
            "cookie",
            "privatekey",
            "credential",
            "token",
            "signature",
        };

    /// <summary>
    /// A value token that starts with one of these (case-insensitive, at a word boundary) and goes on for at least 8
    /// key characters is a credential.
    /// </summary>
    /// <remarks>
    /// OpenAI and Anthropic (<c>sk-</c>, <c>sk-ant-</c>), Langfuse (<c>sk-lf-</c>), Stripe, GitHub, Slack, AWS, Google
    /// and Hugging Face keys. HTTP credentials (<c>Bearer …</c>, <c>Basic …</c>) and JSON Web Tokens
    /// (<c>eyJ….eyJ….…</c>) are always recognized. A key a provider's error shows masked counts too, with one of
    /// these prefixes (<c>sk-proj-****…abcd</c>) or none (<c>****b2c1</c>, <c>xa***Y2</c>: a token with a run of
    /// three asterisks or more and at least two letters or digits).
    /// </remarks>
    public IList<string> ValuePrefixes { get; } =
        new List<string>
        {
            "sk-",
            "sk_",
            "rk_",
            "ghp_",
            "gho_",
            "ghs_",
            "ghu_",
            "github_pat_",
            "glpat-",
            "xoxb-",
            "xoxp-",
            "xapp-",
            "AKIA",
            "ASIA",
            "AIza",
            "hf_",
        };

    /// <summary>True when <paramref name="key"/> names a secret.</summary>
    public bool IsSecretKey(ReadOnlySpan<char> key)
    {
        var compiled = Compile();
        Span<char> buffer = key.Length <= 256 ? stackalloc char[key.Length] : new char[key.Length];
        var length = 0;
        foreach (var c in key)
        {
            if (c is not ('-' or '_' or '.' or ' '))
            {
                buffer[length++] = c;
            }
        }

        return buffer[..length].IndexOfAny(compiled.KeyFragments) >= 0;
    }

    /// <summary>True when <paramref name="value"/> contains a credential-shaped token.</summary>
    public bool ContainsSecret(ReadOnlySpan<char> value) => NextSecret(value, 0, out _, out _);

    /// <summary>
    /// <paramref name="value"/> with every credential-shaped token replaced by <see cref="Marker"/>;
    /// the same instance when there is none.
    /// </summary>
    public string Redact(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!NextSecret(value, 0, out var start, out var end))
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        var copied = 0;
        do
        {
            text.Append(value, copied, start - copied).Append(Marker);
            copied = end;
        }
        while (NextSecret(value, end, out start, out end));

        return text.Append(value, copied, value.Length - copied).ToString();
    }

    // The first credential at or after `from`: a prefixed or well-known one, or a masked key, whichever starts first.
    private bool NextSecret(ReadOnlySpan<char> value, int from, out int start, out int end)
    {
        var prefixed = NextPrefixed(value, from, out start, out end);
        if (NextMasked(value, from, prefixed ? start : value.Length, out var maskedStart, out var maskedEnd))
        {
            (start, end) = (maskedStart, maskedEnd);
            return true;
        }

        return prefixed;
    }

    private bool NextPrefixed(ReadOnlySpan<char> value, int from, out int start, out int end)
    {
        var compiled = Compile();
        var at = from;
        while (at < value.Length)
        {
            var found = value[at..].IndexOfAny(compiled.ValueStarts);
            if (found < 0)
            {
                break;
            }

            // At a word boundary: "task-runner" holds no "sk-" key, "gpt-sk-…" and "key=sk-…" do.
            start = at + found;
            if ((start == 0 || !char.IsAsciiLetterOrDigit(value[start - 1]))
                && MatchAt(compiled, value, start) is var length and > 0)
            {
                end = start + length;
                return true;
            }

            at = start + 1;
        }

        start = end = 0;
        return false;
    }

    /// <summary>The first masked key starting before <paramref name="before"/>.</summary>
    /// <remarks>
    /// A token of key characters, at least 6 long, holding a run of three asterisks or more and at least two letters or
    /// digits, that does not both start and end with an asterisk. Providers quote the key they refused this way
    /// (DeepSeek's <c>****b2c1</c>, xAI's <c>xa***Y2</c>), whatever its prefix; emphasis in prose (<c>***bold***</c>)
    /// and a lone <c>***</c> are not keys.
    /// </remarks>
    private static bool NextMasked(ReadOnlySpan<char> value, int from, int before, out int start, out int end)
    {
        var at = from;
        while (at < value.Length)
        {
            var found = value[at..].IndexOf("***", StringComparison.Ordinal);
            if (found < 0 || at + found >= before)
            {
                break;
            }

            var stars = at + found;
            start = stars;
            while (start > from && IsKeyChar(value[start - 1]))
            {
                start--;
            }

            end = stars + 3 + Run(value[(stars + 3)..], IsKeyChar);
            var token = value[start..end];
            if (start < before
                && token.Length >= 6
                && !(token[0] == '*' && token[^1] == '*')
                && CountAlphanumerics(token) >= 2)
            {
                return true;
            }

            at = end;
        }

        start = end = 0;
        return false;
    }

    private static int CountAlphanumerics(ReadOnlySpan<char> token)
    {
        var count = 0;
        foreach (var c in token)
        {
            count += char.IsAsciiLetterOrDigit(c) ? 1 : 0;
        }

        return count;
    }

    /// <summary>The length of the credential that starts at <paramref name="start"/>, or 0.</summary>
    private static int MatchAt(Compiled compiled, ReadOnlySpan<char> value, int start)
    {
        var rest = value[start..];
        if (rest.StartsWith("eyJ", StringComparison.Ordinal))
        {
            return JsonWebTokenLength(rest);
        }

        foreach (var scheme in HttpSchemes)
        {
            if (rest.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                var token = rest[scheme.Length..].TrimStart(' ');
                var run = Run(token, IsCredentialChar);
                return run >= MinimumSecretLength ? rest.Length - token.Length + run : 0;
            }
        }

        foreach (var prefix in compiled.Prefixes)
        {
            if (rest.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                var run = Run(rest[prefix.Length..], IsKeyChar);
                return run >= MinimumSecretLength ? prefix.Length + run : 0;
            }
        }

        return 0;
    }

    /// <summary>header.payload.signature, each base64url; the first two at least 10 characters.</summary>
    private static int JsonWebTokenLength(ReadOnlySpan<char> rest)
    {
        var header = Run(rest, IsBase64UrlChar);
        if (header < 10 || header >= rest.Length || rest[header] != '.')
        {
            return 0;
        }

        var payload = Run(rest[(header + 1)..], IsBase64UrlChar);
        var afterPayload = header + 1 + payload;
        if (payload < 10 || afterPayload >= rest.Length || rest[afterPayload] != '.')
        {
            return 0;
        }

        return afterPayload + 1 + Run(rest[(afterPayload + 1)..], IsBase64UrlChar);
    }

    private static int Run(ReadOnlySpan<char> text, Func<char, bool> accepts)
    {
        var length = 0;
        while (length < text.Length && accepts(text[length]))
        {
            length++;
        }

        return length;
    }

    // '*' too: a provider's error names the key it refused masked (OpenAI's 401 says "sk-proj-****…abcd"),
    // and the masked form, with its last characters, is no more fit for a span than the key.
    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '*';

    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private static bool IsCredentialChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '+' or '/' or '=';

    private static readonly string[] HttpSchemes = { "Bearer ", "Basic " };

    private Compiled Compile() => _compiled ??= new Compiled(this);

    private sealed class Compiled
    {
        public Compiled(SecretRedaction redaction)
        {
            Prefixes = new List<string>(redaction.ValuePrefixes).ToArray();
            var starts = new List<string>(Prefixes) { "eyJ" };
            starts.AddRange(HttpSchemes);
            ValueStarts = SearchValues.Create(starts.ToArray(), StringComparison.OrdinalIgnoreCase);
            KeyFragments = SearchValues.Create(
                new List<string>(redaction.KeyFragments).ToArray(),
                StringComparison.OrdinalIgnoreCase);
        }

        public string[] Prefixes { get; }

        public SearchValues<string> ValueStarts { get; }

        public SearchValues<string> KeyFragments { get; }
    }
}
