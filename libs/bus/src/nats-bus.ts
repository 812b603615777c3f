/**
 * The bus on NATS (clusters): core NATS for messages, JetStream KV for buckets. Reconnects forever
 * with capped exponential back-off; `health()` says why it is not connected.
 */
import { readFileSync } from 'node:fs';
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, createInbox, errors, type Msg, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { GliderConfig } from '#libs/config';
import { busRequestTimers } from './bus-metrics.js';
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
import type { BusLogger } from './bus-logger.js';
import { NatsKv } from './nats-kv.js';
import { wire } from './local-values.js';

/** Reconnect back-off: doubles from the base up to the cap, with jitter. */
const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 5_000;
/** A dead server is noticed within PING_INTERVAL_MS × MAX_PINGS_OUT. */
const PING_INTERVAL_MS = 10_000;
const MAX_PINGS_OUT = 3;

export type NatsBusConfig = Pick<GliderConfig['bus'], 'url' | 'credentialsFile' | 'requestTimeoutMs'> & { name?: string };

/** `user:password` or a token, from a file (never inline in config). */
export function readCredentials(file: string): Pick<NodeConnectionOptions, 'user' | 'pass' | 'token'> {
  const text = readFileSync(file, 'utf8').trim();
  if (!text) throw new Error(`bus.credentialsFile ${file} is empty`);
  const i = text.indexOf(':');
  return i > 0 ? { user: text.slice(0, i), pass: text.slice(i + 1) } : { token: text };
}

/** A publish waiting for the end of the turn (NatsBus.outbox); `token`: the request it sends. */
interface Outgoing {
  subject: string;
  data: Uint8Array;
  reply?: string;
  token?: string;
}

interface PendingRequest {
  subject: string;
  timer: NodeJS.Timeout;
  resolve(data: Uint8Array): void;
  reject(err: unknown): void;
  /** performance.now() at publish (glider_bus_request_duration_seconds). */
  started: number;
}

export class NatsBus implements Bus {
  /** request(): replies come to `<inbox>.<token>` on one wildcard subscription, opened on first use. */
  private inbox: string | undefined;
  private readonly pending = new Map<string, PendingRequest>();
  private lastToken = 0;
  private readonly js: JetStreamClient;
  private readonly kvm: Kvm;
  private jsm?: Promise<JetStreamManager>;
  private readonly buckets = new Map<string, Promise<KvBucket>>();
  private notConnected: string | undefined;
  private closing = false;
  private reconnectedAt: number | undefined;
  private readonly reconnectListeners = new Set<() => void>();
  /**
   * This turn's publishes, requests and replies, handed to the client together once the turn's I/O
   * callbacks ran (setImmediate): the client writes what it was given before its next microtask
   * checkpoint in one socket write, and a turn's stanzas reach it from many promise chains, so
   * handing each over at once cost a write(2) — and a read on the server — nearly per message.
   */
  private outbox: Outgoing[] = [];
  private readonly sendOutbox = (): void => {
    const out = this.outbox;
    this.outbox = [];
    for (const o of out) this.send(o);
  };

  private constructor(
    private readonly nc: NatsConnection,
    private readonly logger: BusLogger,
    /** Also bounds JetStream API calls and close(). */
    private readonly requestTimeoutMs: number,
  ) {
    this.js = jetstream(nc, { timeout: requestTimeoutMs });
    this.kvm = new Kvm(this.js);
    void this.watchStatus();
  }

  static async connect(config: NatsBusConfig, logger: BusLogger): Promise<NatsBus> {
    let attempt = 0;
    const nc = await connect({
      servers: config.url.split(',').map((s) => s.trim()),
      name: config.name ?? 'glider',
      ...(config.credentialsFile ? readCredentials(config.credentialsFile) : {}),
      maxReconnectAttempts: -1,
      reconnectDelayHandler: () => {
        const base = Math.min(RECONNECT_BASE_MS * 2 ** attempt++, RECONNECT_MAX_MS);
        return base / 2 + Math.random() * (base / 2);
      },
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      // Otherwise every nc.request() (JetStream and KV calls; ours is below) builds two Errors up
      // front, a RequestError and a TimeoutError, each capturing a stack only to name its call
      // site should it fail: a fifth of an edge's CPU per routed stanza when request() used it.
      noAsyncTraces: true,
    });
    const bus = new NatsBus(nc, logger, config.requestTimeoutMs);
    bus.resetBackoff = () => {
      attempt = 0;
    };
    return bus;
  }

