import { randomBytes } from 'node:crypto';
import type { ScramCredential } from '../ports/accounts.repository.js';
import type { Storage } from '../ports/storage.js';

/** What a test hook can damage, and how each record is named. */
export interface CorruptKeys {
  account: { username: string; domain: string };
  'roster-item': { owner: string; contact: string };
}

/**
 * A backend under contract test. `corrupt` is an optional test hook: it overwrites one stored record
 * with something no schema accepts (bad JSON, a field of the wrong type), so the suite can check that
 * only that record fails. Backends without it skip those cases.
 */
export interface TestStorage extends Storage {
  corrupt?<K extends keyof CorruptKeys>(kind: K, key: CorruptKeys[K]): Promise<void>;
}

/**
 * Returns a new, opened Storage over the SAME store on every call (the suites open several at once to
 * act as several replicas, and reopen to check durability). The suite closes what it opens.
 */
export type MakeStorage = () => Promise<TestStorage>;

/** Unique names per test, so suites can share one database and run in any order. */
export function unique(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export function fakeScram(): ScramCredential {
  return {
    salt: randomBytes(16).toString('base64'),
    iterations: 4096,
    storedKey: randomBytes(32).toString('base64'),
    serverKey: randomBytes(32).toString('base64'),
  };
}
