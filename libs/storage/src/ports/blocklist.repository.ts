/**
 * XEP-0191 blocking command: each account's blocked JIDs (as the client wrote them, normalized:
 * a domain, bare or full JID). The list is a set; order is the order of blocking.
 */
export interface BlocklistRepository {
  list(owner: string): Promise<string[]>;
  /**
   * Adds `jids` (those already there are no change). Throws StorageLimitError, adding none, when the
   * list would hold more than `maxItems`.
   */
  add(owner: string, jids: readonly string[], maxItems: number): Promise<void>;
  /** Removes `jids`; those not there are no error. */
  remove(owner: string, jids: readonly string[]): Promise<void>;
  /** Unblock all (XEP-0191 §3.5), and account removal. */
  deleteAll(owner: string): Promise<void>;
}
