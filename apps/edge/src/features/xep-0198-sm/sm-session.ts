import { KvConflictError } from '#libs/bus';
import type { GliderConfig } from '#libs/config';
import { sessionFlags, type QueueItem, type ResumableRecord, type ResumableStore, type SessionRegistry } from '#libs/sessions';
import { TokenBucket } from '../../limits/token-bucket.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { StanzaOut } from '../../stream/stanza-out.js';
import { fromWire, parseH } from './sm-counter.js';
import { ackElement, handledCountTooHigh, requestElement } from './sm-nonzas.js';
import { UnackedQueue, type UnackedEntry } from './unacked-queue.js';

export type SmConfig = GliderConfig['edge']['sm'];

/** What a session needs besides its stream. */
export interface SmDeps {
  readonly store: ResumableStore;
  readonly config: SmConfig;
  /** The session registry (its cached record's carbons/blocklist flags are kept at a detach). */
  readonly registry: Pick<SessionRegistry, 'get'>;
  /** Ends the session for good: its queue routed again, registry record removed, ENDED. */
  end(session: SmSession, reason: string): Promise<void>;
  /**
   * The session was detached with stanzas the client had not acknowledged: the router hears it
   * (SessionEvent DETACHED) so that XEP-0357 push can tell the app. Never throws.
   */
  detached(jid: string, sessionId: string): void;
}

/**
 * One stream's XEP-0198 state once `<enable/>`d (or resumed): the counters of §4, the unacknowledged
 * queue, and the write path that makes resumption survive the edge:
 *
 * 1. a stanza for the client is numbered and held (`stanza-out`), and stored in the session's queue
 *    in the bus KV (`ResumableStore.putItem`) — the delivery is acknowledged to the router only then
 *    (`stored`), so an edge SIGKILLed after that loses nothing: another edge replays it;
 * 2. once stored, and after every stanza before it, it is written to the socket;
 * 3. the client's `<a h/>` trims it: the record's counters are updated (compare-and-set: a conflict
 *    means another stream resumed the session, and this one is closed), then the items deleted.
 *
 * Inbound `h` is the stream's count of stanzas fully handled (the router took them), made durable
 * lazily (at `<r/>` answers, acks and detach): what a resume reports is never more than the truth,
 * so a client re-sends at worst a stanza the server had (a duplicate, never a loss).
 */
export class SmSession {
  readonly queue = new UnackedQueue();
  /** Full outbound count: the last number given to a stanza. */
  sent: number;
  /** The client's last acknowledged full count. */
  acked: number;
  /** Another stream took the session over (resumed elsewhere): this one writes and stores nothing more. */
  fenced = false;
  /** The session ends for good (clean close, limit): nothing more is stored. */
  ending = false;
  private inBase: number;
  private persisting: Promise<void> = Promise.resolve();
  private persistQueued = false;
  /** Acknowledged entries whose stored items are not trimmed yet (edge.sm.trimBatch). */
  private untrimmed: UnackedEntry[] = [];
  /** An `<r/>` of ours waits for its `<a/>`. */
  private requested = false;
  /** While a resume replays the queue, new stanzas wait here, held, to be numbered after it. */
  private waiting: StanzaOut<C2sStream>[] | undefined;
  /** Stores started and not settled yet; `idle` wakes `settled()` callers when it is back to 0. */
  private storing = 0;
  private readonly idle: (() => void)[] = [];
  private readonly requests: TokenBucket;

  constructor(
    readonly stream: C2sStream,
    private readonly deps: SmDeps,
    readonly id: string,
    private record: ResumableRecord,
    private revision: number,
    /** Whether the client asked for resumption (else the session ends with its connection). */
    readonly resume: boolean,
  ) {
    this.sent = record.sent;
    this.acked = record.acked;
    this.inBase = stream.stanzasHandled - record.inH;
    this.requests = new TokenBucket(deps.config.maxRequestsPerSecond, deps.config.maxRequestsPerSecond);
  }

  /** A resume learned the inbound count from the edge that let go of the session. */
  setInH(inH: number): void {
    this.inBase = this.stream.stanzasHandled - inH;
  }

  /** Stanzas handled from the client since `<enable/>` (full count). */
  get inH(): number {
    return this.stream.stanzasHandled - this.inBase;
  }

  get timeoutSec(): number {
    return this.record.timeoutSec;
  }

  /** `stanza-out`: every stanza for the client is numbered, stored, then written in order. */
  onOut(out: StanzaOut<C2sStream>): void {
    if (this.fenced || this.ending) return; // the stream is closing: it settles the stanza unwritten
    if (this.waiting) {
      out.holdToStore();
      this.waiting.push(out);
      return;
    }
    this.number(out);
    const { maxUnacked, maxUnackedBytes } = this.deps.config;
    if (this.queue.count > maxUnacked || this.queue.bytes > maxUnackedBytes) this.overLimit();
  }

