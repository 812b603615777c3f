import type { Logger } from '#libs/telemetry';
import type { Storage } from '../ports/storage.js';
import { MongoStorage } from './mongo-storage.js';
import { mongoSettings, type MongoConfig } from './mongo-settings.js';

export { MongoStorage } from './mongo-storage.js';
export { mongoSettings, type MongoConfig } from './mongo-settings.js';

/**
 * The cluster backend: every repository on MongoDB (or a MongoDB-wire server such as FerretDB).
 * Throws ConfigError naming the key on a bad setting; connects only in `open()`.
 */
export function createMongoStorage(config: MongoConfig, logger: Logger): Storage {
  return new MongoStorage(mongoSettings(config), logger);
}
