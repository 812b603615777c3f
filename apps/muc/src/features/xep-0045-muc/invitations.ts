import { tryParseJid } from '#libs/jid';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { HookResult } from '#libs/xmpp-kit';
import type { Occupant } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { MucContext, MucStanza } from '../../muc.context.js';

/**
 * XEP-0045 §7.8.2 mediated invitation: an occupant asks the room to invite someone; the room sends
 * the invitee a message from the room JID naming the inviter, with the password if there is one. In
 * a members-only room only those who may invite (admins, owners, or anyone when allowinvites) do,
 * and the invitee becomes a member (§9.3 through an invitation).
 */
export async function invite(ctx: MucContext, st: MucStanza, room: Room, occ: Occupant | undefined, user: Element): Promise<HookResult> {
  const refuse = (e: StanzaError): HookResult => {
    ctx.reply(st, errorReply(st.el, e));
    return 'stop';
  };
  if (!occ) return refuse(new StanzaError('not-acceptable', { text: 'only occupants invite (§7.8.2)' }));
  const affiliation = room.affiliationOf(occ.bare);
  const privileged = affiliation === 'owner' || affiliation === 'admin';
  if (room.config.membersOnly && !privileged && !room.config.allowInvites) {
    return refuse(new StanzaError('forbidden', { type: 'auth', text: 'only admins invite to this members-only room (§7.8.2)' }));
  }
  for (const inv of user.getChildren('invite')) {
    const to = tryParseJid(inv.attrs.to ?? '');
    if (!to) return refuse(new StanzaError('jid-malformed', { text: 'an invitation needs a valid "to" (§7.8.2)' }));
    const invitee = to.bare().toString();
    if (room.config.membersOnly && room.affiliationOf(invitee) === 'none') room.setAffiliation(invitee, 'member');
    const x = xml('x', { xmlns: NS.mucUser });
    const body = xml('invite', { from: room.realJidsVisibleTo(undefined) || privileged ? occ.bare : room.occupantJid(occ) });
    const reason = inv.getChildText('reason');
    if (reason) body.append(xml('reason', {}, reason));
    x.append(body);
    if (room.config.password) x.append(xml('password', {}, room.config.password));
    const message = xml('message', { from: room.jid, to: to.toString() }, x);
    message.append(xml('x', { xmlns: 'jabber:x:conference', jid: room.jid, ...(reason ? { reason } : {}) }));
    await ctx.route(message);
  }
  return 'stop';
}

/** §7.8.2: a declined invitation goes back to the inviter, from the room. */
export async function decline(ctx: MucContext, st: MucStanza, room: Room, user: Element): Promise<HookResult> {
  const d = user.getChild('decline')!;
  const to = tryParseJid(d.attrs.to ?? '');
  if (!to) {
    ctx.reply(st, errorReply(st.el, new StanzaError('jid-malformed', { text: 'a decline needs a valid "to" (§7.8.2)' })));
    return 'stop';
  }
  const body = xml('decline', { from: st.from.bare().toString() });
  const reason = d.getChildText('reason');
  if (reason) body.append(xml('reason', {}, reason));
  await ctx.route(xml('message', { from: room.jid, to: to.toString() }, xml('x', { xmlns: NS.mucUser }, body)));
  return 'stop';
}
