// /v1/messages with the real Anthropic SDK: a provider-native metadata.user_id next to the
// gateway's litellm_metadata; the trace is joined through the traceparent undici adds to fetch.
import Anthropic from '@anthropic-ai/sdk';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey] = process.argv.slice(2);
const tracing = startClientTracing('anthropic-client');

const result = await tracing.tracer.startActiveSpan('client.messages', async (span) => {
  try {
    // The SDK's own tracing is switched off: the client's trace is the one undici propagates.
    const client = new Anthropic({ baseURL, apiKey, maxRetries: 0, openTelemetry: { traces: false, propagation: false } });
    const message = await client.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }],
      metadata: { user_id: 'anthropic-native-user' },
      litellm_metadata: { generation_name: 'anthropic-generation', trace_user_id: 'gateway-user-7' },
    });
    return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, text: message.content[0].text, stopReason: message.stop_reason };
  } finally {
    span.end();
  }
});

// Read before shutdown: shutting the in-memory exporter down clears what it holds.
const clientSpans = tracing.spans();
await tracing.shutdown();
process.stdout.write(JSON.stringify({ ...result, clientSpans }) + '\n');
