import { canonicalDomain, type DomainPolicy } from '#libs/federation';
import { tryParseJid } from '#libs/jid';
import { NS } from '#libs/stanza';
import { xml, type Element, type XmlLimits } from '#libs/xml';
import { BaseStream } from '../stream/base-stream.js';
import type { S2sStreamState } from '../stream/stream-state.js';
import type { Transport } from '../transport/transport.js';
import { DialbackIn } from './dialback-in.js';
import { dialbackFeature, readDialback } from './dialback.codec.js';
import { verifyInboundByDane, verifyPeer, type PeerVerdict } from './peer-auth.js';
import { checkS2sHeader, s2sHeader } from './s2s-header.js';
import { isOurDomain, ourDomains, type S2sContext } from './s2s-context.js';
import { streamXmlLimits } from '../limits/xml-limits.js';
import { SenderLanes } from './sender-lanes.js';

const STANZAS = new Set(['message', 'presence', 'iq']);

/**
 * An inbound server-to-server stream (RFC 6120 §4-§6 as the receiving server): STARTTLS is
 * required, then the peer authenticates its domain with SASL EXTERNAL on a certificate we validate
 * ourselves (XEP-0178; libs/federation, serverAuth-only EKU accepted), or with XEP-0220 dialback
 * (dialback-in.ts: one or several domain pairs, by certificate or by the Authoritative Server,
 * only over TLS and when `s2s.policy.dialback` allows it), then its stanzas flow, each checked:
 * `from` in an authenticated domain (`invalid-from`), `to` one of ours (`host-unknown`). The
 * federation policy is asked at the header, so a refused domain learns nothing else
 * (`policy-violation`). Limits are the c2s ones (edge.limits). A peer whose certificate does not
 * validate, with dialback off, gets `not-authorized`.
 *
 * Stanzas go to the router in lanes (sender-lanes.ts): one sender's in order, different senders'
 * at the same time, as their client streams would on c2s; at most `edge.limits.maxQueuedStanzas`
 * under way, past it reading pauses.
 */
export class S2sInStream extends BaseStream<S2sStreamState> {
  declare readonly ctx: S2sContext;
  local = '';
  remote = '';
  private peer: PeerVerdict | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  /** Authenticated domain pairs ("local remote"): SASL's one, or any number by dialback (XEP-0220 §2.6). */
  private readonly pairs = new Set<string>();
  /** Remote domains with an authenticated pair: the `from` a stanza may carry. */
  private readonly remotes = new Set<string>();
  /** Remote domains authenticated by their Authoritative Server (not by certificate): dialback switched off ends them. */
  private readonly byDialback = new Set<string>();
  /** Dialback is on for this deployment (the policy at the stream's start): our header and features say so. */
  private dialbackOn = false;
  private readonly dialback: DialbackIn;
  /** Stanzas to the router: one sender's in order, different senders' at the same time (sender-lanes.ts). */
  private readonly lanes: SenderLanes;

  constructor(ctx: S2sContext, transport: Transport) {
    super(ctx, transport, NS.server);
    this.dialback = new DialbackIn({
      ctx: this.ctx,
      log: () => this.log,
      secure: () => this.transport.secure,
      streamId: () => this.streamId,
      peerCertificates: () => this.transport.peerCertificates(),
      send: (el) => this.send(el),
      authorize: (local, remote, by) => this.authorize(local, remote, by),
      authorized: (local, remote) => this.pairs.has(`${local} ${remote}`),
      anyAuthorized: () => this.pairs.size > 0,
      open: () => this.state !== 'closing' && this.state !== 'closed',
      close: () => this.close(),
    });
    this.lanes = new SenderLanes(ctx.config.edge.limits.maxQueuedStanzas, (err) => {
      this.log.error({ err }, 'remote stanza handler failed');
      this.error('internal-server-error');
    });
    this.state = transport.secure ? 'secured' : 'connected';
    this.authTimer = this.timer(ctx.config.edge.limits.authTimeoutMs, () => this.error('connection-timeout', 'authentication took too long'));
    const idle = ctx.config.s2s.idleTimeoutMs;
    this.timer(
      Math.max(1000, Math.floor(idle / 4)),
      () => {
        if (Date.now() - Math.max(this.lastReadAt, this.lastWriteAt) >= idle) this.close();
      },
      true,
    );
  }

