using System;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Tests;

/// <summary>A docs page's code snippet as the lines a port must hold, so the recipe stays the ports' code.</summary>
internal static class RecipeSnippet
{
    /// <summary>The first <c>csharp</c> block after <paramref name="anchor"/>, trimmed, without comments.</summary>
    public static IReadOnlyList<string> Lines(string markdown, string anchor)
    {
        var section = markdown[markdown.IndexOf(anchor, StringComparison.Ordinal)..];
        var start = section.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)]
            .Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith("//", StringComparison.Ordinal))
            .ToList();
    }
}
