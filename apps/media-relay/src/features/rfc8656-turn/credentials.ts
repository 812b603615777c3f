import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureSecretFile } from '#libs/config';

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest-00 §2.2, the scheme coturn calls
 * `use-auth-secret`): the XMPP server and the relay share one secret, so the relay checks a
 * credential without a database call.
 *
 *   username = `<unix expiry seconds>:<user>`
 *   password = base64(HMAC-SHA1(secret, username))
 *
 * The relay recomputes the password from the username and refuses it once the expiry has passed
 * (§2.2: "the TURN server MUST check that the timestamp is not expired"). The password is then the
 * long-term credential's key input (RFC 8489 §9.2).
 */
export interface TurnRestCredential {
  username: string;
  password: string;
  /** Seconds the credential stays valid (XEP-0215 `expires` is derived from `expiresAt`). */
  ttlSec: number;
  expiresAt: Date;
}

/** Separator between the expiry and the user; coturn's default (`-C` of turnutils_uclient). */
export const TURN_REST_SEPARATOR = ':';

/** Shortest shared secret accepted: HMAC-SHA1 keys below 16 bytes are guessable offline. */
export const MIN_TURN_SECRET_LENGTH = 16;

/** HMAC-SHA1 of the username under the secret, base64: what the client uses as its password. */
export function turnRestPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

/** A credential for `user` (any string, e.g. a bare JID), valid `ttlSec` seconds from `nowMs`. */
export function issueTurnCredential(secret: string, user: string, ttlSec: number, nowMs = Date.now()): TurnRestCredential {
  if (!Number.isInteger(ttlSec) || ttlSec < 1) throw new RangeError(`TURN credential TTL must be a positive integer (seconds), got ${ttlSec}`);
  const expiry = Math.floor(nowMs / 1000) + ttlSec;
  const username = `${expiry}${TURN_REST_SEPARATOR}${user}`;
  return { username, password: turnRestPassword(secret, username), ttlSec, expiresAt: new Date(expiry * 1000) };
}

export type TurnUsernameCheck = { ok: true; user: string; expiresAt: Date; password: string } | { ok: false; reason: 'malformed' | 'expired' };

/**
 * Checks a username's shape and expiry and returns the password the client must have used (the
 * caller compares it through MESSAGE-INTEGRITY, never as text). A username without the
 * `<expiry>:` prefix is malformed, not a static user: this relay knows no other users.
 */
export function checkTurnUsername(secret: string, username: string, nowMs = Date.now()): TurnUsernameCheck {
  const cut = username.indexOf(TURN_REST_SEPARATOR);
  const stamp = cut > 0 ? username.slice(0, cut) : '';
  // 1 to 12 digits: seconds until the year 33658, enough, and no Number overflow
  if (!/^\d{1,12}$/.test(stamp)) return { ok: false, reason: 'malformed' };
  const expiry = Number(stamp);
  if (expiry * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, user: username.slice(cut + 1), expiresAt: new Date(expiry * 1000), password: turnRestPassword(secret, username) };
}

/** Constant-time check of a password given in clear (tests and tools; the relay uses integrity). */
export function verifyTurnCredential(secret: string, username: string, password: string, nowMs = Date.now()): TurnUsernameCheck {
  const check = checkTurnUsername(secret, username, nowMs);
  if (!check.ok) return check;
  const want = Buffer.from(check.password);
  const got = Buffer.from(password);
  return want.length === got.length && timingSafeEqual(want, got) ? check : { ok: false, reason: 'malformed' };
}

/** Where the shared secret lives: `media.turn.sharedSecretFile`, by default `<dataDir>/turn-secret`. */
export function turnSecretPath(opts: { dataDir: string; sharedSecretFile?: string | undefined }): string {
  return resolve(opts.sharedSecretFile ?? join(opts.dataDir, 'turn-secret'));
}

/**
 * Reads the secret, making the file first (0600, 32 random bytes, base64url) when there is none:
 * standalone's first start. In Kubernetes the file is a mounted Secret and always exists. Two
 * processes racing agree ('wx').
 */
export function ensureTurnSecret(path: string): string {
  return ensureSecretFile(path, readTurnSecret);
}

export function readTurnSecret(path: string): string {
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < MIN_TURN_SECRET_LENGTH) throw new Error(`${path}: the TURN shared secret must be at least ${MIN_TURN_SECRET_LENGTH} characters`);
  return secret;
}

/**
 * The secret as of now: a Kubernetes Secret is rotated in place, so a changed file replaces it
 * (both the XEP-0215 issuer and the relay hold one of these on the same file).
 */
export class TurnSecret {
  private value: string;
  private mtimeMs: number;

  constructor(private readonly path: string) {
    this.value = ensureTurnSecret(path);
    this.mtimeMs = statSync(path).mtimeMs;
  }

  current(): string {
    try {
      const mtimeMs = statSync(this.path).mtimeMs;
      if (mtimeMs !== this.mtimeMs) {
        this.value = readTurnSecret(this.path);
        this.mtimeMs = mtimeMs;
      }
    } catch {
      // unreadable for a moment (a Secret swap): keep the last secret
    }
    return this.value;
  }
}
