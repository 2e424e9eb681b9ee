using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using TracedLlm.Pipeline;
using Xunit;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// Issue 69 item 2: the relay reaches the pipeline through one seam (<see cref="ILlmCallRelay"/>), so
/// its compiled assembly refers to no <c>TracedLlm.Pipeline</c> type and not to <c>TracedLlmGateway</c>
/// (the options come from DI); and the pipeline's hidden public surface holds no relay-only hook.
/// </summary>
public sealed class RelaySeamTests
{
    [Fact]
    public void The_relay_assembly_refers_to_no_pipeline_stage_and_not_to_the_gateway()
    {
        using var file = File.OpenRead(typeof(LlmRelay).Assembly.Location);
        using var pe = new PEReader(file);
        var metadata = pe.GetMetadataReader();
        var referenced = metadata.TypeReferences
            .Select(handle => metadata.GetTypeReference(handle))
            .Select(type => metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name))
            .ToArray();

        Assert.Contains("TracedLlm.LlmCall", referenced);
        Assert.Contains("TracedLlm.ILlmCallRelay", referenced);
        Assert.DoesNotContain(
            referenced,
            name => name.StartsWith("TracedLlm.Pipeline.", System.StringComparison.Ordinal));
        Assert.DoesNotContain("TracedLlm.TracedLlmGateway", referenced);
    }

    [Fact]
    public void The_pipeline_stages_expose_no_relay_only_member()
    {
        var relayOnly = new HashSet<string>
        {
            "BeginRelay",
            "CompleteRelay",
            "ReportRelayedBodyTakesEvents",
            "ExecuteTimedByOperationAsync",
            "CapturesOutput",
            "CapturesStructuredOutput",
            "RecordOutputContent",
            "RecordPartialUsage",
            "RecordResponseFacts",
            "RecordStreamedOutput",
            "WriteAttemptHeaders",
        };
        var exposed = new[] { typeof(StreamStage), typeof(LlmStage), typeof(ResultStage) }
            .SelectMany(stage => stage.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Select(method => method.Name)
            .ToHashSet();

        Assert.Empty(exposed.Intersect(relayOnly));

        // What generated code calls, and the two hooks of a hand-written result, stay.
        Assert.Superset(
            new HashSet<string>
            {
                "StartSpan",
                "EndSpan",
                "RunGuardrailsAsync",
                "WriteAsync",
                "CompleteAsync",
                "ReportStatus",
                "ReportEventWritten"
            },
            exposed);
    }
}
