import type { Collection, Db, Filter, IndexDescription } from 'mongodb';
import type { Logger } from '#libs/telemetry';
import { isDuplicateKey, type MongoRetry } from './mongo-retry.js';

/** What every MongoDB repository is built from. */
export interface MongoContext {
  db: Db;
  retry: MongoRetry;
  logger: Logger;
  /** `storage.mongodb.operationTimeoutMs`: how long one call retries through an outage. */
  operationTimeoutMs: number;
}

/** Indexes one collection needs; declared beside its repository and ensured by `open()`. */
export interface CollectionIndexes {
  collection: string;
  indexes: IndexDescription[];
}

/**
 * Replaces or creates the document `_id`. Two racing upserts of a new id can make one fail with a
 * duplicate key; by then the document exists, so replacing it once more settles it.
 */
export async function replaceOrInsert<T extends { _id: string }>(col: Collection<T>, doc: T): Promise<void> {
  const filter = { _id: doc._id } as Filter<T>;
  try {
    await col.replaceOne(filter, doc, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await col.replaceOne(filter, doc, { upsert: true });
  }
}
