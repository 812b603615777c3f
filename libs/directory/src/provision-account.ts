import { randomBytes } from 'node:crypto';
import { makeScramCredentials } from '#libs/auth';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';

/**
 * Makes the local account record of a directory or single sign-on user who has none yet: the
 * record routing, rosters, offline storage and the archive key on. Its SCRAM keys come from random
 * bytes nobody knows, so the account can only ever be entered through the directory / the provider
 * (docs/directory.md says why SCRAM keys are not derived from the password). Used at the first
 * login and when routing looks up a directory user who never signed in (DirectoryProvisioning).
 */
export async function provisionAccount(storage: Storage, username: string, domain: string, logger: Logger, why: string): Promise<void> {
  if (await storage.accounts.get(username, domain)) return;
  const scram = await makeScramCredentials(randomBytes(32).toString('base64'));
  try {
    await storage.accounts.create({ username, domain, scram, createdAt: new Date(), disabled: false });
    logger.info({ jid: `${username}@${domain}` }, `${why}: account record made`);
  } catch (err) {
    // Two first logins (or a login and a lookup) at once: the other one made it.
    if ((err as Error).name !== 'StorageConflictError') throw err;
  }
}
