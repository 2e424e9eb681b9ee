// A loopback OTLP/HTTP receiver. It decodes protobuf bodies with the OpenTelemetry JS project's
// own generated decoder (@opentelemetry/otlp-transformer 0.216.0), not with TracedLlm code, and
// prints one JSON line per request: path, the headers that matter, and flat spans (traces) or
// flat metrics (/v1/metrics: each instrument's points with their attributes, and a histogram's
// explicit bounds and count).
'use strict';
const http = require('node:http');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ExportTraceServiceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
const ExportMetricsServiceRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const ExportMetricsServiceResponse = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
const hex = (bytes) => (bytes && bytes.length ? Buffer.from(bytes).toString('hex') : '');
const kinds = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function anyValue(value) {
  if (value == null) return null;
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return value.boolValue;
  if (value.intValue != null) return Number(value.intValue);
  if (value.doubleValue != null) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values || []).map(anyValue);
  if (value.kvlistValue) return attributes(value.kvlistValue.values);
  return null;
}

function attributes(list) {
  const result = {};
  for (const kv of list || []) result[kv.key] = anyValue(kv.value);
  return result;
}

function flatten(request) {
  const spans = [];
  for (const resourceSpans of request.resourceSpans || []) {
    const resource = attributes(resourceSpans.resource && resourceSpans.resource.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans || []) {
      for (const span of scopeSpans.spans || []) {
        spans.push({
          scope: scopeSpans.scope ? scopeSpans.scope.name : '',
          service: resource['service.name'] || '',
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          name: span.name,
          kind: kinds[span.kind || 0],
          // Nanoseconds since the epoch, as decimal strings (fixed64 does not fit a JSON number).
          startTimeUnixNano: String(span.startTimeUnixNano || 0),
          endTimeUnixNano: String(span.endTimeUnixNano || 0),
          resource,
          attributes: attributes(span.attributes),
          events: (span.events || []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
          links: (span.links || []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
          status: { code: (span.status && span.status.code) || 0, message: (span.status && span.status.message) || '' },
        });
      }
    }
  }
  return spans;
}

function point(p) {
  const value = p.asDouble != null ? p.asDouble : p.asInt != null ? Number(String(p.asInt)) : null;
  return {
    attributes: attributes(p.attributes),
    value,
    count: p.count != null ? Number(String(p.count)) : null,
    explicitBounds: p.explicitBounds ? Array.from(p.explicitBounds) : null,
  };
}

function flattenMetrics(request) {
  const metrics = [];
  for (const resourceMetrics of request.resourceMetrics || []) {
    for (const scopeMetrics of resourceMetrics.scopeMetrics || []) {
      for (const metric of scopeMetrics.metrics || []) {
        const data = metric.histogram || metric.sum || metric.gauge;
        metrics.push({
          scope: scopeMetrics.scope ? scopeMetrics.scope.name : '',
          name: metric.name,
          unit: metric.unit || '',
          type: metric.histogram ? 'histogram' : metric.sum ? 'sum' : metric.gauge ? 'gauge' : 'other',
          points: ((data && data.dataPoints) || []).map(point),
        });
      }
    }
  }
  return metrics;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const isMetrics = (req.url || '').endsWith('/v1/metrics');
    let spans = [];
    let metrics = [];
    let error = null;
    try {
      if (isMetrics) metrics = flattenMetrics(ExportMetricsServiceRequest.decode(body));
      else spans = flatten(ExportTraceServiceRequest.decode(body));
    } catch (e) {
      error = String(e && e.message);
    }
    const record = {
      method: req.method,
      path: req.url,
      headers: {
        authorization: req.headers['authorization'] || null,
        'x-langfuse-ingestion-version': req.headers['x-langfuse-ingestion-version'] || null,
        'content-type': req.headers['content-type'] || null,
        // Phoenix's and LangSmith's own (tests/EndToEnd.Tests/BackendFidelityTests.cs).
        'x-api-key': req.headers['x-api-key'] || null,
        'langsmith-project': req.headers['langsmith-project'] || null,
      },
      error,
      spans,
      metrics,
    };
    process.stdout.write(JSON.stringify(record) + '\n');
    res.writeHead(error ? 400 : 200, { 'content-type': 'application/x-protobuf' });
    const Response = isMetrics ? ExportMetricsServiceResponse : ExportTraceServiceResponse;
    res.end(Buffer.from(Response.encode({}).finish()));
  });
});

// A port may be given (a collector that comes back on the port the gateway was told about).
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + '\n');
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
