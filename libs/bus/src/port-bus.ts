/**
 * The bus of a worker thread: the `Bus` contract (bus.ts) carried over a MessagePort to a
 * `PortBusHost` in the thread that owns the `InProcessBus` (standalone's primary). Standalone's
 * edge workers use it, so an edge in a worker is one more edge on the same bus, as a cluster edge
 * is on NATS (docs/decisions.md, "Standalone on every core").
 *
 * Everything one PortBus sends reaches the host in order (one port, FIFO), so per-publisher order,
 * request/reply, queue groups, drains, KV compare-and-set and watches are the host bus's own.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  BusNoRespondersError,
  BusTimeoutError,
  KvConflictError,
  type Bus,
  type BusHandler,
  type BusMessage,
  type BusSubscription,
  type KvBucket,
  type KvEntry,
  type KvOptions,
  type KvWatch,
  type SubscribeOptions,
} from './bus.js';
import { silentLogger, type BusLogger } from './bus-logger.js';
import { checkSubject } from './inprocess-bus.js';
import { PortBatcher } from './port-batcher.js';
import { exact, type KvOp, type ToHost, type ToWorker, type WireError } from './port-bus.protocol.js';

const ERRORS: Record<string, new (message: string) => Error> = { BusTimeoutError, BusNoRespondersError, KvConflictError };
const revive = (e: WireError): Error => new (ERRORS[e.name] ?? Error)(e.message);
const noReply = (): void => undefined;

interface Pending {
  what: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class PortBus implements Bus {
  private readonly out: PortBatcher<ToHost>;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<number, BusHandler>();
  private readonly watchers = new Map<number, (e: KvEntry) => void>();
  private readonly buckets = new Map<string, KvBucket>();
  private nextId = 1;
  private requests = 0;
  private closed = false;
  private lost = false;

  constructor(
    private readonly port: MessagePort,
    private readonly logger: BusLogger = silentLogger,
  ) {
    this.out = new PortBatcher(port);
    port.on('message', (batch: ToWorker[]) => {
      for (const m of batch) this.handle(m);
    });
    port.on('close', () => {
      this.lost = true;
      this.settlePending();
    });
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.closed) {
      this.logger.warn?.({ subject }, 'publish on a closed bus dropped');
      return;
    }
    checkSubject(subject, false);
    this.out.send({ t: 'pub', s: subject, d: exact(data) });
  }

  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('bus is closed'));
    checkSubject(subject, false);
    this.requests++;
    const p = this.call<Uint8Array>((c) => ({ t: 'req', c, s: subject, d: exact(data), ms: opts.timeoutMs }));
    return p.finally(() => this.requests--);
  }

  subscribe(subject: string, handler: BusHandler, opts: SubscribeOptions = {}): BusSubscription {
    if (this.closed) throw new Error('bus is closed');
    checkSubject(subject, true);
    const id = this.nextId++;
    this.handlers.set(id, handler);
    this.out.send(opts.queue === undefined ? { t: 'sub', id, s: subject } : { t: 'sub', id, s: subject, q: opts.queue });
    let done: Promise<void> | undefined;
    return {
      // The host drains the subscription; its answer comes after every message it routed to it.
      unsubscribe: () =>
        (done ??= this.closed
          ? Promise.resolve()
          : this.call<void>((c) => ({ t: 'unsub', c, id })).finally(() => {
              this.handlers.delete(id);
            })),
    };
  }

  async kv(bucket: string, opts: KvOptions = {}): Promise<KvBucket> {
    if (this.closed) throw new Error('bus is closed');
    let kv = this.buckets.get(bucket);
    if (!kv) {
      await this.call<void>((c) => ({ t: 'kvopen', c, b: bucket, o: opts }));
      kv = this.buckets.get(bucket) ?? new PortKv(bucket, this);
      this.buckets.set(bucket, kv);
    }
    return kv;
  }

  async flush(): Promise<void> {
    if (this.closed || this.lost) return;
    const done = this.call<void>((c) => ({ t: 'flush', c }));
    this.out.flushNow();
    await done;
  }

  health(): string | undefined {
    if (this.closed) return 'bus closed';
    return this.lost ? 'bus port to the primary closed' : undefined;
  }

  requestsInFlight(): number {
    return this.requests;
  }

  /** The host's bus is in the same process: it is never lost and never comes back. */
  onReconnect(): () => void {
    return () => undefined;
  }

  lastReconnectAt(): number | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.lost) {
      const done = this.call<void>((c) => ({ t: 'close', c }));
      this.out.flushNow();
      await done.catch(() => undefined);
    }
    this.closed = true;
    this.out.close();
    this.settlePending();
    this.handlers.clear();
    this.watchers.clear();
    this.port.close();
  }

  /** @internal PortKv's calls. */
  kvCall<T>(bucket: string, op: KvOp, args: unknown[]): Promise<T> {
    return this.call<T>((c) => ({ t: 'kv', c, b: bucket, op, a: args.map((a) => (a instanceof Uint8Array ? exact(a) : a)) }));
  }

  /** @internal PortKv's watches. */
  async kvWatch(bucket: string, onEntry: (e: KvEntry) => void, filter: string | undefined): Promise<KvWatch> {
    const w = this.nextId++;
    this.watchers.set(w, onEntry);
    try {
      await this.call<void>((c) => (filter === undefined ? { t: 'watch', c, w, b: bucket } : { t: 'watch', c, w, b: bucket, f: filter }));
    } catch (err) {
      this.watchers.delete(w);
      throw err;
    }
    return {
      stop: () => {
        if (!this.watchers.delete(w)) return;
        this.out.send({ t: 'unwatch', w });
      },
    };
  }

  private call<T>(make: (c: number) => ToHost): Promise<T> {
    if (this.closed) return Promise.reject(new Error('bus is closed'));
    if (this.lost) return Promise.reject(new Error('bus port closed'));
    const c = this.nextId++;
    const msg = make(c);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(c, { what: msg.t === 'kv' ? `kv ${msg.b} ${msg.op}` : msg.t, resolve: resolve, reject });
      this.out.send(msg);
    });
  }

  /** The port is gone: unsubscribes are done (nothing more can arrive), every other call fails. */
  private settlePending(): void {
    for (const p of this.pending.values()) {
      if (p.what === 'unsub') p.resolve(undefined);
      else p.reject(new Error(`bus port closed (${p.what})`));
    }
    this.pending.clear();
  }

  private handle(m: ToWorker): void {
    switch (m.t) {
      case 'res': {
        const p = this.pending.get(m.c);
        if (!p) return;
        this.pending.delete(m.c);
        if (m.e) p.reject(revive(m.e));
        else p.resolve(m.v);
        return;
      }
      case 'msg': {
        const handler = this.handlers.get(m.id);
        if (!handler) return;
        const r = m.r;
        const msg: BusMessage = {
          subject: m.s,
          data: m.d,
          replyExpected: r !== undefined,
          respond: r === undefined ? noReply : (d) => this.out.send({ t: 'reply', r, d: exact(d) }),
        };
        try {
          const res = handler(msg);
          if (res && typeof res.then === 'function') res.then(undefined, (err: unknown) => this.handlerFailed(err, m.s));
        } catch (err) {
          this.handlerFailed(err, m.s);
        }
        return;
      }
      case 'kve':
        this.watchers.get(m.w)?.(m.e);
        return;
    }
  }

  private handlerFailed(err: unknown, subject: string): void {
    this.logger.error({ err, subject }, 'bus handler threw');
  }
}

