import { NS } from '#libs/stanza';
import { xml, type Element, type XmlLimits } from '#libs/xml';
import { BaseStream } from '../stream/base-stream.js';
import type { S2sStreamState } from '../stream/stream-state.js';
import type { Transport } from '../transport/transport.js';
import { dialbackKey, type DaneEndpoint } from '#libs/federation';
import { dialbackRequest, peerOffersDialback, readDialback } from './dialback.codec.js';
import { verifyOutboundPeer } from './peer-auth.js';
import { checkS2sHeader, s2sHeader } from './s2s-header.js';
import type { S2sContext } from './s2s-context.js';
import { streamXmlLimits } from '../limits/xml-limits.js';

/**
 * An outbound server-to-server stream (RFC 6120 §4-§6 as the initiating server) for one
 * (local, remote) domain pair: our header first, STARTTLS (required: a peer without it is left),
 * the receiving server's certificate validated for the remote domain (libs/federation), then SASL
 * EXTERNAL with our domain as authorization identity (XEP-0178), then stanzas one way. `ready`
 * settles once: resolved when stanzas may flow, rejected with the reason otherwise.
 *
 * XEP-0220 dialback as the Initiating Server (§2.1.1), only over TLS (XEP-0344) and when
 * `s2s.policy.dialback` allows the remote domain: when the receiving server does not offer EXTERNAL
 * for our certificate, or when its certificate does not validate for us, we send `<db:result/>`
 * with the XEP-0185 key for (remote, local, its stream id) and wait for its verdict. `authorize`
 * adds another of our domains on the same stream (sender multiplexing, §2.6.1).
 */
export class S2sOutStream extends BaseStream<S2sStreamState> {
  declare readonly ctx: S2sContext;
  /** The receiving server's stream id (dialback keys are made from it, XEP-0185). */
  remoteStreamId = '';
  readonly ready: Promise<void>;
  /** The condition of the stream error the peer sent, if it sent one (RFC 6120 §4.9.3). */
  peerError: string | undefined;
  private settleReady!: (err?: Error) => void;
  private settled = false;
  private headerAttrs: Record<string, string> = {};
  /** Our domains waiting for the receiving server's dialback verdict (Step 4), by domain. */
  private readonly awaiting = new Map<string, (err?: S2sConnectError) => void>();
  /** Our domains the receiving server accepts stanzas from on this stream. */
  private readonly senders = new Set<string>();
  /** The stream stands on dialback (the peer's certificate did not validate, or a domain of ours used dialback). */
  reliesOnDialback = false;
  /** The receiving server signalled dialback with error handling (§2.4.2): multiplexing is allowed. */
  dialbackErrors = false;
  /** Dialback may authenticate us on this stream (on, allowed for the remote domain, offered by it): what a refused EXTERNAL falls back to. */
  private dialbackOffered = false;

