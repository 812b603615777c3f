import type { DirectoryUsers } from '#libs/directory';
import type { Storage } from '#libs/storage';
import type { SearchHit } from './search-form.js';

/** Where one domain's people are searched: its directory, or its local accounts. */
export interface SearchBackend {
  /** The form fields this backend searches (in form order). */
  readonly fields: string[];
  /** At most `max` hits sorted by JID, and whether there were more. */
  search(fields: Record<string, string>, max: number): Promise<{ hits: SearchHit[]; truncated: boolean }>;
}

/** The domain's directory (libs/directory DirectoryUsers): substring matches on the mapped attributes. */
export function directoryBackend(users: DirectoryUsers, domain: string, fields: Record<string, string>): SearchBackend {
  return {
    fields: Object.keys(fields),
    async search(query, max) {
      const { users: found, truncated } = await users.search(domain, query, max);
      return { hits: found.map((u) => ({ jid: `${u.username}@${domain}`, fields: u.fields })), truncated };
    },
  };
}

/**
 * The local accounts of a domain without a directory: a substring of the username (`user`, the
 * only thing every account has), case-insensitive, disabled accounts left out. Accounts are read
 * in username order, `pageSize` at a time, at most `scanLimit` of them per search.
 */
export function localBackend(storage: Storage, domain: string, opts: { pageSize: number; scanLimit: number }): SearchBackend {
  return {
    fields: ['user'],
    async search(query, max) {
      const needle = (query.user ?? '').toLowerCase();
      const hits: SearchHit[] = [];
      let after: string | undefined;
      let scanned = 0;
      while (scanned < opts.scanLimit) {
        const page = await storage.accounts.list(domain, { ...(after ? { after } : {}), limit: Math.min(opts.pageSize, opts.scanLimit - scanned) });
        for (const a of page) {
          if (!a.disabled && a.username.toLowerCase().includes(needle)) hits.push({ jid: `${a.username}@${domain}`, fields: { user: a.username } });
          if (hits.length > max) return { hits: hits.slice(0, max), truncated: true };
        }
        if (page.length === 0) return { hits, truncated: false };
        scanned += page.length;
        after = page[page.length - 1]!.username;
      }
      // Stopped at the scan limit: accounts after it were not looked at.
      return { hits, truncated: true };
    },
  };
}
