import { createHmac, randomBytes } from 'node:crypto';
import type { ScramCredential } from '#libs/storage';
import { DEFAULT_SCRAM_ITERATIONS, HASHES, type ScramHash } from './scram-credentials.js';

/** Per-process secret: fake salts are stable for one name, so probing twice shows no difference. */
const secret = randomBytes(32);

/**
 * What an unknown user gets instead of a real credential, so that the exchange runs the same steps
 * and answers with a plausible, stable salt: timing and replies do not reveal whether an account
 * exists. The keys are random and can never match a proof.
 */
export function fakeCredential(hash: ScramHash, username: string): ScramCredential {
  const salt = createHmac('sha256', secret).update(`salt\0${hash}\0${username}`).digest().subarray(0, 16);
  return {
    salt: salt.toString('base64'),
    iterations: DEFAULT_SCRAM_ITERATIONS,
    storedKey: randomBytes(HASHES[hash].bytes).toString('base64'),
    serverKey: randomBytes(HASHES[hash].bytes).toString('base64'),
  };
}