  constructor(
    ctx: S2sContext,
    transport: Transport,
    readonly local: string,
    readonly remote: string,
    /** What a DNSSEC-secure SRV answer said about this endpoint (RFC 7673; libs/federation dane-targets.ts). */
    private readonly dane?: DaneEndpoint,
  ) {
    super(ctx, transport, NS.server);
    this.state = transport.secure ? 'secured' : 'connected';
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (err) => {
        if (this.settled) return;
        this.settled = true;
        if (err) reject(err);
        else resolve();
      };
    });
    this.ready.catch(() => {}); // the owner awaits it; an unobserved failure is not a crash
    this.bindLog({ remote, local });
    this.timer(ctx.config.s2s.connectTimeoutMs, () => {
      if (this.state !== 'ready') this.fail('remote-server-timeout', 'the connection did not become ready in time');
    });
    this.onClosed(() => this.settleReady(new S2sConnectError('remote-server-not-found', 'the connection closed before it was ready')));
    // RFC 6120 §4.4: an idle stream is closed (s2s.idleTimeoutMs); the pool opens a new one on demand.
    const idle = ctx.config.s2s.idleTimeoutMs;
    this.timer(
      Math.max(1000, Math.floor(idle / 4)),
      () => {
        if (this.state === 'ready' && Date.now() - this.lastWriteAt >= idle) this.close();
      },
      true,
    );
    this.sendHeader();
  }

  xmlLimits(): XmlLimits {
    return streamXmlLimits(this.ctx.config.edge.limits, false);
  }

  protected headerXml(): string {
    return s2sHeader({ from: this.local, to: this.remote, dialback: this.dialbackOn() });
  }

  protected stanzaOutChain(): undefined {
    return undefined;
  }

  protected connectionGone(): void {}

  protected onStreamStart(name: string, attrs: Record<string, string>): void {
    const check = checkS2sHeader(name, attrs, this.ctx.config.domains, { remote: this.remote });
    if (check.error) return this.fail('remote-server-not-found', check.text ?? check.error, check.error);
    this.remoteStreamId = check.id ?? '';
    this.headerAttrs = attrs;
  }

  /** Dialback may be used with this peer: it is on, the policy allows the domain, and we can make keys. */
  private dialbackOn(): boolean {
    return this.ctx.dialback !== undefined && this.ctx.policy().dialbackFor(this.remote);
  }

  /** Our domain may send on this stream (the one it was opened for, or one added by `authorize`). */
  carries(local: string): boolean {
    return this.senders.has(local);
  }

  /**
   * Sender multiplexing (XEP-0220 §2.6.1): asks the receiving server, on this ready stream, to
   * accept stanzas from another of our domains. Resolves once it said valid.
   */
  authorize(local: string): Promise<void> {
    if (this.senders.has(local)) return Promise.resolve();
    if (this.state !== 'ready' || !this.dialbackOn())
      return Promise.reject(new S2sConnectError('remote-server-not-found', 'this stream cannot take another domain'));
    return this.requestDialback(local);
  }

  private requestDialback(local: string): Promise<void> {
    this.reliesOnDialback = true;
    // §2.1.1: "the Initiating Server MAY impose a timeout on dialback operations" (s2s.connectTimeoutMs)
    const pending = new Promise<void>((resolve, reject) => {
      const timer = this.timer(this.ctx.config.s2s.connectTimeoutMs, () => {
        this.awaiting.delete(local);
        reject(new S2sConnectError('remote-server-timeout', `${this.remote} gave no dialback verdict in time`));
      });
      this.awaiting.set(local, (err) => {
        this.clearTimer(timer);
        if (err) reject(err);
        else resolve();
      });
    });
    this.onClosed(() =>
      this.awaiting.get(local)?.(new S2sConnectError('remote-server-timeout', `${this.remote} closed the stream before its dialback verdict`)),
    );
    const key = dialbackKey(this.ctx.dialback!.secrets()[0] ?? '', this.remote, local, this.remoteStreamId);
    this.send(dialbackRequest('result', local, this.remote, key));
    return pending;
  }

  /** Step 4 (§2.1.1): the receiving server's verdict on one of our domains; an answer we did not ask for is unsolicited (§3.1). */
  private onDialbackResult(from: string, to: string, type: string | undefined, condition: string | undefined): void {
    const settle = from === this.remote ? this.awaiting.get(to) : undefined;
    if (!settle || !type) return this.error('invalid-xml', 'a dialback answer to no request of ours (XEP-0220 §3.1)');
    this.awaiting.delete(to);
    if (type === 'valid') {
      this.senders.add(to);
      return settle();
    }
    // §2.1.1: invalid → the queued stanzas bounce with internal-server-error; error → remote-server-timeout
    const err =
      type === 'invalid'
        ? new S2sConnectError('internal-server-error', `${this.remote} did not accept our dialback key`)
        : new S2sConnectError('remote-server-timeout', `${this.remote} could not verify us: ${condition ?? 'error'}`);
    settle(err);
  }

  protected async onElement(el: Element): Promise<void> {
    if (el.name === 'stream:features') return this.onFeatures(el);
    if (el.name === 'stream:error') {
      this.peerError = el.elements().find((c) => c.attrs.xmlns === NS.streams)?.name ?? 'undefined-condition';
      return this.fail('remote-server-not-found', `${this.remote} ended the stream: ${this.peerError}`);
    }
    if (el.name === 'proceed' && el.attrs.xmlns === NS.tls && this.state === 'tls-negotiating') return this.tls();
    if (el.name === 'success' && el.attrs.xmlns === NS.sasl && this.state === 'authenticating') {
      this.state = 'authenticated';
      this.restart();
      return this.sendHeader();
    }
    const db = readDialback(el);
    if (db?.kind === 'result') return this.onDialbackResult(db.from, db.to, db.type, db.condition);
    if (el.name === 'failure' && el.attrs.xmlns === NS.sasl && this.state === 'authenticating' && this.dialbackOffered) {
      // A receiving server may offer EXTERNAL whatever our certificate (ejabberd does: p1_xmpp's
      // xmpp_stream_in lists it on every encrypted stream) and refuse it then; the stream stays
      // open and dialback is the next way in (XEP-0220 §1.3: dialback where no certificate is accepted).
      this.log.info({ condition: el.elements()[0]?.name }, 'SASL EXTERNAL refused; trying dialback (XEP-0220)');
      return this.authenticateByDialback({ external: 'refused' });
    }
    if (el.name === 'failure' && (el.attrs.xmlns === NS.sasl || el.attrs.xmlns === NS.tls)) {
      return this.fail('remote-server-not-found', `${this.remote} refused us: ${el.elements()[0]?.name ?? 'failure'}`);
    }
    // RFC 6120 §4.9.3: an outbound stream carries our stanzas only (no XEP-0288 yet).
    this.error('unsupported-stanza-type', `<${el.name}/> is not expected on this stream`);
  }

  private onFeatures(features: Element): void {
    if (this.state === 'authenticated') {
      this.senders.add(this.local);
      this.state = 'ready';
      this.log.info({}, 'outbound stream ready');
      return this.settleReady();
    }
    if (!this.transport.secure) {
      if (!features.getChild('starttls', NS.tls)) return this.fail('remote-server-not-found', `${this.remote} offers no TLS`, 'policy-violation');
      this.state = 'tls-negotiating';
      return this.send(xml('starttls', { xmlns: NS.tls }));
    }
    const peer = verifyOutboundPeer(this.transport.peerCertificates(), this.remote, this.dane, this.ctx.anchors());
    if (!peer.ok && peer.hard) {
      // RFC 6698 §2.1 / RFC 7673 §3.4: the TLSA records bind this endpoint; no weaker method may follow.
      this.ctx.refused?.('out', this.remote, `DANE: ${peer.reason}`);
      return this.fail('remote-server-not-found', `${this.remote}: ${peer.reason}`, 'policy-violation');
    }
    if (peer.ok && this.dane) this.log.info({ by: peer.by, targetHost: this.dane.targetHost }, 'peer certificate authenticated with DNSSEC (RFC 7673)');
    const dialback = this.dialbackOn() && peerOffersDialback(this.headerAttrs, features);
    this.dialbackOffered = dialback;
    this.dialbackErrors = dialback && features.getChild('dialback', NS.dialbackFeature) !== undefined;
    if (!peer.ok) this.reliesOnDialback = true;
    if (!peer.ok && !dialback) {
      this.ctx.refused?.('out', this.remote, peer.reason);
      return this.fail('remote-server-not-found', `${this.remote}: ${peer.reason}`, 'policy-violation');
    }
    const mechanisms =
      features
        .getChild('mechanisms', NS.sasl)
        ?.getChildren('mechanism')
        .map((m) => m.text().trim()) ?? [];
    if (mechanisms.includes('EXTERNAL')) {
      this.state = 'authenticating';
      return this.send(xml('auth', { xmlns: NS.sasl, mechanism: 'EXTERNAL' }, Buffer.from(this.local).toString('base64')));
    }
    if (!dialback)
      return this.fail('remote-server-not-found', `${this.remote} does not accept our certificate (no SASL EXTERNAL) and dialback is not allowed with it`);
    this.state = 'authenticating';
    this.authenticateByDialback({ peerCertificate: peer.ok ? 'valid' : peer.reason });
  }

  /** Step 1 (§2.1.1) for the domain this stream was opened for; the stream is ready at a valid verdict. */
  private authenticateByDialback(why: Record<string, string>): void {
    this.log.info(why, 'authenticating by dialback (XEP-0220)');
    this.requestDialback(this.local).then(
      () => {
        this.state = 'ready';
        this.log.info({}, 'outbound stream ready (dialback)');
        this.settleReady();
      },
      (err: S2sConnectError) => this.fail(err.condition, err.message),
    );
  }

  private async tls(): Promise<void> {
    if (!(await this.upgradeTls({ role: 'client', servername: this.remote })))
      return this.settleReady(new S2sConnectError('remote-server-not-found', 'TLS handshake failed'));
    this.state = 'secured';
    this.sendHeader();
  }

  /** Gives up: `ready` rejects with the stanza error condition queued stanzas bounce with. */
  private fail(condition: S2sConnectError['condition'], text: string, streamError?: Parameters<BaseStream['error']>[0]): void {
    this.log.info({ condition, text }, 'outbound s2s stream failed');
    this.settleReady(new S2sConnectError(condition, text));
    if (streamError) this.error(streamError, text);
    else this.close();
  }
}

/** Why an outbound stream never became ready, as the stanza error its queued stanzas get (RFC 6120 §8.3.3). */
export class S2sConnectError extends Error {
  constructor(
    readonly condition: 'remote-server-not-found' | 'remote-server-timeout' | 'internal-server-error',
    message: string,
  ) {
    super(message);
  }
}
