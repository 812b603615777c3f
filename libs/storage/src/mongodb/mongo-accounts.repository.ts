import { z } from 'zod';
import type { Account, AccountsRepository } from '../ports/accounts.repository.js';
import { StorageConflictError } from '../ports/errors.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { decodeEach, decodeRecord, type RecordCodec } from './mongo-record.js';
import { isDuplicateKey } from './mongo-retry.js';

const COLLECTION = 'accounts';

export const ACCOUNTS_INDEXES: CollectionIndexes = {
  collection: COLLECTION,
  indexes: [{ key: { domain: 1, username: 1 }, name: 'domain_username', unique: true }],
};

const scram = z.object({
  salt: z.string(),
  iterations: z.number().int().min(1),
  storedKey: z.string(),
  serverKey: z.string(),
});

const codec: RecordCodec<Account> = {
  kind: 'account',
  version: 1,
  shape: z.object({
    username: z.string(),
    domain: z.string(),
    scram: z.object({ 'SHA-1': scram, 'SHA-256': scram }),
    createdAt: z.date(),
    disabled: z.boolean(),
  }),
};

interface AccountDoc extends Account {
  _id: string;
  schema: number;
}

/** One document per account, `_id` = `username@domain`; passwords only as SCRAM hashes. */
export class MongoAccountsRepository implements AccountsRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<AccountDoc>(COLLECTION);
  }

  async create(account: Account): Promise<void> {
    const id = key(account.username, account.domain);
    const doc: AccountDoc = { _id: id, schema: codec.version, ...toFields(account) };
    await this.ctx.retry.run(`create account ${id}`, async (attempt) => {
      try {
        await this.col.insertOne(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // after a lost reply our own first attempt may be what is there
        if (attempt > 1 && (await this.isOurs(id, account))) return;
        throw new StorageConflictError(`account ${id} exists`);
      }
    });
  }

  async get(username: string, domain: string): Promise<Account | undefined> {
    const id = key(username, domain);
    const doc = await this.ctx.retry.run(`get account ${id}`, () => this.col.findOne({ _id: id }));
    return doc ? decodeRecord(codec, id, doc as unknown as Record<string, unknown>) : undefined;
  }

  async setCredentials(username: string, domain: string, credentials: Account['scram']): Promise<boolean> {
    const id = key(username, domain);
    const r = await this.ctx.retry.run(`set credentials of ${id}`, () => this.col.updateOne({ _id: id }, { $set: { scram: credentials } }));
    return r.matchedCount > 0;
  }

  async setDisabled(username: string, domain: string, disabled: boolean): Promise<boolean> {
    const id = key(username, domain);
    // idempotent: a retry after a lost reply sets the same value
    const r = await this.ctx.retry.run(`set disabled of ${id}`, () => this.col.updateOne({ _id: id }, { $set: { disabled } }));
    return r.matchedCount > 0;
  }

  async delete(username: string, domain: string): Promise<boolean> {
    const id = key(username, domain);
    return this.ctx.retry.run(`delete account ${id}`, async (attempt) => {
      const r = await this.col.deleteOne({ _id: id });
      // a retry finding nothing most likely means the lost first attempt deleted it
      return r.deletedCount > 0 || attempt > 1;
    });
  }

  async list(domain: string, opts: { after?: string; limit?: number } = {}): Promise<Account[]> {
    const filter = opts.after === undefined ? { domain } : { domain, username: { $gt: opts.after } };
    const docs = await this.ctx.retry.run(`list accounts of ${domain}`, () =>
      this.col
        .find(filter)
        .sort({ username: 1 })
        .limit(opts.limit ?? 0)
        .toArray(),
    );
    return decodeEach(codec, docs as unknown as Record<string, unknown>[], this.ctx.logger);
  }

  async count(domain: string): Promise<number> {
    return this.ctx.retry.run(`count accounts of ${domain}`, () => this.col.countDocuments({ domain }));
  }

  private async isOurs(id: string, account: Account): Promise<boolean> {
    const doc = await this.col.findOne({ _id: id });
    return doc?.createdAt?.getTime() === account.createdAt.getTime() && doc.scram?.['SHA-256']?.storedKey === account.scram['SHA-256'].storedKey;
  }
}

function key(username: string, domain: string): string {
  return `${username}@${domain}`;
}

function toFields(a: Account): Account {
  return { username: a.username, domain: a.domain, scram: a.scram, createdAt: a.createdAt, disabled: a.disabled };
}
