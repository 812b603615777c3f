import { Buffer } from 'node:buffer';
import { enforceNickname, nicknameKey } from '#libs/jid';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { RateLimit } from '../../core/rate-limit.js';
import { defaultRole, newOccupantId, type Occupant } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { MucContext, MucStanza } from '../../muc.context.js';
import { readHistoryRequest, sendHistory } from './history.js';
import { STATUS, occupantPresence, presenceToEveryone, storablePresence } from './presence-out.js';

/** A nickname checked against RFC 8266 and the length limit, or the XEP-0045 error for it. */
export function checkNick(ctx: MucContext, requested: string): { nick: string; key: string } | StanzaError {
  if (!requested) return new StanzaError('jid-malformed', { text: 'a nickname is required (XEP-0045 §7.2.1)' });
  let nick: string;
  try {
    nick = enforceNickname(requested);
  } catch (err) {
    return new StanzaError('jid-malformed', { text: `not a valid nickname: ${(err as Error).message} (RFC 8266)` });
  }
  if (Buffer.byteLength(nick) > ctx.muc.maxNickBytes) return new StanzaError('not-acceptable', { text: `nicknames are at most ${ctx.muc.maxNickBytes} bytes` });
  return { nick, key: nicknameKey(nick) };
}

/** Another user holds this nick as an occupant or as a registered nick (§7.2.9, §7.12). */
export function nickTaken(room: Room, key: string, bare: string): boolean {
  if (room.live.occupants.some((o) => o.key === key && o.bare !== bare)) return true;
  return room.record.affiliations.some((a) => a.nick !== undefined && a.jid !== bare && safeKey(a.nick) === key);
}

function safeKey(nick: string): string | undefined {
  try {
    return nicknameKey(nick);
  } catch {
    return undefined;
  }
}

/**
 * XEP-0045 §7.2: entering a room (creating it when it does not exist, §10.1). The checks run in the
 * XEP's order and each refusal is its error; then the new session gets the others' presence, its own
 * (110, plus 100/170/201/210), the history and the subject, and the others get its presence.
 */
export async function enter(ctx: MucContext, st: MucStanza, joins: RateLimit): Promise<void> {
  const bare = st.from.bare().toString();
  const refuse = (e: StanzaError) => ctx.reply(st, errorReply(st.el, e));
  const checked = checkNick(ctx, st.to.resource);
  if (checked instanceof StanzaError) return refuse(checked);
  if (!joins.take(bare)) return refuse(new StanzaError('resource-constraint', { type: 'wait', text: `at most ${ctx.muc.maxJoinsPerMinute} joins a minute` }));
  const mucX = st.el.getChild('x', NS.muc);
  let room = st.room;
  if (!room) {
    const refused = await mayCreate(ctx, bare);
    if (refused) return refuse(refused);
    // §10.1.2: a MUC client (it sent <x/>) gets a locked room to configure or accept; others an instant one.
    room = ctx.rooms.newRoom(st.to.bare().toString(), bare, mucX !== undefined);
    st.room = room;
    st.touched = room;
  }
  const affiliation = room.affiliationOf(bare);
  if (room.record.locked && affiliation !== 'owner')
    return refuse(new StanzaError('item-not-found', { text: 'the room is locked until its owner configures it (§10.1.1)' }));
  if (affiliation === 'outcast') return refuse(new StanzaError('forbidden', { type: 'auth', text: 'you are banned from this room (§7.2.8)' }));
  if (room.config.membersOnly && affiliation === 'none') return refuse(new StanzaError('registration-required', { text: 'members only (§7.2.7)' }));
  if (room.config.password && affiliation !== 'owner' && mucX?.getChildText('password') !== room.config.password) {
    return refuse(new StanzaError('not-authorized', { text: 'a password is required (§7.2.6)' }));
  }
  if (nickTaken(room, checked.key, bare)) return refuse(new StanzaError('conflict', { text: 'that nickname is taken (§7.2.9)' }));
  const existing = room.live.occupants.find((o) => o.key === checked.key);
  if (!existing && full(ctx, room) && affiliation !== 'owner' && affiliation !== 'admin') {
    return refuse(new StanzaError('service-unavailable', { type: 'wait', text: 'the room is full (§7.2.10)' }));
  }
  const session = { jid: st.from.toString(), presence: storablePresence(st.el) };
  const occ: Occupant = existing ?? {
    id: newOccupantId(),
    seat: 0,
    nick: checked.nick,
    key: checked.key,
    bare,
    role: defaultRole(affiliation, room.config.moderated),
    sessions: [],
  };
  occ.sessions = [...occ.sessions.filter((s) => s.jid !== session.jid), session];
  if (existing) room.changedOccupant(occ);
  else room.addOccupant(occ);
  announceEntry(ctx, st, room, occ, { nickModified: checked.nick !== st.to.resource, joinedBefore: existing !== undefined });
  sendHistory(ctx, room, session.jid, readHistoryRequest(mucX?.getChild('history')), (el, to) => st.out.send(el, to));
  const subject = xml('message', { from: room.record.subject ? room.occupantJid(room.record.subject.nick) : room.jid, type: 'groupchat' });
  subject.append(xml('subject', {}, room.record.subject?.text ?? ''));
  st.out.send(subject, session.jid);
}

function full(ctx: MucContext, room: Room): boolean {
  const max = room.config.maxUsers > 0 ? Math.min(room.config.maxUsers, ctx.muc.maxOccupantsPerRoom) : ctx.muc.maxOccupantsPerRoom;
  return room.live.occupants.length >= max;
}

async function mayCreate(ctx: MucContext, bare: string): Promise<StanzaError | undefined> {
  if (ctx.muc.roomCreation === 'admins' && !ctx.isServiceAdmin(bare))
    return new StanzaError('not-allowed', { text: 'only administrators create rooms here (§10.1.1)' });
  if ((await ctx.storage.mucRooms.countOwnedBy(bare)) >= ctx.muc.maxRoomsPerUser) {
    return new StanzaError('not-allowed', { text: `you own ${ctx.muc.maxRoomsPerUser} rooms already` });
  }
  return undefined;
}

/** §7.2.3–§7.2.5: the others' presence to the new session, its presence to everyone, 110 to itself. */
function announceEntry(ctx: MucContext, st: MucStanza, room: Room, occ: Occupant, opts: { nickModified: boolean; joinedBefore: boolean }): void {
  const self = st.from.toString();
  for (const other of room.live.occupants) {
    if (other !== occ) st.out.send(occupantPresence(ctx, room, other, { viewer: occ, self: false }), self);
  }
  const selfCodes: number[] = [];
  if (room.created) selfCodes.push(STATUS.created);
  if (opts.nickModified) selfCodes.push(STATUS.nickModified);
  if (room.config.enableLogging) selfCodes.push(STATUS.logging);
  // A second session of an occupant changes nothing the others see but its presence.
  presenceToEveryone(ctx, st.out, room, occ, { selfStatuses: selfCodes }, (to, viewer) => viewer === occ && to !== self && opts.joinedBefore);
}
