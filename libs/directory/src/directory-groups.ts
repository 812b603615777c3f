import type { SharedRosterConfig } from '#libs/config';
import type { Logger } from '#libs/telemetry';
import type { LdapPool } from './ldap-pool.js';

/** One directory group as a shared roster group: its roster name and its members' usernames. */
export interface DirectoryGroup {
  dn: string;
  name: string;
  members: string[];
}

export interface GroupsRead {
  groups: DirectoryGroup[];
  /** The directory had more than `maxGroups` groups; only the first `maxGroups` were read. */
  truncated: boolean;
  /** Groups left out for having more than `maxMembersPerGroup` members. */
  skipped: string[];
}

/** Paged (RFC 2696) so a directory with thousands of groups is read page by page, never past `maxGroups`. */
const PAGE_SIZE = 500;

/**
 * Reads the configured groups (ejabberd's mod_shared_roster_ldap model): entries under `groupBase`
 * matching `groupFilter`, named by `groupNameAttribute`, members from `memberAttribute` (a DN whose
 * first RDN value is the username, or the username itself). Runs as the service account.
 */
export async function readDirectoryGroups(pool: LdapPool, cfg: SharedRosterConfig, logger: Logger): Promise<GroupsRead> {
  return pool.use(async (conn) => {
    await conn.asService();
    const groups: DirectoryGroup[] = [];
    const skipped: string[] = [];
    let truncated = false;
    const pages = conn.ldap.searchPaginated(cfg.groupBase, {
      scope: 'sub',
      filter: cfg.groupFilter,
      attributes: [cfg.groupNameAttribute, cfg.memberAttribute],
      paged: { pageSize: Math.min(PAGE_SIZE, cfg.maxGroups + 1) },
    });
    outer: for await (const page of pages) {
      for (const entry of page.searchEntries) {
        if (groups.length + skipped.length >= cfg.maxGroups) {
          truncated = true;
          break outer;
        }
        const name = first(entry[cfg.groupNameAttribute]);
        if (name === undefined) continue;
        const raw = values(entry[cfg.memberAttribute]);
        if (raw.length > cfg.maxMembersPerGroup) {
          skipped.push(entry.dn);
          continue;
        }
        const members = [...new Set(raw.map((v) => (cfg.memberIsDn ? rdnValue(v) : v)).filter((u): u is string => !!u))].map((u) => u.toLowerCase());
        groups.push({ dn: entry.dn, name, members });
      }
    }
    if (truncated) logger.warn({ maxGroups: cfg.maxGroups }, 'directory: more groups than sharedRoster.maxGroups; the rest are left out');
    if (skipped.length) logger.warn({ skipped, maxMembersPerGroup: cfg.maxMembersPerGroup }, 'directory: groups over sharedRoster.maxMembersPerGroup left out');
    return { groups, truncated, skipped };
  });
}

type AttrValue = string | string[] | Buffer | Buffer[] | undefined;

function values(v: AttrValue): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => x.toString());
}

function first(v: AttrValue): string | undefined {
  return values(v)[0];
}

/** `uid=alice,ou=people,...` → `alice` (RFC 4514 escapes in the value undone). */
export function rdnValue(dn: string): string | undefined {
  const m = /^[^=,]+=((?:\\.|[^,+\\])*)/.exec(dn.trim());
  if (!m) return undefined;
  return m[1]!.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, c: string) => (c.length === 2 ? String.fromCharCode(parseInt(c, 16)) : c));
}
