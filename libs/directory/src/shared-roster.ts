import type { DirectoryGroup } from './directory-groups.js';

/** A contact a member sees through shared groups: subscription `both` implied (RFC 6121 §2.1.2.5). */
export interface SharedContact {
  username: string;
  groups: string[];
}

/** A change to one member's shared contacts between two reads: pushed as RFC 6121 §2.1.6 roster pushes. */
export interface SharedRosterChange {
  /** Whose roster changes. */
  owner: string;
  contact: string;
  /** The contact's groups now; empty = the contact is gone (a push with subscription='remove'). */
  groups: string[];
}

/**
 * One domain's shared roster as read from its directory: for each member, the other members of
 * their groups with the group names. Immutable; a refresh builds a new one and `diff` tells who
 * gained or lost whom.
 */
export class SharedRoster {
  private readonly byMember = new Map<string, Map<string, Set<string>>>();

  constructor(readonly groups: readonly DirectoryGroup[]) {
    for (const g of groups)
      for (const m of g.members) {
        let contacts = this.byMember.get(m);
        if (!contacts) this.byMember.set(m, (contacts = new Map<string, Set<string>>()));
        for (const other of g.members) {
          if (other === m) continue;
          let names = contacts.get(other);
          if (!names) contacts.set(other, (names = new Set()));
          names.add(g.name);
        }
      }
  }

  static empty(): SharedRoster {
    return new SharedRoster([]);
  }

  /** The shared contacts of `username` (local part), sorted. */
  contactsOf(username: string): SharedContact[] {
    const contacts = this.byMember.get(username.toLowerCase());
    if (!contacts) return [];
    return [...contacts].map(([u, names]) => ({ username: u, groups: [...names].sort() })).sort((a, b) => a.username.localeCompare(b.username));
  }

  /** Whether `a` and `b` share a group (presence flows between them without a subscription). */
  shares(a: string, b: string): boolean {
    return this.byMember.get(a.toLowerCase())?.has(b.toLowerCase()) ?? false;
  }

  get memberCount(): number {
    return this.byMember.size;
  }

  /** Per owner, contacts that appeared, went, or changed groups from `before` to this. */
  diff(before: SharedRoster): SharedRosterChange[] {
    const out: SharedRosterChange[] = [];
    const owners = new Set([...before.byMember.keys(), ...this.byMember.keys()]);
    for (const owner of owners) {
      const was = before.byMember.get(owner) ?? new Map<string, Set<string>>();
      const now = this.byMember.get(owner) ?? new Map<string, Set<string>>();
      for (const [contact, names] of now) {
        const old = was.get(contact);
        if (!old || !sameSet(old, names)) out.push({ owner, contact, groups: [...names].sort() });
      }
      for (const contact of was.keys()) if (!now.has(contact)) out.push({ owner, contact, groups: [] });
    }
    return out;
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
