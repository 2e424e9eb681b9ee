// The client side's own OpenTelemetry tracing: a Node tracer provider, spans kept in memory, and
// undici instrumentation so that fetch (used by the openai and Anthropic SDKs) sends traceparent.
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { trace } from '@opentelemetry/api';

// Without undici instrumentation ({ undici: false }), fetch sends no traceparent of its own.
export function startClientTracing(serviceName, { undici = true } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  if (undici) {
    registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });
  }

  return {
    tracer: trace.getTracer(serviceName),
    spans: () => exporter.getFinishedSpans().map((span) => ({
      name: span.name,
      kind: span.kind,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext ? span.parentSpanContext.spanId : (span.parentSpanId || ''),
      attributes: span.attributes,
    })),
    shutdown: () => provider.shutdown(),
  };
}