  /** Numbers, holds and stores one stanza; it is written once stored, after those before it. */
  private number(out: StanzaOut<C2sStream>): void {
    const item = itemOf(out);
    const n = ++this.sent;
    item.n = n;
    if (!out.held) out.holdToStore();
    const entry: UnackedEntry = { n, size: byteSize(item.x), out, storedDone: false };
    this.queue.push(entry);
    this.storing++;
    // One `then` per stanza (this is the per-stanza path: docs/performance.md).
    this.deps.store.putItem(this.id, item).then(
      (s) => {
        if (!out.held) {
          // The stream closed while this was being stored: its caller got it back (unwritten) and
          // routes it again, so the stored copy must not be replayed or routed a second time.
          void this.deps.store.deleteItem(s.key).catch(() => undefined);
        } else {
          entry.key = s.key;
          entry.revision = s.revision;
          entry.storedOk = true; // the caller hears it in pump(), once it is handed to the connection too
        }
        this.storeSettled(entry);
      },
      (err: unknown) => {
        // Written anyway, and acknowledged to the router only once written: not resumable, not lost.
        this.stream.log.warn({ err: (err as Error).message, n }, 'a stanza could not be stored for resumption; writing it without');
        this.storeSettled(entry);
      },
    );
  }

  private storeSettled(entry: UnackedEntry): void {
    entry.storedDone = true;
    if (--this.storing === 0 && this.idle.length > 0) for (const wake of this.idle.splice(0)) wake();
    this.pump();
  }

  /** Replays stored stanzas first (resume), then what arrived meanwhile. */
  startReplay(): void {
    this.waiting ??= [];
  }

  /** A stanza from the queue, stored already: written as it is, numbered `n`. */
  replay(n: number, key: string, revision: number, x: string | Uint8Array): void {
    this.sent = Math.max(this.sent, n);
    const entry: UnackedEntry = { n, size: byteSize(x), key, revision, storedDone: true };
    this.queue.push(entry);
    for (const e of this.queue.releasable()) if (e === entry) this.stream.writeStanza(x, undefined, undefined);
  }

