/**
 * XEP-0045 rooms that outlive their occupants: configuration (§10.2), affiliations (§5.2) and the
 * subject (§8.1). One record per room JID (`room@conference.example.com`); the live state
 * (occupants, roles, recent history) is not here but in the bus KV (apps/muc, docs/storage.md).
 */
export type MucAffiliation = 'owner' | 'admin' | 'member' | 'outcast';

/** XEP-0045 §5.2: an affiliation is held by a bare JID (or a domain) and lasts across visits. */
export interface MucAffiliationEntry {
  jid: string;
  affiliation: MucAffiliation;
  /** A member's reserved nickname (§7.12), if any. */
  nick?: string;
  reason?: string;
}

/** XEP-0045 §10.2 muc#roomconfig, as the service keeps it. */
export interface MucRoomConfig {
  name: string;
  description: string;
  persistent: boolean;
  public: boolean;
  membersOnly: boolean;
  moderated: boolean;
  /** Empty: no password (muc#roomconfig_passwordprotectedroom false). */
  password: string;
  /** Most occupants; 0 = the service's limit only. */
  maxUsers: number;
  /** Who may see occupants' real JIDs (muc#roomconfig_whois). */
  whois: 'moderators' | 'anyone';
  /** Messages kept for history on join (muc#maxhistoryfetch). */
  historyLength: number;
  /** muc#roomconfig_allowpm. */
  allowPm: 'anyone' | 'participants' | 'moderators' | 'none';
  allowInvites: boolean;
  changeSubject: boolean;
  /** Room archive (XEP-0313 on the room), muc#roomconfig_enablelogging. */
  enableLogging: boolean;
  /** muc#roomconfig_allowvoicerequests (XEP-0045 §7.13); absent (rooms stored before it) = true. */
  allowVoiceRequests?: boolean;
}

export interface MucRoomRecord {
  /** The room's bare JID, lower case (RFC 7622 localpart). */
  jid: string;
  config: MucRoomConfig;
  affiliations: MucAffiliationEntry[];
  subject?: { text: string; nick: string; at: Date };
  /** Created and not yet configured: only its owner may enter (XEP-0045 §10.1.1). */
  locked: boolean;
  /** Per-room secret behind XEP-0421 occupant-ids (stable across replicas and restarts). */
  salt: string;
  createdAt: Date;
}

/** One page of a service's rooms in JID order (XEP-0059 over disco#items). */
export interface MucRoomPage {
  rooms: MucRoomRecord[];
  /** Rooms matching in all (RSM `<count/>`). */
  count: number;
}

export interface MucRoomsRepository {
  get(jid: string): Promise<MucRoomRecord | undefined>;
  /** Stores a new room; StorageConflictError when the JID is taken (two creators racing). */
  create(room: MucRoomRecord): Promise<void>;
  /** Replaces a room's whole record (idempotent). */
  put(room: MucRoomRecord): Promise<void>;
  /** True when there was such a room. */
  delete(jid: string): Promise<boolean>;
  /** The rooms of one service domain in JID order, after `after` (exclusive), at most `max`. */
  list(service: string, opts: { publicOnly: boolean; after?: string; max: number }): Promise<MucRoomPage>;
  /** Rooms where `bare` is an owner (the per-user room limit). */
  countOwnedBy(bare: string): Promise<number>;
}

/** The service domain of a room JID (`room@conference.example.com` → `conference.example.com`). */
export function roomService(jid: string): string {
  return jid.slice(jid.indexOf('@') + 1);
}
