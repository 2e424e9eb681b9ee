namespace TracedLlm.Telemetry;

/// <summary>Every attribute and event name TracedLlm records, in one place.</summary>
public static partial class AttributeNames
{
    // OpenTelemetry GenAI semantic conventions.
    /// <summary><c>gen_ai.operation.name</c></summary>
    public const string GenAiOperationName = "gen_ai.operation.name";
    /// <summary><c>gen_ai.provider.name</c></summary>
    public const string GenAiProviderName = "gen_ai.provider.name";
    /// <summary><c>gen_ai.request.model</c></summary>
    public const string GenAiRequestModel = "gen_ai.request.model";
    /// <summary><c>gen_ai.response.model</c></summary>
    public const string GenAiResponseModel = "gen_ai.response.model";
    /// <summary><c>gen_ai.response.id</c></summary>
    public const string GenAiResponseId = "gen_ai.response.id";
    /// <summary><c>gen_ai.request.temperature</c></summary>
    public const string GenAiRequestTemperature = "gen_ai.request.temperature";
    /// <summary><c>gen_ai.request.top_p</c></summary>
    public const string GenAiRequestTopP = "gen_ai.request.top_p";
    /// <summary><c>gen_ai.request.max_tokens</c></summary>
    public const string GenAiRequestMaxTokens = "gen_ai.request.max_tokens";
    /// <summary><c>gen_ai.usage.input_tokens</c></summary>
    public const string GenAiUsageInputTokens = "gen_ai.usage.input_tokens";
    /// <summary><c>gen_ai.usage.output_tokens</c></summary>
    public const string GenAiUsageOutputTokens = "gen_ai.usage.output_tokens";
    /// <summary><c>gen_ai.response.finish_reasons</c></summary>
    public const string GenAiResponseFinishReasons = "gen_ai.response.finish_reasons";
    /// <summary>
    /// <c>gen_ai.request.service_tier</c>: the request's <c>service_tier</c>. Not a conventions name (theirs,
    /// <c>openai.request.service_tier</c>, is OpenAI's alone): Langfuse builds a generation's model parameters
    /// from the <c>gen_ai.request.*</c> keys, and selects a model's price tier by <c>service_tier</c> among them.
    /// </summary>
    public const string GenAiRequestServiceTier = "gen_ai.request.service_tier";
    /// <summary>
    /// <c>gen_ai.response.service_tier</c>: the tier the provider says it served (OpenAI's response
    /// <c>service_tier</c>, Anthropic's <c>usage.service_tier</c>).
    /// </summary>
    public const string GenAiResponseServiceTier = "gen_ai.response.service_tier";

    // Langfuse OTLP mapping.
    /// <summary><c>langfuse.observation.type</c></summary>
    public const string LangfuseObservationType = "langfuse.observation.type";
    /// <summary><c>langfuse.observation.model.name</c></summary>
    public const string LangfuseObservationModelName = "langfuse.observation.model.name";
    /// <summary><c>langfuse.observation.prompt.name</c></summary>
    public const string LangfusePromptName = "langfuse.observation.prompt.name";
    /// <summary><c>langfuse.observation.prompt.version</c></summary>
    public const string LangfusePromptVersion = "langfuse.observation.prompt.version";
    /// <summary>Prefix of <c>langfuse.observation.metadata.*</c></summary>
    public const string LangfuseObservationMetadataPrefix = "langfuse.observation.metadata.";
    /// <summary><c>langfuse.observation.input</c>: request content, only when content capture is on.</summary>
    public const string LangfuseObservationInput = "langfuse.observation.input";
    /// <summary><c>langfuse.observation.output</c>: response content, only when content capture is on.</summary>
    public const string LangfuseObservationOutput = "langfuse.observation.output";
    /// <summary><c>langfuse.trace.name</c></summary>
    public const string LangfuseTraceName = "langfuse.trace.name";
    /// <summary><c>langfuse.user.id</c></summary>
    public const string LangfuseUserId = "langfuse.user.id";
    /// <summary><c>user.id</c></summary>
    public const string UserId = "user.id";
    /// <summary><c>langfuse.session.id</c></summary>
    public const string LangfuseSessionId = "langfuse.session.id";
    /// <summary><c>session.id</c></summary>
    public const string SessionId = "session.id";
    /// <summary><c>langfuse.trace.tags</c></summary>
    public const string LangfuseTraceTags = "langfuse.trace.tags";
    /// <summary>Prefix of <c>langfuse.trace.metadata.*</c></summary>
    public const string LangfuseTraceMetadataPrefix = "langfuse.trace.metadata.";
    /// <summary><c>langfuse.environment</c></summary>
    public const string LangfuseEnvironment = "langfuse.environment";
    /// <summary><c>langfuse.release</c></summary>
    public const string LangfuseRelease = "langfuse.release";
    /// <summary><c>langfuse.version</c></summary>
    public const string LangfuseVersion = "langfuse.version";

