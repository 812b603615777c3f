import type { SyncHookArg } from '#libs/xmpp-kit';
import type { MucStanza } from './muc.context.js';
import type { Occupant } from './core/room-state.js';
import type { Room } from './core/room.js';
import type { Element } from '#libs/xml';

/** An occupant's presence or groupchat message as the room sends it out (XEP-0421 adds occupant-id here). */
export interface OccupantStanzaArg extends SyncHookArg {
  room: Room;
  occupant: Occupant;
  el: Element;
}

/**
 * What muc features react to (STYLE.md: one typed vocabulary per app). The runtime loads the room
 * (or finds none) and runs one hook per kind of stanza; the first handler that answers stops.
 */
export interface MucHooks {
  /** Presence to room@service/nick: enter, change nick or status, leave (XEP-0045 §7.2, §7.6, §7.7, §7.14). */
  'room-presence': MucStanza;
  /** Message to the room's bare JID: groupchat, subject, invitations and declines (§7.4, §7.8, §8.1). */
  'room-message': MucStanza;
  /** An IQ to room@service/nick that no occupant IQ handler answers (and every result or error): relayed (§7.5). */
  'occupant-iq': MucStanza;
  /** Message to room@service/nick: a private message (§7.5). */
  'occupant-message': MucStanza;
  /** A groupchat message the room has broadcast (XEP-0313 archives it): its stanza-id and time. */
  'room-groupchat': { room: Room; occupant: Occupant; el: Element; id: string; at: number };
  /** Every occupant presence and groupchat message the room sends out, before it is copied per recipient. */
  'occupant-stanza': OccupantStanzaArg;
}
