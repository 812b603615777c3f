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
 * delivery is acknowledged by the edge once it handed the stanza to the connection
 * (docs/reliability.md): until then the caller owns the stanza. Each is a request of its own, or,
 * coalescing, a share of one DeliveryBatch request with what else went to that edge in that turn.
 */
export class Delivery {
  /** Coalesced deliveries not sent yet, per edge, in the order they were asked for. */
  private readonly waiting = new Map<string, Waiting>();
  private flushScheduled = false;
  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    // flushEdge deletes the entry it sends: a Map's iteration allows that
    for (const edgeId of this.waiting.keys()) this.flushEdge(edgeId);
  };

  constructor(
    private readonly bus: Bus,
    /** bus.deliveryAckTimeoutMs: how long an edge has to acknowledge. */
    private readonly ackTimeoutMs: number,
    /**
     * Coalesce plain deliveries (toSession without options): those asked for in one turn of the
     * event loop for sessions on one edge go as one DeliveryBatch request, sent once the turn's I/O
     * callbacks ran (setImmediate), at most `max` stanzas and about `bytes` of XML each. Off: every
     * delivery is a request of its own.
     */
    private readonly coalesce?: { max: number; bytes: number },
  ) {}

  /**
   * Resolves once the edge has handed the stanza to the connection, or with why it did not; never
   * rejects. A caller that must not lose the stanza routes it again on a failure (the router does);
   * one for which a gone session needs nothing (presence broadcasts, replies) just awaits it.
   */
  toSession(env: StanzaEnvelope, s: SessionTarget, opts: DeliveryOptions = NO_OPTIONS): Promise<DeliveryOutcome> {
    const plain = opts.whenWritten !== true && opts.timeoutMs === undefined;
    if (this.coalesce && plain) return this.enqueue(this.stanza(env, s), s.edgeId);
    // what waits for this edge goes first: one edge's deliveries keep the order they were asked for
    this.flushEdge(s.edgeId);
    const frame = encodeFrame({ stanza: this.stanza(opts.whenWritten ? { ...env, ackWhenWritten: true } : env, s) });
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
    this.flushEdge(edgeId);
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
    this.flushEdge(edgeId);
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

  /** The envelope for `s`, carrying the current span's trace context on (edge → router → edge, DESIGN.md). */
  private stanza(env: StanzaEnvelope, s: SessionTarget): StanzaEnvelope {
    const trace: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), trace);
    return { ...env, ...trace, target: { edgeId: s.edgeId, sessionId: s.sessionId } };
  }

  private enqueue(stanza: StanzaEnvelope, edgeId: string): Promise<DeliveryOutcome> {
    const { max, bytes } = this.coalesce!;
    let w = this.waiting.get(edgeId);
    // a stanza that would take the batch past its size goes in the next one (a large one alone)
    if (w && w.bytes + stanza.xml.byteLength > bytes) {
      this.flushEdge(edgeId);
      w = undefined;
    }
    if (!w) this.waiting.set(edgeId, (w = { stanzas: [], settle: [], bytes: 0 }));
    w.stanzas.push(stanza);
    w.bytes += stanza.xml.byteLength;
    const outcome = new Promise<DeliveryOutcome>((resolve) => w.settle.push(resolve));
    if (w.stanzas.length >= max) this.flushEdge(edgeId);
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
    return outcome;
  }

  /** Sends what waits for `edgeId`: one stanza as a plain delivery, more as one DeliveryBatch. */
  private flushEdge(edgeId: string): void {
    const w = this.waiting.get(edgeId);
    if (!w) return;
    this.waiting.delete(edgeId);
    const { stanzas, settle } = w;
    const single = stanzas.length === 1;
    let request: Promise<Uint8Array>;
    try {
      const frame = single ? encodeFrame({ stanza: stanzas[0]! }) : encodeFrame({ batch: { stanzas } });
      request = this.bus.request(subjects.edgeDeliver(edgeId), frame, { timeoutMs: this.ackTimeoutMs });
    } catch (err) {
      const outcome = failure(err);
      for (const resolve of settle) resolve(outcome);
      return;
    }
    if (single) void request.then(ackOutcome, failure).then(settle[0]);
    else void batchOutcomes(request, stanzas.length).then((outcomes) => outcomes.forEach((o, i) => settle[i]!(o)));
  }
}

interface Waiting {
  stanzas: StanzaEnvelope[];
  settle: ((o: DeliveryOutcome) => void)[];
  /** Their XML's size. */
  bytes: number;
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
