// What LangSmith shows of the spans a receiver got, read with the langsmith SDK's own OpenTelemetry
// names (langsmith/lib/experimental/otel/constants.js, the keys its exporter and translator write
// and its ingestion reads): per trace its runs, each with its run type, name, inputs, outputs, usage
// metadata, metadata, tags and project. Reads the receiver's JSON lines from the file named as the
// first argument (their headers too: the project may come as the Langsmith-Project header); prints
// one JSON report.
'use strict';
const fs = require('node:fs');
const C = require('langsmith/lib/experimental/otel/constants.js');

const requests = fs
  .readFileSync(process.argv[2], 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('{"method"'))
  .map((line) => JSON.parse(line));

const json = (text) => (typeof text === 'string' ? JSON.parse(text) : null);
const traces = {};
for (const request of requests) {
  for (const span of request.spans) {
    const a = span.attributes;
    const trace = (traces[span.traceId] ??= { traceId: span.traceId, runs: [] });
    const metadata = {};
    for (const [key, value] of Object.entries(a)) {
      if (key.startsWith(`${C.LANGSMITH_METADATA}.`)) metadata[key.slice(C.LANGSMITH_METADATA.length + 1)] = value;
    }

    trace.runs.push({
      name: a[C.LANGSMITH_NAME] ?? span.name,
      runType: a[C.LANGSMITH_RUN_TYPE] ?? null,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      error: span.status.code === 2,
      project: a[C.LANGSMITH_SESSION_NAME] ?? request.headers['langsmith-project'] ?? null,
      apiKey: request.headers['x-api-key'],
      model: a[C.GEN_AI_RESPONSE_MODEL] ?? a[C.GEN_AI_REQUEST_MODEL] ?? null,
      system: a[C.GEN_AI_SYSTEM] ?? null,
      inputs: json(a[C.GENAI_PROMPT]),
      outputs: json(a[C.GENAI_COMPLETION]),
      promptTokens: a[C.GEN_AI_USAGE_INPUT_TOKENS] ?? null,
      completionTokens: a[C.GEN_AI_USAGE_OUTPUT_TOKENS] ?? null,
      totalTokens: a[C.GEN_AI_USAGE_TOTAL_TOKENS] ?? null,
      usageMetadata: json(a[C.LANGSMITH_USAGE_METADATA]),
      metadata,
      tags: a[C.LANGSMITH_TAGS] ?? null,
    });
  }
}

process.stdout.write(JSON.stringify({ traces: Object.values(traces) }) + '\n');
