using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TracedLlm.Gateway.Tests;

/// <summary>One generated hostile request: where it goes, what it carries, and what its client chose.</summary>
internal sealed record HostileCase(
    int Index,
    string Category,
    string Path,
    bool Stream,
    byte[] Body,
    IReadOnlyList<(string Name, string Value)> Headers,
    IReadOnlyList<string> ClientTraceIds)
{
    public string Describe() =>
        $"#{Index} {Category} {Path}{(Stream ? " (stream)" : string.Empty)} headers "
        + $"[{string.Join("; ", Headers.Select(h => $"{h.Name}: {Cut(h.Value)}"))}] body "
        + $"{Cut(Encoding.UTF8.GetString(Body))}";

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300] + $"… ({text.Length} chars)";
}

/// <summary>
/// Generates hostile requests by category, deterministically from a seed: mutated valid bodies,
/// malformed, deep and huge JSON, invalid UTF-8 and surrogates, forged and malformed trace
/// context, wrong keys, oversized headers, control characters, secrets. Every value a client
/// chooses contains <see cref="Marker"/>, so a trace can be searched for anything a client chose.
/// </summary>
internal static class HostileCases
{
    /// <summary>In every client-chosen string.</summary>
    public const string Marker = "cv7q";

    /// <summary>The gateway's key in these runs: credential-shaped, as real keys are.</summary>
    public const string ApiKey = "sk-hostile-9f3c7e1a5b2d4c6e";

    /// <summary>A Langfuse secret key a client might paste by mistake.</summary>
    public const string LangfuseSecret = "sk-lf-3b8d2e1f-aa44-4c1d-9e0f";

    /// <summary>A JSON Web Token.</summary>
    public const string Jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJob3N0aWxlIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";

    /// <summary>
    /// A value put under secret-like metadata keys: not credential-shaped, so only the key's name can save it.
    /// </summary>
    public const string PlainSecret = "plain-secret-71d0e5";

    /// <summary>What must never appear in a span, a log line, the console or a response.</summary>
    public static readonly string[] Secrets = { ApiKey, LangfuseSecret, Jwt, PlainSecret, "Bearer " + ApiKey };

    public const string Chat = "/v1/chat/completions";
    public const string Messages = "/v1/messages";

    private static readonly (string Name, int Weight, Func<Random, int, HostileCase> Make)[] Categories =
    {
        ("mutated", 1500, Mutated),
        ("malformed-json", 600, Malformed),
        ("deep-json", 300, Deep),
        ("huge-json", 200, Huge),
        ("invalid-utf8", 700, InvalidUtf8),
        ("trace-context", 800, TraceContext),
        ("wrong-key", 600, WrongKey),
        ("oversized-headers", 300, OversizedHeaders),
        ("control-characters", 500, ControlCharacters),
        ("secrets", 500, SecretsInPlaces),
        ("ambiguous-json", 400, Ambiguous),
        ("content-coding", 300, ContentCoding),
        ("reserved-name", 300, ReservedName),
    };

    public static int Total => Categories.Sum(c => c.Weight);

    /// <summary>Every case of every category, in a fixed order for a seed.</summary>
    public static IEnumerable<HostileCase> Generate(int seed)
    {
        var index = 0;
        foreach (var (_, weight, make) in Categories)
        {
            for (var i = 0; i < weight; i++, index++)
            {
                yield return make(new Random(seed + index), index);
            }
        }
    }

