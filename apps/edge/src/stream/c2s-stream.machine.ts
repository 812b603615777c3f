import type { Jid } from '#libs/jid';
import { errorReply, NS } from '#libs/stanza';
import { xml, type Element, type XmlLimits } from '#libs/xml';
import type { HookEntry } from '#libs/xmpp-kit';
import type { EdgeContext } from '../edge.context.js';
import { RouteLane, routeFromClient } from '../routing/outbound.js';
import type { Transport } from '../transport/transport.js';
import { BaseStream } from './base-stream.js';
import { StanzaIn, type StanzaInPath } from './stanza-in.js';
import type { StanzaOut } from './stanza-out.js';
import { checkHeader, responseHeader } from './stream-header.js';
import { stanzasIn } from '../edge.metrics.js';
import type { C2sStreamState } from './stream-state.js';
import { streamXmlLimits } from '../limits/xml-limits.js';

export type { StreamLog } from './stream-log.js';

const STANZAS = new Set(['message', 'presence', 'iq']);
const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);

/**
 * One client connection on top of the base stream: the c2s negotiation (RFC 6120 §4-§7) and
 * the bound session's stanzas. Everything a stream negotiates is a feature reacting to
 * `negotiate`; once bound, a client's stanzas pass `stanza-in` and go to the router
 * (routing/outbound.ts), and what goes out passes `stanza-out` (base-stream.ts).
 */
export class C2sStream extends BaseStream<C2sStreamState> {
  declare readonly ctx: EdgeContext;
  domain = '';
  /** Bare after SASL, full after bind. */
  jid: Jid | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  /** A resource was bound; stays true after the connection goes, for stanzas it sent before. */
  private hadResource = false;
  private inPath: StanzaInPath | undefined;
  /**
   * Stanzas from the client fully handled: routed (the router took it or it was bounced), answered
   * or refused. Stream management's inbound `h` (XEP-0198 §4) is counted from it.
   */
  stanzasHandled = 0;
  /**
   * Stream management holds this session's state outside the process (XEP-0198 resumption): a lost
   * connection detaches the session instead of ending it, and a drain closes the stream at once so
   * the client resumes elsewhere.
   */
  resumable = false;
  /**
   * Features that need this stream's outgoing stanzas (their `stanza-out` handlers are registered
   * `optIn`: stream management once enabled, CSI while inactive). Without any, a delivery skips
   * those handlers and no StanzaOut is made for it.
   */
  private interceptors = 0;
  private lane: RouteLane | undefined;

  constructor(ctx: EdgeContext, transport: Transport) {
    super(ctx, transport, NS.client);
    this.state = transport.secure ? 'secured' : 'connected';
    this.authTimer = this.timer(ctx.config.edge.limits.authTimeoutMs, () => this.error('connection-timeout', 'authentication took too long'));
    void ctx.hooks.run('stream-opened', { stream: this });
  }

  get bound(): boolean {
    return this.state === 'bound';
  }

  /** STARTTLS (RFC 6120 §5.4.3.3): the caller has written <proceed/>; a new stream follows. */
  async startTls(): Promise<void> {
    this.state = 'tls-negotiating';
    if (!(await this.upgradeTls())) return;
    if (this.state === 'tls-negotiating') this.state = 'secured';
  }

  /** SASL success (RFC 6120 §6.4.6): the client restarts the stream with larger limits. */
  authenticated(jid: Jid): void {
    this.jid = jid;
    this.state = 'authenticated';
    this.restart();
  }

  /** XEP-0388 SASL2 success: authenticated without a stream restart. */
  authenticatedInline(jid: Jid): void {
    this.jid = jid;
    this.state = 'authenticated';
  }

  /** XEP-0388 failure after the mechanism succeeded (Bind2 refused): the stream is unauthenticated again. */
  unauthenticated(): void {
    this.jid = undefined;
    this.state = 'secured';
  }

  /** XEP-0388: <stream:features/> of the authenticated stream right after <success/> (no restart). */
  async sendFeatures(): Promise<void> {
    const features = xml('stream:features');
    await this.ctx.hooks.run('stream-features', { stream: this, features });
    this.send(features);
  }

  /** Resource bound (RFC 6120 §7): stanzas flow from now on. */
  boundTo(full: Jid): void {
    this.jid = full;
    this.state = 'bound';
    this.hadResource = true;
    this.bindLog({ jid: full.toString() });
    if (this.authTimer) {
      this.clearTimer(this.authTimer);
      this.authTimer = undefined; // a cleared Timeout and its closure need not live as long as the session
    }
    this.ctx.sessions.set(this.sessionId, this);
    void this.ctx.hooks.run('stream-bound', { stream: this });
  }

  /**
   * XEP-0198 §5: this stream takes over the session `sessionId` (bound to `full`), resumed from
   * another connection, maybe on another edge. Like `boundTo`, without a new registry binding (the
   * caller re-points the session's record here).
   */
  resumeAs(sessionId: string, full: Jid): void {
    this.sessionId = sessionId;
    this.boundTo(full);
  }

  xmlLimits(): XmlLimits {
    return streamXmlLimits(this.ctx.config.edge.limits, this.state === 'authenticated' || this.state === 'bound');
  }

  protected headerXml(id: string): string {
    return responseHeader({ id, from: this.domain || this.ctx.config.domains[0]!, lang: this.lang, framed: this.transport.framed });
  }