  /** The remote domains authenticated on this stream (one with SASL; dialback may add more, XEP-0220 §2.6). */
  remoteDomains(): string[] {
    return this.remotes.size > 0 ? [...this.remotes] : this.remote ? [this.remote] : [];
  }

  /** A domain of this stream the policy no longer lets in (refused, or dialback switched off for it), if any. */
  refusedBy(policy: DomainPolicy): string | undefined {
    return this.remoteDomains().find((d) => !policy.allows(d) || (this.byDialback.has(d) && !policy.dialbackFor(d)));
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  xmlLimits(): XmlLimits {
    return streamXmlLimits(this.ctx.config.edge.limits, this.state === 'ready' || this.state === 'authenticated');
  }

  protected headerXml(id: string): string {
    return s2sHeader({ from: this.local || this.ctx.config.domains[0]!, to: this.remote, id, dialback: this.dialbackOn });
  }

  protected stanzaOutChain(): undefined {
    return undefined; // nothing is written to an inbound s2s stream but negotiation and errors
  }

  protected connectionGone(): void {}

  protected onStreamStart(name: string, attrs: Record<string, string>): void {
    const check = checkS2sHeader(name, attrs, ourDomains(this.ctx));
    if (check.local) this.local = check.local;
    if (check.error) return this.error(check.error, check.text);
    if (this.remote && check.remote !== this.remote) return this.error('invalid-from', 'the restarted stream names another domain');
    this.remote = check.remote!;
    this.bindLog({ remote: this.remote });
    const decision = this.ctx.policy().decide(this.remote);
    if (!decision.allowed) {
      this.ctx.refused?.('in', this.remote, decision.why);
      return this.error('policy-violation', `federation with ${this.remote} is not allowed here`);
    }
    // XEP-0220 §2.4: the xmlns:db declaration and the feature say "dialback here"; only when it is on
    this.dialbackOn = this.ctx.dialback !== undefined && this.ctx.policy().settings.dialback === true;
    this.sendHeader();
    if (this.transport.secure && this.state === 'secured') {
      this.peer = verifyPeer(this.transport.peerCertificates(), this.remote, this.ctx.anchors());
      // DANE (docs/federation.md): a certificate no CA of ours vouches for may be the one the
      // domain's DNSSEC-signed TLSA records publish; the features wait for that answer.
      if (!this.peer.ok && this.ctx.dane) {
        const remote = this.remote;
        void verifyInboundByDane(this.transport.peerCertificates(), remote, this.ctx.dane, this.ctx.anchors())
          .catch((err: Error): PeerVerdict => ({ ok: false, reason: `DANE check failed: ${err.message}` }))
          .then((dane) => {
            if (this.state !== 'secured' || this.remote !== remote) return;
            if (dane.ok) this.peer = dane;
            else this.log.info({ reason: dane.reason }, 'DANE did not authenticate the peer certificate');
            this.sendFeatures();
          });
        return;
      }
    }
    this.sendFeatures();
  }

  private sendFeatures(): void {
    const features = xml('stream:features');
    if (!this.transport.secure) {
      features.append(xml('starttls', { xmlns: NS.tls }, xml('required')));
    } else if (this.state === 'secured') {
      if (this.peer?.ok) features.append(xml('mechanisms', { xmlns: NS.sasl }, xml('mechanism', {}, 'EXTERNAL')));
      // XEP-0344: dialback only once TLS is in place
      if (this.dialbackOn) features.append(dialbackFeature());
    } else if (this.state === 'authenticated') {
      this.state = 'ready';
      if (this.authTimer) this.clearTimer(this.authTimer);
    }
    this.send(features);
    if (this.peer && !this.peer.ok && this.state === 'secured' && !(this.dialbackOn && this.ctx.policy().dialbackFor(this.remote))) {
      this.ctx.refused?.('in', this.remote, this.peer.reason);
      this.error('not-authorized', `${this.peer.reason}; dialback is not allowed for ${this.remote}`);
    }
  }

  protected async onElement(el: Element): Promise<void> {
    if (!this.headerSent) return this.error('not-well-formed', 'the stream must start with a header');
    if (el.name === 'starttls' && el.attrs.xmlns === NS.tls) return this.startTls();
    if (el.name === 'auth' && el.attrs.xmlns === NS.sasl) return this.auth(el);
    if (el.name === 'stream:error') {
      // RFC 6120 §4.9.1.1: the peer ends the stream (e.g. system-shutdown); we close ours, no error of our own
      this.log.info({ condition: el.elements().find((c) => c.attrs.xmlns === NS.streams)?.name ?? 'undefined-condition' }, 'peer ended the stream');
      return this.close();
    }
    const db = readDialback(el);
    // XEP-0220 §2.2: requests only; an answer (type set) on an inbound stream is unsolicited (§3.1)
    if (db && db.type === undefined) return db.kind === 'result' ? this.dialback.result(db) : this.dialback.verify(db);
    if (!STANZAS.has(el.name) || (el.attrs.xmlns !== undefined && el.attrs.xmlns !== NS.server)) {
      return this.error('unsupported-stanza-type', `<${el.name}/> is not handled on a server-to-server stream`);
    }
    if (this.state !== 'ready') return this.error('not-authorized', 'authenticate the domain first');
    const from = tryParseJid(el.attrs.from ?? '');
    const to = tryParseJid(el.attrs.to ?? '');
    // RFC 6120 §4.9.3.9 / §8.1.2.1: the sender must be in a domain this stream authenticated.
    if (!from || !this.remotes.has(canonicalDomain(from.domain) ?? ''))
      return this.error('invalid-from', `stanzas on this stream come from ${[...this.remotes].join(', ')}`);
    if (!to || !isOurDomain(this.ctx, canonicalDomain(to.domain) ?? ''))
      return this.error('host-unknown', `${to?.domain ?? "a stanza without 'to'"} is not served here`);
    this.ctx.stats.stanzasIn++;
    const pair = { local: this.local, remote: this.remote };
    // order per sender (RFC 6120 §10.1): the bare JID, the key the router partitions by
    await this.lanes.admit(from.bare().toString(), async () => this.ctx.onRemoteStanza(el, pair));
  }

  private async startTls(): Promise<void> {
    if (this.transport.secure || this.state !== 'connected') return this.error('policy-violation', 'TLS is already in place');
    this.send(xml('proceed', { xmlns: NS.tls }));
    this.state = 'tls-negotiating';
    if (!(await this.upgradeTls({ role: 'server', requestCert: true }))) return;
    this.state = 'secured';
  }

  /** RFC 6120 §6.4, XEP-0178 §2: EXTERNAL, with an authorization identity equal to the stream's `from` or none. */
  private auth(el: Element): void {
    if (this.state !== 'secured' || !this.peer?.ok) return this.error('not-authorized', 'SASL EXTERNAL needs TLS and a valid certificate');
    const failure = (condition: string, text: string): void => this.send(xml('failure', { xmlns: NS.sasl }, xml(condition), xml('text', {}, text)));
    if (el.attrs.mechanism !== 'EXTERNAL') return failure('invalid-mechanism', 'only EXTERNAL is offered');
    const body = el.text().trim();
    const authzid = body === '' || body === '=' ? '' : Buffer.from(body, 'base64').toString('utf8');
    if (authzid !== '' && canonicalDomain(authzid) !== this.remote) return failure('invalid-authzid', `the stream is from ${this.remote}`);
    this.send(xml('success', { xmlns: NS.sasl }));
    this.pairs.add(`${this.local} ${this.remote}`);
    this.remotes.add(this.remote);
    this.state = 'authenticated';
    this.log.info({ by: this.peer.by }, 'peer domain authenticated (SASL EXTERNAL)');
    this.ctx.peerReachable?.(this.remote);
    this.restart();
  }

  /** A domain pair passed dialback (dialback-in.ts): its stanzas flow; the first one makes the stream ready. */
  private authorize(local: string, remote: string, by: string): void {
    this.pairs.add(`${local} ${remote}`);
    this.remotes.add(remote);
    if (by === 'dialback') this.byDialback.add(remote);
    this.log.info({ local, remote, by }, 'peer domain authenticated (dialback)');
    this.ctx.peerReachable?.(remote);
    if (this.state !== 'secured') return;
    // no stream restart after dialback (XEP-0220 §2.2.1): the stanza limits of an authenticated peer apply now
    this.state = 'ready';
    if (this.authTimer) this.clearTimer(this.authTimer);
    this.refreshLimits();
  }
}
