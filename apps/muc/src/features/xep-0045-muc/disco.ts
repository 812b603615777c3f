import { NS, StanzaError, dataForm } from '#libs/stanza';
import { Element, xml } from '#libs/xml';
import type { IqAnswer } from '#libs/xmpp-kit';
import type { Room } from '../../core/room.js';
import type { MucContext, MucIqRequest } from '../../muc.context.js';

/** XEP-0045 §6.1: the service is a conference service. */
export function serviceInfo(req: MucIqRequest): IqAnswer {
  if (req.payload.attrs.node) return new StanzaError('item-not-found');
  const q = new Element('query', { xmlns: NS.discoInfo });
  q.append(xml('identity', { category: 'conference', type: 'text', name: 'Chatrooms' }));
  for (const f of [NS.discoInfo, NS.discoItems, NS.muc, NS.rsm].sort()) q.append(xml('feature', { var: f }));
  return q;
}

/** §6.3: the public rooms, in JID order, paged with XEP-0059 (`<max/>`, `<after/>`, `<count/>`). */
export async function serviceItems(ctx: MucContext, req: MucIqRequest): Promise<IqAnswer> {
  if (req.payload.attrs.node) return new StanzaError('item-not-found');
  const set = req.payload.getChild('set', NS.rsm);
  const maxText = set?.getChildText('max');
  if (maxText !== undefined && !/^\d+$/.test(maxText)) return new StanzaError('bad-request', { text: 'RSM <max/> is a number' });
  const max = Math.min(maxText === undefined ? ctx.muc.maxRoomListPage : Number(maxText), ctx.muc.maxRoomListPage);
  const after = set?.getChildText('after');
  const page = await ctx.storage.mucRooms.list(req.to.domain, { publicOnly: true, max, ...(after ? { after } : {}) });
  const q = xml('query', { xmlns: NS.discoItems });
  for (const r of page.rooms) if (!r.locked) q.append(xml('item', { jid: r.jid, name: r.config.name || r.jid }));
  if (set) {
    const rsm = xml('set', { xmlns: NS.rsm });
    if (page.rooms.length > 0) {
      rsm.append(xml('first', {}, page.rooms[0]!.jid));
      rsm.append(xml('last', {}, page.rooms.at(-1)!.jid));
    }
    rsm.append(xml('count', {}, String(page.count)));
    q.append(rsm);
  }
  return q;
}

/** The features a room shows in disco#info (§6.4, §16.2): its configuration as muc_* features. */
export function roomFeatureList(ctx: MucContext, room: Room): string[] {
  const c = room.config;
  return [
    NS.discoInfo,
    NS.discoItems,
    NS.muc,
    NS.stanzaId,
    c.public ? 'muc_public' : 'muc_hidden',
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.password ? 'muc_passwordprotected' : 'muc_unsecured',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    // the archive's feature only where the room keeps one (muc#roomconfig_enablelogging)
    ...ctx.roomFeatures().filter((f) => f !== NS.mam || c.enableLogging),
  ].sort();
}

/** §6.4: identity, features and the muc#roominfo form; §7.12 reserved-nick discovery (node x-roomuser-item). */
export function roomInfo(ctx: MucContext, req: MucIqRequest): IqAnswer {
  const room = req.room;
  if (!room || room.record.locked) return new StanzaError('item-not-found', { text: 'no such room' });
  const q = new Element('query', { xmlns: NS.discoInfo });
  const node = req.payload.attrs.node;
  if (node === 'x-roomuser-item') {
    q.attrs.node = node;
    const nick = room.entryOf(req.from.bare().toString())?.nick;
    if (nick) q.append(xml('identity', { category: 'conference', type: 'text', name: nick }));
    return q;
  }
  if (node) return new StanzaError('item-not-found');
  q.append(xml('identity', { category: 'conference', type: 'text', name: room.config.name || room.jid }));
  for (const f of roomFeatureList(ctx, room)) q.append(xml('feature', { var: f }));
  q.append(
    dataForm('result', {
      formType: 'http://jabber.org/protocol/muc#roominfo',
      fields: [
        { var: 'muc#roominfo_description', type: 'text-single', label: 'Description', values: [room.config.description] },
        { var: 'muc#roominfo_occupants', type: 'text-single', label: 'Occupants', values: [String(room.live.occupants.length)] },
        { var: 'muc#roominfo_subject', type: 'text-single', label: 'Subject', values: [room.record.subject?.text ?? ''] },
        { var: 'muc#roominfo_subjectmod', type: 'boolean', label: 'Occupants may change the subject', values: [room.config.changeSubject ? '1' : '0'] },
        { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', values: [room.config.name] },
        { var: 'muc#maxhistoryfetch', type: 'text-single', label: 'History length', values: [String(room.config.historyLength)] },
      ],
    }),
  );
  return q;
}

/** §6.5: a public room lists its occupants' room JIDs (never real JIDs); a hidden one only to its occupants. */
export function roomItems(req: MucIqRequest): IqAnswer {
  const room = req.room;
  if (!room || room.record.locked) return new StanzaError('item-not-found', { text: 'no such room' });
  if (req.payload.attrs.node) return new StanzaError('item-not-found');
  const q = xml('query', { xmlns: NS.discoItems });
  if (room.config.public || room.bySession(req.from.toString())) for (const o of room.live.occupants) q.append(xml('item', { jid: room.occupantJid(o) }));
  return q;
}
