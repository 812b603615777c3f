import { tryParseJid } from '#libs/jid';
import { FormError, NS, StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { IqAnswer } from '#libs/xmpp-kit';
import type { Room } from '../../core/room.js';
import type { MucContext, MucIqRequest } from '../../muc.context.js';
import { roomNotice } from './groupchat.js';
import { removeOccupant } from './presence.js';
import { STATUS, occupantPresence } from './presence-out.js';
import { ConfigValueError, configForm, readConfig } from './room-config-form.js';

/** The room an owner request is about, or the error: only owners configure and destroy (§10). */
function ownedRoom(req: MucIqRequest): Room | StanzaError {
  if (!req.room) return new StanzaError('item-not-found', { text: 'no such room' });
  if (req.room.affiliationOf(req.from.bare().toString()) !== 'owner')
    return new StanzaError('forbidden', { type: 'auth', text: 'only owners configure a room (§10)' });
  return req.room;
}

/** §10.2: the configuration form. */
export function getConfig(ctx: MucContext, req: MucIqRequest): IqAnswer {
  const room = ownedRoom(req);
  if (room instanceof StanzaError) return room;
  return xml('query', { xmlns: NS.mucOwner }, configForm(room, ctx.muc));
}

/** §10.1.2 instant room (empty submit), §10.1.3/§10.2 a submitted form, cancel (§10.1.2), destroy (§10.9). */
export function setOwner(ctx: MucContext, req: MucIqRequest): IqAnswer {
  const room = ownedRoom(req);
  if (room instanceof StanzaError) return room;
  const destroy = req.payload.getChild('destroy');
  if (destroy) return destroyRoom(ctx, req, room, destroy);
  const x = req.payload.getChild('x', NS.xdata);
  if (!x) return new StanzaError('bad-request', { text: 'a muc#owner set carries a data form or <destroy/> (§10)' });
  if (x.attrs.type === 'cancel') {
    // §10.1.2: cancelling the first configuration of a new room destroys it.
    if (room.record.locked) destroyRoom(ctx, req, room, undefined);
    return undefined;
  }
  let submitted;
  try {
    submitted = readConfig(x, room, ctx.muc);
  } catch (err) {
    if (err instanceof FormError || err instanceof ConfigValueError) return new StanzaError('not-acceptable', { text: err.message });
    throw err;
  }
  const owners = submitted.owners?.map((j) => tryParseJid(j)?.bare().toString());
  const admins = submitted.admins?.map((j) => tryParseJid(j)?.bare().toString());
  if (owners?.includes(undefined) || admins?.includes(undefined)) return new StanzaError('not-acceptable', { text: 'owners and admins are JIDs' });
  if (owners && owners.length === 0) return new StanzaError('conflict', { text: 'a room keeps at least one owner (§10.6)' });
  const before = room.config;
  const firstConfig = room.record.locked;
  room.record = { ...room.record, config: submitted.config, locked: false };
  room.changedRecord();
  if (owners) syncAffiliations(room, 'owner', owners as string[]);
  if (admins) syncAffiliations(room, 'admin', admins as string[]);
  const codes: number[] = [STATUS.configChanged];
  if (before.whois !== submitted.config.whois) codes.push(submitted.config.whois === 'anyone' ? STATUS.nowNonAnonymous : STATUS.nowSemiAnonymous);
  // §10.2: occupants learn of a change; the first configuration of a locked room is none.
  if (!firstConfig) roomNotice(req, room, codes);
  if (submitted.config.membersOnly && !before.membersOnly) {
    for (const o of [...room.live.occupants]) if (room.affiliationOf(o.bare) === 'none') removeOccupant(ctx, req, room, o, [STATUS.membersOnlyRemoved]);
  }
  return undefined;
}

function syncAffiliations(room: Room, affiliation: 'owner' | 'admin', jids: string[]): void {
  for (const a of room.withAffiliation(affiliation)) if (!jids.includes(a.jid)) room.setAffiliation(a.jid, 'none');
  for (const j of jids) if (room.affiliationOf(j) !== affiliation) room.setAffiliation(j, affiliation);
}

/**
 * §10.9: everyone leaves with the reason and the alternative venue; the room is gone. Each occupant
 * gets only its own unavailable, a self-presence like any other (110, occupant-id: `occupantPresence`;
 * Prosody's clear() sends the same): a client that takes 110 as "I am out" (Smack's MultiUserChat)
 * has left the room before it tells anyone it was destroyed.
 */
function destroyRoom(ctx: MucContext, req: MucIqRequest, room: Room, destroy: Element | undefined): IqAnswer {
  const alt = destroy?.attrs.jid;
  if (alt !== undefined && !tryParseJid(alt)) return new StanzaError('jid-malformed', { text: 'the alternative venue is not a JID (§10.9)' });
  const notice = xml('destroy', alt ? { jid: alt } : {});
  const reason = destroy?.getChildText('reason');
  if (reason) notice.append(xml('reason', {}, reason));
  const password = destroy?.getChildText('password');
  if (password) notice.append(xml('password', {}, password));
  for (const o of [...room.live.occupants]) {
    const gone = occupantPresence(ctx, room, o, { viewer: o, self: true, unavailable: true, destroy: notice.clone() });
    req.out.sendToAll(
      gone,
      o.sessions.map((s) => s.jid),
    );
  }
  for (const o of [...room.live.occupants]) room.removeOccupant(o);
  room.gone = true;
  return undefined;
}
