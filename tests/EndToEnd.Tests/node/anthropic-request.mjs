// One /v1/messages request with the real Anthropic SDK, inside a client span whose trace undici
// propagates. Arguments: baseURL, apiKey, the request as JSON, and a mode: "sdk-propagation" leaves
// the SDK's own OpenTelemetry on (it then sends a traceparent of its own beside undici's: two
// headers); "sdk-propagation+ids" also sends the client span's ids in litellm_metadata.
// Streams when the request says "stream": true; prints what the client saw and when.
import Anthropic from '@anthropic-ai/sdk';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey, requestJson, mode] = process.argv.slice(2);
const request = JSON.parse(requestJson);
const tracing = startClientTracing('anthropic-request-client');

const result = await tracing.tracer.startActiveSpan('client.messages', async (span) => {
  try {
    const openTelemetry = mode?.startsWith('sdk-propagation') ? undefined : { traces: false, propagation: false };
    if (mode === 'sdk-propagation+ids') {
      const { traceId, spanId } = span.spanContext();
      request.litellm_metadata = { ...request.litellm_metadata, existing_trace_id: traceId, parent_observation_id: spanId };
    }

    const client = new Anthropic({ baseURL, apiKey, maxRetries: 0, openTelemetry });
    const startedAt = Date.now();
    const report = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, startedAt };
    if (!request.stream) {
      const message = await client.messages.create(request);
      return { ...report, text: message.content[0].text, usage: message.usage, finishedAt: Date.now() };
    }

    const { stream: _, ...body } = request;
    const stream = client.messages.stream(body);
    stream.once('streamEvent', () => { report.firstChunkAt = Date.now(); });
    const message = await stream.finalMessage();
    return { ...report, text: message.content.map((block) => block.text).join(''), usage: message.usage, finishedAt: Date.now() };
  } finally {
    span.end();
  }
});

const clientSpans = tracing.spans();
await tracing.shutdown();
process.stdout.write(JSON.stringify({ ...result, clientSpans }) + '\n');