  private resetBackoff: () => void = () => undefined;

  publish(subject: string, data: Uint8Array): void {
    if (this.nc.isClosed() || this.nc.isDraining()) {
      this.logger.warn?.({ subject }, 'publish on a closed bus dropped');
      return;
    }
    this.queue({ subject, data: this.checked(wire(data)) });
  }

  /** What the client would refuse at once, refused here at once, not when the outbox is sent. */
  private checked(data: Uint8Array): Uint8Array {
    const max = this.nc.info?.max_payload;
    if (max !== undefined && data.length > max) throw new Error(`bus message of ${data.length} bytes exceeds the server's max_payload (${max})`);
    return data;
  }

  private queue(o: Outgoing): void {
    if (this.outbox.push(o) === 1) setImmediate(this.sendOutbox);
  }

  private send(o: Outgoing): void {
    try {
      this.nc.publish(o.subject, o.data, o.reply ? { reply: o.reply } : undefined);
    } catch (err) {
      const req = o.token ? this.pending.get(o.token) : undefined;
      if (req) {
        this.pending.delete(o.token!);
        clearTimeout(req.timer);
        busRequestTimers.error.since(req.started);
        req.reject(err instanceof Error ? err : new Error(String(err)));
      } else if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) {
        this.logger.warn?.({ subject: o.subject }, 'publish on a closed bus dropped');
      } else this.logger.error({ err, subject: o.subject }, 'bus publish failed');
    }
  }

  private toBusMessage(m: Msg): BusMessage {
    return {
      subject: m.subject,
      data: m.data,
      replyExpected: Boolean(m.reply),
      respond: (data) => {
        if (m.reply) this.queue({ subject: m.reply, data: wire(data) });
      },
    };
  }

  /**
   * Request/reply as nc.request() does it (a reply inbox per connection, a token per request, a
   * 503 status with no data for "no responders"), done here because nc.request() builds an Error
   * per request even when it succeeds (it rejects its settled promise with a "cancelled"
   * RequestError): a tenth of the sending edge's CPU per routed stanza.
   */
  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array> {
    const inbox = this.inbox ?? this.openInbox();
    const token = String(++this.lastToken);
    return new Promise<Uint8Array>((resolve, reject) => {
      const started = performance.now();
      const timer = setTimeout(() => {
        this.pending.delete(token);
        busRequestTimers.timeout.since(started);
        reject(new BusTimeoutError(`no reply on ${subject} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      let bytes: Uint8Array;
      try {
        if (this.nc.isClosed()) throw new errors.ClosedConnectionError();
        bytes = this.checked(wire(data));
      } catch (err) {
        clearTimeout(timer);
        busRequestTimers.error.since(started);
        return reject(err instanceof Error ? err : new Error(String(err)));
      }
      this.pending.set(token, { subject, timer, resolve, reject, started });
      this.queue({ subject, data: bytes, reply: inbox + token, token });
    });
  }

  private openInbox(): string {
    const inbox = `${createInbox()}.`;
    this.nc.subscribe(`${inbox}*`, {
      callback: (err, m) => {
        if (err) {
          // The inbox subscription itself failed (e.g. a permission violation): nothing can be answered.
          this.failPending(err);
          return;
        }
        const token = m.subject.slice(inbox.length);
        const req = this.pending.get(token);
        if (!req) return; // timed out already
        this.pending.delete(token);
        clearTimeout(req.timer);
        if (m.data.length === 0 && m.headers?.code === 503) {
          busRequestTimers.noResponders.since(req.started);
          req.reject(new BusNoRespondersError(`no responders on ${req.subject}`));
        } else {
          busRequestTimers.ok.since(req.started);
          req.resolve(m.data);
        }
      },
    });
    this.inbox = inbox;
    return inbox;
  }

  private failPending(err: unknown): void {
    for (const req of this.pending.values()) {
      clearTimeout(req.timer);
      busRequestTimers.error.since(req.started);
      req.reject(err);
    }
    this.pending.clear();
  }

  subscribe(subject: string, handler: BusHandler, opts: SubscribeOptions = {}): BusSubscription {
    const failed = (err: unknown): void => this.logger.error({ err, subject }, 'bus handler threw');
    const sub = this.nc.subscribe(subject, {
      queue: opts.queue,
      callback: (err, m) => {
        if (err) {
          this.logger.error({ err, subject }, 'subscription error');
          return;
        }
        try {
          const r = handler(this.toBusMessage(m));
          if (r && typeof r.then === 'function') r.then(undefined, failed);
        } catch (e) {
          failed(e);
        }
      },
    });
    return {
      // Drain: messages the server already routed here are still handled (a partition hand-over
      // relies on it), then the subscription closes.
      unsubscribe: async () => {
        if (sub.isClosed()) return;
        try {
          await sub.drain();
        } catch (err) {
          if (!sub.isClosed()) sub.unsubscribe();
          this.logger.debug?.({ err, subject }, 'subscription drain failed; unsubscribed');
        }
      },
    };
  }

  kv(bucket: string, opts: KvOptions = {}): Promise<KvBucket> {
    let b = this.buckets.get(bucket);
    if (!b) {
      this.jsm ??= this.js.jetstreamManager();
      const jsm = this.jsm;
      b = Promise.all([this.kvm.create(bucket, { ...(opts.ttlMs ? { ttl: opts.ttlMs } : {}), history: opts.history ?? 1 }), jsm]).then(
        ([kv, manager]) => new NatsKv(bucket, kv, manager, this.logger),
      );
      jsm.catch(() => {
        if (this.jsm === jsm) this.jsm = undefined;
      });
      b.catch(() => this.buckets.delete(bucket));
      this.buckets.set(bucket, b);
    }
    return b;
  }

  flush(): Promise<void> {
    this.sendOutbox();
    return this.nc.flush();
  }

  requestsInFlight(): number {
    return this.pending.size;
  }

  health(): string | undefined {
    if (this.nc.isClosed()) return 'NATS connection closed';
    return this.notConnected;
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  lastReconnectAt(): number | undefined {
    return this.reconnectedAt;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.sendOutbox();
    // Drain delivers what is in flight; while disconnected it could wait for the server forever.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.requestTimeoutMs);
    });
    try {
      const r = await Promise.race([this.nc.drain().then(() => 'drained' as const), timeout]);
      if (r === 'timeout') await this.nc.close();
    } catch {
      await this.nc.close();
    } finally {
      clearTimeout(timer);
      this.failPending(new errors.RequestError('connection closed'));
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.notConnected = `disconnected from NATS ${s.server}; reconnecting`;
          this.logger.warn?.({ server: s.server }, 'NATS disconnected');
          break;
        case 'reconnecting':
          this.notConnected ??= 'reconnecting to NATS';
          break;
        case 'reconnect':
          this.notConnected = undefined;
          this.reconnectedAt = performance.now();
          this.resetBackoff();
          this.logger.info?.({ server: s.server }, 'NATS reconnected');
          for (const listener of this.reconnectListeners) {
            try {
              listener();
            } catch (err) {
              this.logger.error({ err }, 'NATS reconnect listener failed');
            }
          }
          break;
        case 'error':
          this.logger.error({ err: s.error }, 'NATS error');
          if (this.notConnected) this.notConnected = `NATS: ${s.error.message}`;
          break;
        case 'close':
          this.notConnected = 'NATS connection closed';
          break;
        default:
          break;
      }
    }
  }
}
