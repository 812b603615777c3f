import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';
import { tracer } from '#libs/telemetry';
import type { StanzaEnvelope } from './messages.js';

function parentOf(env: StanzaEnvelope) {
  return env.traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent: env.traceparent, tracestate: env.tracestate }) : context.active();
}

/** A span continuing the envelope's trace, for work done at once (an edge writing a delivery). */
export function continueSpan(service: string, name: string, env: StanzaEnvelope): Span {
  return tracer(service).startSpan(name, { kind: SpanKind.CONSUMER, attributes: { 'xmpp.stanza': env.kind, 'xmpp.type': env.type } }, parentOf(env));
}

/** Runs `fn` in a span that continues the envelope's trace (the edge started it). */
export async function traced<T>(service: string, name: string, env: StanzaEnvelope, fn: () => Promise<T>): Promise<T> {
  const parent = parentOf(env);
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
