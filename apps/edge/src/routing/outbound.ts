import { randomBytes } from 'node:crypto';
import {
  BusNoRespondersError,
  BusTimeoutError,
  batchAcks,
  batchLength,
  decodeAck,
  encodeFrame,
  envelopeOf,
  partitionOf,
  producerSpan,
  requestRetrying,
  subjects,
  type Ack,
  type StanzaEnvelope,
} from '#libs/bus';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { tryParseJid } from '#libs/jid';
import type { Element } from '#libs/xml';
import { routingDuration } from '../edge.metrics.js';
import type { C2sStream } from '../stream/c2s-stream.machine.js';
import { errorReply, NS, type StanzaErrorCondition } from '#libs/stanza';

/**
 * A bound client's stanza to the router (docs/architecture.md, stanza path step 1): check `to`,
 * stamp `from`, serialise once, and put it on the session's route lane. True when it went to the
 * lane: counted in the stream's `stanzasHandled` once the router took it or it was bounced. False
 * when it was answered here (a malformed `to`); a `from` that is not the session's ends the stream
 * once the stanzas before it were taken.
 */
export function routeFromClient(stream: C2sStream, el: Element): boolean | Promise<boolean> {
  const full = stream.jid!;
  const claimed = el.attrs.from;
  if (claimed !== undefined) {
    const j = tryParseJid(claimed);
    // RFC 6120 §8.1.2.1: the client may state its full JID or its bare JID, nothing else.
    const ok = j && (j.equals(full) || (!j.resource && j.equals(full.bare())));
    if (!ok) return stream.routeLane.idle().then(() => (stream.error('invalid-from', 'the from address is not this session'), false));
  }
  el.attrs.from = full.toString();
  let to = '';
  if (el.attrs.to !== undefined) {
    const target = tryParseJid(el.attrs.to);
    if (!target) {
      const reply = errorReply(el, 'jid-malformed', { type: 'modify' })?.setAttr('from', stream.domain).setAttr('to', full.toString());
      if (reply) stream.send(reply);
      return false;
    }
    to = target.toString();
    el.attrs.to = to;
  }
  if (el.attrs.xmlns === NS.client) delete el.attrs.xmlns;
  // RFC 6120 §4.7.4: the stream's language goes with a stanza that states none.
  if (el.attrs['xml:lang'] === undefined && stream.langStated) el.attrs['xml:lang'] = stream.lang;
  const lane = stream.routeLane;
  if (!lane.full) return (lane.add(el), true);
  return lane.room().then(() => (lane.add(el), true));
}

interface Routed {
  el: Element;
  env: StanzaEnvelope;
  span: Span;
  started: number;
}

/**
 * One session's stanzas on their way to its router, in order (RFC 6120 §10.1), without waiting
 * for each one's Ack before taking the next (DESIGN.md, the bus; docs/reliability.md). One request
 * is in flight at a time, to the sender's partition; the stanzas that came while it was out go in
 * the next one, as one DeliveryBatch (at most `edge.routeBatchMax`, and BATCH_XML_BYTES of XML),
 * which the router routes in order as if each had come alone and answers with one Ack per stanza. So order holds even when a
 * request is retried (a partition changing owner) or fails, and a stanza is the edge's until its
 * request is answered: taken, or bounced to the sender (no silent loss). A router that predates
 * batches answers a batch with a plain Ack without routing it: the lane then sends those stanzas
 * again one per request.
 */
