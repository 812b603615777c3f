/**
 * Serves a `PortBus` (in a worker thread) from the thread that owns the `InProcessBus`: every
 * publish, request, subscription, KV call and watch the worker makes is carried out here, on the
 * one bus, so the worker sees exactly the in-process bus's semantics (bus.contract.ts) one
 * MessagePort hop away. When the port closes (the worker ended or died) its subscriptions and
 * watches go, as a NATS client's do when its connection drops: requests to it then find no
 * responders, as for a dead edge in a cluster.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Bus, BusMessage, BusSubscription, KvBucket, KvWatch } from './bus.js';
import type { BusLogger } from './bus-logger.js';
import { PortBatcher } from './port-batcher.js';
import { KV_OPS, exact, type ToHost, type ToWorker, type WireError } from './port-bus.protocol.js';

/**
 * How long the host keeps the reply handle of a request it forwarded to the worker. A request's
 * own timeout settles it long before; this only bounds what an unanswered one holds.
 */
export const FORWARDED_REPLY_TTL_MS = 10 * 60_000;

const wire = (err: unknown): WireError => ({ name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) });

export class PortBusHost {
  private readonly out: PortBatcher<ToWorker>;
  private readonly subs = new Map<number, BusSubscription>();
  private readonly watches = new Map<number, KvWatch>();
  private readonly replies = new Map<number, { respond: (d: Uint8Array) => void; at: number }>();
  private readonly sweep: NodeJS.Timeout;
  private readonly buckets = new Map<string, KvBucket>();
  /** Unsubscribes still draining: a close is answered only after them (their answers go first). */
  private readonly draining = new Set<Promise<unknown>>();
  private nextReply = 1;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly port: MessagePort,
    private readonly logger: BusLogger,
  ) {
    this.out = new PortBatcher(port);
    port.on('message', (batch: ToHost[]) => {
      for (const m of batch) this.handle(m);
    });
    port.on('close', () => void this.detach());
    this.sweep = setInterval(() => this.sweepReplies(), FORWARDED_REPLY_TTL_MS / 4).unref();
  }

  /** Ends everything the worker had on the bus (its subscriptions drain first). */
  async detach(closeCall?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    const subs = [...this.subs.values()];
    this.subs.clear();
    await Promise.all(subs.map((s) => s.unsubscribe().catch(() => undefined)));
    await Promise.all(this.draining);
    this.replies.clear();
    if (closeCall !== undefined) this.out.send({ t: 'res', c: closeCall });
    this.out.close();
  }

  private handle(m: ToHost): void {
    if (this.closed) return;
    switch (m.t) {
      case 'pub':
        this.bus.publish(m.s, m.d);
        return;
      case 'req':
        this.bus.request(m.s, m.d, { timeoutMs: m.ms }).then(
          (v) => this.out.send({ t: 'res', c: m.c, v: exact(v) }),
          (err) => this.out.send({ t: 'res', c: m.c, e: wire(err) }),
        );
        return;
      case 'sub':
        this.subs.set(
          m.id,
          this.bus.subscribe(m.s, (msg) => this.forward(m.id, msg), m.q === undefined ? {} : { queue: m.q }),
        );
        return;
      case 'unsub': {
        const sub = this.subs.get(m.id);
        this.subs.delete(m.id);
        const done = this.answer(m.c, sub?.unsubscribe());
        this.draining.add(done);
        void done.finally(() => this.draining.delete(done));
        return;
      }
      case 'reply': {
        const r = this.replies.get(m.r);
        this.replies.delete(m.r);
        r?.respond(m.d);
        return;
      }
      case 'flush':
        void this.answer(m.c, this.bus.flush());
        return;
      case 'kvopen':
        void this.answer(
          m.c,
          this.bus.kv(m.b, m.o).then((kv) => void this.buckets.set(m.b, kv)),
        );
        return;
      case 'kv':
        if (!KV_OPS.has(m.op)) return this.out.send({ t: 'res', c: m.c, e: { name: 'Error', message: `unknown KV operation ${m.op}` } });
        void this.answer(
          m.c,
          this.bucket(m.b).then((kv) => (kv[m.op] as (...a: unknown[]) => Promise<unknown>).apply(kv, m.a)),
        );
        return;
      case 'watch':
        void this.answer(m.c, this.watch(m.w, m.b, m.f));
        return;
      case 'unwatch':
        this.watches.get(m.w)?.stop();
        this.watches.delete(m.w);
        return;
      case 'close':
        void this.detach(m.c);
        return;
    }
  }

  private async watch(id: number, bucket: string, filter: string | undefined): Promise<void> {
    const kv = await this.bucket(bucket);
    const w = await kv.watch((e) => this.out.send({ t: 'kve', w: id, e: { ...e, value: exact(e.value) } }), filter);
    if (this.closed) w.stop();
    else this.watches.set(id, w);
  }

  private bucket(name: string): Promise<KvBucket> {
    const kv = this.buckets.get(name);
    return kv ? Promise.resolve(kv) : this.bus.kv(name);
  }

  private forward(id: number, msg: BusMessage): void {
    if (!msg.replyExpected) {
      this.out.send({ t: 'msg', id, s: msg.subject, d: exact(msg.data) });
      return;
    }
    const r = this.nextReply++;
    this.replies.set(r, { respond: (d) => msg.respond(d), at: performance.now() });
    this.out.send({ t: 'msg', id, s: msg.subject, d: exact(msg.data), r });
  }

  /** Sends the call's result (or its error, by class name) once `p` settles; KV entries are copied. */
  private answer(c: number, p: Promise<unknown> | undefined): Promise<void> {
    if (!p) {
      this.out.send({ t: 'res', c });
      return Promise.resolve();
    }
    return p.then(
      (v) => this.out.send({ t: 'res', c, v: v instanceof Uint8Array ? exact(v) : isEntry(v) ? { ...v, value: exact(v.value) } : v }),
      (err) => this.out.send({ t: 'res', c, e: wire(err) }),
    );
  }

  private sweepReplies(): void {
    const cutoff = performance.now() - FORWARDED_REPLY_TTL_MS;
    for (const [r, entry] of this.replies) if (entry.at < cutoff) this.replies.delete(r);
    if (this.replies.size > 0) this.logger.debug?.({ pending: this.replies.size }, 'forwarded requests awaiting a worker reply');
  }
}

function isEntry(v: unknown): v is { value: Uint8Array } {
  return typeof v === 'object' && v !== null && (v as { value?: unknown }).value instanceof Uint8Array;
}
