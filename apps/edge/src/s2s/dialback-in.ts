import type { X509Certificate } from 'node:crypto';
import { dialbackKeyValid } from '#libs/federation';
import type { Element } from '#libs/xml';
import type { StreamLog } from '../stream/stream-log.js';
import { dialbackAnswer, type DialbackElement, type DialbackErrorCondition } from './dialback.codec.js';
import { verifyPeer } from './peer-auth.js';
import { isOurDomain, type S2sContext } from './s2s-context.js';

/** What the inbound stream lends dialback. */
export interface DialbackInHost {
  readonly ctx: S2sContext;
  log(): StreamLog;
  secure(): boolean;
  /** The id of the stream header we sent last (keys are made for it, XEP-0185). */
  streamId(): string;
  peerCertificates(): X509Certificate[];
  send(el: Element): void;
  /** The pair may send stanzas now (the stream becomes ready on the first). */
  authorize(local: string, remote: string, by: string): void;
  authorized(local: string, remote: string): boolean;
  /** Any pair is authorized on this stream already. */
  anyAuthorized(): boolean;
  open(): boolean;
  close(): void;
}

/**
 * XEP-0220 on an inbound stream, both roles the peer can ask of us:
 * - Receiving Server (§2.2.1): a `<db:result/>` asks us to accept stanzas from its Sender Domain
 *   to one of ours. Each request is a domain pair of its own, so one stream carries several
 *   (multiplexing, a.k.a. piggybacking, §2.6): other pairs keep flowing while one is verified, and
 *   a failure of one is a dialback error (§2.5), not the stream's end. Verified by the peer's
 *   certificate when it is valid for that domain (XEP-0344 §2.3, "dialback without dialing back":
 *   as strong as SASL EXTERNAL), else, when `s2s.policy.dialback` allows the domain, by asking its
 *   Authoritative Server over a connection of our own (§2.1.2, dialback-verify.stream.ts).
 * - Authoritative Server (§2.2.2): a `<db:verify/>` asks whether a key is ours; it is, if it is the
 *   XEP-0185 HMAC of (receiving, originating, stream id) under the secret every edge shares.
 * Only over TLS (XEP-0344): before it, a request gets `policy-violation`.
 */
export class DialbackIn {
  /** Pairs being verified ("local remote"): a repeated request waits for the first. */
  private readonly pending = new Set<string>();

  constructor(private readonly host: DialbackInHost) {}

  /** Step 1 received: answer with Step 4 once we know. */
  result(db: DialbackElement): void {
    const h = this.host;
    const reply = (type: 'valid' | 'invalid' | 'error', condition?: DialbackErrorCondition, text?: string): void =>
      h.send(dialbackAnswer('result', { from: db.to, to: db.from, type, condition, text }));
    if (!h.secure()) return reply('error', 'policy-violation', 'dialback only over TLS (XEP-0344)');
    if (!db.to || !isOurDomain(h.ctx, db.to)) return reply('error', 'item-not-found', `${db.to || "'to'"} is not served here`);
    if (!db.from || !db.key) return reply('error', 'not-acceptable', "a dialback request needs 'from' and a key");
    const decision = h.ctx.policy().decide(db.from);
    if (!decision.allowed) {
      h.ctx.refused?.('in', db.from, decision.why);
      return reply('error', 'policy-violation', `federation with ${db.from} is not allowed here`);
    }
    if (h.authorized(db.to, db.from)) return reply('valid');
    const pair = `${db.to} ${db.from}`;
    if (this.pending.has(pair)) return;
    if (verifyPeer(h.peerCertificates(), db.from, h.ctx.anchors()).ok) {
      h.authorize(db.to, db.from, 'certificate (dialback without dialing back, XEP-0344)');
      return reply('valid');
    }
    const dialback = h.ctx.dialback;
    if (!dialback || !h.ctx.policy().dialbackFor(db.from)) {
      h.ctx.refused?.('in', db.from, 'certificate not valid, dialback off');
      return reply('error', 'not-authorized', `${db.from} must present a valid certificate here`);
    }
    if (this.pending.size >= h.ctx.config.s2s.dialbackMaxPending)
      return reply('error', 'policy-violation', 'too many dialback requests under verification on this stream');
    this.pending.add(pair);
    const id = h.streamId();
    void dialback
      .verify({ sender: db.from, target: db.to, id, key: db.key })
      .catch((err: Error): { error: DialbackErrorCondition; text: string } => ({ error: 'remote-server-timeout', text: err.message }))
      .then((outcome) => {
        this.pending.delete(pair);
        if (!h.open()) return; // §2.1.2: no inbound stream for the result any more: dropped
        if (outcome === 'valid') {
          h.authorize(db.to, db.from, 'dialback');
          return reply('valid');
        }
        if (outcome === 'invalid') {
          h.ctx.refused?.('in', db.from, 'dialback key invalid');
          h.log().info({ remote: db.from }, 'the Authoritative Server denied the dialback key: spoofed sender?');
          // §2.1.2: with other pairs on the stream, <forbidden/> keeps them; else "invalid" and the stream ends (§2.2.1)
          if (h.anyAuthorized()) return reply('error', 'forbidden', 'the Authoritative Server denied the key');
          reply('invalid');
          return h.close();
        }
        reply('error', outcome.error, outcome.text);
      });
  }

  /** Step 2 received (we are the Authoritative Server): answer with Step 3 at once. */
  verify(db: DialbackElement): void {
    const h = this.host;
    const reply = (type: 'valid' | 'invalid' | 'error', condition?: DialbackErrorCondition, text?: string): void =>
      h.send(dialbackAnswer('verify', { from: db.to, to: db.from, id: db.id, type, condition, text }));
    if (!h.secure()) return reply('error', 'policy-violation', 'dialback only over TLS (XEP-0344)');
    if (!db.to || !isOurDomain(h.ctx, db.to)) return reply('error', 'item-not-found', `${db.to || "'to'"} is not served here`);
    const secrets = h.ctx.dialback?.secrets() ?? [];
    const valid = db.from !== '' && db.id !== '' && secrets.some((secret) => dialbackKeyValid(secret, db.from, db.to, db.id, db.key));
    if (!valid) h.log().info({ receiving: db.from, originating: db.to }, 'asked to verify a dialback key that is not ours');
    reply(valid ? 'valid' : 'invalid');
  }
}