    // Guardrails (LiteLLM / OpenInference).
    /// <summary><c>openinference.span.kind</c></summary>
    public const string OpenInferenceSpanKind = "openinference.span.kind";
    /// <summary><c>guardrail_name</c></summary>
    public const string GuardrailName = "guardrail_name";
    /// <summary><c>guardrail_mode</c></summary>
    public const string GuardrailMode = "guardrail_mode";
    /// <summary><c>guardrail_status</c></summary>
    public const string GuardrailStatus = "guardrail_status";
    /// <summary><c>guardrail_response</c></summary>
    public const string GuardrailResponse = "guardrail_response";

    // HTTP, errors and gateway.
    /// <summary><c>http.request.method</c></summary>
    public const string HttpRequestMethod = "http.request.method";
    /// <summary><c>http.route</c></summary>
    public const string HttpRoute = "http.route";
    /// <summary><c>http.response.status_code</c></summary>
    public const string HttpResponseStatusCode = "http.response.status_code";
    /// <summary><c>error.type</c></summary>
    public const string ErrorType = "error.type";
    /// <summary><c>tracedllm.metadata_slot</c>: the route's metadata slot.</summary>
    public const string MetadataSlot = "tracedllm.metadata_slot";
    /// <summary>
    /// <c>tracedllm.trace_join</c>: how the server span joined its trace (<c>metadata</c>, <c>traceparent</c>,
    /// <c>none</c>).
    /// </summary>
    public const string TraceJoin = "tracedllm.trace_join";
    /// <summary>
    /// <c>user_api_key_hash</c>: a keyed fingerprint of the caller's key
    /// (<see cref="TracedLlm.LlmCall.ApiKeyFingerprint"/>), never the key.
    /// </summary>
    public const string UserApiKeyHash = "user_api_key_hash";

    // The caller's identity (issue 67), as LiteLLM's StandardLoggingUserAPIKeyMetadata names it; on
    // the auth span, and as langfuse.trace.metadata.* on every span, only after authentication.
    /// <summary>
    /// <c>user_api_key_alias</c>: the name the gateway gave the caller's key
    /// (<see cref="TracedLlm.LlmCaller.KeyAlias"/>).
    /// </summary>
    public const string UserApiKeyAlias = "user_api_key_alias";
    /// <summary>
    /// <c>user_api_key_user_id</c>: the user the caller's key belongs to (<see cref="TracedLlm.LlmCaller.UserId"/>).
    /// </summary>
    public const string UserApiKeyUserId = "user_api_key_user_id";
    /// <summary><c>user_api_key_team_id</c>: the caller's team (<see cref="TracedLlm.LlmCaller.TeamId"/>).</summary>
    public const string UserApiKeyTeamId = "user_api_key_team_id";
    /// <summary>
    /// <c>user_api_key_team_alias</c>: the caller's team's display name (<see cref="TracedLlm.LlmCaller.TeamAlias"/>).
    /// </summary>
    public const string UserApiKeyTeamAlias = "user_api_key_team_alias";
    /// <summary>
    /// <c>user_api_key_org_id</c>: the caller's organisation (<see cref="TracedLlm.LlmCaller.OrganizationId"/>).
    /// </summary>
    public const string UserApiKeyOrgId = "user_api_key_org_id";
    /// <summary>
    /// <c>user_api_key_end_user_id</c>: the end user the caller's key calls for
    /// (<see cref="TracedLlm.LlmCaller.EndUserId"/>).
    /// </summary>
    public const string UserApiKeyEndUserId = "user_api_key_end_user_id";
    /// <summary>
    /// <c>tracedllm.export.sample_rate</c> on the server span: the share of such requests the caller
    /// asked to be exported (metadata <c>sample_rate</c>, 0 to 1); it may only lower a destination's ratio.
    /// </summary>
    public const string ExportSampleRate = "tracedllm.export.sample_rate";

