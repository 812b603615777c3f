import { createHash, createHmac, createSecretKey, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Account, ScramCredential } from '#libs/storage';
import { saslPrep } from './username.js';

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = 'SHA-1' | 'SHA-256';

/** Node's digest name and output length for each SCRAM hash. */
export const HASHES: Record<ScramHash, { node: 'sha1' | 'sha256'; bytes: number }> = {
  'SHA-1': { node: 'sha1', bytes: 20 },
  'SHA-256': { node: 'sha256', bytes: 32 },
};

/** RFC 7677 §4 asks for at least 4096 iterations. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

/**
 * The key goes in as a KeyObject: handed a Buffer, Node 24's createHmac first probes whether it is a
 * KeyObject the slow way, which made each call ~3 × dearer (a login runs two).
 */
export function hmac(hash: ScramHash, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(HASHES[hash].node, createSecretKey(key)).update(data).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(HASHES[hash].node).update(data).digest();
}

/** Hi() of RFC 5802 §2.2 is PBKDF2 with HMAC; async so a login never blocks the event loop. */
export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, HASHES[hash].bytes, HASHES[hash].node);
}

/** StoredKey and ServerKey (RFC 5802 §3) from a salted password. */
export function keysFromSalted(hash: ScramHash, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmac(hash, salted, 'Client Key');
  return { storedKey: digest(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') };
}

export async function deriveScramCredential(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<ScramCredential> {
  const { storedKey, serverKey } = keysFromSalted(hash, await saltedPassword(hash, password, salt, iterations));
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: storedKey.toString('base64'),
    serverKey: serverKey.toString('base64'),
  };
}

/** Both SCRAM credentials for a new password, each with its own random salt; the password is not kept. */
export async function makeScramCredentials(password: string, iterations = DEFAULT_SCRAM_ITERATIONS): Promise<Account['scram']> {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  const [sha1, sha256] = await Promise.all([
    deriveScramCredential('SHA-1', password, randomBytes(SALT_BYTES), iterations),
    deriveScramCredential('SHA-256', password, randomBytes(SALT_BYTES), iterations),
  ]);
  return { 'SHA-1': sha1, 'SHA-256': sha256 };
}
