import type { GliderConfig } from '#libs/config';
import type { Logger } from '#libs/telemetry';
import { EmbeddedStorage } from './embedded/embedded-storage.js';
import { instrumentStorage } from './instrumented-storage.js';
import type { Storage } from './ports/storage.js';

type MongoModule = { createMongoStorage(config: GliderConfig['storage']['mongodb'], logger: Logger): Storage };

/**
 * The backend `storage.kind` names, not yet opened (the runtime opens it and retries), its calls
 * timed as glider_storage_operation_duration_seconds{operation, backend} (instrumented-storage.ts).
 */
export async function createStorage(config: GliderConfig, logger: Logger): Promise<Storage> {
  if (config.storage.kind === 'embedded') return instrumentStorage(new EmbeddedStorage({ dataDir: config.dataDir, logger }), 'embedded');
  // a variable path: the build does not depend on the MongoDB backend being present
  const path = './mongodb/index.js';
  let mod: MongoModule;
  try {
    mod = (await import(path)) as MongoModule;
  } catch (err) {
    throw new Error(`storage.kind=mongodb: the MongoDB backend is not built (${(err as Error).message})`, { cause: err });
  }
  return instrumentStorage(mod.createMongoStorage(config.storage.mongodb, logger), 'mongodb');
}
