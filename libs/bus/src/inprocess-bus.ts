/**
 * The bus inside one process (`standalone`, unit tests), with the NATS semantics of bus.ts:
 * asynchronous in-order delivery, `*`/`>` wildcards, queue groups, request/reply, KV buckets.
 */
import {
  BusNoRespondersError,
  BusTimeoutError,
  type Bus,
  type BusHandler,
  type BusMessage,
  type BusSubscription,
  type KvBucket,
  type KvOptions,
  type SubscribeOptions,
} from './bus.js';
import { busRequestTimers } from './bus-metrics.js';
import { silentLogger, type BusLogger } from './bus-logger.js';
import { Dispatcher } from './dispatcher.js';
import { MemoryKv } from './memory-kv.js';
import { subjectMatches } from './subject-match.js';

export interface InProcessBusOptions {
  logger?: BusLogger;
}

interface Sub {
  pattern: string;
  handler: BusHandler;
  queue?: string;
  closed: boolean;
}

const MATCH_CACHE_MAX = 10_000;
const noReply = (): void => undefined;

export function checkSubject(subject: string, wildcards: boolean): void {
  if (!subject || /\s/.test(subject) || subject.startsWith('.') || subject.endsWith('.') || subject.includes('..')) {
    throw new Error(`invalid subject "${subject}"`);
  }
  if (!wildcards && /(^|\.)[*>](\.|$)/.test(subject)) throw new Error(`wildcard in publish subject "${subject}"`);
}

export class InProcessBus implements Bus {
  private inFlight = 0;

  requestsInFlight(): number {
    return this.inFlight;
  }

  private readonly logger: BusLogger;
  private readonly dispatcher = new Dispatcher();
  private readonly subs = new Set<Sub>();
  private readonly matchCache = new Map<string, Sub[]>();
  private readonly roundRobin = new Map<string, number>();
  private readonly buckets = new Map<string, MemoryKv>();
  private closed = false;

  constructor(opts: InProcessBusOptions = {}) {
    this.logger = opts.logger ?? silentLogger;
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.closed) {
      this.logger.warn?.({ subject }, 'publish on a closed bus dropped');
      return;
    }
    checkSubject(subject, false);
    this.deliver({ subject, data, respond: noReply, replyExpected: false });
  }

  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('bus is closed'));
    checkSubject(subject, false);
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const started = performance.now();
      this.inFlight++;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.inFlight--;
        busRequestTimers.timeout.since(started);
        reject(new BusTimeoutError(`no reply on ${subject} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      const respond = (reply: Uint8Array): void => {
        if (settled) return;
        settled = true;
        this.inFlight--;
        clearTimeout(timer);
        busRequestTimers.ok.since(started);
        resolve(reply);
      };
      const delivered = this.deliver({ subject, data, respond, replyExpected: true });
      if (delivered === 0) {
        settled = true;
        this.inFlight--;
        clearTimeout(timer);
        busRequestTimers.noResponders.since(started);
        reject(new BusNoRespondersError(`no responders on ${subject}`));
      }
    });
  }

  subscribe(subject: string, handler: BusHandler, opts: SubscribeOptions = {}): BusSubscription {
    if (this.closed) throw new Error('bus is closed');
    checkSubject(subject, true);
    const sub: Sub = { pattern: subject, handler, queue: opts.queue, closed: false };
    this.subs.add(sub);
    this.matchCache.clear();
    return {
      // Like a NATS drain: nothing new is routed to it, what was already routed is still handled.
      unsubscribe: async () => {
        if (sub.closed || !this.subs.has(sub)) return;
        this.subs.delete(sub);
        this.matchCache.clear();
        await this.dispatcher.settled();
        sub.closed = true;
      },
    };
  }

  async kv(bucket: string, opts: KvOptions = {}): Promise<KvBucket> {
    if (this.closed) throw new Error('bus is closed');
    let b = this.buckets.get(bucket);
    if (!b) {
      b = new MemoryKv(bucket, opts, this.dispatcher, this.logger);
      this.buckets.set(bucket, b);
    }
    return b;
  }

  flush(): Promise<void> {
    return this.dispatcher.settled();
  }

  health(): string | undefined {
    return this.closed ? 'bus closed' : undefined;
  }

  /** In one process the bus is never lost, so it never comes back. */
  onReconnect(): () => void {
    return () => undefined;
  }

  lastReconnectAt(): number | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.dispatcher.settled();
    this.closed = true;
    for (const s of this.subs) s.closed = true;
    this.subs.clear();
    this.matchCache.clear();
    for (const b of this.buckets.values()) b.dispose();
  }

  /** Enqueues msg for every matching plain subscriber and one member per queue group. */
  private deliver(msg: BusMessage): number {
    const matched = this.matching(msg.subject);
    let n = 0;
    let groups: Map<string, Sub[]> | undefined;
    for (const sub of matched) {
      if (sub.queue === undefined) {
        this.enqueue(sub, msg);
        n++;
      } else {
        groups ??= new Map();
        const g = groups.get(sub.queue);
        if (g) g.push(sub);
        else groups.set(sub.queue, [sub]);
      }
    }
    if (groups) {
      for (const [queue, members] of groups) {
        const i = this.roundRobin.get(queue) ?? 0;
        this.roundRobin.set(queue, (i + 1) % 1_000_000_007);
        this.enqueue(members[i % members.length]!, msg);
        n++;
      }
    }
    return n;
  }

  private matching(subject: string): Sub[] {
    let m = this.matchCache.get(subject);
    if (!m) {
      m = [];
      for (const s of this.subs) if (subjectMatches(s.pattern, subject)) m.push(s);
      if (this.matchCache.size >= MATCH_CACHE_MAX) this.matchCache.clear();
      this.matchCache.set(subject, m);
    }
    return m;
  }

  private enqueue(sub: Sub, msg: BusMessage): void {
    this.dispatcher.push(() => {
      if (sub.closed) return;
      try {
        const r = sub.handler(msg);
        if (r && typeof r.then === 'function') {
          r.then(undefined, (err: unknown) => this.handlerFailed(err, msg));
        }
      } catch (err) {
        this.handlerFailed(err, msg);
      }
    });
  }

  private handlerFailed(err: unknown, msg: BusMessage): void {
    this.logger.error({ err, subject: msg.subject }, 'bus handler threw');
  }
}
