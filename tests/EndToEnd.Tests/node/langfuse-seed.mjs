// A Node app that correlates by its own string id: it derives its trace id with @langfuse/tracing's
// createTraceId(seed), records its own Langfuse observation in that trace, and calls the gateway
// with the same string as metadata trace_id (and its observation as parent_observation_id). No
// traceparent is sent (no undici instrumentation): the seed alone must bring both into one trace.
// Arguments: baseURL, apiKey, seed.
import OpenAI from 'openai';
import { createTraceId, startActiveObservation } from '@langfuse/tracing';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey, seed] = process.argv.slice(2);
const tracing = startClientTracing('langfuse-seed-client', { undici: false });
const traceId = await createTraceId(seed);

const result = await startActiveObservation('checkout-assistant', async (observation) => {
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Where is order 42?' }],
    metadata: { trace_id: seed, parent_observation_id: observation.id, generation_name: 'seeded-answer' },
  });
  observation.update({ output: completion.choices[0].message.content });
  return { observationId: observation.id, observationTraceId: observation.traceId, content: completion.choices[0].message.content };
}, { parentSpanContext: { traceId, spanId: '0123456789abcdef', traceFlags: 1 } });

const clientSpans = tracing.spans();
await tracing.shutdown();
process.stdout.write(JSON.stringify({ seed, createdTraceId: traceId, ...result, clientSpans }) + '\n');
