using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// Sends each span to the destinations of the request it belongs to, and nowhere else
/// (<c>AddTracedLlmDestinations</c>). A request is what starts under one span in this process (as
/// <see cref="TailSamplingProcessor"/> finds it: by parent object, or by a local parent's context),
/// and its destinations are those of the caller its TracedLlm server span records
/// (<see cref="LlmCaller.From"/>), set by the runtime after authentication: nothing a client sends,
/// no <c>traceparent</c> nor <c>existing_trace_id</c>, can move a span to another team's
/// destination. A request with no caller (unauthenticated, refused, an open route, a span outside
/// any traced request) goes to the default destinations, or nowhere under
/// <see cref="TraceRoutingOptions.DenyUnmatched"/>. Each destination keeps the request when its
/// trace id falls in its <see cref="TraceDestinationOptions.SamplingRatio"/> (lowered, never raised,
/// by the request's metadata <c>sample_rate</c>), and its scope decides which spans.
/// </summary>
internal sealed partial class TraceRouter : CompositeProcessor<Activity>
{
    private readonly IDisposable? _onChange;
    private readonly SharedSerializer _serializer;
    private readonly LiveDestinations _live;
    private readonly Action<string> _warn;
    private volatile DestinationRoutes _routes;
    private readonly ExportQueueOptions _bounds;
    private readonly (ExportBudget Queue, ExportBudget Buffer) _budgets;
    private ExportQueueOptions _destinationBounds;
    private readonly ManualResetEventSlim _shutDown = new(false);
    private readonly TimeSpan _disposeWait;
    private int _shuttingDown;
    private long _lastWarning;
    private string? _refused;

    // Made once: a method group passed on each request would be a delegate made on each.
    private readonly Action<string> _warnRateLimited;

    // Every running span of the provider, by span id, to its request.
    private readonly Lock _gate = new();
    private readonly Dictionary<ActivitySpanId, Request> _running = new();

    /// <summary>
    /// Routes as <paramref name="options"/> say (and as <paramref name="monitor"/>'s reloads say
    /// later), each destination holding its share of <paramref name="bounds"/>.
    /// </summary>
    public TraceRouter(
        TraceRoutingOptions options,
        ExportQueueOptions bounds,
        Action<string> warn,
        IOptionsMonitor<TraceRoutingOptions>? monitor = null)
        : this(new SharedSerializer(), options, bounds, warn, monitor) { }

    private TraceRouter(
        SharedSerializer serializer,
        TraceRoutingOptions options,
        ExportQueueOptions bounds,
        Action<string> warn,
        IOptionsMonitor<TraceRoutingOptions>? monitor)
        : base(new BaseProcessor<Activity>[] { new SimpleActivityExportProcessor(serializer.Exporter) })
    {
        // The serializer is the exporter of a processor of this composite, so the provider gives it
        // its resource; that processor never gets a span (OnStart and OnEnd are the router's own).
        _serializer = serializer;
        _warn = warn;
        _routes = new DestinationRoutes(options);
        _bounds = bounds;
        _destinationBounds = DestinationQueue.For(bounds, ShareOf(options, _routes));
        _disposeWait = bounds.ShutdownTimeout + TimeSpan.FromSeconds(2);
        // Every channel shares the bounds as a whole, each keeping a reserve of its own.
        var budgets = (new ExportBudget(bounds.MaxQueueBytes, 0), new ExportBudget(bounds.MaxBufferedExportBytes, 0));
        _budgets = budgets;
        Reserve(_routes);
        _live = new LiveDestinations(
            serializer,
            () => DestinationBounds,
            budgets,
            warn,
            options.MaxLiveDestinations,
            options.IdleTimeout);
        _warnRateLimited = Warn;
        _onChange = monitor?.OnChange(Reload);
    }

    /// <summary>What each channel may hold of the queue and of the buffer whatever the others hold, at most.</summary>
    /// <remarks>
    /// Two batches (a batch of 512 spans is serialized into a pooled buffer of 256 KiB), or with more
    /// channels configured than the bound holds twice that for, the bound divided among them.
    /// </remarks>
    internal const long DestinationReserve = 512 * 1024;

    /// <summary>The bounds a destination opened now gets: its share of the export's.</summary>
    internal ExportQueueOptions DestinationBounds => Volatile.Read(ref _destinationBounds);

    /// <summary>The bytes all destinations hold together now: spans queued (estimated) and batches buffered.</summary>
    internal (long Queued, long Buffered) Held => _live.Held;

    /// <summary>The serializer and export thread every destination shares.</summary>
    internal SharedSerializer Serializer => _serializer;

    /// <summary>The batches the destination <paramref name="name"/> holds in memory now, in bytes.</summary>
    internal long BufferedBytes(string name) => _live.BufferedBytes(name);

    /// <summary>The destinations open now, by name.</summary>
    internal IReadOnlyList<string> OpenDestinations => _live.Names;

    /// <summary>The spans started and not yet ended.</summary>
    internal int RunningSpans
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <inheritdoc />
    public override void OnStart(Activity data)
    {
        lock (_gate)
        {
            var request = IsServerSpan(data) ? ServerRequest(data) : RequestOf(data) ?? new Request();
            _running[data.SpanId] = request;
        }
    }

