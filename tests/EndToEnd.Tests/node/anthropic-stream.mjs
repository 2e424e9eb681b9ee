// Streaming with the real Anthropic SDK (its own tracing off): prints the final message it assembled.
import Anthropic from '@anthropic-ai/sdk';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey] = process.argv.slice(2);
const tracing = startClientTracing('anthropic-stream-client');

const result = await tracing.tracer.startActiveSpan('client.messages.stream', async (span) => {
  try {
    const client = new Anthropic({ baseURL, apiKey, maxRetries: 0, openTelemetry: { traces: false, propagation: false } });
    const events = [];
    const stream = client.messages.stream({
      model: 'claude-sonnet-4',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'stream from anthropic' }],
      litellm_metadata: { generation_name: 'anthropic-stream' },
    });
    stream.on('streamEvent', (event) => events.push(event.type));
    const message = await stream.finalMessage();
    return {
      traceId: span.spanContext().traceId,
      text: message.content.map((block) => block.text).join(''),
      stopReason: message.stop_reason,
      outputTokens: message.usage.output_tokens,
      events,
    };
  } finally {
    span.end();
  }
});

const clientSpans = tracing.spans();
await tracing.shutdown();
process.stdout.write(JSON.stringify({ ...result, clientSpans }) + '\n');
