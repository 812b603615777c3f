import { randomBytes, randomUUID } from 'node:crypto';
import { NS } from '#libs/stanza';
import type { Logger } from '#libs/telemetry';
import { reparseLimits, type Element, type XmlLimits } from '#libs/xml';
import type { HookEntry } from '#libs/xmpp-kit';
import type { StreamContext } from '../edge.context.js';
import { countStreamError, stanzasOutByName } from '../edge.metrics.js';
import type { TlsUpgrade, Transport } from '../transport/transport.js';
import { InboundFlow } from './inbound-flow.js';
import { settleSafely, UNWRITTEN, type Settle, type StanzaMeta, type UnwrittenReason } from './outgoing.js';
import { OutQueue } from './out-queue.js';
import { StanzaOut, type HeldStanza, type StanzaOutSink } from './stanza-out.js';
import { closingTag, streamErrorXml } from './stream-header.js';
import { StreamLogger, type StreamLog } from './stream-log.js';
import type { BaseStreamState, StreamErrorCondition } from './stream-state.js';
import { createFramer, type XmlFramer } from './xml-framer.js';

const STANZAS = new Set(['message', 'presence', 'iq']);

/**
 * What every XMPP stream of the edge shares, whoever is at the other end (c2s now, s2s later):
 * the transport, framing with limits, the read rate and the in-order element queue, the write
 * queue with backpressure and outcomes (stream/outgoing.ts), timers, the stream header's timing
 * (a header only at the start and at restarts) and stream errors. Negotiation, addresses and
 * routing belong to the subclass; the subclass's `State` lists its states (stream-state.ts).
 */
export abstract class BaseStream<State extends string = BaseStreamState> implements StanzaOutSink {
  /** The session's id (the registry's); a resumed stream (XEP-0198) takes the id of the session it resumes. */
  sessionId: string = randomUUID();
  state: State | BaseStreamState = 'connected';
  /** The current stream's id: new at every restart (RFC 6120 §4.7.3). */
  streamId = '';
  lang = 'en';
  /** The peer named its language in the stream header. */
  langStated = false;
  closedAt: number | undefined;
  lastWriteAt = Date.now();
  lastReadAt = Date.now();
  protected headerSent = false;
  /** A stream header is due: at the start, and after a restart (RFC 6120 §4.3.3). */
  private expectingHeader = true;
  private cut = false;
  /** The peer closed the stream itself (its closing tag): a clean end, not a lost connection. */
  closedByPeer = false;
  /** We closed our side (close or stream error): nothing more the peer sent is handled. */
  private ended = false;
  private readonly framer: XmlFramer;
  private readonly inbound: InboundFlow;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly closeListeners: (() => void)[] = [];
  private readonly out: OutQueue;
  /** Stanzas a stanza-out handler holds: handed back `unwritten` if the stream closes first. */
  private held: Set<HeldStanza> | undefined;
  private readonly logs: StreamLogger;

  constructor(
    readonly ctx: StreamContext,
    readonly transport: Transport,
    private readonly contentNs: string,
  ) {
    const openedAs = transport.kind; // the logs name how the connection opened, STARTTLS or not
    this.logs = new StreamLogger(ctx.logger, () => ({ sid: this.sessionId, ip: transport.remoteAddress, transport: openedAs }));
    const limits = ctx.config.edge.limits;
    this.inbound = new InboundFlow(transport, limits, (ms, fn) => this.timer(ms, fn));
    this.out = new OutQueue(
      transport,
      limits.maxWriteBufferBytes,
      () => this.cutSlowReader(),
      { error: (o, m) => this.log.error(o, m) },
      ctx.config.edge.writeStallMs,
    );
    this.framer = createFramer(transport.framed, this.xmlLimits(), {
      start: (name, attrs) => this.enqueue(() => this.streamStart(name, attrs)),
      element: (el) => this.enqueue(() => this.onElement(el), el),
      end: () => (this.state === 'closing' ? this.transport.end() : this.enqueue(async () => this.onStreamEnd())),
      error: (condition, text) => this.enqueue(async () => this.error(condition as StreamErrorCondition, text)),
    });
    transport.onData((data) => this.onData(data));
    transport.onClose(() => this.onTransportClosed());
  }

  /** The parser limits for the current state (stanza size grows after authentication). */
  abstract xmlLimits(): XmlLimits;
  /** A stream header at a point where one is due: answer with ours and the features, or an error. */
  protected abstract onStreamStart(name: string, attrs: Record<string, string>): void | Promise<void>;
  /** A top-level element (nonza or stanza). */
  protected abstract onElement(el: Element): void | Promise<void>;
  /** Writes our stream header (RFC 6120 §4.7) or RFC 7395 <open/> with the given stream id. */
  protected abstract headerXml(id: string): string;
  /** The `stanza-out` handlers, or undefined when none is registered (the cheap path). */
  protected abstract stanzaOutChain(): readonly HookEntry<StanzaOut<this>>[] | undefined;
  /** The connection is gone: the subclass's clean-up (after the close listeners). */
  protected abstract connectionGone(): void;

