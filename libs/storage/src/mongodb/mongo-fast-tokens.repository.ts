import type { FastClientTokens, FastSlotName, FastTokenSlot, FastTokensRepository } from '../ports/fast-tokens.repository.js';
import { isDuplicateKey } from './mongo-retry.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';

const COLLECTION = 'fast_tokens';
/** Lost races for the next revision before one change gives up (the login then fails, and may retry). */
const MAX_ROUNDS = 8;

/** Everything is found by `_id` or by account (few documents per account): no extra index beyond this one. */
export const FAST_TOKENS_INDEXES: CollectionIndexes = {
  collection: COLLECTION,
  indexes: [{ key: { account: 1 }, name: 'account' }],
};

interface TokenDoc {
  /** `account client rev`: a bare JID holds no space; the client id's spaces come before the last one. */
  _id: string;
  schema: number;
  account: string;
  client: string;
  rev: number;
  current?: FastTokenSlot;
  next?: FastTokenSlot;
  updatedAt: Date;
  /** Written by a revocation: the client holds no token from this revision on. */
  revoked?: boolean;
}

/**
 * XEP-0484 tokens, as an append-only log per (account, client): each change inserts the next
 * revision, and an insert of a taken `_id` fails on every MongoDB-wire server (FerretDB too), so of
 * two logins racing with one count exactly one wins (the replay rule), and a use cannot undo a
 * revocation (which inserts a `revoked` revision). Older revisions are deleted after each change.
 * The per-account bound counts before evicting: racing issues for new clients can pass it briefly.
 */
export class MongoFastTokensRepository implements FastTokensRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<TokenDoc>(COLLECTION);
  }

  async get(account: string, client: string): Promise<FastClientTokens | undefined> {
    const head = await this.head(account, client);
    return head && !head.revoked ? fromDoc(head) : undefined;
  }

  async issue(account: string, client: string, slot: FastTokenSlot, maxClients: number, now: Date): Promise<void> {
    await this.change(account, client, (doc) => ({ current: doc?.revoked ? undefined : doc?.current, next: slot, updatedAt: now }));
    const others = (await this.list(account)).filter((c) => c.client !== client).sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
    for (const o of others.slice(Math.max(0, maxClients - 1))) await this.revoke(account, o.client);
  }

  async use(account: string, client: string, slot: FastSlotName, tokenKey: string, count: number | undefined, now: Date): Promise<boolean> {
    return this.change(account, client, (doc) => {
      const used = doc && !doc.revoked ? doc[slot] : undefined;
      if (!doc || !used || used.key !== tokenKey) return undefined;
      if (count !== undefined && count <= used.count) return undefined;
      return { current: { ...used, count: count ?? used.count }, next: slot === 'next' ? undefined : doc.next, updatedAt: now };
    });
  }

  async revoke(account: string, client?: string): Promise<number> {
    const clients = client === undefined ? (await this.list(account)).map((c) => c.client) : [client];
    let revoked = 0;
    for (const c of clients) {
      if (await this.change(account, c, (doc) => (doc && !doc.revoked ? { revoked: true, updatedAt: new Date() } : undefined))) revoked++;
    }
    return revoked;
  }

  async list(account: string): Promise<FastClientTokens[]> {
    const docs = await this.ctx.retry.run(`list FAST tokens of ${account}`, () => this.col.find({ account }).toArray());
    const heads = new Map<string, TokenDoc>();
    for (const d of docs) if ((heads.get(d.client)?.rev ?? -1) < d.rev) heads.set(d.client, d);
    return [...heads.values()]
      .filter((d) => !d.revoked)
      .map(fromDoc)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || a.client.localeCompare(b.client));
  }

  async deleteAll(account: string): Promise<void> {
    await this.revoke(account);
    await this.ctx.retry.run(`delete FAST tokens of ${account}`, () => this.col.deleteMany({ account }));
  }

  private async head(account: string, client: string): Promise<TokenDoc | undefined> {
    const docs = await this.ctx.retry.run(`get FAST tokens of ${account}`, () => this.col.find({ account, client }).toArray());
    return docs.reduce<TokenDoc | undefined>((best, d) => (best && best.rev >= d.rev ? best : d), undefined);
  }

  /** Inserts the next revision made by `change`; false when `change` declines. */
  private async change(
    account: string,
    client: string,
    change: (doc: TokenDoc | undefined) => Pick<TokenDoc, 'current' | 'next' | 'updatedAt' | 'revoked'> | undefined,
  ): Promise<boolean> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const head = await this.head(account, client);
      const next = change(head);
      if (!next) return false;
      const rev = (head?.rev ?? 0) + 1;
      const doc: TokenDoc = { _id: `${account} ${client} ${rev}`, schema: 1, account, client, rev, updatedAt: next.updatedAt };
      if (next.current) doc.current = next.current;
      if (next.next) doc.next = next.next;
      if (next.revoked) doc.revoked = true;
      try {
        await this.ctx.retry.run(`change FAST tokens of ${account}`, () => this.col.insertOne(doc));
      } catch (err) {
        if (isDuplicateKey(err)) continue; // another change took this revision: read again
        throw err;
      }
      await this.ctx.retry.run(`trim FAST tokens of ${account}`, () => this.col.deleteMany({ account, client, rev: { $lt: rev } }));
      return true;
    }
    throw new Error(`FAST tokens of ${account} changed ${MAX_ROUNDS} times during one update`);
  }
}

function fromDoc(doc: TokenDoc): FastClientTokens {
  const t: FastClientTokens = { account: doc.account, client: doc.client, updatedAt: doc.updatedAt };
  if (doc.current) t.current = doc.current;
  if (doc.next) t.next = doc.next;
  return t;
}