    private static HostileCase Mutated(Random random, int index)
    {
        var request = Valid(random, index, "mutated");
        var text = Encoding.UTF8.GetString(request.Body);
        var fragments = new[]
        {
            "null",
            "true",
            "1e309",
            "-0",
            "\"\"",
            "[]",
            "{}",
            "[[[[[[[[[[[[]]]]]]]]]]]]",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "{\"a\":",
            "]",
            "}",
            ",",
            ":",
            "\"metadata\"",
            "\"litellm_metadata\"",
            "{\"existing_trace_id\":\"zz\"}",
            "{\"tags\":\"x\"}",
            "{\"prompt\":{\"version\":\"3\"}}",
            "\"" + new string('x', 2000) + Marker + "\"",
            "\"" + ApiKey + "\"",
            "{\"mask_input\":1}",
            "\"stream\":true",
            "9999999999999999999999",
            "{\"metadata\":{\"trace_name\":\"nested-" + Marker + "\"}}",
        };
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            var at = random.Next(text.Length + 1);
            text = random.Next(4) switch
            {
                0 => text[..at] + fragments[random.Next(fragments.Length)] + text[at..],
                1 => text[..at],
                2 when at < text.Length => text.Remove(at, Math.Min(random.Next(1, 12), text.Length - at)),
                _ => text.Replace(
                    "\"model\":",
                    "\"model\":" + fragments[random.Next(fragments.Length)] + ",\"x\":",
                    StringComparison.Ordinal),
            };
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        if (random.Next(8) == 0 && bytes.Length > 0)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return request with { Body = bytes };
    }

    private static HostileCase Malformed(Random random, int index)
    {
        var request = Valid(random, index, "malformed-json");
        var text = Encoding.UTF8.GetString(request.Body);
        string body = random.Next(14) switch
        {
            0 => string.Empty,
            1 => "   \n\t ",
            2 => "[" + text + "]",
            3 => "\"" + Marker + "\"",
            4 => "42",
            5 => "null",
            6 => text + text,
            7 => text + " // comment",
            8 => "/* c */" + text,
            9 => text.Replace("{\"model\"", "{'model'", StringComparison.Ordinal),
            10 => text.Replace("\"messages\":", "\"messages\":NaN,\"m2\":", StringComparison.Ordinal),
            11 => text[..^1] + ",}",
            12 => text.Replace(":", "=", StringComparison.Ordinal),
            _ => "{\"model\":\"m"
                + Marker
                + "\",\"model\":{\"a\":[1,2,{\"b\":null}]},\"messages\":[{\"role\":\"user\",\"content\":{\"x\":1}}],"
                + "\"metadata\":[\""
                + Marker
                + "\"]}",
        };
        return request with { Body = Encoding.UTF8.GetBytes(body) };
    }

    private static HostileCase Deep(Random random, int index)
    {
        var request = Valid(random, index, "deep-json");
        var depth = random.Next(6, 400);
        var open = random.Next(2) == 0 ? "[" : "{\"d\":";
        var close = open == "[" ? "]" : "}";
        var nested =
            string.Concat(Enumerable.Repeat(open, depth))
            + "\""
            + Marker
            + "\""
            + string.Concat(Enumerable.Repeat(close, depth));
        var text = Encoding.UTF8.GetString(request.Body);
        text = random.Next(4) switch
        {
            0 => text.Replace("\"model\":", "\"deep\":" + nested + ",\"model\":", StringComparison.Ordinal),
            1 => text.Replace("\"trace_name\":", "\"deep\":" + nested + ",\"trace_name\":", StringComparison.Ordinal),
            2 => text.Replace("\"content\":", "\"content\":" + nested + ",\"c2\":", StringComparison.Ordinal),
            _ => text.Replace("\"model\":", "\"temperature\":" + nested + ",\"model\":", StringComparison.Ordinal),
        };
        return request with { Body = Encoding.UTF8.GetBytes(text) };
    }

    private static HostileCase Huge(Random random, int index)
    {
        var request = Valid(random, index, "huge-json");
        var text = Encoding.UTF8.GetString(request.Body);
        var size = index % 40 == 0 ? 9 * 1024 * 1024 : random.Next(50_000, 1_500_000);
        var big = Marker + new string((char)('a' + random.Next(26)), size);
        text = random.Next(6) switch
        {
            0 => text.Replace("\"model\":\"", "\"model\":\"" + big, StringComparison.Ordinal),
            1 => text.Replace(
                "\"trace_name\":\"",
                "\"trace_name\":\"" + big[..Math.Min(big.Length, 60_000)],
                StringComparison.Ordinal),
            2 => text.Replace("\"content\":\"", "\"content\":\"" + big, StringComparison.Ordinal),
            3 => text.Replace(
                "\"tags\":[",
                "\"tags\":["
                    + string.Join(",", Enumerable.Range(0, size / 1000).Select(i => $"\"t{i}{Marker}\""))
                    + ",",
                StringComparison.Ordinal),
            4 => text.Replace(
                "\"messages\":[",
                "\"messages\":["
                    + string.Join(
                        ",",
                        Enumerable
                            .Range(0, size / 2000)
                            .Select(i => "{\"role\":\"user\",\"content\":\"" + Marker + i + "\"}"))
                    + ",",
                StringComparison.Ordinal),
            _ => text.Replace(
                "\"trace_name\":",
                string.Join(
                    ",",
                    Enumerable.Range(0, Math.Min(6000, size / 200)).Select(i => $"\"k{i}{Marker}\":\"v{Marker}\"")
                ) + ",\"trace_name\":",
                StringComparison.Ordinal),
        };
        return request with { Body = Encoding.UTF8.GetBytes(text) };
    }

