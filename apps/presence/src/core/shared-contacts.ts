import type { RefreshResult, SharedRoster } from '#libs/directory';
import type { RosterItem } from '#libs/storage';

/**
 * Contacts a local account has through its domain's directory groups (docs/directory.md, shared
 * rosters): never written into the stored roster, merged into what the roster get, the presence
 * broadcast and the probes see, with subscription `both` implied. A domain without a shared roster
 * has no source here and everything reads the stored roster only.
 */
export class SharedContacts {
  private readonly sources = new Map<string, Source>();

  set(domain: string, source: Source): () => void {
    this.sources.set(domain, source);
    return () => void this.sources.delete(domain);
  }

  get active(): boolean {
    return this.sources.size > 0;
  }

  /** Reads the directory groups now (on demand), for one domain or all; changes are pushed as usual. */
  async refresh(domain?: string): Promise<Record<string, RefreshResult>> {
    const out: Record<string, RefreshResult> = {};
    for (const [d, source] of this.sources) if (domain === undefined || d === domain) out[d] = await source.refresh();
    if (domain !== undefined && !this.sources.has(domain)) throw new Error(`no shared roster for ${domain}`);
    return out;
  }

  /** The shared contacts of a bare JID, as roster items (subscription both, the groups' names). */
  itemsOf(bare: string): RosterItem[] {
    const [local, domain] = split(bare);
    const source = domain !== undefined ? this.sources.get(domain) : undefined;
    if (!source || !local) return [];
    return source.current
      .contactsOf(local)
      .map((c) => ({ jid: `${c.username}@${domain}`, subscription: 'both', askOut: false, askIn: false, approved: false, groups: c.groups }));
  }

  /** Whether two bare JIDs of one domain share a directory group. */
  shares(a: string, b: string): boolean {
    const [la, da] = split(a);
    const [lb, db] = split(b);
    if (!la || !lb || da === undefined || da !== db) return false;
    return this.sources.get(da)?.current.shares(la, lb) ?? false;
  }

  /** The stored items with the shared ones merged in: a shared contact is `both` and gains its groups. */
  merge(bare: string, stored: readonly RosterItem[]): RosterItem[] {
    const shared = this.itemsOf(bare);
    if (shared.length === 0) return [...stored];
    const byJid = new Map(shared.map((i) => [i.jid, i]));
    const out = stored.map((i) => {
      const s = byJid.get(i.jid);
      if (!s) return i;
      byJid.delete(i.jid);
      return { ...i, subscription: 'both' as const, askOut: false, groups: [...new Set([...i.groups, ...s.groups])] };
    });
    return [...out, ...byJid.values()];
  }
}

interface Source {
  readonly current: SharedRoster;
  refresh(): Promise<RefreshResult>;
}

function split(bare: string): [string | undefined, string | undefined] {
  const at = bare.indexOf('@');
  if (at < 0) return [undefined, bare];
  return [bare.slice(0, at), bare.slice(at + 1)];
}
