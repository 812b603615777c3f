import { StorageLimitError } from '../ports/errors.js';
import type { PushRegistration, PushRepository } from '../ports/push.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';

const COLLECTION = 'push_registrations';

export const PUSH_INDEXES: CollectionIndexes = {
  collection: COLLECTION,
  indexes: [{ key: { owner: 1, seq: 1 }, name: 'owner_seq' }],
};

interface PushDoc {
  /** JSON of [owner, service, node]: a node is any string, so no separator could be trusted. */
  _id: string;
  schema: number;
  owner: string;
  service: string;
  node: string;
  publishOptions?: string;
  enabledAt: Date;
  /** Order of enabling (ms since epoch of the first enable). */
  seq: number;
}

/**
 * XEP-0357: one document per (owner, service, node). The `maxPerAccount` check counts before
 * inserting, so two enables racing on one account may pass it together by one: the limit is a
 * guard against abuse, not an exact quota (the embedded store is exact).
 */
export class MongoPushRepository implements PushRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<PushDoc>(COLLECTION);
  }

  async list(owner: string): Promise<PushRegistration[]> {
    const docs = await this.ctx.retry.run(`list push registrations of ${owner}`, () => this.col.find({ owner }).sort({ seq: 1, _id: 1 }).toArray());
    return docs.map((d) => ({
      service: d.service,
      node: d.node,
      ...(d.publishOptions === undefined ? {} : { publishOptions: d.publishOptions }),
      enabledAt: d.enabledAt,
    }));
  }

  async enable(owner: string, reg: PushRegistration, maxPerAccount: number): Promise<void> {
    const _id = key(owner, reg.service, reg.node);
    const set = { publishOptions: reg.publishOptions, enabledAt: reg.enabledAt };
    const unset = reg.publishOptions === undefined ? { publishOptions: '' as const } : undefined;
    const update = { $set: reg.publishOptions === undefined ? { enabledAt: reg.enabledAt } : set, ...(unset ? { $unset: unset } : {}) };
    // §5: re-enabling the same service and node replaces its publish options; it is no new registration
    const replaced = await this.ctx.retry.run(`re-enable push for ${owner}`, () => this.col.updateOne({ _id }, update));
    if (replaced.matchedCount > 0) return;
    const have = await this.ctx.retry.run(`count push registrations of ${owner}`, () => this.col.countDocuments({ owner }));
    if (have + 1 > maxPerAccount) throw new StorageLimitError(`push registrations of ${owner} would exceed ${maxPerAccount}`);
    const doc: PushDoc = { _id, schema: 1, owner, service: reg.service, node: reg.node, enabledAt: reg.enabledAt, seq: Date.now() };
    if (reg.publishOptions !== undefined) doc.publishOptions = reg.publishOptions;
    // an upsert: a retried call (or a racing enable of the same pair) settles on one document
    await this.ctx.retry.run(`enable push for ${owner}`, () => this.col.updateOne({ _id }, { $setOnInsert: doc }, { upsert: true }));
  }

  async disable(owner: string, service: string, node?: string): Promise<number> {
    const filter = node === undefined ? { owner, service } : { _id: key(owner, service, node) };
    const r = await this.ctx.retry.run(`disable push for ${owner}`, () => this.col.deleteMany(filter));
    return r.deletedCount;
  }

  async deleteAll(owner: string): Promise<void> {
    await this.ctx.retry.run(`delete push registrations of ${owner}`, () => this.col.deleteMany({ owner }));
  }
}

function key(owner: string, service: string, node: string): string {
  return JSON.stringify([owner, service, node]);
}
