import { context, propagation } from '@opentelemetry/api';
import type { Element } from '#libs/xml';
import type { Bus } from './bus.js';
import { encodeFrame } from './frame.codec.js';
import type { StanzaEnvelope } from './messages.js';
import { envelopeOf } from './stanza-envelope.js';
import { subjects } from './subjects.js';

export interface SessionTarget {
  edgeId: string;
  sessionId: string;
}

/** Hands stanzas to the edge holding a session; the edge writes the bytes without parsing them. */
export class Delivery {
  constructor(private readonly bus: Bus) {}

  /**
   * The envelope carries the current span's trace context on (edge → router → edge, DESIGN.md).
   * Callers await the result: an acknowledged delivery (DESIGN.md) resolves once the edge took it.
   */
  toSession(env: StanzaEnvelope, s: SessionTarget): void | Promise<void> {
    const trace: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), trace);
    const stanza: StanzaEnvelope = { ...env, ...trace, target: { edgeId: s.edgeId, sessionId: s.sessionId } };
    this.bus.publish(subjects.edgeDeliver(s.edgeId), encodeFrame({ stanza }));
  }

  element(el: Element, s: SessionTarget): void | Promise<void> {
    return this.toSession(envelopeOf(el), s);
  }
}
