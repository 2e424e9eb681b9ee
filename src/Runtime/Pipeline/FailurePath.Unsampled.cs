using System;
using System.Diagnostics;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

// FailurePath: the failure of a caller that asked for no sampling, recorded in a trace of its own.
public static partial class FailurePath
{
    /// <summary>
    /// Records a failed request whose joined trace was not sampled (a <c>traceparent</c> ending <c>-00</c>).
    /// </summary>
    /// <remarks>
    /// A new root server span and its failure span, with the route, the status and the failure, and a link to the
    /// caller's context. The sampler decides on it as on any new root. Called as the request ends
    /// (<see cref="RequestStage.EndSpan"/>).
    /// </remarks>
    internal static void RecordUnsampled(LlmCall call, Failure failure)
    {
        var source = TracedLlmTelemetry.SourceFor(call.Gateway.Options.SemanticConventions);
        if (!source.HasListeners())
        {
            return;
        }

        Activity.Current = null;
        var record = source.StartActivity(SpanNames.Server, ActivityKind.Server, default(ActivityContext), tags: null,
            links: new[] { new ActivityLink(call.CallerContext) },
            startTime: DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(call.StartTimestamp));
        if (record is null)
        {
            return;
        }

        if (record.IsAllDataRequested)
        {
            AddRecordAttributes(record, call, failure);
        }

        record.SetStatus(ActivityStatusCode.Error, failure.Message);
        var failed = Spans.StartChild(SpanNames.Failure, ActivityKind.Internal, record);
        if (failed is not null)
        {
            if (failed.IsAllDataRequested)
            {
                failed.SetTag(AttributeNames.ErrorType, failure.ErrorType);
                failed.SetTag(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
            }

            failed.SetStatus(ActivityStatusCode.Error, failure.Message);
            failed.Stop();
        }

        record.Stop();
    }

    /// <summary>
    /// The attributes of a failure recorded in a trace of its own (its caller's trace was not sampled): the route, the
    /// status and the failure.
    /// </summary>
    /// <remarks>
    /// The caller's context is its link.
    /// </remarks>
    private static void AddRecordAttributes(Activity span, LlmCall call, Failure failure)
    {
        var tags = new FirstTags(span, call);
        tags.Add(AttributeNames.HttpRequestMethod, call.Route.HttpMethod);
        tags.Add(AttributeNames.HttpRoute, call.Route.Pattern);
        tags.Add(AttributeNames.MetadataSlot, call.Route.MetadataSlot.Length == 0 ? null : call.Route.MetadataSlot);
        tags.Add(AttributeNames.TraceJoin, "link");
        tags.Add(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
        tags.Add(AttributeNames.ErrorType, failure.ErrorType);
    }
}
