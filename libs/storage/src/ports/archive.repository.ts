/**
 * Message archive (XEP-0313 v1.1, `urn:xmpp:mam:2`): one archive per owner — a user's bare JID now,
 * a MUC room's JID later (issue 12 reuses this port unchanged). Every record's `id` is also the
 * XEP-0359 stanza-id the server stamped (`archive-id.ts`): sortable, so id order is archive order.
 */
export interface ArchivedMessage {
  /** Archive owner: bare JID (user or room). */
  owner: string;
  /** Sortable unique id (`newArchiveId()`), the XEP-0359 stanza-id of this copy. */
  id: string;
  /** The other party as the stanza named it (full or bare JID; XEP-0313 §4.1.1 matches on both). */
  with: string;
  timestamp: Date;
  /** 'out': the owner sent it; 'in': the owner received it. */
  direction: 'in' | 'out';
  /** The archived stanza, serialized, with the stamped stanza-id. */
  xml: string;
}

/** XEP-0313 §4.1 filters: they define the result set (RSM `count` counts it). */
export interface ArchiveFilter {
  /** §4.1.1: a bare JID matches every resource of it; a full JID only itself. */
  with?: string;
  /** §4.1.2, inclusive. */
  start?: Date;
  end?: Date;
  /** §4.1.3 `after-id`/`before-id` (exclusive); an id not in the archive → ArchiveItemNotFoundError. */
  afterId?: string;
  beforeId?: string;
  /** §4.1.3 `ids`: only these (unknown ones are simply absent). */
  ids?: string[];
}

/** XEP-0059 paging over the filtered set. */
export interface ArchivePaging {
  /** Page size; 0 returns only `count` (XEP-0059 §2.7). The caller applies the server cap. */
  max: number;
  /** Items after this id (RSM `<after/>`). */
  after?: string;
  /** Items before this id; `true` = the last page (RSM empty `<before/>`, newest first). */
  before?: string | true;
}

export interface ArchivePage {
  /** The page in archive (chronological) order; `flip-page` is the caller's to apply. */
  messages: ArchivedMessage[];
  /** Size of the filtered set (RSM `<count/>`). */
  count: number;
  /**
   * XEP-0313 §4.3 `complete`: the page holds the last item of the set in the direction paged
   * (the first item when paging backwards with `before`).
   */
  complete: boolean;
}

/** XEP-0313 §6 preferences. */
export type ArchiveDefault = 'always' | 'roster' | 'never';
export interface ArchivePrefs {
  default: ArchiveDefault;
  /** Bare JIDs always archived (wins over `default`). */
  always: string[];
  /** Bare JIDs never archived (wins over both). */
  never: string[];
}

/** XEP-0313 `#extended` metadata: the oldest and newest record. */
export interface ArchiveBounds {
  first?: { id: string; timestamp: Date };
  last?: { id: string; timestamp: Date };
}

/** An `after-id`/`before-id`/RSM id that is not in the owner's archive (→ `item-not-found`). */
export class ArchiveItemNotFoundError extends Error {
  override readonly name = 'ArchiveItemNotFoundError';
}

export interface ArchiveRepository {
  /** Idempotent per (owner, id): a retried append of the same record stores it once. */
  append(message: ArchivedMessage): Promise<void>;
  query(owner: string, filter: ArchiveFilter, paging: ArchivePaging): Promise<ArchivePage>;
  bounds(owner: string): Promise<ArchiveBounds>;
  /** Undefined when the owner never set any (the caller applies the configured default). */
  getPrefs(owner: string): Promise<ArchivePrefs | undefined>;
  setPrefs(owner: string, prefs: ArchivePrefs): Promise<void>;
  /** Removes the archive and the preferences (account deletion); returns messages removed. */
  deleteAll(owner: string): Promise<number>;
  /** Retention: removes the records of owners in `domain` older than `before`; returns how many. */
  deleteOlderThan(domain: string, before: Date): Promise<number>;
  /**
   * Replaces the stored stanza of one record (XEP-0424/0425 tombstones: id, time and `with` stay);
   * false when the owner has no record with that id.
   */
  replaceXml(owner: string, id: string, xml: string): Promise<boolean>;
}

/** The domain part of an owner's bare JID (`user@domain` or a room `room@conference.domain`). */
export function ownerDomain(owner: string): string {
  return owner.slice(owner.indexOf('@') + 1);
}

/** The bare part of a JID string (what §4.1.1's bare match compares). */
export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}
