namespace TracedLlm.Telemetry;

// AttributeNames: issue 40's names, those of the latest GenAI conventions (OTEL_SEMCONV_STABILITY_OPT_IN) and of
// Langfuse's v4 ingestion, and the usage details and cost.
public static partial class AttributeNames
{
    // Convention mode and Langfuse v4 (issue 40).
    /// <summary>
    /// <c>gen_ai.request.stream</c> on the LLM span
    /// (<see cref="TracedLlm.SemanticConventionMode.GenAiLatestExperimental"/>): whether the client asked for a stream.
    /// </summary>
    public const string GenAiRequestStream = "gen_ai.request.stream";
    /// <summary>
    /// <c>gen_ai.conversation.id</c> on the LLM span
    /// (<see cref="TracedLlm.SemanticConventionMode.GenAiLatestExperimental"/>): the request's session id, once its
    /// caller is authenticated.
    /// </summary>
    public const string GenAiConversationId = "gen_ai.conversation.id";
    /// <summary>
    /// <c>gen_ai.system_instructions</c> on the LLM span
    /// (<see cref="TracedLlm.SemanticConventionMode.GenAiLatestExperimental"/>, content capture on): the instructions
    /// given apart from the chat history, as JSON.
    /// </summary>
    public const string GenAiSystemInstructions = "gen_ai.system_instructions";
    /// <summary>
    /// <c>gen_ai.input.messages</c> on the LLM span
    /// (<see cref="TracedLlm.SemanticConventionMode.GenAiLatestExperimental"/>, content capture on): the chat history
    /// sent, as JSON.
    /// </summary>
    public const string GenAiInputMessages = "gen_ai.input.messages";
    /// <summary>
    /// <c>gen_ai.output.messages</c> on the LLM span
    /// (<see cref="TracedLlm.SemanticConventionMode.GenAiLatestExperimental"/>, content capture on): the model's answer
    /// (streamed or not), as JSON.
    /// </summary>
    public const string GenAiOutputMessages = "gen_ai.output.messages";
    /// <summary>
    /// <c>gen_ai.response.time_to_first_chunk</c> (seconds) on a streamed LLM span
    /// (<see cref="TracedLlm.SemanticConventionMode.GenAiLatestExperimental"/>): from the answering attempt's send to
    /// the first chunk.
    /// </summary>
    public const string GenAiResponseTimeToFirstChunk = "gen_ai.response.time_to_first_chunk";
    /// <summary>
    /// <c>langfuse.internal.is_app_root</c> on a server span that joined another service's trace through
    /// <c>traceparent</c>: the application's logical root in Langfuse.
    /// </summary>
    public const string LangfuseIsAppRoot = "langfuse.internal.is_app_root";
    /// <summary>
    /// <c>langfuse.observation.metadata.tracedllm.backend.id</c>: <see cref="BackendId"/> where Langfuse lets it be
    /// filtered.
    /// </summary>
    public const string LangfuseMetadataBackendId = LangfuseObservationMetadataPrefix + BackendId;
    /// <summary>
    /// <c>langfuse.observation.metadata.tracedllm.trace_join</c>: <see cref="TraceJoin"/> where Langfuse lets it be
    /// filtered.
    /// </summary>
    public const string LangfuseMetadataTraceJoin = LangfuseObservationMetadataPrefix + TraceJoin;
    /// <summary>
    /// <c>langfuse.observation.metadata.guardrail_name</c>: <see cref="GuardrailName"/> where Langfuse lets it be
    /// filtered.
    /// </summary>
    public const string LangfuseMetadataGuardrailName = LangfuseObservationMetadataPrefix + GuardrailName;
    /// <summary>
    /// <c>langfuse.observation.metadata.guardrail_status</c>: <see cref="GuardrailStatus"/> where Langfuse lets it be
    /// filtered.
    /// </summary>
    public const string LangfuseMetadataGuardrailStatus = LangfuseObservationMetadataPrefix + GuardrailStatus;

    /// <summary>
    /// <c>gen_ai.evaluation.result</c>: the event a guardrail's run records on the LLM span
    /// (<see cref="TracedLlm.SemanticConventionMode.GenAiLatestExperimental"/>).
    /// </summary>
    public const string GenAiEvaluationResultEvent = "gen_ai.evaluation.result";
    /// <summary>
    /// <c>gen_ai.evaluation.name</c> on <see cref="GenAiEvaluationResultEvent"/>: the guardrail's name.
    /// </summary>
    public const string GenAiEvaluationName = "gen_ai.evaluation.name";
    /// <summary>
    /// <c>gen_ai.evaluation.score.label</c> on <see cref="GenAiEvaluationResultEvent"/>: <c>pass</c>, <c>fail</c>
    /// (blocked) or <c>error</c> (failed to respond).
    /// </summary>
    public const string GenAiEvaluationScoreLabel = "gen_ai.evaluation.score.label";

    // usage details and cost (issue 40)
    /// <summary>
    /// <c>gen_ai.usage.cache_read.input_tokens</c>: input tokens served from the provider's cache (counted in
    /// <see cref="GenAiUsageInputTokens"/> too).
    /// </summary>
    public const string GenAiUsageCacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";
    /// <summary>
    /// <c>gen_ai.usage.cache_creation.input_tokens</c>: input tokens written to the provider's cache (counted in
    /// <see cref="GenAiUsageInputTokens"/> too).
    /// </summary>
    public const string GenAiUsageCacheCreationInputTokens = "gen_ai.usage.cache_creation.input_tokens";
    /// <summary>
    /// <c>gen_ai.usage.reasoning.output_tokens</c>: output tokens spent reasoning (counted in
    /// <see cref="GenAiUsageOutputTokens"/> too).
    /// </summary>
    public const string GenAiUsageReasoningOutputTokens = "gen_ai.usage.reasoning.output_tokens";
    /// <summary>
    /// <c>gen_ai.usage.cost</c>: the generation's cost from the configured price table (not in the GenAI conventions;
    /// Langfuse reads it as the total cost).
    /// </summary>
    public const string GenAiUsageCost = "gen_ai.usage.cost";
    /// <summary>
    /// <c>langfuse.observation.usage_details</c>: the usage as Langfuse prices it (JSON: uncached input, cache and
    /// reasoning keys apart).
    /// </summary>
    public const string LangfuseObservationUsageDetails = "langfuse.observation.usage_details";
    /// <summary><c>langfuse.observation.cost_details</c>: the cost per usage key and its total (JSON).</summary>
    public const string LangfuseObservationCostDetails = "langfuse.observation.cost_details";
}
