// One chat completion with the real openai SDK, inside a client span whose trace undici propagates.
// Arguments: baseURL, apiKey, the request as JSON. Streams when the request says "stream": true.
// Prints what the client saw, with its wall-clock times (ms since the epoch) around the first chunk.
import OpenAI from 'openai';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey, requestJson] = process.argv.slice(2);
const request = JSON.parse(requestJson);
const tracing = startClientTracing('openai-request-client');

const result = await tracing.tracer.startActiveSpan('client.request', async (span) => {
  try {
    const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
    const startedAt = Date.now();
    const report = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, startedAt };
    if (!request.stream) {
      const completion = await client.chat.completions.create(request);
      return { ...report, content: completion.choices[0].message.content, usage: completion.usage, finishedAt: Date.now() };
    }

    let content = '';
    let usage = null;
    let chunks = 0;
    for await (const chunk of await client.chat.completions.create(request)) {
      if (chunks++ === 0) {
        report.firstChunkAt = Date.now();
      }

      content += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }

    return { ...report, content, usage, chunks, finishedAt: Date.now() };
  } finally {
    span.end();
  }
});

await tracing.shutdown();
process.stdout.write(JSON.stringify(result) + '\n');
