using System;
using System.Collections.Generic;

namespace TracedLlm.Generators;

/// <summary>
/// The LiteLLM-compatible defaults decided from a route's path at compile time: its metadata slot,
/// error wire format and GenAI operation.
/// </summary>
internal static class RouteConventions
{
    public const string MetadataSlot = "metadata";
    public const string LiteLlmMetadataSlot = "litellm_metadata";

    // Routes whose provider body already has a `metadata` field, or whose LiteLLM counterpart keeps
    // gateway metadata apart (LiteLLM's LITELLM_METADATA_ROUTES).
    private static readonly HashSet<string> LiteLlmMetadataResources = new(StringComparer.OrdinalIgnoreCase)
    {
        "messages", "responses", "batches", "files", "threads", "assistants",
    };

    public static string DefaultSlot(string pattern) =>
        LiteLlmMetadataResources.Contains(FirstResource(pattern)) ? LiteLlmMetadataSlot : MetadataSlot;

    /// <summary>
    /// The provider API whose own request body has a <c>metadata</c> field on this path, or null: the
    /// field a <c>metadata</c> slot would take from it. OpenAI's and Azure OpenAI's chat completions
    /// (stored completions' metadata), Anthropic's messages, and OpenAI's responses, batches,
    /// assistants and threads (the last four default to <c>litellm_metadata</c> for this reason).
    /// </summary>
    public static string? ProviderMetadataApi(string pattern)
    {
        var segments = Segments(pattern);
        var last = segments.Count == 0 ? string.Empty : segments[segments.Count - 1];
        if (string.Equals(last, "completions", StringComparison.OrdinalIgnoreCase)
            && segments.Count > 1
            && string.Equals(segments[segments.Count - 2], "chat", StringComparison.OrdinalIgnoreCase))
        {
            return "OpenAI chat completions";
        }

        return FirstResource(pattern).ToLowerInvariant() switch
        {
            "messages" => "Anthropic messages",
            "responses" => "OpenAI responses",
            "batches" or "assistants" or "threads" => "OpenAI " + FirstResource(pattern).ToLowerInvariant(),
            _ => null,
        };
    }

    public static string DefaultErrorFormat(string pattern) =>
        string.Equals(FirstResource(pattern), "messages", StringComparison.OrdinalIgnoreCase) ? "Anthropic" : "OpenAI";

    public static string DefaultOperation(string pattern)
    {
        var segments = Segments(pattern);
        var last = segments.Count == 0 ? string.Empty : segments[segments.Count - 1];
        if (string.Equals(last, "embeddings", StringComparison.OrdinalIgnoreCase))
        {
            return "embeddings";
        }

        if (string.Equals(last, "completions", StringComparison.OrdinalIgnoreCase)
            && !(
                segments.Count > 1
                && string.Equals(segments[segments.Count - 2], "chat", StringComparison.OrdinalIgnoreCase)))
        {
            return "text_completion";
        }

        return "chat";
    }

    /// <summary>The first path segment after an optional version prefix (<c>v1</c>, <c>v2</c>, ...).</summary>
    private static string FirstResource(string pattern)
    {
        foreach (var segment in Segments(pattern))
        {
            if (!(segment.Length >= 2 && (segment[0] == 'v' || segment[0] == 'V') && IsDigits(segment, 1)))
            {
                return segment;
            }
        }

        return string.Empty;
    }

    private static List<string> Segments(string pattern)
    {
        var result = new List<string>();
        foreach (var segment in pattern.Split('/'))
        {
            if (segment.Length > 0)
            {
                result.Add(segment);
            }
        }

        return result;
    }

    private static bool IsDigits(string value, int start)
    {
        for (var i = start; i < value.Length; i++)
        {
            if (value[i] < '0' || value[i] > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static readonly char[] RouteValueNameEnds = { ':', '=', '?' };

    /// <summary>
    /// The route values a template declares, as ASP.NET Core routing names them: <c>{name}</c>,
    /// <c>{name?}</c>, <c>{name:int}</c>, <c>{name=default}</c>, <c>{*path}</c> and <c>{**path}</c> all
    /// declare <c>name</c> (or <c>path</c>). In template order, each once.
    /// </summary>
    public static List<string> RouteValueNames(string? pattern)
    {
        var names = new List<string>();
        if (pattern is null)
        {
            return names;
        }

        var start = pattern.IndexOf('{');
        while (start >= 0)
        {
            var end = pattern.IndexOf('}', start + 1);
            if (end < 0)
            {
                break;
            }

            var name = pattern.Substring(start + 1, end - start - 1).TrimStart('*');
            var cut = name.IndexOfAny(RouteValueNameEnds);
            name = cut < 0 ? name : name.Substring(0, cut);
            if (name.Length > 0 && !names.Exists(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)))
            {
                names.Add(name);
            }

            start = pattern.IndexOf('{', end + 1);
        }

        return names;
    }

    /// <summary>A slot is a plain JSON property name: letters, digits and '_', not starting with a digit.</summary>
    public static bool IsValidSlot(string? slot)
    {
        if (string.IsNullOrEmpty(slot) || char.IsDigit(slot![0]))
        {
            return false;
        }

        foreach (var c in slot)
        {
            if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            {
                return false;
            }
        }

        return true;
    }

    private static readonly HashSet<string> HttpMethods = new(StringComparer.Ordinal)
    {
        "GET", "POST", "PUT", "PATCH", "DELETE",
    };

    public static bool IsValidHttpMethod(string? method) =>
        method is not null && HttpMethods.Contains(method.ToUpperInvariant());

    /// <summary>
    /// Checks a route template: starts with '/', no empty segments, balanced '{name}' parameters,
    /// URL-safe characters. Every problem is returned, each character problem once.
    /// </summary>
    public static List<string> ValidateTemplate(string? pattern)
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(pattern))
        {
            problems.Add("the route template is empty");
            return problems;
        }

        if (pattern![0] != '/')
        {
            problems.Add($"route template '{pattern}' must start with '/'");
        }

        if (pattern.Length > 1 && (pattern.Contains("//") || pattern[pattern.Length - 1] == '/'))
        {
            problems.Add($"route template '{pattern}' has an empty segment");
        }

        var depth = 0;
        var nested = false;
        var unopened = false;
        var badCharacters = new List<char>();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '?' when depth > 0 && i + 1 < pattern.Length && pattern[i + 1] == '}':
                    // An optional route value: {id?}.
                    break;
                case '{':
                    nested |= ++depth > 1;
                    break;
                case '}':
                    if (--depth < 0)
                    {
                        unopened = true;
                        depth = 0;
                    }

                    break;
                default:
                    if ((c <= ' ' || c == '?' || c == '#' || c == '\\' || c == '"' || c > '~')
                        && !badCharacters.Contains(c))
                    {
                        badCharacters.Add(c);
                    }

                    break;
            }
        }

        if (nested)
        {
            problems.Add($"route template '{pattern}' nests '{{'");
        }

        if (unopened)
        {
            problems.Add($"route template '{pattern}' has '}}' without '{{'");
        }

        if (depth > 0)
        {
            problems.Add($"route template '{pattern}' has '{{' without '}}'");
        }

        foreach (var c in badCharacters)
        {
            problems.Add($"route template '{pattern}' contains the character '{c}' that a URL path cannot carry");
        }

        return problems;
    }
}
