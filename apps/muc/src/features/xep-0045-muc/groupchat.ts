import { Buffer } from 'node:buffer';
import { stampStanzaId, stripStanzaIds } from '#libs/archive';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { newArchiveId } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { HookResult } from '#libs/xmpp-kit';
import type { RateLimit } from '../../core/rate-limit.js';
import type { Occupant } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { MucContext, MucStanza } from '../../muc.context.js';
import { remember } from './history.js';
import { alreadyTaken, rememberTaken, resendKey } from './resend.js';
import { invite, decline } from './invitations.js';
import { leave } from './presence.js';
import { STATUS } from './presence-out.js';
import { errorRemovesOccupant } from './error-bounce.js';

/**
 * Messages to the room's bare JID: groupchat (§7.4) and subject changes (§8.1) from occupants,
 * mediated invitations and declines (§7.8.2). An error bounced by an occupant's client or server
 * saying it cannot be reached takes it out of the room (status 333, error-bounce.ts).
 */
export async function onRoomMessage(ctx: MucContext, st: MucStanza, messages: RateLimit): Promise<HookResult> {
  const room = st.room;
  if (!room) {
    ctx.reply(st, errorReply(st.el, new StanzaError('item-not-found', { text: 'no such room' })));
    return 'stop';
  }
  const type = st.el.attrs.type ?? 'normal';
  const occ = room.bySession(st.from.toString());
  if (type === 'error') {
    if (occ && errorRemovesOccupant(st.el)) leave(ctx, st, room, occ, [STATUS.error]);
    return 'stop';
  }
  const user = st.el.getChild('x', NS.mucUser);
  if (type !== 'groupchat' && user?.getChild('invite')) return invite(ctx, st, room, occ, user);
  if (type !== 'groupchat' && user?.getChild('decline')) return decline(ctx, st, room, user);
  if (type !== 'groupchat') {
    ctx.reply(st, errorReply(st.el, new StanzaError('bad-request', { text: 'messages to a room are groupchat (§7.4)' })));
    return 'stop';
  }
  const refuse = (e: StanzaError) => {
    ctx.reply(st, errorReply(st.el, e));
    return 'stop' as const;
  };
  if (!occ) return refuse(new StanzaError('not-acceptable', { text: 'only occupants may send to the room (§7.4)' }));
  if (Buffer.byteLength(st.el.toString()) > ctx.muc.maxMessageBytes)
    return refuse(new StanzaError('not-acceptable', { text: `messages are at most ${ctx.muc.maxMessageBytes} bytes` }));
  const key = resendKey(st.el, occ);
  const taken = key ? alreadyTaken(room, key) : undefined;
  if (taken) {
    // a resend of a message the room took already (resend.ts): sent again to everyone with its first
    // stanza-id as the delivery key, so edges write it only to the sessions that missed it
    st.out.sendToAll(occupantMessage(ctx, st, room, occ, taken.id), sessionsOf(room), deliveryKey(room, taken.id));
    return 'stop';
  }
  if (!messages.take(`${room.jid} ${occ.key}`))
    return refuse(new StanzaError('resource-constraint', { type: 'wait', text: `at most ${ctx.muc.maxMessagesPerMinute} messages a minute` }));
  const subject = st.el.getChild('subject');
  if (subject && !st.el.getChild('body')) {
    if (!room.config.changeSubject && occ.role !== 'moderator')
      return refuse(new StanzaError('forbidden', { type: 'auth', text: 'only moderators change the subject here (§8.1)' }));
    room.record = { ...room.record, subject: { text: subject.text(), nick: occ.nick, at: new Date() } };
    room.changedRecord();
  } else if (occ.role === 'visitor' || occ.role === 'none') {
    return refuse(new StanzaError('forbidden', { type: 'auth', text: 'visitors have no voice in this moderated room (§7.4)' }));
  }
  const sent = broadcast(ctx, st, room, occ, !subject || st.el.getChild('body') !== undefined);
  if (key && sent) rememberTaken(ctx, room, key, sent.id, sent.at, sent.seq);
  if (sent) await ctx.hooks.run('room-groupchat', { room, occupant: occ, ...sent });
  return 'stop';
}

/** §7.4: the message from the occupant's room JID to every session in the room, the sender's too. */
function broadcast(ctx: MucContext, st: MucStanza, room: Room, occ: Occupant, keep: boolean): { el: Element; id: string; at: number; seq: number } | undefined {
  const at = Date.now();
  const id = newArchiveId(at);
  const el = occupantMessage(ctx, st, room, occ, id);
  const seq = keep ? room.nextSeq() : 0;
  if (keep) remember(ctx, room, el.toString(), at, seq);
  st.out.sendToAll(el, sessionsOf(room), deliveryKey(room, id));
  return keep ? { el, id, at, seq } : undefined;
}

/** Every session in the room (real full JIDs), in seating order. */
function* sessionsOf(room: Room): Iterable<string> {
  for (const o of room.live.occupants) for (const s of o.sessions) yield s.jid;
}

/** A room message's delivery key (StanzaEnvelope.dedupe_key): the room and the stanza-id it gave the message. */
function deliveryKey(room: Room, id: string): string {
  return `${room.jid} ${id}`;
}

/** The occupant's message as the room sends it: from its room JID, stamped with the stanza-id `id`. */
function occupantMessage(ctx: MucContext, st: MucStanza, room: Room, occ: Occupant, id: string): Element {
  const el = st.el.clone();
  delete el.attrs.to;
  delete el.attrs.xmlns;
  el.attrs.from = room.occupantJid(occ);
  stripStanzaIds(el, room.jid);
  for (const child of el.getChildren('occupant-id', 'urn:xmpp:occupant-id:0')) el.remove(child);
  stampStanzaId(el, room.jid, id);
  ctx.hooks.handlers('occupant-stanza')?.forEach((h) => void h.handler({ synchronousHook: true, room, occupant: occ, el }));
  return el;
}

/** A message from the room itself to every session (config changes, §10.2 status 104). */
export function roomNotice(st: MucStanza, room: Room, codes: number[]): void {
  const x = xml('x', { xmlns: NS.mucUser });
  for (const c of codes) x.append(xml('status', { code: String(c) }));
  for (const o of room.live.occupants)
    for (const s of o.sessions) st.out.send(xml('message', { from: room.jid, type: 'groupchat', id: newArchiveId() }, x.clone()), s.jid);
}
