// The seed's split-trace scenario as a user runs it: a traced Node client calls the gateway with
// the real openai SDK and passes its trace in metadata (existing_trace_id, parent_observation_id),
// a generation name and the serialized Langfuse prompt it used. Prints what it saw as JSON.
import OpenAI from 'openai';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey] = process.argv.slice(2);
const tracing = startClientTracing('split-trace-client');
const prompt = {
  name: 'support-agent',
  version: 3,
  type: 'chat',
  prompt: [{ role: 'system', content: 'You are a support agent.' }],
  config: { temperature: 0.2 },
  labels: ['production'],
  tags: [],
  isFallback: false,
};

const result = await tracing.tracer.startActiveSpan('client.generate', async (span) => {
  try {
    const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Where is my order?' }],
      metadata: {
        existing_trace_id: span.spanContext().traceId,
        parent_observation_id: span.spanContext().spanId,
        generation_name: 'support-answer',
        trace_user_id: 'customer-42',
        prompt,
      },
    });
    return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, content: completion.choices[0].message.content };
  } finally {
    span.end();
  }
});

// Read before shutdown: shutting the in-memory exporter down clears what it holds.
const clientSpans = tracing.spans();
await tracing.shutdown();
process.stdout.write(JSON.stringify({ ...result, clientSpans }) + '\n');
