// A loopback OpenAI-compatible upstream for the gateway's provider (POST {base}/chat/completions),
// with usage it reports the way OpenAI does. A prompt containing "[fail-once]" is answered 503 the
// first time it is seen, so the gateway retries it. Prints one JSON line per request: what it
// answered, the usage it reported, and the traceparent it was sent.
'use strict';
const http = require('node:http');

const seen = new Set();
const words = (text) => text.split(/\s+/).filter(Boolean);

function log(entry) {
  process.stdout.write(JSON.stringify({ upstream: entry }) + '\n');
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const prompt = (body.messages || []).map((m) => (typeof m.content === 'string' ? m.content : '')).join(' ');
    const traceparent = req.headers['traceparent'] || null;
    if (prompt.includes('[fail-once]') && !seen.has(prompt)) {
      seen.add(prompt);
      log({ prompt, status: 503, traceparent });
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
      return;
    }

    // Usage the way a real model reports it: counted by the upstream, not by the gateway.
    const reply = words(`Upstream says: ${prompt.replace('[fail-once]', '')}`);
    const usage = { prompt_tokens: words(prompt).length + 3, completion_tokens: reply.length };
    if (prompt.includes('[cached]')) {
      // A prompt-cache hit as OpenAI reports it: the cached tokens within prompt_tokens.
      usage.prompt_tokens += 1000;
      usage.prompt_tokens_details = { cached_tokens: 1000 };
    }
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    log({ prompt, status: 200, stream: Boolean(body.stream), usage, traceparent });
    const id = 'chatcmpl-upstream-' + seen.size;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id,
        object: 'chat.completion',
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.join(' ') }, finish_reason: 'stop' }],
        usage,
      }));
      return;
    }

    // Streamed: a pause before the first chunk (the time to first token), then a chunk per word,
    // the finish reason, and the usage on a chunk of its own (stream_options.include_usage).
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (data) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    setTimeout(() => {
      reply.forEach((word, i) => send({ id, model: body.model, choices: [{ index: 0, delta: { content: (i ? ' ' : '') + word }, finish_reason: null }] }));
      send({ id, model: body.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      send({ id, model: body.model, choices: [], usage });
      res.end('data: [DONE]\n\n');
    }, 60);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
