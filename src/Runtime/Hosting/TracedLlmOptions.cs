using System;

namespace TracedLlm;

/// <summary>
/// Run-time options of the traced pipeline. They bind from the <c>TracedLlm</c> configuration
/// section (appsettings.json, or environment variables such as <c>TracedLlm__MaxRequestBodyBytes</c>);
/// set them in code with <c>services.AddTracedLlm(options =&gt; ...)</c>. docs/configuration.md has
/// every key and the precedence of the standard variables.
/// </summary>
public sealed class TracedLlmOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "TracedLlm";

    /// <summary>
    /// The largest request body accepted, in bytes, as sent and, for a body with a <c>Content-Encoding</c>,
    /// once decoded (decoding stops there); larger bodies get 413. Default 8 MiB. It is the server's
    /// limit for the traced routes too (Kestrel's <c>MaxRequestBodySize</c>, 30,000,000 bytes by
    /// default, would otherwise refuse a larger body first).
    /// </summary>
    public int MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The largest metadata slot value accepted, in bytes; larger get 400. Default 64 KiB.</summary>
    public int MaxMetadataBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How deep the metadata slot's value may nest (the slot's own object is level 1); deeper gets 400. Default 8.
    /// </summary>
    public int MaxMetadataDepth { get; set; } = 8;

    /// <summary>
    /// When true, every route refuses with 400 a metadata slot value that is not a JSON object, or a
    /// recognised key of another JSON type (<see cref="TracedLlmRouteAttribute.StrictMetadata"/> per route).
    /// </summary>
    /// <remarks>
    /// Default false: a route whose body type has no member of the slot's name leaves such a value as
    /// the client sent it, since the app never read the field. A route with an untyped body, or a type
    /// that binds the slot's name, refuses it whatever this says. Configuration key <c>TracedLlm:StrictMetadata</c>.
    /// </remarks>
    public bool StrictMetadata { get; set; }

    /// <summary>
    /// When true, an inbound W3C <c>traceparent</c> is not joined (metadata ids still are).
    /// Default: the <c>OTEL_IGNORE_CONTEXT_PROPAGATION</c> environment variable.
    /// </summary>
    public bool IgnoreContextPropagation { get; set; } =
        IsTrue(Environment.GetEnvironmentVariable("OTEL_IGNORE_CONTEXT_PROPAGATION"));

    /// <summary>
    /// Records request and response content (<c>langfuse.observation.input</c> / <c>.output</c>) on the
    /// LLM span. Off by default; metadata <c>mask_input</c> / <c>mask_output</c> still suppress it per
    /// request. Default: <c>TRACEDLLM_CAPTURE_MESSAGE_CONTENT</c> or
    /// <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT</c> set to <c>true</c>.
    /// </summary>
    public bool CaptureMessageContent { get; set; } =
        IsTrue(Environment.GetEnvironmentVariable("TRACEDLLM_CAPTURE_MESSAGE_CONTENT"))
        || IsTrue(Environment.GetEnvironmentVariable("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"));

    /// <summary>
    /// Captured content is at most this many characters; longer content is cut and ends with <see
    /// cref="TelemetryLimits.TruncationMarker"/>. Default 16,384.
    /// </summary>
    public int MaxContentLength { get; set; } = 16 * 1024;

    /// <summary>
    /// How long the failure path waits for a failed request's failure loggers, all of them together.
    /// </summary>
    /// <remarks>
    /// <see cref="FailureContext.CancellationToken"/> is cancelled then, and a logger still running is recorded as
    /// failed and left behind (the response was already written). Default 5 seconds.
    /// </remarks>
    public TimeSpan FailureLoggerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The <c>langfuse.environment</c> of traces whose metadata names none. Default:
    /// <c>LANGFUSE_TRACING_ENVIRONMENT</c>.
    /// </summary>
    public string? DefaultEnvironment { get; set; } =
        Environment.GetEnvironmentVariable("LANGFUSE_TRACING_ENVIRONMENT") is { Length: > 0 } environment
            ? environment
            : null;

    /// <summary>
    /// <see cref="DefaultEnvironment"/> folded as Langfuse keeps environment names, folded once per
    /// value (not per request): one reference, so readers on other threads see a matching pair.
    /// </summary>
    internal string? FoldedDefaultEnvironment
    {
        get
        {
            if (DefaultEnvironment is not { } raw)
            {
                return null;
            }

            if (_foldedEnvironment is not { } folded || !ReferenceEquals(folded.Raw, raw))
            {
                _foldedEnvironment = folded = new FoldedEnvironment(raw, Telemetry.LangfuseEnvironments.Fold(raw));
            }

            return folded.Value;
        }
    }

    private FoldedEnvironment? _foldedEnvironment;

    private sealed record FoldedEnvironment(string Raw, string Value);

    /// <summary>
    /// Bounds on what one request can write into its spans: value length, attributes and events per span, metadata keys
    /// read, bytes per request.
    /// </summary>
    public TelemetryLimits Limits { get; } = new();

    /// <summary>
    /// Secret-like metadata keys and credential-shaped values, redacted before any span, log or console line.
    /// </summary>
    public SecretRedaction Redaction { get; } = new();

    /// <summary>
    /// An optional price table per model (and provider), per million tokens: priced generations record their cost.
    /// Empty by default: no cost is recorded.
    /// </summary>
    public LlmPricing Pricing { get; } = new();

    /// <summary>
    /// Model requests a traced request sends outside every upstream attempt: counted, warned once, listed by the
    /// manifest. On by default.
    /// </summary>
    public OutboundCoverageOptions OutboundCoverage { get; } = new();

    /// <summary>
    /// The key of the HMAC-SHA256 that turns a caller's API key into <c>user_api_key_hash</c>
    /// (<see cref="LlmCall.ApiKeyFingerprint"/>). Without it no key fingerprint is recorded: an
    /// unkeyed hash of a short key is recovered by brute force. Use a long random value and keep it
    /// as secret as the keys. Default: <c>TRACEDLLM_API_KEY_FINGERPRINT_SECRET</c>.
    /// </summary>
    public string? ApiKeyFingerprintSecret { get; set; } =
        Environment.GetEnvironmentVariable("TRACEDLLM_API_KEY_FINGERPRINT_SECRET") is { Length: > 0 } secret
            ? secret
            : null;

    /// <summary>
    /// When true, the caller's trace context is joined only when an <see cref="ILlmAuthenticator"/> authenticated the
    /// request. Default false.
    /// </summary>
    /// <remarks>
    /// The context is <c>traceparent</c>, or metadata <c>existing_trace_id</c> / <c>parent_observation_id</c>; routes
    /// with no authenticator then always start a trace of their own. A request that fails authentication never joins,
    /// whatever this says.
    /// </remarks>
    public bool RequireAuthenticationToJoinTrace { get; set; }

    /// <summary>
    /// Whether <c>LlmCall.ExecuteAsync</c> / <c>StreamAsync</c> answer with LiteLLM's
    /// <c>x-litellm-attempted-retries</c> and <c>x-litellm-attempted-fallbacks</c> response headers
    /// (and, after a retry, <c>x-litellm-max-retries</c>), for clients written against LiteLLM's proxy.
    /// On by default: a traced route answers in the gateway's own shape, as LiteLLM's do. A relay
    /// (TracedLlm.ReverseProxy) answers with the upstream's own headers and has a setting of its own,
    /// off by default.
    /// </summary>
    public bool AttemptResponseHeaders { get; set; } = true;

    /// <summary>How the pipeline writes the errors it answers itself, on routes that do not choose their own.</summary>
    /// <remarks>
    /// The errors: a refused body, authentication, a guardrail's block, timeouts, upstream failures; a route
    /// chooses with <see cref="TracedLlmRouteAttribute.ErrorResponses"/>. <see cref="LlmErrorResponses.WireFormat"/>
    /// (the default: OpenAI's or Anthropic's error JSON, as the route's wire format says),
    /// <see cref="LlmErrorResponses.ProblemDetails"/> (RFC 7807, through the app's <c>IProblemDetailsService</c>
    /// when it has one), <see cref="LlmErrorResponses.Writer"/> (the app's <see cref="ILlmErrorWriter"/>), or
    /// <see cref="LlmErrorResponses.Host"/> (what ASP.NET Core answered before adoption stays its answer: a body the
    /// handler's type cannot bind, an exception the handler lets escape). Configuration key
    /// <c>TracedLlm:ErrorResponses</c>.
    /// </remarks>
    public LlmErrorResponses ErrorResponses { get; set; }

    /// <summary>
    /// When true, the host logs one warning at start naming the application's endpoints that look like LLM API paths
    /// but are not traced. Default true.
    /// </summary>
    /// <remarks>
    /// YARP's routes are included; the served manifest lists them as <c>untracedEndpoints</c> either way. For a route
    /// whose metadata slot takes a field the provider's own API defines, it also says what the slot will consume.
    /// </remarks>
    public bool LogStartupReport { get; set; } = true;

    /// <summary>
    /// Which GenAI semantic conventions the spans follow: <see cref="SemanticConventionMode.Default"/>
    /// (the span contract), or <see cref="SemanticConventionMode.GenAiLatestExperimental"/> (the 1.41
    /// names and attributes besides, docs/span-contract.md). Default: <c>OTEL_SEMCONV_STABILITY_OPT_IN</c>
    /// naming <c>gen_ai_latest_experimental</c>; configuration key <c>TracedLlm:SemanticConventions</c>.
    /// </summary>
    public SemanticConventionMode SemanticConventions { get; set; } =
        TracedLlm.SemanticConventions.FromOptIn(
            Environment.GetEnvironmentVariable(TracedLlm.SemanticConventions.OptInVariable));

    /// <summary>
    /// The standard variables these options honour, as a configuration (or the environment) holds them (<see
    /// cref="ConfigurationReader"/>).
    /// </summary>
    internal void ReadVariables(Func<string, string?> variable)
    {
        if (variable("OTEL_IGNORE_CONTEXT_PROPAGATION") is { } ignore)
        {
            IgnoreContextPropagation = IsTrue(ignore);
        }

        if (variable("TRACEDLLM_CAPTURE_MESSAGE_CONTENT") is { } capture)
        {
            CaptureMessageContent = IsTrue(capture);
        }
        else if (variable("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT") is { } genAiCapture)
        {
            CaptureMessageContent = IsTrue(genAiCapture);
        }

        if (variable(TracedLlm.SemanticConventions.OptInVariable) is { } optIn)
        {
            SemanticConventions = TracedLlm.SemanticConventions.FromOptIn(optIn);
        }

        if (variable("LANGFUSE_TRACING_ENVIRONMENT") is { Length: > 0 } environment)
        {
            DefaultEnvironment = environment;
        }

        if (variable("TRACEDLLM_API_KEY_FINGERPRINT_SECRET") is { Length: > 0 } fingerprintSecret)
        {
            ApiKeyFingerprintSecret = fingerprintSecret;
        }

        Limits.ReadVariables(variable);
    }

    internal static bool IsTrue(string? value) =>
        string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) || value == "1";
}
