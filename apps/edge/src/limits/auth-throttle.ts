/**
 * Failed-login back-off, kept per source address AND per account (docs/security.md):
 *
 * - Each key (`ip:<address>`, `acct:<bare JID>`) counts its failures. After n failures an attempt
 *   waits base·2^(n-1) (capped) — and it waits *before* the credentials are checked, at the gate,
 *   so closing a connection early and trying on another one gains nothing.
 * - Attempts on a key that has failures are serialised: each one that passes the gate moves the
 *   key's next slot on by the current delay, so parallel streams from one address (or against one
 *   account) share one pace instead of multiplying it.
 * - A success resets only that account's key. The address key is never reset by a success (an
 *   attacker logging into an account of their own between guesses gains nothing); it is forgotten
 *   `forgetAfterMs` after its last failure.
 * - The queue is bounded: an attempt that would wait longer than `maxMs` is not queued but refused
 *   at once ('busy', answered <temporary-auth-failure/>, its password unchecked), so a flood of
 *   parallel attempts cannot push a key's next slot hours ahead and lock its owner out that way.
 * - Optional lockout: an account with `lockoutAfter` failures in a row is refused for `lockoutMs`
 *   without checking its password (0 = off, the default, since anyone can lock anyone out).
 *
 * The state is per edge process; docs/security.md says why it is not in the bus KV.
 */
export interface AuthThrottleOptions {
  baseMs: number;
  maxMs: number;
  forgetAfterMs: number;
  lockoutAfter: number;
  lockoutMs: number;
  /** Keys kept at most (recent offenders); the oldest are dropped past it. */
  maxEntries: number;
}

export type Admission = { kind: 'go'; waitMs: number } | { kind: 'locked' | 'busy'; retryAfterMs: number };

interface Entry {
  failures: number;
  lastFailureAt: number;
  /** Earliest time the next attempt on this key may be checked. */
  nextAt: number;
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: AuthThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Before the credentials of `account` from `address` are checked: how long to wait, or locked. */
  admit(address: string, account: string): Admission {
    const now = this.now();
    const acct = this.live(accountKey(account), now);
    if (this.opts.lockoutAfter > 0 && acct && acct.failures >= this.opts.lockoutAfter) {
      const until = acct.lastFailureAt + this.opts.lockoutMs;
      if (until > now) return { kind: 'locked', retryAfterMs: until - now };
    }
    const keyed = [this.live(addressKey(address), now), acct].filter((e): e is Entry => e !== undefined && e.failures > 0);
    const slot = Math.max(now, ...keyed.map((e) => e.nextAt));
    if (slot - now > this.opts.maxMs) return { kind: 'busy', retryAfterMs: slot - now };
    for (const e of keyed) e.nextAt = slot + this.delayFor(e.failures);
    return { kind: 'go', waitMs: slot - now };
  }

  /** Records a wrong-credentials failure; returns how long to wait before answering it. */
  failed(address: string, account: string | undefined): number {
    const now = this.now();
    let wait = 0;
    for (const key of account === undefined ? [addressKey(address)] : [addressKey(address), accountKey(account)]) {
      const e = this.live(key, now) ?? { failures: 0, lastFailureAt: now, nextAt: now };
      e.failures++;
      e.lastFailureAt = now;
      const delay = this.delayFor(e.failures);
      e.nextAt = Math.max(e.nextAt, now + delay);
      wait = Math.max(wait, delay);
      this.entries.delete(key); // re-insert: the map's order is the order of last failure
      this.entries.set(key, e);
    }
    this.prune(now);
    return wait;
  }

  /** A success resets the account's own record only (never the address's). */
  succeeded(account: string): void {
    this.entries.delete(accountKey(account));
  }

  get size(): number {
    return this.entries.size;
  }

  private delayFor(failures: number): number {
    if (failures <= 0 || this.opts.baseMs === 0) return 0;
    return Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(failures - 1, 30));
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.expired(e, now)) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private expired(e: Entry, now: number): boolean {
    const keep = Math.max(this.opts.forgetAfterMs, this.opts.lockoutAfter > 0 ? this.opts.lockoutMs : 0);
    return now - e.lastFailureAt > keep && e.nextAt <= now;
  }

  private prune(now: number): void {
    if (this.entries.size <= this.opts.maxEntries) return;
    for (const [key, e] of this.entries) if (this.expired(e, now)) this.entries.delete(key);
    // Still too many: drop those with the oldest last failure (the map's first entries).
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.opts.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

const addressKey = (address: string): string => `ip:${address}`;
const accountKey = (account: string): string => `acct:${account}`;
