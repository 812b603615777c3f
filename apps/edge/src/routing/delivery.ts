import {
  continueSpan,
  copyFor,
  decodeAck,
  decodeFrame,
  encodeAck,
  encodeBatchAck,
  encodeFrame,
  partitionOf,
  requestRetrying,
  subjects,
  SESSION_GONE,
  type Ack,
  type BusMessage,
  type DeliveryFanout,
  type StanzaEnvelope,
} from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import { delayElement } from '#libs/stanza';
import { parseElement, reparseLimits } from '#libs/xml';
import type { EdgeContext } from '../edge.context.js';
import { stanzasOut } from '../edge.metrics.js';
import type { Settle, UnwrittenReason } from '../stream/outgoing.js';

/**
 * Stanzas a router or presence chose this edge for (docs/architecture.md step 3): handed to the
 * session's stream without parsing (`stream.deliver`, which runs `stanza-out` and writes).
 *
 * A delivery sent as a request is acknowledged once its bytes left the process (the connection's
 * write callback, docs/reliability.md): until then the router owns it, so an edge that dies with it
 * still in Node's buffers leaves it to the router, which routes it again. It is refused
 * (`session-gone`) when the session is not here, its stream is ending, or the stream never wrote it
 * (outcome `unwritten`: the connection broke, the stream closed): the router routes it again.
 * Three cases are acknowledged sooner and are the edge's from then on: a stanza the stream holds
 * (XEP-0352 CSI), one that waits behind a connection that does not take bytes (backpressure, or no
 * write callback for `edge.writeStallMs`: a sender is not held up by a receiver that does not
 * read), and stream management's, taken once durably in the resumable queue (`untilStored`). When
 * the edge's stanza is never written it goes back to a router one hop further, routed as to a
 * vanished full JID (another resource, offline storage, an error for an IQ), counted in one log
 * line per burst. A fire-and-forget delivery (an older sender) for a session not here goes back
 * the same way. A delivery marked `ackWhenWritten` (offline flush) waits for its write even when
 * held or stalled, and is refused if it never is: its sender still holds it.
 */
export function deliverer(ctx: EdgeContext): (msg: BusMessage) => void {
  /** The delivery in progress, to tell an outcome known at once from one that comes later. */
  let current: StanzaEnvelope | undefined;
  let refusedNow = false;
  /** The delivery in progress waits for stream management's store (it must not be acknowledged sooner). */
  let storingNow = false;
  /** Deliveries whose answer waits: for their write, or for stream management's store (`untilStored`). */
  const deferred = new Map<StanzaEnvelope, Responder>();
  /** Of those, the ones the edge takes if their connection stalls, with their stream. */
  const awaitingWrite = new Map<StanzaEnvelope, { readonly outStalled: boolean }>();
  const stallMs = ctx.config.edge.writeStallMs;
  let sweep: NodeJS.Timeout | undefined;
  /** Every `edge.writeStallMs` while some wait: a connection that stalled since their write gives them to the edge. */
  const sweepStalled = (): void => {
    sweep = undefined;
    for (const [stanza, stream] of awaitingWrite) {
      if (!stream.outStalled) continue;
      awaitingWrite.delete(stanza);
      const waiting = deferred.get(stanza);
      deferred.delete(stanza);
      waiting?.respond(ackTaken());
    }
    if (awaitingWrite.size > 0) sweep = setTimeout(sweepStalled, stallMs).unref();
  };
  const tally = new UnwrittenTally(ctx);
  const written = new DeliveryKeys(ctx.config.edge.deliveryDedupeWindow);
  const sessionKeys = resumableKeys(ctx);
  // One outcome callback for every delivery (the envelope comes back with the outcome): no closure per stanza.
  const settle: Settle<StanzaEnvelope> = (outcome, stanza) => {
    if (outcome.kind === 'held' && outcome.untilStored) {
      // XEP-0198: taken only once durably in the resumable queue (or the stream hands it back).
      if (stanza === current) storingNow = true;
      return;
    }
    const waiting = deferred.get(stanza);
    if (waiting) {
      // held by the stream (CSI): the edge's now, unless its sender paces itself on the write
      if (outcome.kind === 'held' && stanza.ackWhenWritten === true) return;
      deferred.delete(stanza);
      awaitingWrite.delete(stanza);
      if (outcome.kind !== 'unwritten') return waiting.respond(ackTaken());
      if (stanza !== current) return waiting.respond(ackSessionGone());
    }
    if (outcome.kind !== 'unwritten') return;
    if (stanza === current) refusedNow = true;
    else unwritten(ctx, tally, stanza, outcome.reason);
  };
  /** Deliveries waiting, in order, for the check of this edge's sessions after a stall (routing/liveness.ts). */
  let backlog: [StanzaEnvelope, Responder][] | undefined;
  const one = (stanza: StanzaEnvelope, msg: Responder): void => {
    if (backlog) return void backlog.push([stanza, msg]);
    const fence = ctx.stalled?.();
    if (fence) {
      // back from a stall past the heartbeat key's life: sessions the routers swept meanwhile (and
      // routed this elsewhere for) end first, so it is refused for them instead of written twice
      backlog = [[stanza, msg]];
      void fence.then(() => {
        const waiting = backlog!;
        backlog = undefined;
        for (const [s, m] of waiting) one(s, m);
      });
      return;
    }
    const stream = stanza.target ? ctx.sessions.get(stanza.target.sessionId) : undefined;
    let taken = false;
    if (stream && stream.state === 'bound' && stanza.dedupeKey && !written.first(stream, stanza.dedupeKey)) {
      // written to this session already (a muc's resend after a failover): taken, not written twice
      if (msg.replyExpected) msg.respond(ackTaken());
      return;
    }
    if (stream && stream.resumable && stanza.sessionKey && !sessionKeys.first(stream, stanza.sessionKey)) {
      // XEP-0198: this session took it already (routed again after the edge that took it died,
      // while its resumable queue kept it): taken, not written twice
      if (msg.replyExpected) msg.respond(ackTaken());
      return;
    }
    if (stream && stream.state === 'bound') {
      const span = continueSpan('glider-edge', 'edge.deliver', stanza);
      current = stanza;
      refusedNow = false;
      storingNow = false;
      if (msg.replyExpected) deferred.set(stanza, msg);
      stream.deliver(stanza.xml, settle, stanza);
      current = undefined;
      taken = !refusedNow;
      if (taken) stanzasOut[stanza.kind]?.add();
      span.end();
      if (taken && deferred.has(stanza)) {
        if (storingNow || stanza.ackWhenWritten === true) return; // answered by settle, once stored or written
        // the write will not come soon (backpressure, a stalled connection): the edge takes it now
        if (stream.outStalled) {
          deferred.delete(stanza);
          return msg.respond(ackTaken());
        }
        awaitingWrite.set(stanza, stream);
        sweep ??= setTimeout(sweepStalled, stallMs).unref();
        return; // answered by settle once written, or by the sweep if the connection stalls first
      }
      if (taken && msg.replyExpected) return; // answered by settle already
      deferred.delete(stanza);
    }
    if (msg.replyExpected) msg.respond(taken ? ackTaken() : ackSessionGone());
    else if (!taken) redirect(ctx, stanza);
  };
  return (msg) => {
    const frame = decodeFrame(msg.data);
    if (frame.stanza) return one(frame.stanza, msg);
    if (frame.batch) return batch(frame.batch.stanzas, msg, one);
    if (frame.fanout) batch(copiesOf(frame.fanout), msg, one);
  };
}