/** A KV bucket whose every call is carried out on the host's bucket of the same name. */
class PortKv implements KvBucket {
  constructor(
    private readonly name: string,
    private readonly bus: PortBus,
  ) {}

  get(key: string): Promise<KvEntry | undefined> {
    return this.bus.kvCall(this.name, 'get', [key]);
  }
  put(key: string, value: Uint8Array): Promise<number> {
    return this.bus.kvCall(this.name, 'put', [key, value]);
  }
  create(key: string, value: Uint8Array): Promise<number> {
    return this.bus.kvCall(this.name, 'create', [key, value]);
  }
  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    return this.bus.kvCall(this.name, 'update', [key, value, revision]);
  }
  delete(key: string, revision?: number): Promise<void> {
    return this.bus.kvCall(this.name, 'delete', revision === undefined ? [key] : [key, revision]);
  }
  keys(filter?: string): Promise<string[]> {
    return this.bus.kvCall(this.name, 'keys', filter === undefined ? [] : [filter]);
  }
  changedSince(filter: string, revision: number): Promise<boolean> {
    return this.bus.kvCall(this.name, 'changedSince', [filter, revision]);
  }
  watch(onEntry: (entry: KvEntry) => void, filter?: string): Promise<KvWatch> {
    return this.bus.kvWatch(this.name, onEntry, filter);
  }
  purgeDeletes(olderThanMs: number): Promise<number> {
    return this.bus.kvCall(this.name, 'purgeDeletes', [olderThanMs]);
  }
  purgeUpTo(filter: string, revision: number): Promise<void> {
    return this.bus.kvCall(this.name, 'purgeUpTo', [filter, revision]);
  }
}
