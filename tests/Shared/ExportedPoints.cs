using System;
using System.Collections.Generic;
using System.Linq;
using OpenTelemetry.Metrics;

namespace TracedLlm.Tests;

/// <summary>
/// One exported metric point, read out of OpenTelemetry's in-memory export: its tags and what it counted.
/// </summary>
/// <param name="Tags">Its attributes.</param>
/// <param name="Count">A histogram's count (0 for a sum).</param>
/// <param name="Sum">A histogram's sum, or a sum's value.</param>
/// <param name="Bounds">A histogram's explicit bucket bounds, the last (+Inf) left out.</param>
internal sealed record ExportedPoint(
    IReadOnlyDictionary<string, object?> Tags,
    long Count,
    double Sum,
    IReadOnlyList<double> Bounds)
{
    /// <summary>The value of tag <paramref name="key"/> as text, or null.</summary>
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value?.ToString() : null;
}

/// <summary>The one reader of exported metric points the tests share.</summary>
internal static class ExportedPoints
{
    /// <summary>
    /// The points of instrument <paramref name="name"/> in <paramref name="exported"/> whose tags hold
    /// <paramref name="tag"/> = <paramref name="value"/> (every point when <paramref name="tag"/> is null);
    /// for a metric exported more than once, the last export's point of each tag set.
    /// </summary>
    public static List<ExportedPoint> Of(
        IEnumerable<Metric> exported,
        string name,
        string? tag = null,
        string? value = null)
    {
        var points = new Dictionary<string, ExportedPoint>(StringComparer.Ordinal);
        foreach (var metric in exported.Where(m => m.Name == name))
        {
            var histogram = metric.MetricType == MetricType.Histogram;
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var pair in point.Tags)
                {
                    tags[pair.Key] = pair.Value;
                }

                if (tag is not null && (!tags.TryGetValue(tag, out var found) || found?.ToString() != value))
                {
                    continue;
                }

                var bounds = new List<double>();
                if (histogram)
                {
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        if (!double.IsPositiveInfinity(bucket.ExplicitBound))
                        {
                            bounds.Add(bucket.ExplicitBound);
                        }
                    }
                }

                var sum = histogram ? point.GetHistogramSum()
                    : metric.MetricType is MetricType.LongSum or MetricType.LongSumNonMonotonic ? point.GetSumLong()
                    : metric.MetricType is MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic
                        ? point.GetSumDouble()
                    : 0;
                var key = string.Join(
                    ",",
                    tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
                points[key] = new ExportedPoint(tags, histogram ? point.GetHistogramCount() : 0, sum, bounds);
            }
        }

        return points.Values.ToList();
    }
}
