namespace TracedLlm;

/// <summary>
/// Which backend a <see cref="TraceDestinationOptions"/> sends to: each gets the same spans, with
/// the attribute names it reads added at export (the span contract itself never changes).
/// </summary>
public enum TraceDestinationKind
{
    /// <summary>
    /// Any OTLP/HTTP endpoint: <see cref="TraceDestinationOptions.Endpoint"/> (the traces URL, used as is) and
    /// <see cref="TraceDestinationOptions.Headers"/>; the spans as recorded.
    /// </summary>
    Otlp = 0,

    /// <summary>
    /// A Langfuse project: <see cref="TraceDestinationOptions.Endpoint"/> is the host (default the US
    /// cloud), with the project's <see cref="TraceDestinationOptions.PublicKey"/> and
    /// <see cref="TraceDestinationOptions.SecretKey"/>; the spans as recorded (they are Langfuse-ready).
    /// </summary>
    Langfuse = 1,

    /// <summary>
    /// Arize Phoenix: <see cref="TraceDestinationOptions.Endpoint"/> is the collector endpoint
    /// (<c>PHOENIX_COLLECTOR_ENDPOINT</c>'s form, default <c>http://localhost:6006</c>), with an optional
    /// <see cref="TraceDestinationOptions.ApiKey"/> and <see cref="TraceDestinationOptions.Project"/>;
    /// OpenInference's attributes added (docs/phoenix.md).
    /// </summary>
    Phoenix = 2,

    /// <summary>
    /// LangSmith's OpenTelemetry ingestion: <see cref="TraceDestinationOptions.Endpoint"/> is the API
    /// endpoint (<c>LANGSMITH_ENDPOINT</c>'s form, default <c>https://api.smith.langchain.com</c>), with
    /// its <see cref="TraceDestinationOptions.ApiKey"/> and <see cref="TraceDestinationOptions.Project"/>;
    /// LangSmith's run attributes added (docs/langsmith.md).
    /// </summary>
    LangSmith = 3,
}
