import { createHmac } from 'node:crypto';
import { StanzaError, errorReply } from '#libs/stanza';
import type { HookResult } from '#libs/xmpp-kit';
import type { Room } from '../../core/room.js';
import type { MucContext, MucStanza } from '../../muc.context.js';

const PREFIX = 'muc1.';

/**
 * The id a relayed IQ carries: the asker's full JID and its own id, sealed with the room's salt, so
 * the answer finds its way back without any state (and on whichever replica owns the room by then)
 * and a client cannot make the room answer someone else.
 */
export function relayId(room: Room, asker: string, id: string): string {
  const payload = Buffer.from(JSON.stringify([asker, id]), 'utf8').toString('base64url');
  return `${PREFIX}${payload}.${mac(room, payload)}`;
}

export function readRelayId(room: Room, relayed: string): { asker: string; id: string } | undefined {
  if (!relayed.startsWith(PREFIX)) return undefined;
  const [payload, sig] = relayed.slice(PREFIX.length).split('.');
  if (!payload || sig !== mac(room, payload)) return undefined;
  try {
    const [asker, id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [string, string];
    return typeof asker === 'string' && typeof id === 'string' ? { asker, id } : undefined;
  } catch {
    return undefined;
  }
}

function mac(room: Room, payload: string): string {
  return createHmac('sha256', room.record.salt).update(payload).digest('base64url').slice(0, 22);
}

/**
 * XEP-0045 §7.5 (IQs to an occupant's room JID; 1.35 §17.5): an occupant's IQ get/set to another
 * occupant is relayed to that occupant's newest session from the asker's room JID, and the answer
 * relayed back; a non-occupant gets bad-request, an unknown nick item-not-found.
 */
export function onOccupantIq(ctx: MucContext, st: MucStanza): HookResult {
  const room = st.room;
  const type = st.el.attrs.type;
  if (type === 'result' || type === 'error') {
    const back = room ? readRelayId(room, st.el.attrs.id ?? '') : undefined;
    const responder = room?.bySession(st.from.toString());
    if (!room || !back || !responder) return 'stop'; // an answer to nothing the room asked: dropped
    const el = st.el.clone();
    el.attrs.from = room.occupantJid(responder);
    el.attrs.id = back.id;
    delete el.attrs.xmlns;
    st.out.send(el, back.asker);
    return 'stop';
  }
  const refuse = (e: StanzaError): HookResult => {
    ctx.reply(st, errorReply(st.el, e));
    return 'stop';
  };
  if (!room) return refuse(new StanzaError('item-not-found', { text: 'no such room' }));
  const asker = room.bySession(st.from.toString());
  if (!asker) return refuse(new StanzaError('bad-request', { text: 'only occupants reach other occupants (XEP-0045 §7.5)' }));
  const target = room.byNick(st.to.resource);
  const session = target?.sessions.at(-1);
  if (!target || !session) return refuse(new StanzaError('item-not-found', { text: `nobody is called ${st.to.resource} here` }));
  const el = st.el.clone();
  el.attrs.from = room.occupantJid(asker);
  el.attrs.id = relayId(room, st.from.toString(), st.el.attrs.id ?? '');
  delete el.attrs.xmlns;
  st.out.send(el, session.jid);
  return 'stop';
}
