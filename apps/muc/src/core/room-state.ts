import { randomBytes } from 'node:crypto';
import type { MucAffiliation, MucRoomRecord } from '#libs/storage';

/** XEP-0045 §5.1 roles: they last one visit (the live state), affiliations last across visits. */
export type MucRole = 'moderator' | 'participant' | 'visitor' | 'none';

/** One session of an occupant: XEP-0045 §7.2 lets one user join under one nick from several. */
export interface OccupantSession {
  /** The real full JID. */
  jid: string;
  /** The session's last presence to the room, serialized without from/to (its show, status, caps...). */
  presence: string;
}

export interface Occupant {
  /** Stable while the occupant is in the room (nick changes keep it): its key in the live state (live-layout.ts). */
  id: string;
  /** Order of seating (the others' presence goes to a newcomer in this order); Room.addOccupant sets it. */
  seat: number;
  /** As shown (RFC 8266 enforcement). */
  nick: string;
  /** RFC 8266 comparison form: two occupants never share it. */
  key: string;
  /** The real bare JID (every session of an occupant is this user's). */
  bare: string;
  role: MucRole;
  sessions: OccupantSession[];
}

/** A groupchat message as broadcast (from the occupant's room JID, no `to`), kept for history on join. */
export interface HistoryEntry {
  /** The room's message sequence number (LiveState.seq): its slot in the stored ring (live-layout.ts). */
  seq: number;
  xml: string;
  /** ms since the epoch when the room took it. */
  at: number;
  /** Characters of the serialized stanza (XEP-0045 §7.2.14 maxchars counts them). */
  chars: number;
}

/**
 * What lasts only while someone is in the room and must move with it when another replica takes
 * the room over (kept in the bus KV, one key per occupant and per recent message, live-layout.ts):
 * occupants with their roles and presence, and the recent history. Plain JSON, so any replica reads
 * what another wrote.
 */
export interface LiveState {
  occupants: Occupant[];
  history: HistoryEntry[];
  /** The latest groupchat messages that carried an origin-id, to know a resend (xep-0045-muc/resend.ts). */
  recent?: RecentMessage[];
  /** The last message sequence number given (each kept message gets the next). */
  seq: number;
}

/** A groupchat message the room took, by its sender and origin-id (XEP-0359 §4), with the stanza-id it got. */
export interface RecentMessage {
  /** The room's message sequence number (as HistoryEntry.seq). */
  seq: number;
  /** `<real bare JID> <origin-id>`. */
  key: string;
  /** The stanza-id (XEP-0359) the room gave it. */
  id: string;
  /** ms since the epoch when the room took it. */
  at: number;
}

/** An occupant's id: a KV key token (base64url), unique within its room. */
export function newOccupantId(): string {
  return randomBytes(9).toString('base64url');
}

export function emptyLiveState(): LiveState {
  return { occupants: [], history: [], seq: 0 };
}

/** A room as the handlers see it: its stored record and its live state, with what changed. */
export interface RoomView {
  readonly jid: string;
  record: MucRoomRecord;
  live: LiveState;
}

/** XEP-0045 §5.1.2 / §7.2: the role an affiliation gets on entering. */
export function defaultRole(affiliation: MucAffiliation | 'none', moderated: boolean): MucRole {
  if (affiliation === 'owner' || affiliation === 'admin') return 'moderator';
  if (affiliation === 'outcast') return 'none';
  if (moderated && affiliation === 'none') return 'visitor';
  return 'participant';
}

const RANK: Record<MucAffiliation | 'none', number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };

/** Compares affiliations (owner > admin > member > none > outcast). */
export function affiliationRank(a: MucAffiliation | 'none'): number {
  return RANK[a];
}