    // Upstream attempts.
    /// <summary><c>tracedllm.attempt.index</c>: 0 for the request's first attempt.</summary>
    public const string AttemptIndex = "tracedllm.attempt.index";
    /// <summary><c>tracedllm.attempt.kind</c>: <c>initial</c>, <c>retry</c> or <c>fallback</c>.</summary>
    public const string AttemptKind = "tracedllm.attempt.kind";
    /// <summary><c>tracedllm.attempt.reason</c>: the previous attempt's error type.</summary>
    public const string AttemptReason = "tracedllm.attempt.reason";
    /// <summary><c>tracedllm.attempt.outcome</c>: <c>success</c>, <c>failure</c> or <c>abandoned</c>.</summary>
    public const string AttemptOutcome = "tracedllm.attempt.outcome";
    /// <summary><c>tracedllm.attempt.retries</c> on the LLM span: retries made.</summary>
    public const string AttemptRetries = "tracedllm.attempt.retries";
    /// <summary><c>tracedllm.attempt.fallbacks</c> on the LLM span: fallbacks used.</summary>
    public const string AttemptFallbacks = "tracedllm.attempt.fallbacks";
    /// <summary>
    /// <c>tracedllm.attempt.delay</c> (seconds) on a retry or fallback attempt: how long the policy waited before it (a
    /// backoff, or the upstream's Retry-After).
    /// </summary>
    public const string AttemptDelay = "tracedllm.attempt.delay";
    /// <summary>
    /// <c>tracedllm.attempt.retry_after</c> (seconds) on a failed attempt: the wait its upstream asked for
    /// (<c>Retry-After</c> / <c>retry-after-ms</c>).
    /// </summary>
    public const string AttemptRetryAfter = "tracedllm.attempt.retry_after";
    /// <summary>
    /// <c>tracedllm.backend.id</c>: the gateway's own id of the backend or deployment an attempt called
    /// (<see cref="TracedLlm.LlmTarget.BackendId"/>); on the LLM span, the one that answered.
    /// </summary>
    public const string BackendId = "tracedllm.backend.id";
    /// <summary>
    /// <c>server.address</c> on an attempt: the host of its target's endpoint
    /// (<see cref="TracedLlm.LlmTarget.Endpoint"/>).
    /// </summary>
    public const string ServerAddress = "server.address";
    /// <summary>
    /// <c>server.port</c> on an attempt: the port of its target's endpoint (the scheme's default when the URL names
    /// none).
    /// </summary>
    public const string ServerPort = "server.port";

    // Streaming.
    /// <summary><c>gen_ai.server.time_to_first_token</c> (seconds) on a streamed LLM span.</summary>
    public const string TimeToFirstToken = "gen_ai.server.time_to_first_token";
    /// <summary><c>gen_ai.server.time_per_output_token</c> (seconds) on a streamed LLM span.</summary>
    public const string TimePerOutputToken = "gen_ai.server.time_per_output_token";
    /// <summary><c>tracedllm.stream.chunks</c>: chunks written.</summary>
    public const string StreamChunks = "tracedllm.stream.chunks";

    // Relayed responses (TracedLlm.ReverseProxy).
    /// <summary>
    /// <c>tracedllm.relay.format</c> on an attempt span: how the relayed response was read
    /// (<c>openai.chat_completions</c>, <c>openai.responses</c>, <c>anthropic.messages</c>, or <c>unknown</c>).
    /// </summary>
    public const string RelayFormat = "tracedllm.relay.format";
    /// <summary>
    /// <c>tracedllm.relay.unknown</c> on the LLM span: the response facts the relay could not read
    /// (<c>gen_ai.response.model</c>, <c>gen_ai.usage.input_tokens</c>, ...), left unset rather than guessed.
    /// </summary>
    public const string RelayUnknown = "tracedllm.relay.unknown";
    /// <summary>
    /// <c>tracedllm.relay.response_bytes</c> on an attempt span: the bytes of the upstream's response body relayed (as
    /// sent, compressed or not).
    /// </summary>
    public const string RelayResponseBytes = "tracedllm.relay.response_bytes";

