import type { ConnectTarget } from '#libs/federation';
import { NS } from '#libs/stanza';
import { xml, type Element, type XmlLimits } from '#libs/xml';
import { BaseStream } from '../stream/base-stream.js';
import type { S2sStreamState } from '../stream/stream-state.js';
import type { Transport } from '../transport/transport.js';
import { dialbackRequest, readDialback, type VerifyOutcome } from './dialback.codec.js';
import { checkS2sHeader, s2sHeader } from './s2s-header.js';
import type { S2sContext } from './s2s-context.js';
import { streamXmlLimits } from '../limits/xml-limits.js';

export interface VerifyRequest {
  /** The Sender Domain whose Authoritative Server we ask. */
  sender: string;
  /** Our domain the Initiating Server addressed (the Target Domain). */
  target: string;
  /** The id of the stream header we sent the Initiating Server. */
  id: string;
  key: string;
}

/**
 * XEP-0220 §2.1.2 as the Receiving Server: a connection of its own to the Authoritative Server of
 * the Sender Domain, only to verify one key (the XEP's "MAY open a separate connection ... SHOULD
 * close the connection immediately after receiving the verification result"). STARTTLS first
 * (XEP-0344: dialback only over TLS; the Authoritative Server is not authenticated, that is what
 * dialback rests on DNS for), then `<db:verify/>`, then the answer whose from/to/id correlate to
 * our request (§3.1: anything else is unsolicited and ignored), then we close.
 */
export class DialbackVerifyStream extends BaseStream<S2sStreamState> {
  declare readonly ctx: S2sContext;
  readonly outcome: Promise<VerifyOutcome>;
  private settle!: (o: VerifyOutcome) => void;
  private settled = false;

  constructor(
    ctx: S2sContext,
    transport: Transport,
    private readonly req: VerifyRequest,
  ) {
    super(ctx, transport, NS.server);
    this.state = transport.secure ? 'secured' : 'connected';
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    this.bindLog({ remote: req.sender, local: req.target, dialback: 'verify' });
    this.timer(ctx.config.s2s.connectTimeoutMs, () => this.finish({ error: 'remote-server-timeout', text: `${req.sender} did not answer in time` }));
    this.onClosed(() => this.finish({ error: 'remote-server-timeout', text: `${req.sender} closed the stream before it verified the key` }));
    this.sendHeader();
  }

  xmlLimits(): XmlLimits {
    return streamXmlLimits(this.ctx.config.edge.limits, false);
  }

  protected headerXml(): string {
    return s2sHeader({ from: this.req.target, to: this.req.sender, dialback: true });
  }

  protected stanzaOutChain(): undefined {
    return undefined;
  }

  protected connectionGone(): void {}

  protected onStreamStart(name: string, attrs: Record<string, string>): void {
    const check = checkS2sHeader(name, attrs, this.ctx.config.domains, { remote: this.req.sender });
    // §2.5: a host-unknown from the Authoritative Server is remote-server-not-found for the Initiating Server
    if (check.error) this.finish({ error: 'remote-server-not-found', text: check.text ?? check.error }, check.error);
  }

  protected async onElement(el: Element): Promise<void> {
    if (el.name === 'stream:features') return this.onFeatures(el);
    if (el.name === 'proceed' && el.attrs.xmlns === NS.tls && this.state === 'tls-negotiating') {
      if (!(await this.upgradeTls({ role: 'client', servername: this.req.sender }))) return;
      this.state = 'secured';
      return this.sendHeader();
    }
    if (el.name === 'stream:error') {
      const condition = el.elements().find((c) => c.attrs.xmlns === NS.streams)?.name ?? 'undefined-condition';
      return this.finish({
        error: condition === 'host-unknown' ? 'remote-server-not-found' : 'remote-server-timeout',
        text: `${this.req.sender}: ${condition}`,
      });
    }
    const db = readDialback(el);
    const r = this.req;
    if (db?.kind === 'verify' && db.type && db.from === r.sender && db.to === r.target && db.id === r.id) {
      if (db.type === 'valid' || db.type === 'invalid') return this.finish(db.type);
      return this.finish({
        error: db.condition === 'item-not-found' ? 'remote-server-not-found' : 'remote-server-timeout',
        text: `${r.sender}: ${db.condition ?? 'error'}`,
      });
    }
    // §3.1: an answer we did not ask for, or anything else, is ignored (never taken as a verdict)
    this.log.info({ name: el.name }, 'unexpected element on a dialback verification stream ignored');
  }

  private onFeatures(features: Element): void {
    if (!this.transport.secure) {
      if (!features.getChild('starttls', NS.tls))
        return this.finish({ error: 'remote-connection-failed', text: `${this.req.sender} offers no TLS (dialback only over TLS)` }, 'policy-violation');
      this.state = 'tls-negotiating';
      return this.send(xml('starttls', { xmlns: NS.tls }));
    }
    if (this.state !== 'secured') return;
    this.state = 'authenticating';
    this.send(dialbackRequest('verify', this.req.target, this.req.sender, this.req.key, this.req.id));
  }

  private finish(outcome: VerifyOutcome, streamError?: Parameters<BaseStream['error']>[0]): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(outcome);
    if (streamError) this.error(streamError);
    else this.close();
  }
}

/** How a verification reaches the network: the pool's own lookup and dial (s2s-dial.ts). */
export interface VerifyIo {
  targets(remote: string): Promise<ConnectTarget[] | 'no-service'>;
  dial(target: ConnectTarget, remote: string): Promise<Transport>;
}

/** Steps 2-3 for one key: each address of the Sender Domain in turn until one answers. */
export async function askAuthoritativeServer(ctx: S2sContext, io: VerifyIo, req: VerifyRequest): Promise<VerifyOutcome> {
  let targets: ConnectTarget[] | 'no-service';
  try {
    targets = await io.targets(req.sender);
  } catch (err) {
    return { error: 'remote-server-not-found', text: `${req.sender}: ${(err as Error).message}` };
  }
  if (targets === 'no-service') return { error: 'remote-server-not-found', text: `${req.sender} offers no XMPP service` };
  let last: VerifyOutcome = { error: 'remote-connection-failed', text: `${req.sender} could not be reached` };
  for (const target of targets) {
    let transport: Transport;
    try {
      transport = await io.dial(target, req.sender);
    } catch (err) {
      last = { error: 'remote-connection-failed', text: `${req.sender}: ${(err as Error).message}` };
      continue;
    }
    return new DialbackVerifyStream(ctx, transport, req).outcome;
  }
  return last;
}
