using System;
using System.Collections.Generic;
using System.Text;

namespace TracedLlm;

/// <summary>How a tracked <c>TracedLlm.Telemetry.txt</c> splits into routes.</summary>
/// <remarks>
/// The one reading of the file, compiled into the generator (which compares each route's part with what it emits) and
/// the code fix (which rewrites those parts), so the two never disagree on where a route's part starts or ends. A line
/// whose text, trimmed, starts with <c>route </c> opens a route's part, named by the rest of the line trimmed;
/// everything before the first such line is the prelude. A route named twice is one part: the second part's lines
/// follow the first's.
/// </remarks>
internal static class ContractFile
{
    private const string RouteWord = "route ";

    /// <summary>
    /// The text before the first route line, and each route's part (its route line first), in the file's order.
    /// </summary>
    public static (string Prelude, List<KeyValuePair<string, string>> Routes) Split(string text)
    {
        var prelude = new StringBuilder();
        var order = new List<string>();
        var parts = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        StringBuilder? part = null;
        foreach (var raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (RouteOf(raw) is { } route)
            {
                if (!parts.TryGetValue(route, out part))
                {
                    parts[route] = part = new StringBuilder();
                    order.Add(route);
                }
                else
                {
                    // The same route again: its lines join the first part, under one route line.
                    continue;
                }
            }

            (part ?? prelude).Append(raw).Append('\n');
        }

        var routes = new List<KeyValuePair<string, string>>(order.Count);
        foreach (var route in order)
        {
            routes.Add(new KeyValuePair<string, string>(route, parts[route].ToString().TrimEnd('\n') + "\n"));
        }

        return (prelude.ToString(), routes);
    }

    /// <summary>The route a line opens, or null when it opens none.</summary>
    public static string? RouteOf(string line)
    {
        var trimmed = line.Trim();
        return
            trimmed.StartsWith(RouteWord, StringComparison.Ordinal)
            && trimmed.Substring(RouteWord.Length).Trim() is { Length: > 0 } route
            ? route
            : null;
    }
}