export class RouteLane {
  private readonly waiting: Routed[] = [];
  private inFlight = false;
  /** Stanzas an older router ignored in a batch: sent again one per request. */
  private singles = 0;
  /**
   * Each stanza's `sessionKey`: this lane's own random id and a sequence number. Not the session id:
   * a resumed session (XEP-0198) keeps that on a new stream, whose lane counts from 1 again.
   */
  private readonly laneId = randomBytes(9).toString('base64url');
  private seq = 0;
  private idleWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly stream: C2sStream) {}

  /** A request is out or stanzas wait for one. */
  get busy(): boolean {
    return this.inFlight || this.waiting.length > 0;
  }

  /** Stanzas waiting for a request (not the ones out). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** As many stanzas wait as the inbound queue may hold (edge.limits.maxQueuedStanzas): the next waits for room. */
  get full(): boolean {
    return this.waiting.length >= this.stream.ctx.config.edge.limits.maxQueuedStanzas;
  }

  /** Resolves once every stanza put on the lane so far was taken or bounced. */
  idle(): Promise<void> {
    return this.busy ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  /** Resolves once the lane is not full. */
  room(): Promise<void> {
    return this.full ? new Promise((resolve) => this.roomWaiters.push(resolve)) : Promise.resolve();
  }

  add(el: Element): void {
    const { edgeId } = this.stream.ctx;
    const { span, carrier } = producerSpan('glider-edge', 'edge.route', { 'xmpp.stanza': el.name });
    const sessionId = this.stream.sessionId;
    const env = envelopeOf(el, { origin: { edgeId, sessionId }, sessionKey: `${this.laneId}.${++this.seq}`, ...carrier });
    this.waiting.push({ el, env, span, started: performance.now() });
    if (!this.inFlight) this.send();
  }

  private send(): void {
    const { config, bus } = this.stream.ctx;
    let n = 1;
    if (this.singles > 0) this.singles--;
    else n = batchLength(this.waiting, config.edge.routeBatchMax);
    const items = this.waiting.splice(0, n);
    this.inFlight = true;
    const frame = n === 1 ? encodeFrame({ stanza: items[0]!.env }) : encodeFrame({ batch: { stanzas: items.map((i) => i.env) } });
    const subject = subjects.routerIn(partitionOf(this.stream.jid!.bare().toString(), config.bus.partitions));
    // Retried while a partition changes owner (a router scaling or restarting), so such a moment
    // bounces nothing; a stanza is bounced only when no router takes it within routeTimeoutMs.
    requestRetrying(bus, subject, frame, { timeoutMs: config.edge.routeTimeoutMs })
      .then(
        (reply) => this.answered(items, reply),
        (err: unknown) => this.failed(items, err as Error),
      )
      .catch((err: unknown) => {
        // a bug, not an answer: said, and the lane goes on (a lane stuck with a request "out" would hold the session forever)
        this.stream.log.error({ err }, 'route lane failed to settle a request');
        if (this.inFlight) this.next();
      });
  }

  private answered(items: Routed[], reply: Uint8Array): void {
    let acks: Ack[] | 'unrouted' | undefined;
    try {
      acks = items.length === 1 ? [decodeAck(reply)] : batchAcks(reply, items.length);
    } catch (err) {
      return this.failed(items, new Error(`unreadable answer from the router: ${(err as Error).message}`));
    }
    if (acks === 'unrouted') {
      // an older router: it answered the batch with one Ack and routed none of it
      this.stream.log.info({ stanzas: items.length }, 'router does not take batches; sending these one at a time');
      this.singles += items.length;
      this.waiting.unshift(...items);
    } else {
      items.forEach((item, i) => {
        const ack = acks?.[i];
        item.span.end();
        routingDuration[item.el.name]?.since(item.started);
        if (!ack) bounce(this.stream, item.el, 'internal-server-error', 'the router answered this batch unreadably');
        else if (!ack.taken) bounce(this.stream, item.el, 'internal-server-error', ack.error);
        this.stream.stanzasHandled++;
      });
    }
    this.next();
  }

  private failed(items: Routed[], err: Error): void {
    for (const item of items) {
      routingDuration[item.el.name]?.since(item.started); // bounced: the sender waited this long too
      item.span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      item.span.end();
    }
    this.stream.log.warn({ err: err.message, stanzas: items.length, stanzaId: items[0]!.el.attrs.id }, 'router did not take stanzas; bounced');
    for (const item of items) {
      bounce(
        this.stream,
        item.el,
        err instanceof BusTimeoutError ? 'remote-server-timeout' : 'internal-server-error',
        err instanceof BusNoRespondersError ? 'no router is available' : undefined,
      );
      this.stream.stanzasHandled++;
    }
    this.next();
  }

  private next(): void {
    this.inFlight = false;
    if (!this.full && this.roomWaiters.length > 0) for (const wake of this.roomWaiters.splice(0)) wake();
    if (this.waiting.length > 0) return this.send();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

/** No silent loss: the sender learns its stanza was not taken. Presence is dropped (RFC 6121 never errors it back here). */
function bounce(stream: C2sStream, el: Element, condition: StanzaErrorCondition, text?: string): void {
  if (el.name === 'presence') return;
  const reply = errorReply(el, condition, { type: 'wait', text })
    ?.setAttr('from', el.attrs.to || stream.domain)
    .setAttr('to', stream.jid!.toString());
  if (reply) stream.send(reply);
}
