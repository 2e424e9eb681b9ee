namespace TracedLlm.Analyzers.Facts;

/// <summary>Dictionaries of lists, as the indexes here keep them.</summary>
internal static class Lists
{
    /// <summary>The list <paramref name="key"/> holds, made the first time it is asked.</summary>
    public static List<TValue> For<TKey, TValue>(this Dictionary<TKey, List<TValue>> lists, TKey key)
        where TKey : notnull
    {
        if (!lists.TryGetValue(key, out var list))
        {
            lists[key] = list = new List<TValue>();
        }

        return list;
    }
}
