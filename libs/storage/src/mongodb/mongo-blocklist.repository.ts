import type { BlocklistRepository } from '../ports/blocklist.repository.js';
import { StorageLimitError } from '../ports/errors.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';

const COLLECTION = 'blocklist';

export const BLOCKLIST_INDEXES: CollectionIndexes = {
  collection: COLLECTION,
  indexes: [{ key: { owner: 1, seq: 1 }, name: 'owner_seq' }],
};

interface BlockDoc {
  /** `owner jid`: a bare JID holds no space, so ids never collide (a JID cannot hold one either). */
  _id: string;
  schema: number;
  owner: string;
  jid: string;
  /** Order of blocking (ms since epoch, then position in the request). */
  seq: number;
}

/**
 * XEP-0191: one document per blocked JID. The `maxItems` check counts before inserting, so two
 * blocks racing on one account may pass it together by the size of the smaller one: the limit is a
 * guard against abuse, not an exact quota (the embedded store is exact).
 */
export class MongoBlocklistRepository implements BlocklistRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<BlockDoc>(COLLECTION);
  }

  async list(owner: string): Promise<string[]> {
    const docs = await this.ctx.retry.run(`list blocklist of ${owner}`, () =>
      this.col
        .find({ owner }, { projection: { jid: 1 } })
        .sort({ seq: 1, _id: 1 })
        .toArray(),
    );
    return docs.map((d) => d.jid);
  }

  async add(owner: string, jids: readonly string[], maxItems: number): Promise<void> {
    const wanted = [...new Set(jids)];
    const have = new Set(await this.list(owner));
    const fresh = wanted.filter((j) => !have.has(j));
    if (have.size + fresh.length > maxItems) throw new StorageLimitError(`blocklist of ${owner} would exceed ${maxItems} items`);
    const base = Date.now() * 1000;
    for (const [i, jid] of fresh.entries()) {
      const doc: BlockDoc = { _id: key(owner, jid), schema: 1, owner, jid, seq: base + i };
      // an upsert that keeps the first seq: blocking a JID twice (or a retried call) changes nothing
      await this.ctx.retry.run(`block for ${owner}`, () => this.col.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true }));
    }
  }

  async remove(owner: string, jids: readonly string[]): Promise<void> {
    const ids = jids.map((j) => key(owner, j));
    await this.ctx.retry.run(`unblock for ${owner}`, () => this.col.deleteMany({ _id: { $in: ids } }));
  }

  async deleteAll(owner: string): Promise<void> {
    await this.ctx.retry.run(`delete blocklist of ${owner}`, () => this.col.deleteMany({ owner }));
  }
}

function key(owner: string, jid: string): string {
  return `${owner} ${jid}`;
}
