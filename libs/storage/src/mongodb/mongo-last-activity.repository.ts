import { z } from 'zod';
import type { LastActivity, LastActivityRepository } from '../ports/last-activity.repository.js';
import { replaceOrInsert, type CollectionIndexes, type MongoContext } from './mongo-context.js';
import { decodeRecord, type RecordCodec } from './mongo-record.js';

const COLLECTION = 'last_activity';

/** One document per owner (`_id`): no extra index. */
export const LAST_ACTIVITY_INDEXES: CollectionIndexes = { collection: COLLECTION, indexes: [] };

const codec: RecordCodec<LastActivity> = {
  kind: 'last activity',
  version: 1,
  shape: z.object({ at: z.date(), status: z.string() }),
};

interface LastActivityDoc extends LastActivity {
  _id: string;
  schema: number;
}

/** XEP-0012: when each account last went offline; a set replaces the record (idempotent). */
export class MongoLastActivityRepository implements LastActivityRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<LastActivityDoc>(COLLECTION);
  }

  async get(owner: string): Promise<LastActivity | undefined> {
    const doc = await this.ctx.retry.run(`get last activity of ${owner}`, () => this.col.findOne({ _id: owner }));
    return doc ? decodeRecord(codec, owner, doc as unknown as Record<string, unknown>) : undefined;
  }

  async set(owner: string, activity: LastActivity): Promise<void> {
    const doc: LastActivityDoc = { _id: owner, schema: codec.version, at: activity.at, status: activity.status };
    await this.ctx.retry.run(`set last activity of ${owner}`, () => replaceOrInsert(this.col, doc));
  }

  async delete(owner: string): Promise<void> {
    await this.ctx.retry.run(`delete last activity of ${owner}`, () => this.col.deleteOne({ _id: owner }));
  }
}