    private static HostileCase InvalidUtf8(Random random, int index)
    {
        var request = Valid(random, index, "invalid-utf8");
        var text = Encoding.UTF8.GetString(request.Body);
        var escapes = new[]
        {
            "\\ud800",
            "\\udfff",
            "\\ud83d",
            "\\ude00x",
            "\\ud800\\ud800",
            "\\\\ud800",
            "\\ud83d\\ude00",
            "\\u0000",
            "\\uZZZZ",
            "\\u12"
        };
        if (random.Next(2) == 0)
        {
            var target = new[] { "\"model\":\"", "\"trace_name\":\"", "\"content\":\"", "\"role\":\"" }[random.Next(4)];
            return request with
            {
                Body = Encoding.UTF8.GetBytes(
                    text.Replace(target, target + escapes[random.Next(escapes.Length)], StringComparison.Ordinal))
            };
        }

        // Raw bytes that are not UTF-8: lone continuation bytes, overlong forms, encoded surrogates, truncated
        // sequences, a BOM.
        var sequences = new[]
        {
            new byte[] { 0x80 },
            new byte[] { 0xC0, 0xAF },
            new byte[] { 0xED, 0xA0, 0x80 },
            new byte[] { 0xF4, 0x90, 0x80, 0x80 },
            new byte[] { 0xE2, 0x82 },
            new byte[] { 0xFF },
            new byte[] { 0xFE, 0xFF }
        };
        var bytes = request.Body.ToList();
        var at =
            index % 11 == 0 ? 0
            : text.IndexOf(Marker, StringComparison.Ordinal) is var m and >= 0 ? Encoding.UTF8.GetByteCount(text[..m])
            : random.Next(bytes.Count);
        bytes.InsertRange(
            at,
            index % 11 == 0 ? new byte[] { 0xEF, 0xBB, 0xBF } : sequences[random.Next(sequences.Length)]);
        return request with { Body = bytes.ToArray() };
    }

