import { nicknameKey } from '#libs/jid';
import type { MucAffiliation, MucAffiliationEntry, MucRoomRecord } from '#libs/storage';
import type { LiveState, Occupant, RoomView } from './room-state.js';

/**
 * One room while a frame is handled: the stored record and the live state, the lookups the XEP's
 * rules need, and what changed — the record, and which occupants and messages of the live state
 * (the store writes only those: a join writes one occupant, not the room, live-layout.ts).
 */
export class Room implements RoomView {
  recordChanged = false;
  /** Occupants added or changed by this frame (role, nick, sessions, presence). */
  readonly changedOccupants = new Set<Occupant>();
  /** Ids of occupants this frame took out of the room. */
  readonly removedOccupants = new Set<string>();
  /** Sequence numbers of messages this frame kept or changed (history, resend window). */
  readonly changedMessages = new Set<number>();
  /** Set by destroy (§10.9) or when a temporary room empties: the store deletes it. */
  gone = false;
  /** Set when this frame created the room (status 201). */
  created = false;

  constructor(
    readonly jid: string,
    public record: MucRoomRecord,
    public live: LiveState,
  ) {}

  get config(): MucRoomRecord['config'] {
    return this.record.config;
  }

  affiliationOf(bare: string): MucAffiliation | 'none' {
    return this.entryOf(bare)?.affiliation ?? 'none';
  }

  entryOf(bare: string): MucAffiliationEntry | undefined {
    // XEP-0045 §5.2: an affiliation may name a whole domain; the user's own entry wins.
    const domain = bare.slice(bare.indexOf('@') + 1);
    return this.record.affiliations.find((a) => a.jid === bare) ?? this.record.affiliations.find((a) => a.jid === domain);
  }

  setAffiliation(bare: string, affiliation: MucAffiliation | 'none', reason?: string): void {
    const rest = this.record.affiliations.filter((a) => a.jid !== bare);
    const kept = this.record.affiliations.find((a) => a.jid === bare);
    if (affiliation !== 'none') {
      const entry: MucAffiliationEntry = { jid: bare, affiliation };
      if (kept?.nick && affiliation !== 'outcast') entry.nick = kept.nick;
      if (reason) entry.reason = reason;
      rest.push(entry);
    }
    this.record = { ...this.record, affiliations: rest };
    this.recordChanged = true;
  }

  withAffiliation(affiliation: MucAffiliation): MucAffiliationEntry[] {
    return this.record.affiliations.filter((a) => a.affiliation === affiliation);
  }

  byNick(nick: string): Occupant | undefined {
    let key: string;
    try {
      key = nicknameKey(nick);
    } catch {
      return undefined;
    }
    return this.live.occupants.find((o) => o.key === key);
  }

  /** The occupant one of whose sessions is `fullJid`. */
  bySession(fullJid: string): Occupant | undefined {
    return this.live.occupants.find((o) => o.sessions.some((s) => s.jid === fullJid));
  }

  byBare(bare: string): Occupant | undefined {
    return this.live.occupants.find((o) => o.bare === bare);
  }

  /** The room JID of an occupant: room@service/nick. */
  occupantJid(o: Occupant | string): string {
    return `${this.jid}/${typeof o === 'string' ? o : o.nick}`;
  }

  /** Whether `viewer` may see occupants' real JIDs (muc#roomconfig_whois, XEP-0045 §7.2.3/§7.2.4). */
  realJidsVisibleTo(viewer: Occupant | undefined): boolean {
    return this.config.whois === 'anyone' || viewer?.role === 'moderator';
  }

  get liveChanged(): boolean {
    return this.changedOccupants.size > 0 || this.removedOccupants.size > 0 || this.changedMessages.size > 0;
  }

  /** Seats a new occupant (XEP-0045 §7.2). */
  addOccupant(occ: Occupant): void {
    occ.seat = (this.live.occupants.at(-1)?.seat ?? 0) + 1;
    this.live.occupants.push(occ);
    this.removedOccupants.delete(occ.id);
    this.changedOccupants.add(occ);
  }

  /** Takes an occupant out (§7.14 leaving, §8.2 kick, §9.1 ban...). */
  removeOccupant(occ: Occupant): void {
    this.live.occupants = this.live.occupants.filter((o) => o !== occ);
    this.changedOccupants.delete(occ);
    this.removedOccupants.add(occ.id);
  }

  /** The occupant's role, nick, sessions or presence changed. */
  changedOccupant(occ: Occupant): void {
    this.changedOccupants.add(occ);
  }

  /** The next message sequence number (a message the room keeps: history or resend window). */
  nextSeq(): number {
    return ++this.live.seq;
  }

  /** The message `seq` was kept or changed (its history entry or its resend record). */
  changedMessage(seq: number): void {
    this.changedMessages.add(seq);
  }

  changedRecord(): void {
    this.recordChanged = true;
  }
}
