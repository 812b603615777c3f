import type { Db, IndexDescription } from 'mongodb';
import type { Logger } from '#libs/telemetry';
import type { MongoRetry } from './mongo-retry.js';

/** What every MongoDB repository is built from. */
export interface MongoContext {
  db: Db;
  retry: MongoRetry;
  logger: Logger;
}

/** Indexes one collection needs; declared beside its repository and ensured by `open()`. */
export interface CollectionIndexes {
  collection: string;
  indexes: IndexDescription[];
}
