import type { PasswordBackend, PasswordVerdict, TokenBackend, TokenVerdict } from '#libs/auth';
import type { GliderConfig } from '#libs/config';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { LdapAuthenticator } from './ldap-authenticator.js';
import { OidcVerifier } from './oidc-verifier.js';
import { provisionAccount } from './provision-account.js';

/**
 * The directories of a process, one per domain that has `directory.domains.<domain>.ldap`.
 * `passwords(domain)` is what the edge's SASL hands to PLAIN; undefined = local accounts (SCRAM).
 */
export class Directories {
  private readonly byDomain = new Map<string, { ldap: LdapAuthenticator; backend: PasswordBackend }>();
  private readonly tokensByDomain = new Map<string, TokenBackend>();

  constructor(config: GliderConfig, storage: Storage, logger: Logger) {
    for (const [domain, entry] of Object.entries(config.directory.domains)) {
      if (!config.domains.includes(domain)) throw new Error(`directory.domains.${domain}: not one of the served domains (${config.domains.join(', ')})`);
      const ldap = new LdapAuthenticator(entry.ldap, logger.child({ component: 'directory', domain }));
      this.byDomain.set(domain, { ldap, backend: provisioning(ldap, storage, domain, logger) });
    }
    for (const [domain, entry] of Object.entries(config.sso.domains)) {
      if (!config.domains.includes(domain)) throw new Error(`sso.domains.${domain}: not one of the served domains (${config.domains.join(', ')})`);
      const oidc = new OidcVerifier(entry.oidc, domain, logger.child({ component: 'sso', domain }));
      this.tokensByDomain.set(domain, entry.oidc.createAccounts ? tokenProvisioning(oidc, storage, domain, logger) : oidc);
    }
  }

  /** The domain's OAUTHBEARER token checker (sso.domains.<domain>.oidc); undefined = no single sign-on. */
  tokens(domain: string): TokenBackend | undefined {
    return this.tokensByDomain.get(domain);
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
 * login makes the local account record (provisionAccount) that routing, rosters, offline storage
 * and the archive key on.
 */
function provisioning(ldap: LdapAuthenticator, storage: Storage, domain: string, logger: Logger): PasswordBackend {
  return {
    mechanisms: ldap.mechanisms,
    async verify(username: string, password: string): Promise<PasswordVerdict> {
      const verdict = await ldap.verify(username, password);
      if (verdict.kind === 'valid') await provisionAccount(storage, username, domain, logger, 'directory user signed in for the first time');
      return verdict;
    },
  };
}

/** The same for a single sign-on user (sso.domains.<domain>.oidc.createAccounts): a valid token's user gets a record. */
function tokenProvisioning(oidc: OidcVerifier, storage: Storage, domain: string, logger: Logger): TokenBackend {
  return {
    openidConfiguration: oidc.openidConfiguration,
    ...(oidc.scope ? { scope: oidc.scope } : {}),
    async verify(token: string): Promise<TokenVerdict> {
      const verdict = await oidc.verify(token);
      if (verdict.kind === 'valid') await provisionAccount(storage, verdict.username, domain, logger, 'single sign-on user signed in for the first time');
      return verdict;
    },
  };
}
