import { existsSync, readFileSync } from 'node:fs';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { ConfigError, type GliderConfig } from '#libs/config';

export type MongoConfig = GliderConfig['storage']['mongodb'];

/** How often the driver checks an idle server; bounds how fast we notice it went or came back. */
const HEARTBEAT_MS = 2_000;

/** Everything the MongoDB backend needs, checked once at boot. */
export interface MongoSettings {
  url: string;
  /** host:port list for messages, never credentials. */
  hosts: string;
  database: string;
  clientOptions: MongoClientOptions;
  /** How long one storage call keeps retrying a write or read through an outage. */
  operationTimeoutMs: number;
}

/**
 * Turns `storage.mongodb.*` into driver options, failing fast with a ConfigError that names the key
 * (bad URL, unreadable credentials or CA file, credentials given twice).
 */
export function mongoSettings(config: MongoConfig): MongoSettings {
  const parts = /^mongodb(?:\+srv)?:\/\/(?:([^@/]*)@)?([^/?]+)/.exec(config.url);
  if (!parts) {
    throw new ConfigError('config: storage.mongodb.url: must look like mongodb://host:port or mongodb+srv://host');
  }
  const hosts = parts[2]!;
  const options: MongoClientOptions = {
    appName: 'glider',
    maxPoolSize: config.poolSize,
    connectTimeoutMS: config.connectTimeoutMs,
    serverSelectionTimeoutMS: Math.min(config.connectTimeoutMs, config.operationTimeoutMs) || 1,
    socketTimeoutMS: config.operationTimeoutMs,
    heartbeatFrequencyMS: HEARTBEAT_MS,
    ignoreUndefined: true,
  };
  if (config.tlsCaFile && !config.tls) {
    throw new ConfigError('config: storage.mongodb.tlsCaFile is set but storage.mongodb.tls is false; set tls: true');
  }
  if (config.tls) {
    options.tls = true;
    if (config.tlsCaFile) {
      if (!existsSync(config.tlsCaFile)) {
        throw new ConfigError(`config: storage.mongodb.tlsCaFile: ${config.tlsCaFile} does not exist`);
      }
      options.tlsCAFile = config.tlsCaFile;
    }
  }
  if (config.credentialsFile) {
    if (parts[1]) {
      throw new ConfigError('config: storage.mongodb.credentialsFile is set and storage.mongodb.url carries credentials too; keep one');
    }
    options.auth = readCredentials(config.credentialsFile);
  }
  try {
    // parses every URL option without connecting (alone first: explicit options mask URL ones)
    new MongoClient(config.url);
    new MongoClient(config.url, options);
  } catch (err) {
    throw new ConfigError(`config: storage.mongodb.url: ${(err as Error).message}`);
  }
  return {
    url: config.url,
    hosts,
    database: config.database,
    clientOptions: options,
    operationTimeoutMs: config.operationTimeoutMs,
  };
}

/** `username:password` on the first line (a Kubernetes Secret mounted as a file). */
function readCredentials(file: string): { username: string; password: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: storage.mongodb.credentialsFile: cannot read ${file}: ${(err as Error).message}`);
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  const colon = line.indexOf(':');
  if (colon <= 0 || colon === line.length - 1) {
    throw new ConfigError(`config: storage.mongodb.credentialsFile: ${file} must hold "username:password" on its first line`);
  }
  return { username: line.slice(0, colon), password: line.slice(colon + 1) };
}
