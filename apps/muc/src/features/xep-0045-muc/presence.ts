import { NS, StanzaError, errorReply } from '#libs/stanza';
import type { HookResult } from '#libs/xmpp-kit';
import type { RateLimit } from '../../core/rate-limit.js';
import type { Occupant } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { MucContext, MucStanza } from '../../muc.context.js';
import { checkNick, enter, nickTaken } from './enter.js';
import { STATUS, occupantPresence, presenceToEveryone, storablePresence, toEveryone } from './presence-out.js';

/**
 * Presence to room@service/nick (XEP-0045 §7): from a session that is not in the room it enters;
 * from one that is, it changes status (§7.7), nick (§7.6) or leaves (§7.14). Presence to the bare
 * room JID is an error (§7.2.1: no nick).
 */
export async function onRoomPresence(ctx: MucContext, st: MucStanza, joins: RateLimit): Promise<HookResult> {
  const type = st.el.attrs.type ?? 'available';
  const room = st.room;
  const occ = room?.bySession(st.from.toString());
  if (type === 'unavailable' || type === 'error') {
    if (room && occ) leave(ctx, st, room, occ, type === 'error' || hasStatus(st, STATUS.error) ? [STATUS.error] : []);
    return 'stop';
  }
  if (type !== 'available') return 'stop'; // subscriptions and probes mean nothing to a room
  if (!st.to.resource) {
    ctx.reply(st, errorReply(st.el, new StanzaError('jid-malformed', { text: 'a nickname is required (XEP-0045 §7.2.1)' })));
    return 'stop';
  }
  if (!room || !occ) {
    await enter(ctx, st, joins);
    return 'stop';
  }
  if (room.byNick(st.to.resource) === occ) update(ctx, st, room, occ);
  else changeNick(ctx, st, room, occ, joins);
  return 'stop';
}

function hasStatus(st: MucStanza, code: number): boolean {
  return (
    st.el
      .getChild('x', NS.mucUser)
      ?.getChildren('status')
      .some((s) => s.attrs.code === String(code)) ?? false
  );
}

/** §7.7: a status change is broadcast to everyone as the occupant's presence. */
function update(ctx: MucContext, st: MucStanza, room: Room, occ: Occupant): void {
  const jid = st.from.toString();
  const session = occ.sessions.find((s) => s.jid === jid)!;
  session.presence = storablePresence(st.el);
  occ.sessions = [...occ.sessions.filter((s) => s !== session), session];
  room.changedOccupant(occ);
  presenceToEveryone(ctx, st.out, room, occ, {});
}

/** §7.6: unavailable with 303 and the new nick, then available under the new nick. */
function changeNick(ctx: MucContext, st: MucStanza, room: Room, occ: Occupant, joins: RateLimit): void {
  const refuse = (e: StanzaError) => ctx.reply(st, errorReply(st.el, e));
  const checked = checkNick(ctx, st.to.resource);
  if (checked instanceof StanzaError) return refuse(checked);
  if (nickTaken(room, checked.key, occ.bare)) return refuse(new StanzaError('conflict', { text: 'that nickname is taken (§7.6.3)' }));
  if (!joins.take(occ.bare))
    return refuse(new StanzaError('resource-constraint', { type: 'wait', text: `at most ${ctx.muc.maxJoinsPerMinute} joins a minute` }));
  toEveryone(room, (to, viewer) =>
    st.out.send(
      occupantPresence(ctx, room, occ, { viewer, self: viewer === occ, unavailable: true, statuses: [STATUS.nickChanged], item: { nick: checked.nick } }),
      to,
    ),
  );
  occ.nick = checked.nick;
  occ.key = checked.key;
  const jid = st.from.toString();
  for (const s of occ.sessions) if (s.jid === jid) s.presence = storablePresence(st.el);
  room.changedOccupant(occ);
  const codes = checked.nick !== st.to.resource ? [STATUS.nickModified] : [];
  toEveryone(room, (to, viewer) => st.out.send(occupantPresence(ctx, room, occ, { viewer, self: viewer === occ, statuses: viewer === occ ? codes : [] }), to));
}

/**
 * §7.14: the session leaves; the occupant with it when it was its last session (everyone is told),
 * and a temporary room with its last occupant (§10.1.3).
 */
export function leave(ctx: MucContext, st: MucStanza, room: Room, occ: Occupant, statuses: number[] = []): void {
  const jid = st.from.toString();
  const last = occ.sessions.length === 1;
  const farewell = occupantPresence(ctx, room, occ, { viewer: occ, self: true, unavailable: true, statuses });
  copyStatus(st, farewell);
  if (statuses.length === 0 || !statuses.includes(STATUS.error)) st.out.send(farewell, jid);
  if (!last) {
    occ.sessions = occ.sessions.filter((s) => s.jid !== jid);
    room.changedOccupant(occ);
    return;
  }
  room.removeOccupant(occ);
  presenceToEveryone(ctx, st.out, room, occ, { unavailable: true, statuses }, undefined, (el) => copyStatus(st, el));
  if (room.live.occupants.length === 0 && !room.config.persistent) room.gone = true;
}

/** The leaving occupant's status text goes with its unavailable presence (§7.14). */
function copyStatus(st: MucStanza, el: ReturnType<typeof occupantPresence>): void {
  const status = st.el.getChild('status');
  if (status && st.el.attrs.type === 'unavailable') el.append(status.clone());
}

/**
 * Takes an occupant out of the room for everyone (kick §8.2, ban §9.1, removal §9.4/§9.6; a
 * destroyed room tells each occupant only of itself, owner.ts): each of its sessions gets its own
 * unavailable with 110, everyone else the same without.
 */
export function removeOccupant(
  ctx: MucContext,
  st: MucStanza,
  room: Room,
  occ: Occupant,
  statuses: number[],
  item: { actor?: string; reason?: string } = {},
): void {
  toEveryone(room, (to, viewer) => st.out.send(occupantPresence(ctx, room, occ, { viewer, self: viewer === occ, unavailable: true, statuses, item }), to));
  room.removeOccupant(occ);
}
