// One request with a real SDK (openai or @anthropic-ai/sdk) through the gateway's relay route,
// whole or streamed; reports what the client saw: text, finish, usage, events, or the error the SDK
// raised (its status, message and the response headers a client backs off on), and the client
// span's trace id. Arguments: baseURL, apiKey, sdk ("openai" | "anthropic"), "stream" | "whole", prompt.
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startClientTracing } from './tracing.mjs';

const [baseURL, apiKey, sdk, mode, prompt] = process.argv.slice(2);
const stream = mode === 'stream';
const tracing = startClientTracing('relay-client');

function failure(error) {
  const headers = error.headers ? Object.fromEntries(error.headers.entries ? error.headers.entries() : Object.entries(error.headers)) : {};
  return { status: error.status ?? null, name: error.constructor.name, message: error.message, error: error.error ?? null, headers };
}

const result = await tracing.tracer.startActiveSpan('client.relay', async (span) => {
  const report = { traceId: span.spanContext().traceId, text: '', events: [] };
  try {
    if (sdk === 'openai') {
      const client = new OpenAI({ baseURL: baseURL + '/v1', apiKey, maxRetries: 0 });
      const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], metadata: { generation_name: 'relay-e2e' } };
      if (!stream) {
        const completion = await client.chat.completions.create(request);
        return { ...report, text: completion.choices[0].message.content, finishReason: completion.choices[0].finish_reason, usage: completion.usage, model: completion.model };
      }
      const chunks = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of chunks) {
        report.events.push('chunk');
        report.text += chunk.choices[0]?.delta?.content ?? '';
        report.finishReason = chunk.choices[0]?.finish_reason ?? report.finishReason;
        report.usage = chunk.usage ?? report.usage;
        report.model = chunk.model;
      }
      return report;
    }

    const client = new Anthropic({ baseURL, apiKey, maxRetries: 0, openTelemetry: { traces: false, propagation: false } });
    const request = { model: 'claude-sonnet-4', max_tokens: 64, messages: [{ role: 'user', content: prompt }], litellm_metadata: { generation_name: 'relay-e2e' } };
    if (!stream) {
      const message = await client.messages.create(request);
      return { ...report, text: message.content[0].text, finishReason: message.stop_reason, usage: message.usage, model: message.model };
    }
    const events = client.messages.stream(request);
    events.on('streamEvent', (event) => report.events.push(event.type));
    const message = await events.finalMessage();
    return { ...report, text: message.content.map((block) => block.text).join(''), finishReason: message.stop_reason, usage: message.usage, model: message.model };
  } catch (error) {
    return { ...report, failure: failure(error) };
  } finally {
    span.end();
  }
});

await tracing.shutdown();
process.stdout.write(JSON.stringify(result) + '\n');
