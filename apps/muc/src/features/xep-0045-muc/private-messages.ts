import { Buffer } from 'node:buffer';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { HookResult } from '#libs/xmpp-kit';
import type { RateLimit } from '../../core/rate-limit.js';
import type { MucContext, MucStanza } from '../../muc.context.js';
import { leave } from './presence.js';
import { STATUS } from './presence-out.js';
import { errorRemovesOccupant } from './error-bounce.js';

const ROLE_RANK = { none: 0, visitor: 1, participant: 2, moderator: 3 } as const;

/**
 * XEP-0045 §7.5: a message to room@service/nick goes to every session of that occupant, from the
 * sender's room JID, marked with an empty muc#user x. Only occupants send them, to occupants that
 * exist, as muc#roomconfig_allowpm permits.
 */
export function onOccupantMessage(ctx: MucContext, st: MucStanza, messages: RateLimit): HookResult {
  const room = st.room;
  const refuse = (e: StanzaError): HookResult => {
    ctx.reply(st, errorReply(st.el, e));
    return 'stop';
  };
  if (!room) return refuse(new StanzaError('item-not-found', { text: 'no such room' }));
  const sender = room.bySession(st.from.toString());
  if (st.el.attrs.type === 'error') {
    if (sender && errorRemovesOccupant(st.el)) leave(ctx, st, room, sender, [STATUS.error]);
    return 'stop';
  }
  if (!sender) return refuse(new StanzaError('not-acceptable', { text: 'only occupants send private messages (§7.5)' }));
  if (st.el.attrs.type === 'groupchat') return refuse(new StanzaError('bad-request', { text: 'a private message is not groupchat (§7.5)' }));
  const target = room.byNick(st.to.resource);
  if (!target) return refuse(new StanzaError('item-not-found', { text: `nobody is called ${st.to.resource} here (§7.5)` }));
  const allow = room.config.allowPm;
  const need = allow === 'anyone' ? 'visitor' : allow === 'participants' ? 'participant' : allow === 'moderators' ? 'moderator' : undefined;
  if (!need || ROLE_RANK[sender.role] < ROLE_RANK[need])
    return refuse(new StanzaError('forbidden', { type: 'auth', text: 'private messages are not allowed here (§7.5)' }));
  if (Buffer.byteLength(st.el.toString()) > ctx.muc.maxMessageBytes)
    return refuse(new StanzaError('not-acceptable', { text: `messages are at most ${ctx.muc.maxMessageBytes} bytes` }));
  if (!messages.take(`${room.jid} ${sender.key}`))
    return refuse(new StanzaError('resource-constraint', { type: 'wait', text: `at most ${ctx.muc.maxMessagesPerMinute} messages a minute` }));
  const el = st.el.clone();
  el.attrs.from = room.occupantJid(sender);
  delete el.attrs.xmlns;
  if (!el.getChild('x', NS.mucUser)) el.append(xml('x', { xmlns: NS.mucUser }));
  for (const s of target.sessions) st.out.send(el.clone(), s.jid);
  return 'stop';
}