  /** The stream's logger (stream-log.ts): made on first use, quiet while info is off. */
  get log(): StreamLog {
    return this.logs.log;
  }

  /** @internal the materialised child logger. */
  fullLog(): Logger {
    return this.logs.full();
  }

  /** Adds fields to every later log line of this stream. */
  protected bindLog(fields: Record<string, unknown>): void {
    this.logs.bind(fields);
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

  protected clearTimer(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  onClosed(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  /**
   * Hands one stanza to the peer: through the `stanza-out` hook (if any handler is registered),
   * then written or queued behind what the peer has not read yet. A serialised stanza (a router
   * delivery) is written as it came unless a handler changes it. `settle` learns the outcome
   * exactly once (stream/outgoing.ts), synchronously when it is known at once.
   */
  deliver<M extends StanzaMeta | undefined = undefined>(stanza: Element | Uint8Array, settle?: Settle<M>, meta?: M): void {
    if (this.state === 'closed' || this.state === 'closing') {
      return settleSafely(settle, UNWRITTEN[this.state === 'closed' ? 'closed' : 'closing'], meta as M, this.log);
    }
    // A serialised stanza (a router delivery) is counted by kind where it arrives (routing/delivery.ts).
    if (stanza instanceof Uint8Array) this.ctx.stats.stanzasOut++;
    else stanzasOutByName[stanza.name]?.add();
    const chain = this.stanzaOutChain();
    if (chain === undefined) return this.writeStanza(stanza instanceof Uint8Array ? stanza : this.serialise(stanza), settle, meta as M);
    new StanzaOut<this>(this, stanza, meta, settle, this).run(chain, 0);
  }

  /** An element to the peer: stanzas go through `deliver()`, anything else (features, SASL) is written in order. */
  send(el: Element | string): void {
    if (typeof el !== 'string' && STANZAS.has(el.name) && (el.attrs.xmlns === undefined || el.attrs.xmlns === this.contentNs)) return this.deliver(el);
    if (this.state === 'closed' || this.state === 'closing') return; // nothing after our closing tag
    this.write(typeof el === 'string' ? el : this.serialise(el));
  }

  /** @internal StanzaOutSink */
  writeStanza<M>(data: string | Uint8Array, settle: Settle<M> | undefined, meta: M): void {
    if (this.state === 'closed' || this.state === 'closing')
      return settleSafely(settle, UNWRITTEN[this.state === 'closed' ? 'closed' : 'closing'], meta, this.log);
    this.lastWriteAt = Date.now();
    this.out.write(data, settle, meta);
  }

  /** @internal StanzaOutSink */
  serialise(el: Element): string {
    if (this.transport.framed) {
      if (STANZAS.has(el.name) && el.attrs.xmlns === undefined) el.attrs.xmlns = this.contentNs;
      if (el.name.startsWith('stream:')) el.attrs['xmlns:stream'] = NS.stream;
    }
    return el.toString();
  }

  /** @internal StanzaOutSink */
  reparseLimits(): XmlLimits {
    return reparseLimits(this.ctx.config.edge.limits);
  }

  /** @internal StanzaOutSink */
  settleOut(out: HeldStanza, outcome: 'held' | 'dropped', by: string, reason?: string, untilStored?: boolean): void {
    if (outcome === 'held') {
      (this.held ??= new Set()).add(out);
      return out.report(untilStored ? { kind: 'held', by, untilStored } : { kind: 'held', by });
    }
    this.held?.delete(out);
    out.report({ kind: 'dropped', by, reason: reason ?? '' });
  }

  /** @internal StanzaOutSink */
  unhold(out: HeldStanza): void {
    this.held?.delete(out);
  }

  /** Stanzas and bytes waiting for the peer to read. */
  get waitingOut(): { stanzas: number; bytes: number } {
    return this.out.waiting;
  }

  /** The connection is not taking what is written to it (stream/out-queue.ts `stalled`). */
  get outStalled(): boolean {
    return this.out.stalled;
  }

  private write(data: string | Uint8Array): void {
    this.lastWriteAt = Date.now();
    this.out.write(data);
  }

  /** Sends a stream error (RFC 6120 §4.9), preceded by our header if none was sent yet, and closes. */
  error(condition: StreamErrorCondition, text?: string, appSpecific?: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    countStreamError(condition);
    if (condition !== 'system-shutdown' && condition !== 'conflict') this.log.info({ condition, text }, 'stream error');
    this.handBack('closing');
    if (!this.headerSent) this.sendHeader(true);
    this.out.writeNow(streamErrorXml(condition, text, this.transport.framed, appSpecific));
    this.close();
    this.transport.end(); // RFC 6120 §4.9.1.1: after a stream error the connection ends
  }

  /** Closes our side of the stream; the transport ends once the peer closes, or after a grace period. */
  close(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.ended = true;
    this.handBack('closing');
    if (!this.headerSent && !this.transport.framed) this.sendHeader(true);
    this.out.writeNow(closingTag(this.transport.framed));
    this.state = 'closing';
    this.transport.resume();
    if (this.transport.framed) this.transport.end();
    this.timer(this.ctx.config.edge.closeGraceMs, () => this.transport.destroy());
  }

  /** What waits to be written, and what handlers hold, goes back to its callers `unwritten`. */
  private handBack(reason: UnwrittenReason): { stanzas: number; bytes: number } {
    const gone = this.out.discard(reason);
    if (this.held) {
      const held = [...this.held];
      this.held = undefined;
      for (const s of held) s.abandon(UNWRITTEN[reason]);
      gone.stanzas += held.length;
    }
    return gone;
  }

  /** The peer does not read: cut it, handing back what it was never sent. */
  private cutSlowReader(): void {
    if (this.cut) return;
    this.cut = true;
    const gone = this.handBack('cut');
    this.log.info({ unwritten: gone.stanzas, bytes: gone.bytes }, 'cut a client that does not read; its unwritten stanzas are handed back');
    this.error('policy-violation', 'the client does not read what it is sent');
  }

  /** TLS on the same connection (STARTTLS, RFC 6120 §5.4.3.3); a new stream follows. False if the handshake failed. */
  protected async upgradeTls(upgrade?: TlsUpgrade): Promise<boolean> {
    this.restart();
    try {
      await this.transport.startTls(this.ctx.secureContext(), upgrade);
      return true;
    } catch (err) {
      this.log.info({ err: (err as Error).message }, 'TLS handshake failed');
      this.transport.destroy();
      return false;
    }
  }

  /** Stream restart (RFC 6120 §4.3.3): a new header is due, parsed with the current limits. */
  protected restart(): void {
    this.framer.reset();
    this.framer.setLimits(this.xmlLimits());
    this.headerSent = false;
    this.expectingHeader = true;
  }

  /** The parser takes the current state's limits now (an s2s peer authenticated by dialback gets no restart). */
  protected refreshLimits(): void {
    this.framer.setLimits(this.xmlLimits());
  }

  protected sendHeader(now = false): void {
    this.streamId = randomBytes(12).toString('base64url');
    this.headerSent = true;
    const header = this.headerXml(this.streamId);
    if (now) this.out.writeNow(header);
    else this.write(header);
  }

  private onData(data: Buffer | string): void {
    if (this.state === 'closed') return;
    this.lastReadAt = Date.now();
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.inbound.read(size);
    if (this.state === 'closing') return; // drain what the peer still sends until it closes
    this.framer.write(data);
  }

  /**
   * A header where none is due (the stream is open and not restarting) is not a restart: RFC 6120
   * §4.3.3 allows one only after STARTTLS and SASL success. Answered with <invalid-xml/> (§4.9.3.7:
   * the streams schema allows no <stream/> inside the stream) instead of being taken for a child.
   */
  private streamStart(name: string, attrs: Record<string, string>): void | Promise<void> {
    if (!this.expectingHeader) return this.error('invalid-xml', 'a stream header inside an open stream (no restart is due)');
    this.expectingHeader = false;
    return this.onStreamStart(name, attrs);
  }

  /**
   * Runs `fn` in turn with the stream's other elements (stream/inbound-flow.ts), unless we closed
   * our side first. A peer that hangs up right after sending still has what it sent before handled
   * (RFC 6120 §4.4): a client's last messages are routed, not dropped with the connection.
   */
  /** `el`: the element `fn` handles, when it is one (a subclass may order elements differently from the rest). */
  protected enqueue(fn: () => void | Promise<void>, _el?: Element): void {
    this.inbound.enqueue(
      fn,
      () => this.ended,
      (err) => {
        this.log.error({ err }, 'stream handler failed');
        this.error('internal-server-error');
      },
    );
  }

  /**
   * What the peer sent before now is handled or skipped (stream/inbound-flow.ts). A stanza the
   * router is still taking when the connection drops is counted once it is taken: XEP-0198's inbound
   * count reported at a resume must include it, or the client sends it again (a duplicate).
   */
  inboundSettled(): Promise<void> {
    return this.inbound.idle();
  }

  private onStreamEnd(): void {
    this.closedByPeer = true;
    // RFC 6120 §4.4: answer the peer's close with ours, then end the connection.
    if (this.state !== 'closing') this.close();
    this.transport.end();
  }

  private onTransportClosed(): void {
    this.handBack('closed');
    this.state = 'closed';
    this.closedAt = Date.now();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const fn of this.closeListeners) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'close listener failed');
      }
    }
    this.connectionGone();
  }
}