/**
 * A DeliveryFanout's copies, one envelope per recipient: the shared envelope with the recipient's
 * `to` and session, its xml with ` to="…"` put in at `toAt` (the only bytes that differ). Each is
 * then a delivery like any other (dedupe key, session-gone, routed again when unwritten).
 */
export function copiesOf(fanout: DeliveryFanout): StanzaEnvelope[] {
  const env = fanout.stanza;
  if (!env) return [];
  const shared = { env, toAt: fanout.toAt };
  return fanout.recipients.map(({ to, sessionId }) => ({ ...copyFor(shared, to), target: { edgeId: '', sessionId } }));
}

/** Who answers one delivery: the bus request itself, or its slot in a batch's answer. */
interface Responder {
  readonly replyExpected: boolean;
  respond(data: Uint8Array): void;
}

/**
 * A DeliveryBatch (a muc room's fan-out to this edge): each stanza handled as its own delivery, in
 * order, and one answer with an Ack per stanza once each has its own (most at once; those held
 * until stored by XEP-0198 when stored: never paced by a client that does not read).
 */
function batch(stanzas: StanzaEnvelope[], msg: BusMessage, one: (stanza: StanzaEnvelope, r: Responder) => void): void {
  const acks: (Ack | undefined)[] = new Array<Ack | undefined>(stanzas.length);
  let open = stanzas.length;
  if (open === 0) return msg.replyExpected ? msg.respond(encodeBatchAck({ acks: [] })) : undefined;
  stanzas.forEach((stanza, i) => {
    one(stanza, {
      replyExpected: msg.replyExpected,
      respond: (data) => {
        if (acks[i]) return;
        acks[i] = data === ackTaken() ? TAKEN : decodeAck(data);
        if (--open === 0) msg.respond(encodeBatchAck({ acks: acks as Ack[] }));
      },
    });
  });
}

/**
 * The senders' keys (StanzaEnvelope.sessionKey) a stream-management session's stream took or
 * replayed (xep-0198-sm/resume.ts primes it), its last `edge.deliveryDedupeWindow`: only resumable
 * streams keep them. One table per process, so a resume and the deliverer see the same keys.
 */
export function resumableKeys(ctx: { config: { edge: { deliveryDedupeWindow: number } } }): DeliveryKeys {
  return (sessionKeyTable ??= new DeliveryKeys(ctx.config.edge.deliveryDedupeWindow));
}
let sessionKeyTable: DeliveryKeys | undefined;

/**
 * The last `window` delivery keys (StanzaEnvelope.dedupeKey) each stream took, held with the stream
 * object (weakly: an ended stream's keys go with it). A key is remembered when first seen.
 */
