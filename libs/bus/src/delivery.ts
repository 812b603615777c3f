import { context, propagation } from '@opentelemetry/api';
import type { Element } from '#libs/xml';
import { BusNoRespondersError, BusTimeoutError, type Bus } from './bus.js';
import { ackWireBytes, decodeAck, decodeBatchAck, encodeFrame } from './frame.codec.js';
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
export type DeliveryOutcome = { ok: true } | { ok: false; reason: 'refused' | 'no-edge' | 'timeout' | 'bus'; detail?: string };

/** What an edge answers when the session of a delivery is not there to take it. */
export const SESSION_GONE = 'session-gone';

const DELIVERED: DeliveryOutcome = { ok: true };
const NO_OPTIONS: DeliveryOptions = {};

/** What an edge answers nearly always, compared as bytes before decoding anything (protobuf: 2 bytes). */
const TAKEN = ackWireBytes({ taken: true });

function ackOutcome(reply: Uint8Array): DeliveryOutcome {
  // a value kept local (libs/bus local-values.ts) has no bytes: length 0, never this fast path
  if (reply.length > 0 && reply.length === TAKEN.length && reply.every((b, i) => b === TAKEN[i])) return DELIVERED;
  const ack = decodeAck(reply);
  return ack.taken ? DELIVERED : { ok: false, reason: 'refused', detail: ack.error };
}

function failure(err: unknown): DeliveryOutcome {
  if (err instanceof BusNoRespondersError) return { ok: false, reason: 'no-edge' };
  if (err instanceof BusTimeoutError) return { ok: false, reason: 'timeout' };
  return { ok: false, reason: 'bus', detail: (err as Error).message };
}

export interface DeliveryOptions {
  /**
   * Acknowledged once written to the connection rather than when the stream took it, refused if it
   * never is: the caller keeps the stanza meanwhile and paces itself to the reader (offline flush).
   */
  whenWritten?: boolean;
  /** Instead of bus.deliveryAckTimeoutMs. */
  timeoutMs?: number;
}

/**
 * Hands stanzas to the edge holding a session; the edge writes the bytes without parsing them. Every
 * delivery is a request the edge acknowledges once it handed the stanza to the connection
 * (docs/reliability.md): until then the caller owns the stanza.
 */
export class Delivery {
  constructor(
    private readonly bus: Bus,
    /** bus.deliveryAckTimeoutMs: how long an edge has to acknowledge. */
    private readonly ackTimeoutMs: number,
  ) {}

  /**
   * Resolves once the edge has handed the stanza to the connection, or with why it did not; never
   * rejects. A caller that must not lose the stanza routes it again on a failure (the router does);
   * one for which a gone session needs nothing (presence broadcasts, replies) just awaits it.
   */
  toSession(env: StanzaEnvelope, s: SessionTarget, opts: DeliveryOptions = NO_OPTIONS): Promise<DeliveryOutcome> {
    const frame = this.frame(opts.whenWritten ? { ...env, ackWhenWritten: true } : env, s);
    let request: Promise<Uint8Array>;
    try {
      request = this.bus.request(subjects.edgeDeliver(s.edgeId), frame, { timeoutMs: opts.timeoutMs ?? this.ackTimeoutMs });
    } catch (err) {
      return Promise.resolve(failure(err));
    }
    return request.then(ackOutcome, failure);
  }

  /**
   * Several stanzas for sessions on one edge (`edgeId`), in one request (a DeliveryBatch frame): the
   * edge handles each as its own delivery and answers one Ack per stanza, so the outcomes are the
   * single deliveries' ones, in order; a request that fails (no edge, timeout) fails every item.
   * Never rejects. Only for edges that know batches (apps/edge since bus.proto DeliveryBatch).
   */
  toSessionsOnEdge(
    edgeId: string,
    items: readonly { env: StanzaEnvelope; sessionId: string }[],
    opts: { timeoutMs?: number } = {},
  ): Promise<DeliveryOutcome[]> {
    const trace: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), trace);
    const stanzas = items.map(({ env, sessionId }) => ({ ...env, ...trace, target: { edgeId, sessionId } }));
    let request: Promise<Uint8Array>;
    try {
      request = this.bus.request(subjects.edgeDeliver(edgeId), encodeFrame({ batch: { stanzas } }), { timeoutMs: opts.timeoutMs ?? this.ackTimeoutMs });
    } catch (err) {
      return Promise.resolve(items.map(() => failure(err)));
    }
    return batchOutcomes(request, items.length);
  }

  /**
   * One stanza for several sessions on one edge, in one request (a DeliveryFanout frame): `env` is
   * what every copy shares — its `xml` serialized without a `to` attribute, which the edge puts in at
   * byte `toAt` for each recipient — so its bytes cross the bus once, not once per session. Outcomes
   * as for toSessionsOnEdge, one per recipient in order. Never rejects. Only for edges that know
   * DeliveryFanout (muc.fanoutShared).
   */
  toSessionsOnEdgeShared(
    edgeId: string,
    env: StanzaEnvelope,
    toAt: number,
    recipients: { to: string; sessionId: string }[],
    opts: { timeoutMs?: number } = {},
  ): Promise<DeliveryOutcome[]> {
    const stanza: StanzaEnvelope = { ...env, to: '' };
    propagation.inject(context.active(), stanza);
    let request: Promise<Uint8Array>;
    try {
      request = this.bus.request(subjects.edgeDeliver(edgeId), encodeFrame({ fanout: { stanza, toAt, recipients } }), {
        timeoutMs: opts.timeoutMs ?? this.ackTimeoutMs,
      });
    } catch (err) {
      return Promise.resolve(recipients.map(() => failure(err)));
    }
    return batchOutcomes(request, recipients.length);
  }

  element(el: Element, s: SessionTarget): Promise<DeliveryOutcome> {
    return this.toSession(envelopeOf(el), s);
  }

  /** The envelope carries the current span's trace context on (edge → router → edge, DESIGN.md). */
  private frame(env: StanzaEnvelope, s: SessionTarget): Uint8Array {
    const trace: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), trace);
    const stanza: StanzaEnvelope = { ...env, ...trace, target: { edgeId: s.edgeId, sessionId: s.sessionId } };
    return encodeFrame({ stanza });
  }
}

/** The outcomes of a DeliveryBatch or DeliveryFanout request: its BatchAck's, or its failure for every item. */
function batchOutcomes(request: Promise<Uint8Array>, n: number): Promise<DeliveryOutcome[]> {
  return request.then(
    (reply) => {
      const { acks } = decodeBatchAck(reply);
      if (acks.length !== n) return Array.from({ length: n }, () => ({ ok: false, reason: 'bus', detail: `${acks.length} acks for ${n} stanzas` }) as const);
      return acks.map((a) => (a.taken ? DELIVERED : { ok: false, reason: 'refused', detail: a.error }));
    },
    (err: unknown) => Array.from({ length: n }, () => failure(err)),
  );
}
