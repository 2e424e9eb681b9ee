namespace TracedLlm.Telemetry;

/// <summary>The span names of the span contract (LiteLLM-compatible defaults).</summary>
public static class SpanNames
{
    /// <summary>The server span of every traced request.</summary>
    public const string Server = "Received Proxy Server Request";

    /// <summary>The route's authentication.</summary>
    public const string Auth = "auth";

    /// <summary>Request parsing, validation and pre-call hooks.</summary>
    public const string PreCall = "proxy_pre_call";

    /// <summary>
    /// The LLM call as the gateway handles it, guardrails included. Renamed by metadata <c>generation_name</c>.
    /// </summary>
    public const string LlmRequest = "litellm_request";

    /// <summary>One guardrail run.</summary>
    public const string Guardrail = "guardrail";

    /// <summary>One upstream attempt.</summary>
    public const string UpstreamAttempt = "raw_gen_ai_request";

    /// <summary>Any failure, whatever the exception type.</summary>
    public const string Failure = "Failed Proxy Server Request";
}
