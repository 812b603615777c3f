import { ResultCodeError } from 'ldapts';
import type { DirectoryConfig, DirectoryVcardConfig, LdapConfig } from '#libs/config';
import { readDirectoryProfile, type DirectoryProfile } from './directory-profile.js';
import { DirectoryRefusedError, DirectoryUnavailableError, LdapPool } from './ldap-pool.js';
import { maySignOn } from './sign-on-user.js';
import { searchDirectoryUsers, type FoundUser } from './user-search.js';

interface Domain {
  ldap: LdapConfig;
  pool: LdapPool;
  fields: Record<string, string>;
  usernameAttribute: string;
  vcard: DirectoryVcardConfig | undefined;
  cache: Map<string, { profile: DirectoryProfile | undefined; until: number }>;
  /** After the directory could not be reached: not asked again before this (ms epoch), and why. */
  downUntil: number;
  downReason: string;
}

/**
 * What the XMPP services ask a domain's directory about its people, beside sign-on: XEP-0055
 * searches and the vCard fields of one user (cached `vcard.cacheTtlMs`; while the directory is
 * down a stale copy answers, else DirectoryUnavailableError). One connection pool per domain and
 * process, apart from the login pool, so searches never hold up sign-ons.
 *
 * Once the directory could not be reached, it is not asked again for `ldap.probeIntervalMs`: a
 * silent directory costs one timeout per interval, not one per vCard read (the router reads vCards
 * inside a partition; a client fetching every contact's at login would stall it).
 */
export class DirectoryUsers {
  private readonly domains = new Map<string, Domain>();

  constructor(config: DirectoryConfig) {
    for (const [domain, entry] of Object.entries(config.domains)) {
      this.domains.set(domain, {
        ldap: entry.ldap,
        pool: new LdapPool(entry.ldap),
        fields: entry.search.fields,
        usernameAttribute: entry.search.usernameAttribute,
        vcard: entry.vcard,
        cache: new Map(),
        downUntil: 0,
        downReason: '',
      });
    }
  }

  /** Whether `domain` has a directory at all (its users are the directory's). */
  has(domain: string): boolean {
    return this.domains.has(domain);
  }

  /** The search form fields of a directory domain (field var → attribute); undefined when it cannot be searched (direct bind: no userBase). */
  searchFields(domain: string): Record<string, string> | undefined {
    const d = this.domains.get(domain);
    return d?.ldap.userBase ? d.fields : undefined;
  }

  /** XEP-0055 over the directory: people who may sign on (login filter, not disabled) whose fields contain the typed text. */
  async search(domain: string, fields: Record<string, string>, maxResults: number): Promise<{ users: FoundUser[]; truncated: boolean }> {
    const d = this.need(domain);
    return guarded(d, () =>
      searchDirectoryUsers(d.pool, d.ldap, { fields }, { fields: d.fields, maxResults, usernameAttribute: d.usernameAttribute, onlySignOn: true }),
    );
  }

  /**
   * Whether `username` is in the directory and may sign on (login filter, not disabled): the lookup
   * that provisions a user who never signed in (DirectoryProvisioning). Throws
   * DirectoryUnavailableError while the directory cannot be reached (not asked again for
   * `probeIntervalMs`), DirectoryRefusedError on an LDAP error result.
   */
  async maySignOn(username: string, domain: string): Promise<boolean> {
    const d = this.need(domain);
    return guarded(d, () => maySignOn(d.pool, d.ldap, username));
  }

  /** Whether vCards of this domain come from the directory. */
  fillsVcards(domain: string): boolean {
    return this.domains.get(domain)?.vcard !== undefined;
  }

  /** The directory's vCard fields of `username` (undefined: not in the directory). */
  async profile(username: string, domain: string, now = Date.now()): Promise<DirectoryProfile | undefined> {
    const d = this.need(domain);
    if (!d.vcard) return undefined;
    const cached = d.cache.get(username);
    if (cached && cached.until > now) {
      // Map order is recency: a hit moves to the end, the oldest is dropped first.
      d.cache.delete(username);
      d.cache.set(username, cached);
      return cached.profile;
    }
    let profile: DirectoryProfile | undefined;
    try {
      profile = await guarded(d, () => readDirectoryProfile(d.pool, d.ldap, d.vcard!, username));
    } catch (err) {
      // The directory is down: what we read before still says who the user is.
      if (cached && err instanceof DirectoryUnavailableError) return cached.profile;
      throw err;
    }
    d.cache.delete(username);
    d.cache.set(username, { profile, until: now + d.vcard.cacheTtlMs });
    while (d.cache.size > d.vcard.cacheMaxEntries) d.cache.delete(d.cache.keys().next().value!);
    return profile;
  }

  async close(): Promise<void> {
    await Promise.all([...this.domains.values()].map((d) => d.pool.close()));
  }

  private need(domain: string): Domain {
    const d = this.domains.get(domain);
    if (!d) throw new Error(`${domain} has no directory`);
    return d;
  }
}

/**
 * Asks the directory unless it was found unreachable less than `probeIntervalMs` ago. LDAP result
 * codes leave this library as DirectoryRefusedError (callers never import the driver).
 */
async function guarded<T>(d: Domain, fn: () => Promise<T>): Promise<T> {
  if (Date.now() < d.downUntil) throw new DirectoryUnavailableError(d.downReason);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ResultCodeError) throw new DirectoryRefusedError(`LDAP result ${err.code}: ${err.message}`);
    if (err instanceof DirectoryUnavailableError) {
      d.downUntil = Date.now() + d.ldap.probeIntervalMs;
      d.downReason = `${err.message} (not asked again for ${d.ldap.probeIntervalMs} ms)`;
    }
    throw err;
  }
}
