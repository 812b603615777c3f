/** RFC 6121 §2.1.2 subscription states, plus the pending flags of Appendix A. */
export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  jid: string; // bare contact JID
  name?: string;
  subscription: Subscription;
  /** We asked the contact for a subscription and wait (RFC 6121 §3.1.2: ask="subscribe"). */
  askOut: boolean;
  /** The contact asked us and waits for our answer ("Pending In" in Appendix A). */
  askIn: boolean;
  /** We approved a subscription before it was asked (§3.4 pre-approval). */
  approved: boolean;
  groups: string[];
  /** The contact's stored subscribe request stanza, re-delivered at login while pending in. */
  pendingInStanza?: string;
}

export interface Roster {
  owner: string; // bare JID
  version: number; // increases with every change (RFC 6121 §2.6)
  items: RosterItem[];
}

export interface RosterChange {
  version: number;
  item: RosterItem;
  removed: boolean;
}

export interface RostersRepository {
  get(owner: string): Promise<Roster>;
  getItem(owner: string, contact: string): Promise<RosterItem | undefined>;
  /**
   * Atomically reads the item, lets `mutate` compute the new one (undefined = remove it, same object
   * = no change) and stores it with a new roster version. Safe against concurrent writers (optimistic
   * concurrency, retried). Returns the change, or undefined when nothing changed.
   */
  modify(owner: string, contact: string, mutate: (current: RosterItem | undefined) => RosterItem | undefined): Promise<RosterChange | undefined>;
  /**
   * Items changed after `version`, for roster versioning (RFC 6121 §2.6): the latest change of each
   * contact, ordered by version. undefined when the history no longer reaches back that far (backends
   * keep the last 500 changes) or the version was never given out: send the whole roster.
   */
  changesSince(owner: string, version: number): Promise<RosterChange[] | undefined>;
  /** Removes every item and the history; the version still moves on so old versions mean "resend all". */
  deleteAll(owner: string): Promise<void>;
}
