import { randomBytes, randomUUID } from 'node:crypto';
import type { Jid } from '#libs/jid';
import type { Logger } from '#libs/telemetry';
import { xml, type Element, type XmlLimits } from '#libs/xml';
import { CLOSE_GRACE_MS, type EdgeContext } from '../edge.context.js';
import { TokenBucket } from '../limits/token-bucket.js';
import { routeFromClient } from '../routing/outbound.js';
import type { Transport } from '../transport/transport.js';
import { NS } from '#libs/stanza';
import { checkHeader, closingTag, responseHeader, streamErrorXml } from './stream-header.js';
import type { StreamErrorCondition, StreamState } from './stream-state.js';
import { createFramer, type XmlFramer } from './xml-framer.js';

const STANZAS = new Set(['message', 'presence', 'iq']);

/** What a stream logs through (features use only these). */
export type StreamLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

type AnyLogFn = (...args: unknown[]) => void;

/** A stream's log while info is off: info and debug drop, warn and error go to the real child. */
class QuietStreamLog {
  constructor(private readonly stream: C2sStream) {}
  debug(): void {}
  info(): void {}
  warn(...args: unknown[]): void {
    const log = this.stream.fullLog();
    (log.warn as AnyLogFn).apply(log, args);
  }
  error(...args: unknown[]): void {
    const log = this.stream.fullLog();
    (log.error as AnyLogFn).apply(log, args);
  }
}

/**
 * One client connection: framing, the negotiation state machine (RFC 6120 §4-§7) and the socket
 * timers. Everything a stream negotiates is a feature reacting to `negotiate`; once bound, stanzas
 * go to the router (routing/outbound.ts).
 */
export class C2sStream {
  readonly sessionId = randomUUID();
  state: StreamState;
  /** The current stream's id: new at every restart (RFC 6120 §4.7.3). */
  streamId = '';
  domain = '';
  lang = 'en';
  /** The client named its language in the stream header. */
  langStated = false;
  /** Bare after SASL, full after bind. */
  jid: Jid | undefined;
  /** When the stream closes, so is the bound session (presence tells contacts). */
  closedAt: number | undefined;
  lastWriteAt = Date.now();
  lastReadAt = Date.now();
  private headerSent = false;
  private overflowed = false;
  private queued = 0;
  private readonly pausedFor = new Set<'rate' | 'queue'>();
  private readonly framer: XmlFramer;
  private readonly bucket: TokenBucket;
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private authTimer: NodeJS.Timeout | undefined;
  private readonly closeListeners: (() => void)[] = [];
  /** Made on first use (see `log`); the transport kind is the one the connection opened with. */
  private logger: Logger | undefined;
  private quietLog: QuietStreamLog | undefined;
  private readonly openedAs: string;
  private boundJid: string | undefined;

  constructor(readonly ctx: EdgeContext, readonly transport: Transport) {
    this.state = transport.secure ? 'secured' : 'connected';
    this.openedAs = transport.kind;
    const limits = ctx.config.edge.limits;
    this.bucket = new TokenBucket(limits.readBytesPerSecond, limits.readBurstBytes);
    this.framer = createFramer(transport.framed, this.xmlLimits(), {
      start: (name, attrs) => this.enqueue(() => this.onStreamStart(name, attrs)),
      element: (el) => this.enqueue(() => this.onElement(el)),
      end: () => (this.state === 'closing' ? this.transport.end() : this.enqueue(async () => this.onStreamEnd())),
      error: (condition, text) => this.enqueue(async () => this.error(condition as StreamErrorCondition, text)),
    });
    transport.onData((data) => this.onData(data));
    transport.onClose(() => this.onTransportClosed());
    this.authTimer = this.timer(limits.authTimeoutMs, () => this.error('connection-timeout', 'authentication took too long'));
    void ctx.hooks.run('stream-opened', { stream: this });
  }

  /**
   * The stream's logger: sid, ip, transport, and jid once bound. The pino child is built on first
   * use, and not for info/debug lines while the level drops them (each login logs two at info), since
   * most streams log nothing at the usual levels and a child costs a login measurable time.
   */
  get log(): StreamLog {
    if (this.logger || this.ctx.logger.isLevelEnabled('info')) return this.fullLog();
    return (this.quietLog ??= new QuietStreamLog(this)) as unknown as StreamLog;
  }

