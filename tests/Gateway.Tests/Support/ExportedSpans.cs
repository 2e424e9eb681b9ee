using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;

namespace TracedLlm.Gateway.Tests;

/// <summary>What the in-memory exporter got; it adds from the threads that end spans.</summary>
internal sealed class ExportedSpans : ICollection<Activity>
{
    private readonly List<Activity> _spans = new();

    public int Count { get { lock (_spans) { return _spans.Count; } } }

    public bool IsReadOnly => false;

    public IReadOnlyList<Activity> Snapshot()
    {
        lock (_spans)
        {
            return _spans.ToList();
        }
    }

    /// <summary>
    /// Waits until <paramref name="select"/> finds something (the hosting span ends after the response).
    /// </summary>
    public async Task<Activity> WaitForAsync(Func<IReadOnlyList<Activity>, Activity?> select)
    {
        Activity? found = null;
        return await Eventually.TryAsync(() => (found = select(Snapshot())) is not null, TimeSpan.FromSeconds(10))
            ? found!
            : throw new TimeoutException(
                "Exported so far: " + string.Join(", ", Snapshot().Select(s => s.DisplayName)));
    }

    public void Add(Activity item)
    {
        lock (_spans)
        {
            _spans.Add(item);
        }
    }

    public void Clear()
    {
        lock (_spans)
        {
            _spans.Clear();
        }
    }

    public bool Contains(Activity item) => Snapshot().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().ToList().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (_spans)
        {
            return _spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

internal static class ActivityTreeExtensions
{
    /// <summary>The spans among <paramref name="spans"/> whose parent is <paramref name="parent"/>.</summary>
    public static IEnumerable<Activity> Children(this Activity parent, IEnumerable<Activity> spans) =>
        spans.Where(s => s.TraceId == parent.TraceId && s.ParentSpanId == parent.SpanId);
}
