import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkTurnUsername } from './credentials.js';
import { checkIntegrity, longTermKey, type PasswordAlgorithm } from './integrity.js';
import { Attr, getAttr, type StunMessage } from './stun-message.codec.js';

/**
 * The long-term credential mechanism (RFC 8489 §9.2) with TURN REST API usernames. The NONCE is
 * stateless: its expiry and an HMAC over expiry and client address, under a key derived from the
 * shared secret, so every relay replica accepts every other's nonces and none keeps a table.
 */
export type AuthResult =
  { ok: true; username: string; user: string; key: Buffer; sha256: boolean } | { ok: false; code: 400 | 401 | 438; reason: string; challenge: boolean };

export interface LongTermAuthOptions {
  realm: string;
  secret: () => string;
  nonceLifetimeSec: number;
  now: () => number;
}

const NONCE_MAC_CHARS = 22; // 132 bits of HMAC-SHA256, base64url

export class LongTermAuth {
  constructor(private readonly opts: LongTermAuthOptions) {}

  get realm(): string {
    return this.opts.realm;
  }

  nonce(clientIp: string): string {
    const expiry = Math.floor(this.opts.now() / 1000) + this.opts.nonceLifetimeSec;
    const stamp = expiry.toString(16).padStart(10, '0');
    return `${stamp}${this.mac(stamp, clientIp)}`;
  }

  private mac(stamp: string, clientIp: string): string {
    const key = createHmac('sha256', this.opts.secret()).update('glider-turn-nonce').digest();
    return createHmac('sha256', key).update(`${stamp}|${clientIp}`).digest('base64url').slice(0, NONCE_MAC_CHARS);
  }

  /** 'valid', 'stale' (expired or from another client or secret: the client retries, §9.2.4 step 3). */
  private nonceState(nonce: string, clientIp: string): 'valid' | 'stale' {
    const stamp = nonce.slice(0, 10);
    if (nonce.length !== 10 + NONCE_MAC_CHARS || !/^[0-9a-f]{10}$/.test(stamp)) return 'stale';
    const want = Buffer.from(this.mac(stamp, clientIp));
    const got = Buffer.from(nonce.slice(10));
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'stale';
    return parseInt(stamp, 16) * 1000 > this.opts.now() ? 'valid' : 'stale';
  }

  /** RFC 8489 §9.2.4, in its order. */
  authenticate(msg: StunMessage, clientIp: string): AuthResult {
    const hasIntegrity = msg.attributes.some((a) => a.type === Attr.MessageIntegrity || a.type === Attr.MessageIntegritySha256);
    if (!hasIntegrity) return { ok: false, code: 401, reason: 'Unauthorized', challenge: true };
    const username = getAttr(msg, Attr.Username)?.toString('utf8');
    const realm = getAttr(msg, Attr.Realm)?.toString('utf8');
    const nonce = getAttr(msg, Attr.Nonce)?.toString('utf8');
    if (username === undefined || realm === undefined || nonce === undefined) {
      return { ok: false, code: 400, reason: 'Bad Request: USERNAME, REALM and NONCE are required', challenge: false };
    }
    if (this.nonceState(nonce, clientIp) !== 'valid') return { ok: false, code: 438, reason: 'Stale Nonce', challenge: true };
    if (realm !== this.opts.realm) return { ok: false, code: 401, reason: 'Unauthorized: unknown realm', challenge: true };
    const check = checkTurnUsername(this.opts.secret(), username, this.opts.now());
    if (!check.ok) return { ok: false, code: 401, reason: `Unauthorized: ${check.reason} credential`, challenge: true };
    const algorithm = passwordAlgorithm(getAttr(msg, Attr.PasswordAlgorithm));
    if (!algorithm) return { ok: false, code: 400, reason: 'Bad Request: unknown PASSWORD-ALGORITHM', challenge: false };
    const key = longTermKey(username, realm, check.password, algorithm);
    const integrity = checkIntegrity(msg, key);
    if (integrity.result !== 'valid') return { ok: false, code: 401, reason: 'Unauthorized: wrong password', challenge: true };
    return { ok: true, username, user: check.user, key, sha256: integrity.sha256 };
  }
}

/** PASSWORD-ALGORITHM (RFC 8489 §14.12): 0x0001 MD5, 0x0002 SHA-256; absent means MD5. */
function passwordAlgorithm(v: Buffer | undefined): PasswordAlgorithm | undefined {
  if (!v) return 'md5';
  if (v.length < 4) return undefined;
  const id = v.readUInt16BE(0);
  return id === 1 ? 'md5' : id === 2 ? 'sha256' : undefined;
}
