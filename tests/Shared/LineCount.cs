using System;

namespace TracedLlm.Tests;

/// <summary>The lines a change added and removed, as <c>git diff --numstat</c> counts them.</summary>
internal static class LineCount
{
    /// <summary>
    /// Lines only in <paramref name="after"/> (added) and only in <paramref name="before"/> (removed), off their
    /// longest common subsequence of lines.
    /// </summary>
    public static (int Added, int Removed) NumStat(string[] before, string[] after)
    {
        var common = new int[before.Length + 1, after.Length + 1];
        for (var i = before.Length - 1; i >= 0; i--)
        {
            for (var j = after.Length - 1; j >= 0; j--)
            {
                common[i, j] = before[i] == after[j]
                    ? common[i + 1, j + 1] + 1
                    : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var kept = common[0, 0];
        return (after.Length - kept, before.Length - kept);
    }
}
