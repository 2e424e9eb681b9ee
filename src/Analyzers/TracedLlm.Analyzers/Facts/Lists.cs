namespace TracedLlm.Analyzers.Facts;

/// <summary>Dictionaries whose values are made the first time a key is asked, as the indexes here keep them, and
/// chains of parents.</summary>
internal static class Lists
{
    /// <summary><paramref name="first"/> and each item <paramref name="next"/> gives after it (a parent, a base), up
    /// to the first null.</summary>
    public static IEnumerable<T> Chain<T>(T? first, Func<T, T?> next)
        where T : class
    {
        for (var current = first; current is not null; current = next(current))
        {
            yield return current;
        }
    }

    /// <summary>The value <paramref name="key"/> holds, made by <paramref name="make"/> the first time it is
    /// asked.</summary>
    public static TValue GetOrAdd<TKey, TValue>(this Dictionary<TKey, TValue> map, TKey key, Func<TKey, TValue> make)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var value))
        {
            map[key] = value = make(key);
        }

        return value;
    }

    /// <summary>As the other <c>GetOrAdd</c>; while <paramref name="make"/> runs, a recursive ask for the key reads
    /// <paramref name="assumed"/>.</summary>
    public static TValue GetOrAdd<TKey, TValue>(this Dictionary<TKey, TValue> map, TKey key, TValue assumed,
        Func<TKey, TValue> make)
        where TKey : notnull => map.GetOrAdd(key, k =>
        {
            map[k] = assumed;
            return make(k);
        });

    /// <summary>The list <paramref name="key"/> holds, made the first time it is asked.</summary>
    public static List<TValue> For<TKey, TValue>(this Dictionary<TKey, List<TValue>> lists, TKey key)
        where TKey : notnull => lists.GetOrAdd(key, _ => new List<TValue>());
}
