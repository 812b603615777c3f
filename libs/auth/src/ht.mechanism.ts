import { createHash, randomBytes } from 'node:crypto';
import { hmac } from './scram-credentials.js';
import { safeEqual } from './scram.mechanism.js';
import { failure, type ChannelBindingType, type SaslFailureCondition, type SaslMechanism, type SaslStep } from './sasl.types.js';
import { normalizeUsername } from './username.js';

/**
 * The HT ("hashed token") mechanisms of draft-schmaus-kitten-sasl-ht-08 that XEP-0484 FAST uses,
 * with SHA-256: NONE (no channel binding), ENDP (RFC 5929 tls-server-end-point), EXPR (RFC 9266
 * tls-exporter). tls-unique (UNIQ) is not offered: it does not exist on TLS 1.3.
 */
export type HtMechanismName = 'HT-SHA-256-NONE' | 'HT-SHA-256-ENDP' | 'HT-SHA-256-EXPR';
export const HT_MECHANISMS: readonly HtMechanismName[] = ['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP', 'HT-SHA-256-NONE'];

/** Which channel binding each HT mechanism needs (none for -NONE). */
export const HT_BINDING: Record<HtMechanismName, ChannelBindingType | undefined> = {
  'HT-SHA-256-NONE': undefined,
  'HT-SHA-256-ENDP': 'tls-server-end-point',
  'HT-SHA-256-EXPR': 'tls-exporter',
};

/**
 * Token length in random bytes. Encoded (base64url) the token is 88 characters, longer than
 * SHA-256's 64-byte block, so HMAC (RFC 2104 §2) first replaces the key by SHA-256(token): the server
 * can keep only that digest (`tokenKey`) and compute exactly the HMAC the client computes.
 */
const TOKEN_BYTES = 66;

/** A new secret token and the key the server stores for it (never the token itself). */
export function newToken(): { token: string; key: Buffer } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, key: tokenKey(token) };
}

/** What the server stores for a token: SHA-256 of its UTF-8 bytes (the HMAC key it stands for). */
export function tokenKey(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** One token the server would accept from this client, as stored. */
export interface HtCandidate<Ref> {
  key: Buffer;
  ref: Ref;
}

export interface HtContext<Ref> {
  domain: string;
  /** The tokens the named user's client may be using with this mechanism (expired ones left out). */
  candidates(username: string): Promise<HtCandidate<Ref>[]>;
  /**
   * The token `ref` matched: record its use (replay counter, rotation), or say why it is refused
   * (expired: `credentials-expired` per XEP-0484 §rules-servers; a replayed count; revoked meanwhile).
   */
  used(username: string, ref: Ref): Promise<true | { condition: SaslFailureCondition; text: string }>;
  /** Channel bindings the connection offers. */
  channelBindings?: Partial<Record<ChannelBindingType, Buffer>>;
}

/**
 * Server side of HT-SHA-256-*: one message each way. The client sends authcid NUL
 * HMAC(token, "Initiator" || cb-data); the server answers HMAC(token, "Responder" || cb-data) as
 * additional data (draft §3). Every candidate is compared in constant time, all of them, so the
 * time taken does not say which slot matched. An unknown user has no candidates and fails the same
 * way as a wrong token.
 */
export class HtMechanism<Ref> implements SaslMechanism {
  private done = false;
  constructor(
    readonly name: HtMechanismName,
    private readonly ctx: HtContext<Ref>,
  ) {}

  async step(input: Buffer): Promise<SaslStep> {
    if (this.done) return failure('malformed-request', 'the exchange is over');
    this.done = true;
    const nul = input.indexOf(0);
    if (nul <= 0 || input.length - nul - 1 !== 32) return failure('malformed-request', 'expected authcid NUL HMAC-SHA-256');
    let authcid: string;
    try {
      authcid = new TextDecoder('utf-8', { fatal: true }).decode(input.subarray(0, nul));
    } catch {
      return failure('incorrect-encoding', 'the authcid is not UTF-8');
    }
    const proof = input.subarray(nul + 1);
    const binding = HT_BINDING[this.name];
    const cb = binding === undefined ? Buffer.alloc(0) : this.ctx.channelBindings?.[binding];
    if (!cb) return failure('not-authorized', `this connection offers no ${binding} channel binding`);
    // An authcid may be a bare JID (draft §3.1 allows the simple user name; clients send either).
    const at = authcid.lastIndexOf('@');
    if (at >= 0 && authcid.slice(at + 1).toLowerCase() !== this.ctx.domain) return failure('not-authorized');
    const local = at >= 0 ? authcid.slice(0, at) : authcid;
    const username = normalizeUsername(local);
    if (!username) return failure('not-authorized');
    const candidates = await this.ctx.candidates(username);
    let match: HtCandidate<Ref> | undefined;
    for (const c of candidates) {
      if (safeEqual(hmac('SHA-256', c.key, Buffer.concat([Buffer.from('Initiator'), cb])), proof) && !match) match = c;
    }
    if (!match) return failure('not-authorized');
    const verdict = await this.ctx.used(username, match.ref);
    if (verdict !== true) return failure(verdict.condition, verdict.text);
    return { kind: 'success', username, data: hmac('SHA-256', match.key, Buffer.concat([Buffer.from('Responder'), cb])) };
  }
}