    /// <inheritdoc />
    public override void OnEnd(Activity data)
    {
        Request? request;
        lock (_gate)
        {
            _running.Remove(data.SpanId, out request);
        }

        if (!data.Recorded)
        {
            return;
        }

        var (destinations, sampleRate) = Destinations(request);
        foreach (var definition in destinations)
        {
            if (!TraceIdRatio.Keeps(data.TraceId, Math.Min(definition.SamplingRatio, sampleRate))
                || (definition.Scope == ExportScope.GenerationsOnly && !GenerationsOnlyProcessor.IsGeneration(data)))
            {
                continue;
            }

            bool queued;
            try
            {
                queued = _live.TryEnqueue(definition, data);
            }
            catch (Exception exception)
            {
                // Never on the request path: a destination that cannot open loses this span, counted.
                var failed = BoundedExportProcessor.DropReason.ExportFailed;
                BoundedExportProcessor.CountDrop(1, failed, definition.Route.Tag);
                Warn(
                    $"TracedLlm export to {definition.Name}: the destination could not be opened "
                    + $"({exception.GetType().Name}); its spans are dropped.");
                continue;
            }

            if (!queued)
            {
                // Stopped: counted as a queue counts a span that ends after its shut-down.
                BoundedExportProcessor.CountDrop(1, BoundedExportProcessor.DropReason.ShutDown, definition.Route.Tag);
            }
        }
    }

    /// <inheritdoc />
    protected override bool OnForceFlush(int timeoutMilliseconds) => _live.Flush(timeoutMilliseconds);

    /// <inheritdoc />
    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        Volatile.Write(ref _shuttingDown, 1);
        try
        {
            _onChange?.Dispose();
            var delivered = _live.Shutdown(timeoutMilliseconds);
            return base.OnShutdown(timeoutMilliseconds) && delivered;
        }
        finally
        {
            _shutDown.Set();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // A host's stop shuts the router down while its provider may already be disposed from
            // another thread (WebApplication's Run disposes the host once its own stop returns): the
            // delivery under way finishes, within its bound, before what it sends with goes away.
            if (Volatile.Read(ref _shuttingDown) == 1)
            {
                _shutDown.Wait(_disposeWait);
            }

            _onChange?.Dispose();
            _live.Dispose();
            _serializer.Dispose();
        }

        base.Dispose(disposing);
    }

    // A TracedLlm server span: the one that records its request's caller.
    private static bool IsServerSpan(Activity span) =>
        span.Source.Name == TracedLlmTelemetry.SourceName && span.OperationName == SpanNames.Server;

    // The destinations of the request a span belongs to, and the sample rate it asked for: decided
    // once its server span is known (a span ending before, outside any traced request, goes where
    // a request with no caller goes, and decides nothing for the others).
    private (DestinationDefinition[] Destinations, double SampleRate) Destinations(Request? request)
    {
        var routes = _routes;
        if (request?.Server is not { } server)
        {
            return (routes.Defaults, 1);
        }

        var decided = request.Decided;
        if (decided is not null && ReferenceEquals(decided.Routes, routes))
        {
            return (decided.Destinations, decided.SampleRate);
        }

        var sampleRate =
            server.GetTagItem(AttributeNames.ExportSampleRate) is double asked && asked is >= 0 and < 1 ? asked : 1;
        var destinations = routes.For(LlmCaller.From(server), _warnRateLimited);
        request.Decided = new Decision(routes, destinations, sampleRate);
        return (destinations, sampleRate);
    }

    private void Reload(TraceRoutingOptions options, string? name)
    {
        if (options.Problems() is { Count: > 0 } problems)
        {
            Refused(string.Join(" ", problems));
            return;
        }

        DestinationRoutes routes;
        try
        {
            routes = new DestinationRoutes(options);
        }
        catch (InvalidOperationException invalid)
        {
            Refused(invalid.Message);
            return;
        }

        Volatile.Write(ref _refused, null);
        _routes = routes;
        Reserve(routes);
        Volatile.Write(ref _destinationBounds, DestinationQueue.For(_bounds, ShareOf(options, routes)));
        _live.Limit(options.MaxLiveDestinations, options.IdleTimeout);
        _live.Retain(routes.Channels);
    }

    // Reserves that add up to the bound at most, however many channels are configured.
    private void Reserve(DestinationRoutes routes)
    {
        var channels = Math.Max(1, routes.Channels.Count);
        _budgets.Queue.Reserve = Math.Min(DestinationReserve, _budgets.Queue.Total / channels);
        _budgets.Buffer.Reserve = Math.Min(DestinationReserve, _budgets.Buffer.Total / channels);
    }

    // A channel's share: the configured one, or more when fewer channels are configured than it would
    // take to use the bounds (one alone has them all, two half each): the share keeps one backend
    // from starving the others, and with fewer there are fewer to keep room for. Destinations sharing
    // an endpoint and credentials share one channel, and its share.
    private static double ShareOf(TraceRoutingOptions options, DestinationRoutes routes) =>
        Math.Max(options.DestinationShare, 1.0 / Math.Max(1, routes.Channels.Count));

    // A reload that fails its checks is said once: a file provider's reload raises the change twice,
    // and a store polled for changes may hand over the same broken routing again and again.
    private void Refused(string why)
    {
        if (!string.Equals(Interlocked.Exchange(ref _refused, why), why, StringComparison.Ordinal))
        {
            _warn($"TracedLlm routing: the reloaded {TraceRoutingOptions.SectionName} cannot be used, "
                + $"so the routing stays as it was: {why}");
        }
    }

    // At most one warning per 30 s: a hook naming an unknown destination would say it for every request.
    private void Warn(string message)
    {
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if ((last == 0 || Stopwatch.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(30))
            && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            _warn(message);
        }
    }
}
