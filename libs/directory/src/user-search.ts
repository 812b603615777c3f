import type { LdapConfig } from '#libs/config';
import { escapeFilterValue } from './ldap-escape.js';
import type { LdapPool } from './ldap-pool.js';
import { rdnValue } from './directory-groups.js';

/**
 * What a XEP-0055 search form (jabber:iq:search with XEP-0004 data forms, §3) asks for, mapped to
 * directory attributes: each given field is a substring match; all given fields must match.
 */
export interface UserQuery {
  /** field var → text the user typed (empty fields are ignored). */
  fields: Record<string, string>;
}

export interface FoundUser {
  username: string;
  /** field var → the entry's first value of the mapped attribute. */
  fields: Record<string, string>;
}

/** Default XEP-0055 field → LDAP attribute mapping (the §2 legacy fields, plus the username). */
export const DEFAULT_SEARCH_FIELDS: Record<string, string> = {
  user: 'uid',
  first: 'givenName',
  last: 'sn',
  nick: 'displayName',
  email: 'mail',
  fn: 'cn',
};

/**
 * Searches the users of one directory (as the service account, under `userBase`, within
 * `userFilter` with `{username}` as `*`): substring filters built with RFC 4515 escaping, so the
 * text typed can never change the filter (nor get out of `onlySignOn`'s login and disabled
 * filters), and at most `maxResults` entries (`truncated` says there were more).
 */
export async function searchDirectoryUsers(
  pool: LdapPool,
  ldap: LdapConfig,
  query: UserQuery,
  opts: {
    fields?: Record<string, string>;
    maxResults: number;
    usernameAttribute?: string;
    /** Only entries that can sign on: `loginFilter` matches and `disabledFilter` does not. */
    onlySignOn?: boolean;
  },
): Promise<{ users: FoundUser[]; truncated: boolean }> {
  const mapping = opts.fields ?? DEFAULT_SEARCH_FIELDS;
  const terms = Object.entries(query.fields)
    .map(([field, text]) => [mapping[field], text.trim()] as const)
    .filter((t): t is readonly [string, string] => t[0] !== undefined && t[1] !== '');
  if (terms.length === 0) return { users: [], truncated: false };
  if (!ldap.userBase) throw new Error('searching the directory needs ldap.userBase (search-then-bind)');
  const base = ldap.userFilter.split('{username}').join('*');
  const signOn = opts.onlySignOn ? `${ldap.loginFilter ?? ''}${ldap.disabledFilter ? `(!${ldap.disabledFilter})` : ''}` : '';
  const filter = `(&${base}${signOn}${terms.map(([attr, text]) => `(${attr}=*${escapeFilterValue(text)}*)`).join('')})`;
  const userAttr = opts.usernameAttribute ?? 'uid';
  return pool.use(async (conn) => {
    await conn.asService();
    // One page of maxResults + 1 (RFC 2696): enough to know there are more, never the whole directory.
    const pages = conn.ldap.searchPaginated(ldap.userBase!, {
      scope: 'sub',
      filter,
      attributes: [...new Set([userAttr, ...Object.values(mapping)])],
      paged: { pageSize: opts.maxResults + 1 },
    });
    let entries: Record<string, unknown>[] = [];
    for await (const page of pages) {
      entries = page.searchEntries;
      break;
    }
    const truncated = entries.length > opts.maxResults;
    entries = entries.slice(0, opts.maxResults);
    const users = entries.flatMap((e) => {
      const username = first(e[userAttr]) ?? rdnValue(String(e.dn));
      if (!username) return [];
      const fields: Record<string, string> = {};
      for (const [field, attr] of Object.entries(mapping)) {
        const v = first(e[attr]);
        if (v !== undefined) fields[field] = v;
      }
      return [{ username: username.toLowerCase(), fields }];
    });
    return { users: users.sort((a, b) => a.username.localeCompare(b.username)), truncated };
  });
}

function first(v: unknown): string | undefined {
  const x: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
  if (x === undefined) return undefined;
  return Buffer.isBuffer(x) ? x.toString('utf8') : typeof x === 'string' ? x : JSON.stringify(x);
}
