/**
 * One XEP-0484 token as stored: never the token itself, only the key a server needs to check an
 * HT-SHA-256 proof (SHA-256 of the token, base64; libs/auth `tokenKey`).
 */
export interface FastTokenSlot {
  key: string;
  /** The HT mechanism it was issued for; a login with another one is refused (XEP-0484 §fast-auth). */
  mechanism: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Highest XEP-0484 `count` a login used with it (0: none yet); a count not above it is a replay. */
  count: number;
}

/**
 * The tokens of one client (XEP-0388 user-agent id) of one account, in XEP-0484 §impl-tokens' two
 * slots: `current` (last used) and `next` (issued, not yet used).
 */
export interface FastClientTokens {
  account: string;
  client: string;
  current?: FastTokenSlot;
  next?: FastTokenSlot;
  /** Last issue or use: past the per-account bound the least recently active client goes. */
  updatedAt: Date;
}

export type FastSlotName = 'current' | 'next';

/** XEP-0484 FAST tokens per account and client (apps/edge xep-0484-fast). */
export interface FastTokensRepository {
  get(account: string, client: string): Promise<FastClientTokens | undefined>;
  /**
   * A freshly issued token goes in the client's `next` slot (an unused one there is replaced:
   * §token-rotation SHOULD). When that makes more than `maxClients` clients for the account, the
   * least recently active others lose their tokens.
   */
  issue(account: string, client: string, slot: FastTokenSlot, maxClients: number, now: Date): Promise<void>;
  /**
   * A login matched the token in `slot` whose key is `key`. Atomically: the slot must still hold
   * that key and, when `count` is given, `count` must be above the stored one (then stored). A used
   * `next` becomes `current` (the older token goes, §token-rotation). False when the token changed
   * meanwhile or the count is a replay.
   */
  use(account: string, client: string, slot: FastSlotName, key: string, count: number | undefined, now: Date): Promise<boolean>;
  /** Invalidates one client's tokens, or every client's of the account; the number of clients that had some. */
  revoke(account: string, client?: string): Promise<number>;
  /** Every client holding tokens, for the admin API (least recently active first). */
  list(account: string): Promise<FastClientTokens[]>;
  deleteAll(account: string): Promise<void>;
}