  /** A feature starts (`true`) or stops (`false`) needing this stream's outgoing stanzas (its opt-in `stanza-out` handler). */
  interceptOut(on: boolean): void {
    this.interceptors = Math.max(0, this.interceptors + (on ? 1 : -1));
  }

  protected stanzaOutChain(): readonly HookEntry<StanzaOut<this>>[] | undefined {
    return this.ctx.hooks.handlers('stanza-out', this.interceptors > 0) as readonly HookEntry<StanzaOut<this>>[] | undefined;
  }

  protected async onStreamStart(name: string, attrs: Record<string, string>): Promise<void> {
    const check = checkHeader(name, attrs, this.ctx.config.domains, this.transport.framed);
    this.lang = check.lang;
    this.langStated = attrs['xml:lang'] === check.lang;
    if (check.domain && (!this.domain || !this.jid)) this.domain = check.domain;
    if (check.error) return this.error(check.error, check.text);
    if (this.jid && check.domain !== this.jid.domain) return this.error('host-unknown', 'the restarted stream names another domain');
    this.sendHeader();
    await this.sendFeatures();
  }

  /** This session's stanzas on their way to the router, in order (routing/outbound.ts); made on first use. */
  get routeLane(): RouteLane {
    return (this.lane ??= new RouteLane(this));
  }

  /**
   * What the client sends is handled in order (stream/inbound-flow.ts). A bound session's stanza
   * does not wait for the router to take the ones before it (the route lane keeps their order);
   * anything else does: a nonza (XEP-0198's `<r/>` counts what the router took; CSI), the stream's
   * end, an error, so it comes after every stanza before it was taken or bounced.
   */
  protected override enqueue(fn: () => void | Promise<void>, el?: Element): void {
    super.enqueue(() => {
      const lane = this.lane;
      if (!lane?.busy || (el !== undefined && this.hadResource && isStanza(el))) return fn();
      return lane.idle().then(fn);
    }, el);
  }

  /** As the base stream's, and every stanza on the route lane taken or bounced (XEP-0198's final inbound count). */
  override async inboundSettled(): Promise<void> {
    for (;;) {
      await super.inboundSettled();
      if (!this.lane?.busy) return;
      await this.lane.idle();
    }
  }

  protected onElement(el: Element): void | Promise<void> {
    if (!this.headerSent) return this.error('not-well-formed', 'the stream must start with a header');
    const chain = this.hadResource && isStanza(el) ? this.ctx.hooks.handlers('stanza-in') : undefined;
    if (chain === undefined) return this.proceed(el);
    return new StanzaIn<C2sStream>(this, el, (this.inPath ??= this.makeInPath())).run(chain, 0);
  }

  /** After `stanza-in`: the stanza checks, negotiation features, then the router. */
  private async proceed(el: Element): Promise<void> {
    const stanza = isStanza(el);
    if (!stanza || !this.hadResource) return void (await this.handle(el, stanza));
    let laned = false;
    try {
      laned = await this.handle(el, stanza);
    } finally {
      if (!laned) this.stanzasHandled++; // a stanza on the route lane is counted once taken or bounced
    }
  }

  /** True when the stanza went to the route lane (the router has not taken it yet). */
  private async handle(el: Element, stanza: boolean): Promise<boolean> {
    if (stanza && el.name === 'iq' && !this.validIq(el)) return false;
    // runNow: a stanza no negotiation feature claims passes every handler without a promise
    const negotiated = this.ctx.hooks.runNow('negotiate', { stream: this, el });
    if ((typeof negotiated === 'string' ? negotiated : await negotiated) === 'stop') return false;
    if (!stanza) return (this.error('unsupported-stanza-type', `<${el.name}/> in ${el.attrs.xmlns ?? NS.client} is not handled here`), false);
    if (!this.hadResource) return (this.error('not-authorized', 'authenticate and bind a resource first'), false);
    this.ctx.stats.stanzasIn++;
    stanzasIn[el.name]?.add();
    return routeFromClient(this, el);
  }

  /**
   * RFC 6120 §8.1.3 and §8.2.3: an IQ needs an id and a type of get, set, result or error. A get or
   * set without them is answered with <bad-request/> (a result or error cannot be answered, §8.3.1).
   */
  private validIq(iq: Element): boolean {
    const { id, type } = iq.attrs;
    if (id !== undefined && id !== '' && type !== undefined && IQ_TYPES.has(type)) return true;
    if (type === 'result' || type === 'error') {
      this.log.debug({ type }, 'IQ result or error without an id dropped');
      return false;
    }
    const reply = errorReply(iq, 'bad-request', {
      type: 'modify',
      text: id ? 'an IQ needs a type of get, set, result or error' : 'an IQ needs an id (RFC 6120 §8.1.3)',
    });
    if (reply && this.jid?.resource) reply.attrs.to = this.jid.toString();
    if (reply) this.send(reply);
    return false;
  }

  private makeInPath(): StanzaInPath {
    const log = () => this.log;
    return {
      proceed: (el) => this.proceed(el),
      enqueue: (fn) => this.enqueue(fn),
      get log() {
        return log();
      },
    };
  }

  protected connectionGone(): void {
    if (this.ctx.sessions.get(this.sessionId) === this) this.ctx.sessions.delete(this.sessionId);
    const cleanup = this.ctx.hooks.run('stream-closed', { stream: this });
    this.ctx.pending.add(cleanup);
    void cleanup.finally(() => this.ctx.pending.delete(cleanup));
  }
}

function isStanza(el: Element): boolean {
  return STANZAS.has(el.name) && (el.attrs.xmlns ?? NS.client) === NS.client;
}
