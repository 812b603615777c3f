import { context, propagation } from '@opentelemetry/api';
import type { Element } from '#libs/xml';
import { BusNoRespondersError, BusTimeoutError, type Bus } from './bus.js';
import { decodeAck, encodeFrame } from './frame.codec.js';
import type { StanzaEnvelope } from './messages.js';
import { envelopeOf } from './stanza-envelope.js';
import { subjects } from './subjects.js';

export interface SessionTarget {
  edgeId: string;
  sessionId: string;
}

/**
 * How an acknowledged delivery ended (docs/reliability.md):
 * - `delivered`: the edge handed the stanza to the session's connection;
 * - `refused`: the edge answered that it could not (the session is gone or its stream is closing);
 * - `no-edge`: nobody subscribes to the edge's subject (the edge is dead);
 * - `timeout`: no answer within the timeout (the edge is stalled or cut off; it may still write it).
 */
export type DeliveryOutcome =
  | { ok: true }
  | { ok: false; reason: 'refused' | 'no-edge' | 'timeout' | 'bus'; detail?: string };

/** What an edge answers when the session of a delivery is not there to take it. */
export const SESSION_GONE = 'session-gone';

const DELIVERED: DeliveryOutcome = { ok: true };

/** Hands stanzas to the edge holding a session; the edge writes the bytes without parsing them. */
export class Delivery {
  constructor(private readonly bus: Bus) {}

  /**
   * Fire and forget: for what needs no acknowledgement (presence broadcasts, server replies to the
   * sender's own session). An edge without the session sends the stanza back to a router (`hops`).
   */
  toSession(env: StanzaEnvelope, s: SessionTarget): void {
    this.bus.publish(subjects.edgeDeliver(s.edgeId), this.frame(env, s));
  }

  /**
   * Acknowledged: resolves once the edge has handed the stanza to the connection, or with why it did
   * not; never rejects. Until then the caller owns the stanza and routes it again on a failure.
   */
  async toSessionAcked(env: StanzaEnvelope, s: SessionTarget, timeoutMs: number): Promise<DeliveryOutcome> {
    try {
      const ack = decodeAck(await this.bus.request(subjects.edgeDeliver(s.edgeId), this.frame(env, s), { timeoutMs }));
      return ack.taken ? DELIVERED : { ok: false, reason: 'refused', detail: ack.error };
    } catch (err) {
      if (err instanceof BusNoRespondersError) return { ok: false, reason: 'no-edge' };
      if (err instanceof BusTimeoutError) return { ok: false, reason: 'timeout' };
      return { ok: false, reason: 'bus', detail: (err as Error).message };
    }
  }

  element(el: Element, s: SessionTarget): void {
    this.toSession(envelopeOf(el), s);
  }

  /** The envelope carries the current span's trace context on (edge → router → edge, DESIGN.md). */
  private frame(env: StanzaEnvelope, s: SessionTarget): Uint8Array {
    const trace: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), trace);
    const stanza: StanzaEnvelope = { ...env, ...trace, target: { edgeId: s.edgeId, sessionId: s.sessionId } };
    return encodeFrame({ stanza });
  }
}
