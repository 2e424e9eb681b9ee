using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace TracedLlm.Analyzers.Tests.Yardstick;

/// <summary>
/// One generated case of the recall/precision yardstick: a source file of its own namespace, with
/// the diagnostics it must get marked in it (<c>{|TLLM2003:...|}</c>), and the families it was
/// made from (the span's start, how it ends, what runs between, where the code sits; or how a
/// key's value is carried and where it is used).
/// </summary>
internal sealed record YardstickCase(string Rule, string Name, IReadOnlyList<string> Families, string Marked)
{
    /// <summary>The source without markup, and the marked spans: the diagnostics the case must get.</summary>
    public (string Source, IReadOnlyList<(string Id, TextSpan Span)> Expected) Parse()
    {
        var source = new StringBuilder(Marked.Length);
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        for (var i = 0; i < Marked.Length; i++)
        {
            if (Marked[i] == '{' && i + 1 < Marked.Length && Marked[i + 1] == '|')
            {
                var colon = Marked.IndexOf(':', i);
                open.Push((Marked.Substring(i + 2, colon - i - 2), source.Length));
                i = colon;
            }
            else if (Marked[i] == '|' && i + 1 < Marked.Length && Marked[i + 1] == '}' && open.Count > 0)
            {
                var (id, start) = open.Pop();
                expected.Add((id, TextSpan.FromBounds(start, source.Length)));
                i++;
            }
            else
            {
                source.Append(Marked[i]);
            }
        }

        if (open.Count > 0)
        {
            throw new InvalidOperationException($"{Name}: unclosed markup");
        }

        return (source.ToString(), expected);
    }

    /// <summary>True when the case must get a diagnostic of its rule (a true case), false for a clean one.</summary>
    public bool IsTrue => Marked.Contains("{|" + Rule + ":", StringComparison.Ordinal);
}