  /** @internal the materialised child logger (QuietStreamLog's warn/error). */
  fullLog(): Logger {
    if (!this.logger) {
      this.logger = this.ctx.logger.child({ sid: this.sessionId, ip: this.transport.remoteAddress, transport: this.openedAs });
      if (this.boundJid !== undefined) this.logger = this.logger.child({ jid: this.boundJid });
    }
    return this.logger;
  }

  get bound(): boolean {
    return this.state === 'bound';
  }

  /** Runs `fn` after `ms` unless the stream closed first. */
  timer(ms: number, fn: () => void, repeat = false): NodeJS.Timeout {
    const t = (repeat ? setInterval : setTimeout)(() => {
      if (!repeat) this.timers.delete(t);
      if (this.state !== 'closed') fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  onClosed(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  send(el: Element | string): void {
    if (this.state === 'closed') return;
    if (typeof el !== 'string' && this.transport.framed) {
      if (STANZAS.has(el.name) && el.attrs.xmlns === undefined) el.attrs.xmlns = NS.client;
      if (el.name.startsWith('stream:')) el.attrs['xmlns:stream'] = NS.stream;
    }
    this.write(typeof el === 'string' ? el : el.toString());
  }

  /**
   * A stanza serialised elsewhere (router delivery): written as is. `written` learns whether its
   * bytes left the process or never will (the stream was cut first: routing/delivery.ts re-routes).
   */
  sendRaw(xmlBytes: Uint8Array, written?: (err?: Error | null) => void): void {
    if (this.state === 'closed' || this.state === 'closing') return written?.(new Error('stream closed'));
    this.ctx.stats.stanzasOut++;
    this.write(xmlBytes, written);
  }

  private write(data: string | Uint8Array, written?: (err?: Error | null) => void): void {
    this.lastWriteAt = Date.now();
    this.transport.write(data, written);
    if (!this.overflowed && this.transport.bufferedBytes() > this.ctx.config.edge.limits.maxWriteBufferBytes) {
      this.overflowed = true; // error() writes too: enter once
      this.error('policy-violation', 'the client does not read what it is sent');
    }
  }

  /** Sends a stream error (RFC 6120 §4.9), preceded by our header if none was sent yet, and closes. */
  error(condition: StreamErrorCondition, text?: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (condition !== 'system-shutdown' && condition !== 'conflict') this.log.info({ condition, text }, 'stream error');
    if (!this.headerSent) this.sendHeader();
    this.write(streamErrorXml(condition, text, this.transport.framed));
    this.close();
    this.transport.end(); // RFC 6120 §4.9.1.1: after a stream error the connection ends
  }

  /** Closes our side of the stream; the transport ends once the peer closes, or after a grace period. */
  close(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (!this.headerSent && !this.transport.framed) this.sendHeader();
    this.write(closingTag(this.transport.framed));
    this.state = 'closing';
    this.transport.resume();
    if (this.transport.framed) this.transport.end();
    this.timer(CLOSE_GRACE_MS, () => this.transport.destroy());
  }

  /** STARTTLS (RFC 6120 §5.4.3.3): the caller has written <proceed/>; a new stream follows. */
  async startTls(): Promise<void> {
    this.state = 'tls-negotiating';
    this.framer.reset();
    this.headerSent = false;
    try {
      await this.transport.startTls(this.ctx.secureContext());
    } catch (err) {
      this.log.info({ err: (err as Error).message }, 'TLS handshake failed');
      this.transport.destroy();
      return;
    }
    if (this.state === 'tls-negotiating') this.state = 'secured';
  }

  /** SASL success (RFC 6120 §6.4.6): the client restarts the stream with larger limits. */
  authenticated(jid: Jid): void {
    this.jid = jid;
    this.state = 'authenticated';
    this.restart();
  }

  /** Resource bound (RFC 6120 §7): stanzas flow from now on. */
  boundTo(full: Jid): void {
    this.jid = full;
    this.state = 'bound';
    this.boundJid = full.toString();
    if (this.logger) this.logger = this.logger.child({ jid: this.boundJid });
    if (this.authTimer) {
      clearTimeout(this.authTimer);
      this.timers.delete(this.authTimer);
      this.authTimer = undefined; // a cleared Timeout and its closure need not live as long as the session
    }
    this.ctx.sessions.set(this.sessionId, this);
    void this.ctx.hooks.run('stream-bound', { stream: this });
  }

  private restart(): void {
    this.framer.reset();
    this.framer.setLimits(this.xmlLimits());
    this.headerSent = false;
  }

  xmlLimits(): XmlLimits {
    const l = this.ctx.config.edge.limits;
    const authed = this.state === 'authenticated' || this.state === 'bound';
    return {
      maxStanzaBytes: authed ? l.maxStanzaBytes : l.maxStanzaBytesPreAuth,
      maxDepth: l.maxDepth,
      maxAttributes: l.maxAttributes,
      maxAttributeBytes: l.maxAttributeBytes,
      maxNameBytes: l.maxNameBytes,
    };
  }

  private onData(data: Buffer | string): void {
    if (this.state === 'closed') return;
    this.lastReadAt = Date.now();
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    const wait = this.bucket.take(size);
    if (wait > 0) {
      this.setPaused('rate', true);
      this.timer(wait, () => this.setPaused('rate', false));
    }
    if (this.state === 'closing') return; // drain what the peer still sends until it closes
    this.framer.write(data);
  }

  /**
   * Elements are handled one at a time, in order; a handler may be async (SASL, bind, a stanza
   * waiting for the router). Past edge.limits.maxQueuedStanzas waiting, reading pauses until the
   * queue is half empty, so a client that sends faster than it is served is slowed, not buffered.
   */
  private enqueue(fn: () => void | Promise<void>): void {
    this.queued++;
    if (this.queued > this.ctx.config.edge.limits.maxQueuedStanzas) this.setPaused('queue', true);
    this.queue = this.queue
      .then(() => (this.state === 'closed' || this.state === 'closing' ? undefined : fn()))
      .catch((err) => {
        this.log.error({ err }, 'stream handler failed');
        this.error('internal-server-error');
      })
      .finally(() => {
        this.queued--;
        if (this.queued <= this.ctx.config.edge.limits.maxQueuedStanzas / 2) this.setPaused('queue', false);
      });
  }

  /** Reading pauses while any reason holds (the read rate limit, a full queue). */
  private setPaused(reason: 'rate' | 'queue', paused: boolean): void {
    if (paused === this.pausedFor.has(reason)) return;
    if (paused) this.pausedFor.add(reason);
    else this.pausedFor.delete(reason);
    if (this.pausedFor.size > 0) this.transport.pause();
    else this.transport.resume();
  }

  private sendHeader(): void {
    this.streamId = randomBytes(12).toString('base64url');
    this.headerSent = true;
    this.write(responseHeader({ id: this.streamId, from: this.domain || this.ctx.config.domains[0]!, lang: this.lang, framed: this.transport.framed }));
  }

  private async onStreamStart(name: string, attrs: Record<string, string>): Promise<void> {
    const check = checkHeader(name, attrs, this.ctx.config.domains, this.transport.framed);
    this.lang = check.lang;
    this.langStated = attrs['xml:lang'] === check.lang;
    if (check.domain && (!this.domain || !this.jid)) this.domain = check.domain;
    if (check.error) return this.error(check.error, check.text);
    if (this.jid && check.domain !== this.jid.domain) return this.error('host-unknown', 'the restarted stream names another domain');
    this.sendHeader();
    const features = xml('stream:features');
    await this.ctx.hooks.run('stream-features', { stream: this, features });
    this.send(features);
  }

  private async onElement(el: Element): Promise<void> {
    if (!this.headerSent) return this.error('not-well-formed', 'the stream must start with a header');
    if ((await this.ctx.hooks.run('negotiate', { stream: this, el })) === 'stop') return;
    const ns = el.attrs.xmlns ?? NS.client;
    if (!STANZAS.has(el.name) || ns !== NS.client) return this.error('unsupported-stanza-type', `<${el.name}/> in ${ns} is not handled here`);
    if (this.state !== 'bound') return this.error('not-authorized', 'authenticate and bind a resource first');
    this.ctx.stats.stanzasIn++;
    await routeFromClient(this, el);
  }

  private onStreamEnd(): void {
    // RFC 6120 §4.4: answer the client's close with ours, then end the connection.
    if (this.state !== 'closing') this.close();
    this.transport.end();
  }

  private onTransportClosed(): void {
    const wasBound = this.state === 'bound' || this.ctx.sessions.get(this.sessionId) === this;
    this.state = 'closed';
    this.closedAt = Date.now();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (wasBound) this.ctx.sessions.delete(this.sessionId);
    for (const fn of this.closeListeners) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'close listener failed');
      }
    }
    const cleanup = this.ctx.hooks.run('stream-closed', { stream: this });
    this.ctx.pending.add(cleanup);
    void cleanup.finally(() => this.ctx.pending.delete(cleanup));
  }
}
