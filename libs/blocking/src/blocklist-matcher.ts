import type { Jid } from '#libs/jid';

/**
 * An account's blocklist as a set, matched the way XEP-0191 §6 says: by XEP-0016 §2.1's rules. An
 * item `user@domain/resource` blocks only that full JID; `user@domain` that bare JID with any
 * resource; `domain/resource` only that JID; `domain` the domain itself and every JID at it.
 */
export class BlocklistMatcher {
  private readonly set: ReadonlySet<string>;

  constructor(readonly items: readonly string[]) {
    this.set = new Set(items);
  }

  get size(): number {
    return this.set.size;
  }

  blocks(peer: Jid): boolean {
    if (this.set.size === 0) return false;
    // full (or domain/resource), then bare (user@domain, or the domain for a domain JID), then domain
    return this.set.has(peer.toString()) || this.set.has(peer.bare().toString()) || this.set.has(peer.domain);
  }

  static readonly EMPTY = new BlocklistMatcher([]);
}
