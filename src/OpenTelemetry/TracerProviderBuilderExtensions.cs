using System;
using System.IO;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace TracedLlm.OpenTelemetry;

/// <summary>OpenTelemetry SDK set-up helpers.</summary>
public static class TracedLlmTracerProviderBuilderExtensions
{
    /// <summary>Prints every finished TracedLlm trace to the console as a tree.</summary>
    public static TracerProviderBuilder AddTracedLlmConsoleTree(this TracerProviderBuilder builder, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProcessor(new SimpleActivityExportProcessor(new ConsoleTreeExporter(output)));
    }
}
