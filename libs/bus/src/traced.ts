import {
  INVALID_SPAN_CONTEXT,
  type Attributes,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  propagation,
  trace,
  type Span,
} from '@opentelemetry/api';
import { spansOnlyUnderSampledParents, tracer } from '#libs/telemetry';
import type { StanzaEnvelope } from './messages.js';

/** What continueSpan() returns when no span would be recorded: ending it does nothing. */
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Whether the envelope's trace is sampled, from its W3C `traceparent` flags (or, without one, the
 * active span). A `traceparent` this does not read as version-00 layout counts as sampled, so the
 * span is made and the propagator decides.
 */
export function parentSampled(env: StanzaEnvelope): boolean {
  const tp = env.traceparent;
  if (!tp) return activeSampled();
  if (tp.length < 55 || tp[2] !== '-' || tp[35] !== '-' || tp[52] !== '-') return true;
  const flags = parseInt(tp.slice(53, 55), 16);
  return Number.isNaN(flags) || (flags & TraceFlags.SAMPLED) !== 0;
}

function parentOf(env: StanzaEnvelope) {
  return env.traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent: env.traceparent, tracestate: env.tracestate }) : context.active();
}

/** A span continuing the envelope's trace, for work done at once (an edge writing a delivery). */
export function continueSpan(service: string, name: string, env: StanzaEnvelope): Span {
  // Without an OTLP endpoint, a span under an unsampled trace is never recorded: skip making it
  // (extracting the traceparent, new ids, attributes) for every delivered stanza.
  if (spansOnlyUnderSampledParents() && !parentSampled(env)) return NO_SPAN;
  return tracer(service).startSpan(name, { kind: SpanKind.CONSUMER, attributes: { 'xmpp.stanza': env.kind, 'xmpp.type': env.type } }, parentOf(env));
}

/**
 * A span for a stanza a process puts on the bus first (the edge routing a client's stanza), and the
 * W3C trace context for its envelope. Without an OTLP endpoint and with no sampled span active, such
 * a span would never be recorded: none is made and the carrier stays empty, so the envelope carries
 * no `traceparent` and no process after this one makes a span for the stanza either.
 */
export function producerSpan(service: string, name: string, attributes: Attributes): { span: Span; carrier: { traceparent?: string; tracestate?: string } } {
  const carrier: { traceparent?: string; tracestate?: string } = {};
  if (spansOnlyUnderSampledParents() && !activeSampled()) return { span: NO_SPAN, carrier };
  const span = tracer(service).startSpan(name, { kind: SpanKind.PRODUCER, attributes });
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return { span, carrier };
}

function activeSampled(): boolean {
  return ((trace.getSpanContext(context.active())?.traceFlags ?? 0) & TraceFlags.SAMPLED) !== 0;
}

/**
 * Runs `fn` in a span that continues the envelope's trace (the edge started it). When that span
 * would never be recorded (no OTLP endpoint, an unsampled parent or none), `fn` runs as it is: no
 * span, no context switch, nothing extracted.
 */
export async function traced<T>(service: string, name: string, env: StanzaEnvelope, fn: () => Promise<T>): Promise<T> {
  if (spansOnlyUnderSampledParents() && !parentSampled(env)) return fn();
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