export class DeliveryKeys {
  private readonly byStream = new WeakMap<object, { set: Set<string>; ring: string[]; next: number }>();

  constructor(private readonly window: number) {}

  /** True the first time `key` comes for `stream` (and remembers it); false for a repeat. */
  first(stream: object, key: string): boolean {
    if (this.window === 0) return true;
    let keys = this.byStream.get(stream);
    if (!keys) this.byStream.set(stream, (keys = { set: new Set(), ring: [], next: 0 }));
    if (keys.set.has(key)) return false;
    keys.set.add(key);
    // the oldest key leaves when the window is full: a ring, not an array shifted per delivery
    if (keys.ring.length < this.window) keys.ring.push(key);
    else {
      keys.set.delete(keys.ring[keys.next]!);
      keys.ring[keys.next] = key;
      keys.next = (keys.next + 1) % this.window;
    }
    return true;
  }
}

const TAKEN: Ack = { taken: true };
// Made once, at first use: after standalone's bootstrap chose whether bus values stay objects (libs/bus keepBusValuesLocal).
let ackTakenBytes: Uint8Array | undefined;
let ackSessionGoneBytes: Uint8Array | undefined;
const ackTaken = (): Uint8Array => (ackTakenBytes ??= encodeAck(TAKEN));
const ackSessionGone = (): Uint8Array => (ackSessionGoneBytes ??= encodeAck({ taken: false, error: SESSION_GONE }));

/** What streams did not write, logged once per burst (a cut or a drain settles many at once). */
class UnwrittenTally {
  private counts: { reroutedMessages: number; reroutedIqs: number; droppedPresence: number; reasons: Record<string, number> } | undefined;

  constructor(private readonly ctx: EdgeContext) {}

  count(kind: 'reroutedMessages' | 'reroutedIqs' | 'droppedPresence', reason: UnwrittenReason): void {
    if (!this.counts) {
      const c = (this.counts = { reroutedMessages: 0, reroutedIqs: 0, droppedPresence: 0, reasons: {} });
      setImmediate(() => {
        this.counts = undefined;
        this.ctx.logger.warn(c, 'delivered stanzas a stream never wrote; messages and IQs routed again');
      });
    }
    this.counts[kind]++;
    this.counts.reasons[reason] = (this.counts.reasons[reason] ?? 0) + 1;
  }
}

function unwritten(ctx: EdgeContext, tally: UnwrittenTally, stanza: StanzaEnvelope, reason: UnwrittenReason): void {
  // Presence to a gone session is not redone (RFC 6121 §8.5.3.2.2); the roster holds subscription state.
  if (stanza.kind === 'PRESENCE') return tally.count('droppedPresence', reason);
  tally.count(stanza.kind === 'IQ' ? 'reroutedIqs' : 'reroutedMessages', reason);
  redirect(ctx, stanza);
}

export function redirect(ctx: EdgeContext, stanza: StanzaEnvelope): void {
  const bare = tryParseJid(stanza.to)?.bare().toString() ?? stanza.to;
  const back: StanzaEnvelope = { ...stanza, xml: Buffer.from(stanza.xml), hops: (stanza.hops ?? 0) + 1 };
  delete back.target;
  const subject = subjects.routerIn(partitionOf(bare, ctx.config.bus.partitions));
  const handing = requestRetrying(ctx.bus, subject, encodeFrame({ stanza: back }), { timeoutMs: ctx.config.edge.routeTimeoutMs }).catch((err: unknown) => {
    ctx.logger.warn({ err: (err as Error).message, to: stanza.to }, 'no router took back a stanza for a vanished session; storing it offline');
    return storeAsLastResort(ctx, back, bare);
  });
  // A draining edge hands back what its closing streams did not write: shutdown waits for it.
  ctx.pending.add(handing);
  void handing.finally(() => ctx.pending.delete(handing));
}

/**
 * No router answers and the session is gone: a chat or normal message goes to the recipient's
 * offline store (XEP-0160, with its XEP-0203 delay) rather than nowhere. Anything else was
 * never stored for an offline user anyway (RFC 6121 §8.5.2.2).
 */
async function storeAsLastResort(ctx: EdgeContext, stanza: StanzaEnvelope, bare: string): Promise<void> {
  const storable = stanza.kind === 'MESSAGE' && (stanza.type === '' || stanza.type === 'chat' || stanza.type === 'normal');
  const log = { to: stanza.to, stanzaId: stanza.id };
  if (!storable) return ctx.logger.warn(log, 'stanza for a vanished session dropped: no router, and it is not a message to store');
  try {
    const el = parseElement(Buffer.from(stanza.xml).toString('utf8'), reparseLimits(ctx.config.edge.limits));
    el.append(delayElement(tryParseJid(bare)?.domain ?? ctx.config.domains[0]!, new Date()));
    await ctx.storage.offline.push(bare, el.toString(), { messages: ctx.config.router.offlineMaxPerUser, bytes: ctx.config.router.offlineMaxBytesPerUser });
  } catch (err) {
    ctx.logger.error({ ...log, err: (err as Error).message }, 'LOST: a message for a vanished session could be neither routed nor stored');
  }
}
