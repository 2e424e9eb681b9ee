// What Arize Phoenix shows of the spans a receiver got, read with OpenInference's own published
// conventions (@arizeai/openinference-semantic-conventions): per trace its project (the resource's
// openinference.project.name), its spans by kind, and each LLM span's model, token counts, cost,
// input, output and messages, as Phoenix reads them. Reads the receiver's JSON lines from the file
// named as the first argument; prints one JSON report.
'use strict';
const fs = require('node:fs');
const {
  SemanticConventions: SC,
  SEMRESATTRS_PROJECT_NAME,
  OpenInferenceSpanKind,
} = require('@arizeai/openinference-semantic-conventions');

const spans = fs
  .readFileSync(process.argv[2], 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('{"method"'))
  .flatMap((line) => JSON.parse(line).spans);

// Phoenix's indexed lists: llm.input_messages.{i}.message.role / .content.
function messages(attributes, prefix) {
  const result = [];
  for (let i = 0; ; i++) {
    const role = attributes[`${prefix}.${i}.${SC.MESSAGE_ROLE}`];
    if (role === undefined) return result;
    result.push({ role, content: attributes[`${prefix}.${i}.${SC.MESSAGE_CONTENT}`] ?? null });
  }
}

const traces = {};
for (const span of spans) {
  const a = span.attributes;
  const trace = (traces[span.traceId] ??= { traceId: span.traceId, projects: [], spans: [], llm: [] });
  const project = span.resource[SEMRESATTRS_PROJECT_NAME] ?? 'default';
  if (!trace.projects.includes(project)) trace.projects.push(project);
  const kind = a[SC.OPENINFERENCE_SPAN_KIND] ?? 'UNKNOWN';
  trace.spans.push({ name: span.name, kind, spanId: span.spanId, parentSpanId: span.parentSpanId, status: span.status.code });
  if (kind === OpenInferenceSpanKind.LLM) {
    trace.llm.push({
      name: span.name,
      spanId: span.spanId,
      model: a[SC.LLM_MODEL_NAME] ?? null,
      provider: a[SC.LLM_PROVIDER] ?? null,
      promptTokens: a[SC.LLM_TOKEN_COUNT_PROMPT] ?? null,
      completionTokens: a[SC.LLM_TOKEN_COUNT_COMPLETION] ?? null,
      totalTokens: a[SC.LLM_TOKEN_COUNT_TOTAL] ?? null,
      cost: a[SC.LLM_COST_TOTAL] ?? null,
      input: a[SC.INPUT_VALUE] ?? null,
      output: a[SC.OUTPUT_VALUE] ?? null,
      inputMessages: messages(a, SC.LLM_INPUT_MESSAGES),
      outputMessages: messages(a, SC.LLM_OUTPUT_MESSAGES),
      metadata: a[SC.METADATA] ? JSON.parse(a[SC.METADATA]) : null,
      sessionId: a[SC.SESSION_ID] ?? null,
      userId: a[SC.USER_ID] ?? null,
    });
  }
}

process.stdout.write(JSON.stringify({ traces: Object.values(traces) }) + '\n');
