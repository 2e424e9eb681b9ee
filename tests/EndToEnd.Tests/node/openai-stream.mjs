// Streaming with the real openai SDK (stream: true): prints the text it assembled and the chunk count.
import OpenAI from 'openai';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey] = process.argv.slice(2);
const tracing = startClientTracing('openai-stream-client');

const result = await tracing.tracer.startActiveSpan('client.stream', async (span) => {
  try {
    const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'stream from node please' }],
      metadata: { generation_name: 'node-stream' },
    });
    let text = '';
    let chunks = 0;
    let finishReason = null;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    }
    return { traceId: span.spanContext().traceId, text, chunks, finishReason };
  } finally {
    span.end();
  }
});

const clientSpans = tracing.spans();
await tracing.shutdown();
process.stdout.write(JSON.stringify({ ...result, clientSpans }) + '\n');
