// A loopback provider for the relay's end-to-end tests: OpenAI chat completions ({base}/chat/completions)
// and Anthropic messages ({base}/messages), whole or streamed, in their wire formats. The prompt
// picks a fault: "[429-once]" is answered 429 with Retry-After: 1 and rate-limit headers the first
// time it is seen; "[500]" always 500 with the provider's error body and an apim-request-id;
// "[cut]" streams two events then resets the connection; "[not-sse]" answers a stream request
// with a JSON body; "[cached]" reports 1000 prompt tokens read from the provider's cache (Anthropic:
// cache_read_input_tokens beside input_tokens; OpenAI: prompt_tokens_details.cached_tokens within
// prompt_tokens); "[cache-1h]" (Anthropic) reports 1500 prompt tokens written to the cache, 500 of them
// for five minutes and 1000 for an hour (usage.cache_creation; message_delta's running total states the
// writes without their split, as Anthropic's does). Prints one JSON line per request: path, prompt, status, traceparent, body keys, authorization, host.
'use strict';
const http = require('node:http');

const seen = new Set();
const log = (entry) => process.stdout.write(JSON.stringify({ upstream: entry }) + '\n');
const words = (text) => text.split(/\s+/).filter(Boolean);

function promptOf(body) {
  return (body.messages || []).map((m) => (typeof m.content === 'string' ? m.content : (m.content || []).map((p) => p.text || '').join(' '))).join(' ');
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const anthropic = req.url.endsWith('/messages');
    const prompt = promptOf(body);
    const entry = { path: req.url, prompt, stream: Boolean(body.stream), traceparent: req.headers['traceparent'] || null, keys: Object.keys(body), authorization: req.headers['authorization'] || null, host: req.headers['host'] || null };
    const reply = words(`Relayed: ${prompt.replace(/\[[^\]]*\]/g, '')}`);
    const usage = { input: words(prompt).length + 2, output: reply.length };
    const cached = prompt.includes('[cached]') ? 1000 : null;
    const oneHour = prompt.includes('[cache-1h]');
    const anthropicUsage = (output, split = true) => (oneHour
      ? { input_tokens: usage.input, cache_creation_input_tokens: 1500, cache_read_input_tokens: 0, ...(split ? { cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 } } : {}), output_tokens: output }
      : cached === null
        ? { input_tokens: usage.input, output_tokens: output }
        : { input_tokens: usage.input, cache_creation_input_tokens: 0, cache_read_input_tokens: cached, output_tokens: output });
    const openAiUsage = () => (cached === null
      ? { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output }
      : { prompt_tokens: usage.input + cached, completion_tokens: usage.output, total_tokens: usage.input + cached + usage.output, prompt_tokens_details: { cached_tokens: cached } });

    if (prompt.includes('[429-once]') && !seen.has(prompt)) {
      seen.add(prompt);
      log({ ...entry, status: 429 });
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' });
      res.end(JSON.stringify(anthropic
        ? { type: 'error', error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit.' } }
        : { error: { message: 'Rate limit reached for requests.', type: 'requests', param: null, code: 'rate_limit_exceeded' } }));
      return;
    }

    if (prompt.includes('[500]')) {
      log({ ...entry, status: 500 });
      res.writeHead(500, { 'content-type': 'application/json', 'apim-request-id': 'apim-e2e-500', 'x-ratelimit-remaining-requests': '41' });
      res.end(JSON.stringify(anthropic
        ? { type: 'error', error: { type: 'api_error', message: 'The upstream broke on purpose.' } }
        : { error: { message: 'The upstream broke on purpose.', type: 'server_error', param: null, code: null } }));
      return;
    }

    log({ ...entry, status: 200 });
    const id = (anthropic ? 'msg_relay_' : 'chatcmpl-relay-') + Date.now();
    const model = `${body.model}-upstream`;
    if (!body.stream || prompt.includes('[not-sse]')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req-e2e' });
      res.end(JSON.stringify(anthropic
        ? { id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: reply.join(' ') }], stop_reason: 'end_turn', stop_sequence: null, usage: anthropicUsage(usage.output) }
        : { id, object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: reply.join(' ') }, finish_reason: 'stop' }], usage: openAiUsage() }));
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req-e2e' });
    const events = anthropic
      ? [
        ['message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(1) } }],
        ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
        ...reply.map((word, i) => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: (i ? ' ' : '') + word } }]),
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
        ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: cached === null && !oneHour ? { output_tokens: usage.output } : anthropicUsage(usage.output, false) }],
        ['message_stop', { type: 'message_stop' }],
      ].map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)
      : [
        ...reply.map((word, i) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: i ? { content: ' ' + word } : { role: 'assistant', content: word }, finish_reason: null }] })}\n\n`),
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
        ...(body.stream_options && body.stream_options.include_usage
          ? [`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [], usage: openAiUsage() })}\n\n`]
          : []),
        'data: [DONE]\n\n',
      ];
    let i = 0;
    const next = () => {
      if (prompt.includes('[cut]') && i === 2) {
        // Time for the gateway to read what came, then a reset.
        setTimeout(() => res.socket.destroy(), 200);
        return;
      }
      if (i === events.length) {
        res.end();
        return;
      }
      res.write(events[i++]);
      setTimeout(next, 15);
    };
    setTimeout(next, 40);
  });
});

server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
