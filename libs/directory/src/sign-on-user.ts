import { ResultCodeError } from 'ldapts';
import type { LdapConfig } from '#libs/config';
import { fillDn, fillFilter } from './ldap-escape.js';
import type { LdapPool } from './ldap-pool.js';

/**
 * Whether `username` is someone who may sign on: one entry found as at login (`userFilter` under
 * `userBase` as the service account, or the `userDnPattern` DN) that matches `loginFilter` and not
 * `disabledFilter`. One search, no bind as the user. The username is escaped (RFC 4515 / 4514).
 */
export async function maySignOn(pool: LdapPool, ldap: LdapConfig, username: string): Promise<boolean> {
  const signOn = `${ldap.loginFilter ?? ''}${ldap.disabledFilter ? `(!${ldap.disabledFilter})` : ''}`;
  return pool.use(async (conn) => {
    await conn.asService();
    const options = { attributes: ['1.1'] };
    let entries;
    try {
      ({ searchEntries: entries } = ldap.userDnPattern
        ? await conn.ldap.search(fillDn(ldap.userDnPattern, username), { ...options, scope: 'base', filter: `(&(objectClass=*)${signOn})` })
        : await conn.ldap.search(ldap.userBase!, { ...options, scope: 'sub', filter: `(&${fillFilter(ldap.userFilter, username)}${signOn})`, sizeLimit: 2 }));
    } catch (err) {
      // noSuchObject (32) for a DN pattern; sizeLimitExceeded (4): ambiguous, refused at login too.
      if (err instanceof ResultCodeError && (err.code === 32 || err.code === 4)) return false;
      throw err;
    }
    return entries.length === 1;
  });
}