    private static HostileCase TraceContext(Random random, int index)
    {
        var request = Valid(random, index, "trace-context", withTraceContext: false);
        var trace = Hex(random, 32);
        var span = Hex(random, 16);
        var traceparent = random.Next(12) switch
        {
            0 => $"00-{trace}-{span}-00",
            1 => $"00-{trace}-{span}-01",
            2 => $"ff-{trace}-{span}-01",
            3 => $"00-{trace.ToUpperInvariant()}-{span}-01",
            4 => $"00-{trace}-{span}-01-extra",
            5 => $"00-{new string('0', 32)}-{span}-01",
            6 => $"00-{trace}-{new string('0', 16)}-01",
            7 => $"00-{trace[..30]}-{span}-01",
            8 => $"01-{trace}-{span}-09-whatever",
            9 => $"00-{trace}-{span}-01,00-{Hex(random, 32)}-{span}-01",
            10 => Text(random, random.Next(1, 120)),
            _ => $"00-{trace}-{span}-{Hex(random, 2)}",
        };
        var headers = request.Headers.ToList();
        headers.Add(("traceparent", traceparent));
        if (random.Next(3) == 0)
        {
            headers.Add(
                ("tracestate",
                    random.Next(2) == 0
                        ? $"k{Marker}=v"
                        : string.Join(
                            ",",
                            Enumerable.Range(0, random.Next(1, 60)).Select(i => $"v{i}{Marker}={Text(random, 8)}"))));
        }

        if (random.Next(4) == 0)
        {
            headers.Add(("traceparent", $"00-{Hex(random, 32)}-{span}-01"));
        }

        var metadataTrace = Hex(random, 32);
        var text = Encoding.UTF8.GetString(request.Body);
        var forged = random.Next(6) switch
        {
            0 => $"\"existing_trace_id\":\"{metadataTrace}\",\"parent_observation_id\":\"{Hex(random, 16)}\",",
            1 =>
                $"\"trace_id\":\"{metadataTrace[..8]}-{metadataTrace[8..12]}-{metadataTrace[12..16]}"
                + $"-{metadataTrace[16..20]}-{metadataTrace[20..]}\",",
            2 => $"\"existing_trace_id\":\"{metadataTrace}\",\"parent_observation_id\":\"{Text(random, 20)}{Marker}\",",
            3 => $"\"parent_observation_id\":\"{Hex(random, 16)}\",",
            4 => $"\"existing_trace_id\":\"{trace}\",",
            _ => $"\"existing_trace_id\":{random.Next()},",
        };
        text = text.Replace("\"trace_name\":", forged + "\"trace_name\":", StringComparison.Ordinal);
        return request with
        {
            Body = Encoding.UTF8.GetBytes(text),
            Headers = headers,
            ClientTraceIds = new[] { trace, metadataTrace }
        };
    }

