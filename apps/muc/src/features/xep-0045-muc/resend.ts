import { NS } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { Occupant, RecentMessage } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { MucContext } from '../../muc.context.js';

/**
 * A resent groupchat message is recognised by its sender and origin-id (XEP-0359 §4: the id a client
 * gives its message and keeps when it sends it again). The case it is for: the replica that owned
 * the room broadcast a message and died before answering the router, which bounced it to the sender
 * (docs/reliability.md: never silent loss); the client sends it again, and the room that took the
 * room over knows it from the live state: the sender gets its reflection again (with the stanza-id
 * the message got the first time), nobody else gets it twice. Messages without an origin-id are
 * never taken for resends (a message id alone is not unique enough across clients).
 */
export function resendKey(el: Element, occ: Occupant): string | undefined {
  const origin = el.getChild('origin-id', NS.stanzaId)?.attrs.id;
  return origin ? `${occ.bare} ${origin}` : undefined;
}

/** The message the room already took under `key`, if it is still in the window. */
export function alreadyTaken(room: Room, key: string): RecentMessage | undefined {
  return room.live.recent?.find((r) => r.key === key);
}

/** Remembers a message the room took (sequence number `seq`), keeping the newest `muc.resendWindow`. */
export function rememberTaken(ctx: MucContext, room: Room, key: string, id: string, at: number, seq: number): void {
  const max = ctx.muc.resendWindow;
  if (max === 0) return;
  const recent = (room.live.recent ??= []);
  recent.push({ seq, key, id, at });
  if (recent.length > max) recent.splice(0, recent.length - max);
  room.changedMessage(seq);
}