    // Events.
    /// <summary>The event recorded when a caller-supplied trace id is ignored.</summary>
    public const string InvalidTraceContextEvent = "tracedllm.invalid_trace_context";
    /// <summary>The event's field: which input was invalid.</summary>
    public const string InvalidTraceContextField = "tracedllm.field";
    /// <summary>The event's reason.</summary>
    public const string InvalidTraceContextReason = "tracedllm.reason";
    /// <summary>
    /// The event recorded when a client-chosen name (<c>generation_name</c>, <c>trace_name</c>) equals or imitates a
    /// span name of the contract and is ignored.
    /// </summary>
    /// <remarks>
    /// Its <see cref="InvalidTraceContextField"/> names the metadata key, its <see cref="InvalidTraceContextReason"/>
    /// the span name imitated.
    /// </remarks>
    public const string ReservedNameEvent = "tracedllm.reserved_name";
    /// <summary>The event recorded when a failure logger itself throws.</summary>
    public const string FailureLoggerErrorEvent = "tracedllm.failure_logger_error";
    /// <summary>
    /// The event on the server span when the pipeline could not read a body and handed it to the handler as it came;
    /// its <see cref="InvalidTraceContextReason"/> says why.
    /// </summary>
    public const string RequestBodyUnreadEvent = "tracedllm.request_body_unread";

    // Langfuse fidelity.
    /// <summary>
    /// <c>langfuse.observation.completion_start_time</c>: ISO 8601 UTC instant of a streamed generation's first chunk
    /// (the instant <see cref="TimeToFirstToken"/> ends at).
    /// </summary>
    public const string LangfuseCompletionStartTime = "langfuse.observation.completion_start_time";
    /// <summary>
    /// <c>langfuse.trace.metadata.trace_seed</c>: the string a non-hex <c>trace_id</c> / <c>existing_trace_id</c>
    /// carried, from which the trace id was derived.
    /// </summary>
    public const string LangfuseTraceSeed = "langfuse.trace.metadata.trace_seed";
    /// <summary>
    /// <c>tracedllm.attempt.usage.input_tokens</c>: input tokens one attempt's upstream reported (the request's total
    /// is <see cref="GenAiUsageInputTokens"/> on the LLM span).
    /// </summary>
    public const string AttemptUsageInputTokens = "tracedllm.attempt.usage.input_tokens";
    /// <summary><c>tracedllm.attempt.usage.output_tokens</c>: output tokens one attempt's upstream reported.</summary>
    public const string AttemptUsageOutputTokens = "tracedllm.attempt.usage.output_tokens";

    // Bounds.
    /// <summary>
    /// <c>tracedllm.telemetry.dropped</c>: client values cut or left out on this span by
    /// <see cref="TracedLlm.TelemetryLimits"/>.
    /// </summary>
    public const string TelemetryDropped = "tracedllm.telemetry.dropped";
}

/// <summary>
/// The values of <see cref="AttributeNames.LangfuseObservationType"/>. Every span carries one, so
/// Langfuse never infers a type from other attributes (a model name alone makes it a generation).
/// </summary>
public static class LangfuseObservationTypes
{
    /// <summary>The LLM span of a chat or completion route: the one generation per request.</summary>
    public const string Generation = "generation";
    /// <summary>The LLM span of an embeddings route.</summary>
    public const string Embedding = "embedding";
    /// <summary>A guardrail run.</summary>
    public const string Guardrail = "guardrail";
    /// <summary>Every other span: server, auth, pre-call, upstream attempts, failure.</summary>
    public const string Span = "span";
}

/// <summary>The values of <see cref="AttributeNames.GuardrailStatus"/>.</summary>
public static class GuardrailStatuses
{
    /// <summary>The guardrail passed the request.</summary>
    public const string Success = "success";
    /// <summary>The guardrail blocked the request.</summary>
    public const string Intervened = "guardrail_intervened";
    /// <summary>The guardrail threw or timed out.</summary>
    public const string FailedToRespond = "guardrail_failed_to_respond";
    /// <summary>The guardrail did not run.</summary>
    public const string NotRun = "not_run";
}
