import type { DirectoryUsers } from '#libs/directory';
import { tryParseJid } from '#libs/jid';
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
      // A directory name that is no XMPP local part (a space, an @) could never sign on: not listed.
      const hits = found.filter((u) => tryParseJid(`${u.username}@${domain}`)?.local === u.username);
      return { hits: hits.map((u) => ({ jid: `${u.username}@${domain}`, fields: u.fields })), truncated };
    },
  };
}
