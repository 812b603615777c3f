import { pino, type Logger } from 'pino';
import { configSchema } from '#libs/config';
import { MongoStorage } from '../mongo-storage.js';
import { mongoSettings, type MongoConfig } from '../mongo-settings.js';
import type { MongoTestServer } from './mongo-test-server.js';

export const silentLogger = pino({ level: 'silent' });

/** A MongoStorage on the test server with short timeouts; not opened. */
export function testStorage(server: MongoTestServer, database: string, overrides: Partial<MongoConfig> = {}, logger: Logger = silentLogger): MongoStorage {
  const config = testConfig({ url: server.url, database, ...overrides });
  return new MongoStorage(mongoSettings(config), logger);
}

/** `storage.mongodb` with test defaults (short timeouts), validated by the real schema. */
export function testConfig(values: Partial<MongoConfig>): MongoConfig {
  return configSchema.parse({
    storage: { kind: 'mongodb', mongodb: { connectTimeoutMs: 2_000, operationTimeoutMs: 10_000, ...values } },
  }).storage.mongodb;
}
