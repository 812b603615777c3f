import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { tracer } from '#libs/telemetry';
import type { StanzaEnvelope } from './messages.js';

/** Runs `fn` in a span that continues the envelope's trace (the edge started it). */
export async function traced<T>(service: string, name: string, env: StanzaEnvelope, fn: () => Promise<T>): Promise<T> {
  const carrier = { traceparent: env.traceparent, tracestate: env.tracestate };
  const parent = env.traceparent ? propagation.extract(ROOT_CONTEXT, carrier) : context.active();
  const span = tracer(service).startSpan(name, { kind: SpanKind.CONSUMER, attributes: { 'xmpp.stanza': env.kind, 'xmpp.type': env.type } }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
