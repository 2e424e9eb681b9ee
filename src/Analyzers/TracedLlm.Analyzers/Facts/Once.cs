namespace TracedLlm.Analyzers.Facts;

/// <summary>A fact of a compilation built once, by the first callback that asks, while others wait.</summary>
/// <remarks>A build that is cancelled or throws publishes nothing, so the next caller builds it again;
/// <see cref="Lazy{T}"/> would keep the exception for every later caller.</remarks>
internal sealed class Once<T>
    where T : class
{
    private readonly object _gate = new();
    private T? _value;

    /// <summary>The value when it is built already; never waits.</summary>
    public T? Known => Volatile.Read(ref _value);

    public T Get(Func<T> build)
    {
        if (Volatile.Read(ref _value) is { } known)
        {
            return known;
        }

        lock (_gate)
        {
            if (_value is null)
            {
                Volatile.Write(ref _value, build());
            }

            return _value!;
        }
    }

    /// <summary>Sets the value when it is known before anyone asks (a fact syntax already tells).</summary>
    public void Set(T value) => Volatile.Write(ref _value, value);
}