    private static HostileCase WrongKey(Random random, int index)
    {
        var request = Valid(random, index, "wrong-key", withKey: false);
        var headers = request.Headers.ToList();
        switch (random.Next(9))
        {
            case 0:
                break;
            case 1:
                headers.Add(("Authorization", "Bearer sk-wrong-" + Hex(random, 24)));
                break;
            case 2:
                headers.Add(("Authorization", "Bearer "));
                break;
            case 3:
                headers.Add(
                    ("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + ApiKey))));
                break;
            case 4:
                headers.Add(("x-api-key", LangfuseSecret));
                break;
            case 5:
                headers.Add(("Authorization", "Bearer " + ApiKey + "x"));
                break;
            case 6:
                headers.Add(("Authorization", "Bearer " + new string('k', random.Next(1000, 20_000))));
                break;
            case 7:
                headers.Add(("Authorization", "Bearer " + ApiKey.ToUpperInvariant()));
                break;
            default:
                headers.Add(("x-api-key", " " + ApiKey[..^1]));
                break;
        }

        return request with { Headers = headers };
    }

    private static HostileCase OversizedHeaders(Random random, int index)
    {
        var request = Valid(random, index, "oversized-headers");
        var headers = request.Headers.ToList();
        var size = random.Next(8_000, 200_000);
        switch (random.Next(5))
        {
            case 0:
                headers.Add(("traceparent", $"00-{Hex(random, 32)}-{Hex(random, 16)}-01" + new string('0', size)));
                break;
            case 1:
                headers.Add(
                    ("tracestate", string.Join(",", Enumerable.Range(0, size / 20).Select(i => $"k{i}={Marker}"))));
                break;
            case 2:
                headers.Add(("x-" + Marker, new string('h', size)));
                break;
            case 3:
                for (var i = 0; i < 300; i++)
                {
                    headers.Add(($"x-h{i}-{Marker}", new string('v', 200)));
                }

                break;
            default:
                headers.Add(
                    ("baggage", string.Join(",", Enumerable.Range(0, size / 30).Select(i => $"k{i}={Marker}"))));
                break;
        }

        return request with { Headers = headers };
    }

    private static HostileCase ControlCharacters(Random random, int index) =>
        Valid(
            random,
            index,
            "control-characters",
            decorate: value =>
                value + Controls[random.Next(Controls.Length)] + Marker + Controls[random.Next(Controls.Length)]);

    private static readonly string[] Controls =
    {
        "\\r\\n",
        "\\n",
        "\\r",
        "\\u001b[2J",
        "\\u001b[31m",
        "\\u0007",
        "\\u0000",
        "\\u0008",
        "\\u007f",
        "\\u009b",
        "\\u2028",
        "\\u2029",
        "\\u202e",
        "\\r\\ntrace 00000000000000000000000000000000\\r\\n",
        "\t",
        "\\t\\t",
    };

    private static HostileCase SecretsInPlaces(Random random, int index)
    {
        var secrets = new[] { ApiKey, LangfuseSecret, Jwt, "Bearer " + ApiKey };
        var request = Valid(
            random,
            index,
            "secrets",
            decorate: value => random.Next(3) == 0 ? value + " " + secrets[random.Next(secrets.Length)] : value);
        var text = Encoding.UTF8.GetString(request.Body);
        var keys = new[] { "api_key", "Authorization", "x-api-key", "password", "client_secret", "Cookie",
            "access_token", "LANGFUSE_SECRET_KEY", "private-key", "openai.apiKey" };
        var entries = string.Join(",", Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(4) switch
        {
            0 => $"\"{keys[random.Next(keys.Length)]}\":\"{PlainSecret}\"",
            1 => $"\"nested{Marker}\":{{\"inner\":{{\"{keys[random.Next(keys.Length)]}\":\"{PlainSecret}"
                + $"\"}},\"list\":[{{\"{keys[random.Next(keys.Length)]}\":[\"{PlainSecret}\"]}}]}}",
            2 => $"\"trace_metadata\":{{\"{keys[random.Next(keys.Length)]}\":{{\"v\":\"{PlainSecret}\"}},\"ok{Marker}"
                + $"\":\"{secrets[random.Next(secrets.Length)]}\"}}",
            _ => $"\"note{Marker}\":\"{secrets[random.Next(secrets.Length)]}\"",
        }));
        text = text.Replace("\"trace_name\":", entries + ",\"trace_name\":", StringComparison.Ordinal);
        return request with { Body = Encoding.UTF8.GetBytes(text) };
    }

    // Bodies that readers could read two ways (DifferentialCases): a property twice, escaped, or in another case.
    private static HostileCase Ambiguous(Random random, int index)
    {
        var request = Valid(random, index, "ambiguous-json");
        var shape = request.Path == Chat ? WireShape.OpenAIChat : WireShape.AnthropicMessages;
        var all = DifferentialCases
            .Generate(shape, request.Stream, 0)
            .Where(c => c.Form != AmbiguityForm.None)
            .ToList();
        return request with { Body = Encoding.UTF8.GetBytes(all[random.Next(all.Count)].Body) };
    }

    // Content codings: decodable ones, unknown or stacked ones, data that is not its coding, and bombs past the body
    // limit.
    private static HostileCase ContentCoding(Random random, int index)
    {
        var request = Valid(random, index, "content-coding");
        var codings = new[] { "gzip", "br", "deflate", "x-gzip" };
        string coding;
        byte[] body;
        switch (random.Next(6))
        {
            case 0:
            case 1:
                coding = codings[random.Next(codings.Length)];
                body = ContentCodingTests.Compress(coding, request.Body, 0);
                break;
            case 2:
                coding = new[]
                {
                    "zstd",
                    "compress",
                    "gzip, br",
                    "br, br",
                    "*",
                    "x-" + Marker,
                    "identity;q=0",
                    "gzip " + Marker
                }[random.Next(8)];
                body = request.Body;
                break;
            case 3:
                coding = codings[random.Next(codings.Length)];
                body =
                    index % 2 == 0
                        ? request.Body
                        : ContentCodingTests.Compress(coding, request.Body, 0)[..^random.Next(1, 8)];
                break;
            case 4 when index % 5 == 0:
                // Decodes to 9 MiB, past the 8 MiB limit.
                coding = codings[random.Next(3)];
                body = ContentCodingTests.Compress(
                    coding,
                    Encoding.UTF8.GetBytes("{\"model\":\"" + Marker),
                    9 * 1024 * 1024);
                break;
            default:
                coding = "identity";
                body = request.Body;
                break;
        }

        return request with { Body = body, Headers = request.Headers.Append(("Content-Encoding", coding)).ToList() };
    }

    // Client names that equal or imitate a span name of the contract.
    private static HostileCase ReservedName(Random random, int index)
    {
        var names = new[]
        {
            "Failed Proxy Server Request",
            "Received Proxy Server Request",
            "auth",
            "proxy_pre_call",
            "litellm_request",
            "guardrail",
            "raw_gen_ai_request"
        };
        var name = names[random.Next(names.Length)];
        name = random.Next(5) switch
        {
            0 => name.ToUpperInvariant(),
            1 => name.Replace('a', 'а').Replace('o', 'о'),
            2 => name.Replace(" ", "\u200b", StringComparison.Ordinal).Replace("_", "-", StringComparison.Ordinal),
            3 => "[" + name + "] " + Marker,
            _ => name,
        };
        var request = Valid(random, index, "reserved-name");
        var text = Encoding.UTF8.GetString(request.Body);
        var field = random.Next(2) == 0 ? "\"generation_name\":\"" : "\"trace_name\":\"";
        var start = text.IndexOf(field, StringComparison.Ordinal) + field.Length;
        var end = text.IndexOf('"', start);
        return request with { Body = Encoding.UTF8.GetBytes(text[..start] + name + text[end..]) };
    }

    /// <summary>A well-formed request of either route, streaming or not, with metadata a client chose.</summary>
    private static HostileCase Valid(
        Random random,
        int index,
        string category,
        bool withKey = true,
        bool withTraceContext = true,
        Func<string, string>? decorate = null)
    {
        decorate ??= value => value;
        var chat = random.Next(2) == 0;
        var stream = random.Next(10) < 3;
        string V(string name) =>
            decorate(
                $"{name}-{Marker}"
                + $"-{Text(random, random.Next(0, 12)).Replace("\\", "/", StringComparison.Ordinal).Replace("\"", "'",
                    StringComparison.Ordinal)}");
        var metadata = new StringBuilder("{");
        metadata.Append(
            $"\"trace_name\":\"{V("trace")}\",\"generation_name\":\"{V("generation")}\",\"trace_user_id\":\"{V("user")}"
            + $"\",\"session_id\":\"{V("session")}\"");
        metadata.Append(
            $",\"tags\":[\"{V("tag")}\",\"{V("tag")}\"],\"trace_metadata\":{{\"team\":\"{V("team")}"
            + $"\"}},\"release\":\"{V("release")}\",\"custom{Marker}\":\"{V("custom")}\"");
        metadata.Append($",\"prompt\":{{\"name\":\"{V("prompt")}\",\"version\":{random.Next(1, 9)}}}}}");
        var model = random.Next(5) == 0 ? V("model") : chat ? "gpt-4o-mini" : "claude-sonnet";
        var content = V("content");
        var body = chat
            ? $"{{\"model\":\"{model}\",\"messages\":[{{\"role\":\"user\",\"content\":\"{content}"
                + $"\"}}],\"stream\":{(stream ? "true" : "false")},\"metadata\":{metadata}}}"
            : $"{{\"model\":\"{model}\",\"max_tokens\":16,\"messages\":[{{\"role\":\"user\",\"content\":\"{content}"
                + $"\"}}],\"stream\":{(stream ? "true" : "false")},\"metadata\":{{\"user_id\":\"native-{Marker}"
                + $"\"}},\"litellm_metadata\":{metadata}}}";
        var headers = new List<(string, string)>();
        if (withKey)
        {
            headers.Add(random.Next(4) == 0 ? ("x-api-key", ApiKey) : ("Authorization", "Bearer " + ApiKey));
        }

        var traceIds = new List<string>();
        if (withTraceContext && random.Next(3) == 0)
        {
            var trace = Hex(random, 32);
            traceIds.Add(trace);
            headers.Add(("traceparent", $"00-{trace}-{Hex(random, 16)}-0{random.Next(2)}"));
        }

        return new HostileCase(
            index,
            category,
            chat ? Chat : Messages,
            stream,
            Encoding.UTF8.GetBytes(body),
            headers,
            traceIds);
    }

    private static string Hex(Random random, int length) =>
        string.Concat(Enumerable.Range(0, length).Select(_ => "0123456789abcdef"[random.Next(16)]));

    private static string Text(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => (char)random.Next(32, 127)).ToArray());
}