  endReplay(): void {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const out of waiting) this.number(out);
    this.pump();
  }

  /**
   * Writes what is stored, in order; asks for an ack once enough is unacknowledged. A delivery is
   * acknowledged (`stored`) here, as it is handed to the connection, not when its own store
   * returned: one stored while an earlier one still is being stored waits for it, and its sender
   * must not take it as sent before then (a roster removal's result must not reach the remover
   * before the contact's `<unsubscribe/>` it caused is written: RFC 6121 §2.5.2; docs/reliability.md).
   */
  private pump(): void {
    if (this.waiting) return;
    for (const e of this.queue.releasable()) {
      const out = e.out;
      e.out = undefined;
      if (!out) continue;
      if (e.storedOk && !out.held) {
        // The stream closed while this waited for an earlier store: its caller got it back
        // (unwritten) and routes it again, so the stored copy goes (as in number()).
        if (e.key) void this.deps.store.deleteItem(e.key).catch(() => undefined);
        continue;
      }
      if (e.storedOk) out.stored();
      out.release();
    }
    if (!this.requested && this.queue.inFlight >= this.deps.config.requestAckEvery && this.stream.state === 'bound') {
      this.requested = true;
      this.stream.send(requestElement());
    }
  }

  /** The client's `<a h/>` (XEP-0198 §4). */
  onAck(hAttr: string | undefined): void {
    const h = parseH(hAttr);
    if (h === undefined) return this.stream.error('undefined-condition', "an <a/> needs an 'h' between 0 and 2^32-1");
    const full = fromWire(h, this.acked);
    if (full > this.sent) {
      // XEP-0198 §4: more acknowledged than was sent.
      return this.stream.error('undefined-condition', 'the client acknowledged more stanzas than were sent', handledCountTooHigh(h, this.sent).toString());
    }
    this.requested = false;
    if (full === this.acked) return;
    for (const e of this.queue.ackUpTo(full)) if (e.key) this.untrimmed.push(e);
    this.acked = full;
    // The record first (a resume elsewhere must never see fewer sent than the client acknowledged),
    // then the items, in batches of edge.sm.trimBatch: an item the record's `acked` covers is never
    // replayed (resume) nor routed again (end), so it may stay a while (docs/performance.md).
    if (this.untrimmed.length < this.deps.config.trimBatch) return this.persist();
    const batch = this.untrimmed.splice(0);
    this.persist(() => this.trim(batch));
  }

  /**
   * Drops acknowledged items from the store: one purge up to the last one's revision when every
   * item still queued comes after it in store order (always, unless a resume re-stored items out of
   * order), else one delete per item.
   */
  private trim(gone: UnackedEntry[]): Promise<unknown> {
    const store = this.deps.store;
    let upTo = 0;
    for (const e of gone) if (e.revision !== undefined && e.revision > upTo) upTo = e.revision;
    const next = this.queue.first()?.revision;
    if (upTo > 0 && (next === undefined || next > upTo)) {
      return store.trim(this.id, upTo).catch((err: unknown) => {
        this.stream.log.warn({ err: (err as Error).message }, 'acknowledged stanzas not trimmed; a resume deletes them');
      });
    }
    const keys = gone.flatMap((e) => (e.key ? [e.key] : []));
    return Promise.all(keys.map((k) => store.deleteItem(k).catch(() => undefined)));
  }

  /** The client's `<r/>`: answered at once (§4); more than edge.sm.maxRequestsPerSecond is a flood. */
  onRequest(): void {
    if (this.requests.take(1) > 0) return this.stream.error('policy-violation', 'too many <r/> requests');
    this.stream.send(ackElement(this.inH));
    if (!this.persistQueued) this.persist();
  }

  /**
   * Every stanza the client sent so far is handled (the inbound count final, unless the stream is
   * still open) and every store write started so far has settled: before a detach, a release, an
   * end. Not from the stream's own inbound handlers (it waits for them).
   */
  async settled(): Promise<void> {
    await this.stream.inboundSettled();
    while (this.storing > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.persisting;
  }

  /**
   * The connection is gone without a clean close: the session waits for a resume on any edge until
   * its timeout. The record says so (compare-and-set), and the detached index lets routers find it.
   */
  async detach(): Promise<void> {
    await this.settled();
    if (this.fenced || this.ending) return;
    const info = await this.deps.registry.get(this.record.jid).catch(() => undefined);
    const flags = info?.sessionId === this.id ? sessionFlags(info) : { carbons: this.record.carbons, blocklist: this.record.blocklist };
    const expiresAtMs = Date.now() + this.record.timeoutSec * 1000;
    const next: ResumableRecord = { ...this.record, state: 'detached', inH: this.inH, acked: this.acked, sent: this.sent, expiresAtMs, ...flags };
    try {
      this.revision = await this.deps.store.update(this.id, next, this.revision);
      this.record = next;
      await this.deps.store.markDetached(this.id, expiresAtMs);
      this.stream.log.info({ unacked: this.queue.count, timeoutSec: next.timeoutSec }, 'session detached; waiting for a resume');
      if (this.queue.count > 0) this.deps.detached(this.record.jid, this.id);
    } catch (err) {
      if (err instanceof KvConflictError) return; // resumed elsewhere meanwhile
      throw err;
    }
  }

  /** Another stream resumed this session: close ours (XEP-0198 leaves the condition open; Prosody and ejabberd say conflict). */
  fence(text = 'this session was resumed on another connection'): void {
    this.fenced = true;
    this.stream.error('conflict', text);
  }

  private overLimit(): void {
    this.ending = true;
    const { count, bytes } = this.queue;
    this.stream.log.info({ unacked: count, bytes }, 'client does not acknowledge: cut, its session ends');
    this.stream.error('policy-violation', 'too many unacknowledged stanzas');
  }

  /** Updates the record's counters (compare-and-set; serialised), then runs `after`. */
  private persist(after?: () => Promise<unknown>): void {
    this.persistQueued = true;
    this.persisting = this.persisting.then(async () => {
      this.persistQueued = false;
      if (this.fenced || this.ending) return;
      const next: ResumableRecord = { ...this.record, inH: this.inH, acked: this.acked, sent: this.sent };
      try {
        this.revision = await this.deps.store.update(this.id, next, this.revision);
        this.record = next;
      } catch (err) {
        if (err instanceof KvConflictError) return this.fence();
        this.stream.log.warn({ err: (err as Error).message }, 'stream management counters not saved; next ack retries');
        return;
      }
      await after?.();
    });
  }
}

/** The queue item for a stanza: routing fields from the delivery's envelope, or from the element the edge made. */
function itemOf(out: StanzaOut<C2sStream>): QueueItem {
  let k: string, t: string, i: string, to: string, fr: string;
  if (out.meta?.kind) {
    const m = out.meta;
    [k, t, i, to, fr] = [m.kind!, m.type ?? '', m.id ?? '', m.to ?? '', m.from ?? ''];
  } else {
    const el = out.element();
    [k, t, i, to, fr] = [el.name.toUpperCase(), el.attrs.type ?? '', el.attrs.id ?? '', el.attrs.to ?? '', el.attrs.from ?? ''];
  }
  const sk = out.meta?.sessionKey;
  return sk ? { v: 1, x: out.bytes(), k, t, i, to, fr, sk } : { v: 1, x: out.bytes(), k, t, i, to, fr };
}

function byteSize(x: string | Uint8Array): number {
  return typeof x === 'string' ? Buffer.byteLength(x) : x.byteLength;
}
