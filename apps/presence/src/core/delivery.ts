import { context, propagation } from '@opentelemetry/api';
import { encodeFrame, subjects, type Bus, type StanzaEnvelope } from '#libs/bus';
import type { Element } from '#libs/xml';
import { envelopeOf } from './envelope.js';

export interface SessionTarget {
  edgeId: string;
  sessionId: string;
}

/** Hands stanzas to the edge holding a session; the edge writes the bytes without parsing them. */
export class Delivery {
  constructor(private readonly bus: Bus) {}

  /** The envelope carries the current span's trace context on (edge → router → edge, DESIGN.md). */
  toSession(env: StanzaEnvelope, s: SessionTarget): void {
    const trace: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), trace);
    const stanza: StanzaEnvelope = { ...env, ...trace, target: { edgeId: s.edgeId, sessionId: s.sessionId } };
    this.bus.publish(subjects.edgeDeliver(s.edgeId), encodeFrame({ stanza }));
  }

  element(el: Element, s: SessionTarget): void {
    this.toSession(envelopeOf(el), s);
  }
}
