using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using OpenTelemetry;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// Prints each finished trace as a tree (name, kind, trace id, span id, parent, status with a
/// failed span's <c>error.type</c>), the way
/// the LiteLLM bug reports draw them. Spans are held per trace until the trace's local root
/// ends; a trace whose root never ends is printed when the exporter shuts down, flagged as open.
/// Text from spans (names and statuses a client may have chosen) is printed with its control
/// characters escaped, so no value can start a line of its own or drive the terminal.
/// </summary>
public sealed class ConsoleTreeExporter : BaseExporter<Activity>
{
    private readonly TextWriter _output;
    private readonly Dictionary<ActivityTraceId, List<Activity>> _pending = new();
    private readonly object _gate = new();

    /// <summary>Creates the exporter; it writes to <paramref name="output"/> (default: standard output).</summary>
    public ConsoleTreeExporter(TextWriter? output = null)
    {
        _output = output ?? Console.Out;
    }

    /// <inheritdoc />
    public override ExportResult Export(in Batch<Activity> batch)
    {
        List<List<Activity>>? complete = null;
        lock (_gate)
        {
            foreach (var span in batch)
            {
                if (!_pending.TryGetValue(span.TraceId, out var spans))
                {
                    spans = new List<Activity>();
                    _pending[span.TraceId] = spans;
                }

                spans.Add(span);
                if (IsLocalRoot(span))
                {
                    _pending.Remove(span.TraceId);
                    (complete ??= new()).Add(spans);
                }
            }
        }

        if (complete is not null)
        {
            foreach (var spans in complete)
            {
                _output.Write(Render(spans));
            }

            _output.Flush();
        }

        return ExportResult.Success;
    }

    /// <inheritdoc />
    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        lock (_gate)
        {
            foreach (var spans in _pending.Values)
            {
                _output.Write(Render(spans, open: true));
            }

            _pending.Clear();
        }

        _output.Flush();
        return true;
    }

    /// <summary>Draws spans of one trace as a tree; spans whose parent is not among them are roots.</summary>
    public static string Render(IReadOnlyCollection<Activity> spans, bool open = false)
    {
        var ids = new HashSet<ActivitySpanId>(spans.Select(s => s.SpanId));
        var children = spans.Where(s => ids.Contains(s.ParentSpanId)).ToLookup(s => s.ParentSpanId);
        var text = new StringBuilder();
        var trace = spans.First().TraceId;
        text.Append("trace ").Append(trace.ToHexString()).AppendLine(open ? " (root not ended)" : string.Empty);
        foreach (var root in spans.Where(s => !ids.Contains(s.ParentSpanId)).OrderBy(s => s.StartTimeUtc))
        {
            Append(text, root, children, prefix: string.Empty, isLast: true, isRoot: true);
        }

        return text.ToString();
    }

    private static void Append(
        StringBuilder text,
        Activity span,
        ILookup<ActivitySpanId, Activity> children,
        string prefix,
        bool isLast,
        bool isRoot)
    {
        var branch = isRoot ? string.Empty : (isLast ? "└── " : "├── ");
        var label = prefix + branch + Escape(span.DisplayName);
        if (span.GetTagItem(AttributeNames.GuardrailName) is string guardrail)
        {
            label += $" ({Escape(guardrail)}: {Escape(span.GetTagItem(AttributeNames.GuardrailStatus)?.ToString())})";
        }
        else if (span.GetTagItem(AttributeNames.AttemptKind) is string kind)
        {
            label += $" ({Escape(span.GetTagItem(AttributeNames.GenAiProviderName)?.ToString())}: {Escape(kind)})";
        }

        text.Append(label.PadRight(48))
            .Append(' ').Append('[').Append(span.Kind).Append(']')
            .Append(" span=").Append(span.SpanId.ToHexString())
            .Append(" parent=").Append(span.ParentSpanId == default ? "none" : span.ParentSpanId.ToHexString());
        if (span.Status != ActivityStatusCode.Unset)
        {
            text.Append(' ').Append(span.Status);
            if (!string.IsNullOrEmpty(span.StatusDescription))
            {
                text.Append(": ").Append(Escape(span.StatusDescription));
            }

            // What failed, as the span names it: the exception's type, the failure path's code, an error result's
            // status.
            if (span.Status == ActivityStatusCode.Error && span.GetTagItem(AttributeNames.ErrorType) is { } errorType)
            {
                text.Append(" [error.type=").Append(Escape(errorType.ToString())).Append(']');
            }
        }

        text.Append(' ')
            .Append(span.Duration.TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture))
            .AppendLine(" ms");
        var childPrefix = prefix + (isRoot ? string.Empty : (isLast ? "    " : "│   "));
        var ordered = children[span.SpanId].OrderBy(s => s.StartTimeUtc).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            Append(text, ordered[i], children, childPrefix, i == ordered.Count - 1, isRoot: false);
        }
    }

    /// <summary>
    /// <paramref name="value"/> with every character that could break or forge a console line escaped.
    /// </summary>
    /// <remarks>
    /// C0 and C1 controls (CR, LF, ESC, ...), DEL, the Unicode line and paragraph separators and the bidirectional
    /// overrides.
    /// </remarks>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.AsSpan().IndexOfAny(Unprintable) < 0)
        {
            return value ?? string.Empty;
        }

        var text = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (!Unprintable.Contains(c))
            {
                text.Append(c);
                continue;
            }

            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => $"\\u{(int)c:X4}",
            });
        }

        return text.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> Unprintable = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Concat(new[] { 0x2028, 0x2029 })
            .Concat(Enumerable.Range(0x202A, 5)).Concat(Enumerable.Range(0x2066, 4)).Select(c => (char)c)));

    // The local root: no parent, or a parent in another process (remote, or from metadata ids).
    private static bool IsLocalRoot(Activity span) => span.Parent is null && span.Kind == ActivityKind.Server;
}
