import { randomBytes } from 'node:crypto';
import { makeScramCredentials, type PasswordBackend, type PasswordVerdict } from '#libs/auth';
import type { GliderConfig } from '#libs/config';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { LdapAuthenticator } from './ldap-authenticator.js';

/**
 * The directories of a process, one per domain that has `directory.domains.<domain>.ldap`.
 * `passwords(domain)` is what the edge's SASL hands to PLAIN; undefined = local accounts (SCRAM).
 */
export class Directories {
  private readonly byDomain = new Map<string, { ldap: LdapAuthenticator; backend: PasswordBackend }>();

  constructor(config: GliderConfig, storage: Storage, logger: Logger) {
    for (const [domain, entry] of Object.entries(config.directory.domains)) {
      if (!config.domains.includes(domain)) throw new Error(`directory.domains.${domain}: not one of the served domains (${config.domains.join(', ')})`);
      const ldap = new LdapAuthenticator(entry.ldap, logger.child({ component: 'directory', domain }));
      this.byDomain.set(domain, { ldap, backend: provisioning(ldap, storage, domain, logger) });
    }
  }

  passwords(domain: string): PasswordBackend | undefined {
    return this.byDomain.get(domain)?.backend;
  }

  /** Domains whose directory is unreachable, with why (readiness shows it). */
  problems(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [domain, { ldap }] of this.byDomain) if (ldap.health.problem) out[domain] = ldap.health.problem;
    return out;
  }

  get size(): number {
    return this.byDomain.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.byDomain.values()].map(({ ldap }) => ldap.close()));
  }
}

/**
 * A directory user signs in without an account having been made for them: the first successful
 * login makes the local account record that routing, rosters, offline storage and the archive key
 * on. Its SCRAM keys come from random bytes nobody knows, so the account can only ever be entered
 * through the directory (docs/directory.md says why SCRAM keys are not derived from the password).
 */
function provisioning(ldap: LdapAuthenticator, storage: Storage, domain: string, logger: Logger): PasswordBackend {
  return {
    mechanisms: ldap.mechanisms,
    async verify(username: string, password: string): Promise<PasswordVerdict> {
      const verdict = await ldap.verify(username, password);
      if (verdict.kind !== 'valid') return verdict;
      if (await storage.accounts.get(username, domain)) return verdict;
      const scram = await makeScramCredentials(randomBytes(32).toString('base64'));
      try {
        await storage.accounts.create({ username, domain, scram, createdAt: new Date(), disabled: false });
        logger.info({ jid: `${username}@${domain}` }, 'directory user signed in for the first time: account record made');
      } catch (err) {
        // Two first logins at once: the other one made it.
        if ((err as Error).name !== 'StorageConflictError') throw err;
      }
      return verdict;
    },
  };
}
