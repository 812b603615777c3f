import { stampStanzaId } from '#libs/archive';
import { StanzaError, errorReply } from '#libs/stanza';
import { newArchiveId } from '#libs/storage';
import { xml } from '#libs/xml';
import type { FeatureDefinition, HookResult, IqAnswer } from '#libs/xmpp-kit';
import type { MucContext, MucIqRequest, MucStanza } from '../../muc.context.js';
import { NS_OCCUPANT_ID, occupantId } from '../xep-0421-occupant-id/index.js';
import { NS_MODERATE, NS_RETRACT, bury, findMessage } from './tombstone.js';

/**
 * XEP-0424 Message Retraction 0.4 in rooms: an occupant sends the room a groupchat message with
 * `<retract id='<stanza-id>'/>` (§4, in groupchat the id is the room's XEP-0359 stanza-id). The room
 * checks the message is the sender's own (same XEP-0421 occupant-id as the one it stamped on the
 * original; else `forbidden`) and that it knows it (history or archive; else `item-not-found`), then
 * broadcasts the retraction like any groupchat message and replaces the original with a tombstone
 * (§6) in the history and the archive. Runs before xep-0045's groupchat handler, which broadcasts.
 */
export const retractionFeature: FeatureDefinition<MucContext> = {
  name: 'muc-retraction',
  spec: { xep: 424, version: '0.4.0' },
  discoFeatures: [NS_RETRACT],
  dependsOn: ['muc', 'muc-occupant-id'],
  setup(ctx) {
    const owner = 'xep-0424';
    return [
      ctx.hooks.on('room-message', (st) => checkRetraction(ctx, st), { owner, priority: 10 }),
      ctx.hooks.on(
        'room-groupchat',
        async ({ room, el, at }) => {
          const r = el.getChild('retract', NS_RETRACT);
          if (!r?.attrs.id) return;
          const retracted = xml('retracted', { xmlns: NS_RETRACT, stamp: new Date(at).toISOString(), ...(el.attrs.id ? { id: el.attrs.id } : {}) });
          await bury(ctx, room, r.attrs.id, retracted);
        },
        { owner },
      ),
    ];
  },
};

async function checkRetraction(ctx: MucContext, st: MucStanza): Promise<HookResult> {
  const r = st.el.getChild('retract', NS_RETRACT);
  if (!r || st.el.attrs.type !== 'groupchat' || !st.room) return 'continue';
  const occ = st.room.bySession(st.from.toString());
  if (!occ) return 'continue'; // xep-0045 refuses non-occupants
  const refuse = (e: StanzaError): HookResult => {
    ctx.reply(st, errorReply(st.el, e));
    return 'stop';
  };
  if (!r.attrs.id) return refuse(new StanzaError('bad-request', { text: '<retract/> names the stanza-id of the message (XEP-0424 §4)' }));
  const original = await findMessage(ctx, st.room, r.attrs.id);
  if (!original) return refuse(new StanzaError('item-not-found', { text: `the room has no message ${r.attrs.id}` }));
  if (original.occupantId !== occupantId(st.room.record.salt, st.room.jid, occ.bare))
    return refuse(new StanzaError('forbidden', { type: 'auth', text: 'only its sender retracts a message; moderators use XEP-0425' }));
  return 'continue';
}

/**
 * XEP-0425 Moderated Message Retraction 0.3: a moderator sends the room an IQ
 * `<moderate id='<stanza-id>'><retract/><reason/></moderate>` (§4); the room answers the IQ, sends
 * every occupant `<retract id><moderated by='room/nick'><occupant-id/></moderated><reason/></retract>`
 * from the room itself (§4.1, archived in a logging room) and replaces the message with a tombstone
 * (§6). Errors (§4.2): not a moderator `forbidden`; unknown message `item-not-found`; no `<retract/>`
 * (the only moderation action defined) `bad-request`.
 */
export const moderationFeature: FeatureDefinition<MucContext> = {
  name: 'muc-moderation',
  spec: { xep: 425, version: '0.3.0' },
  discoFeatures: [NS_MODERATE],
  dependsOn: ['muc', 'muc-occupant-id'],
  setup(ctx) {
    return [ctx.roomIq.register('set', NS_MODERATE, (req) => moderate(ctx, req), { server: true }, 'xep-0425')];
  },
};

async function moderate(ctx: MucContext, req: MucIqRequest): Promise<IqAnswer> {
  const room = req.room;
  if (!room || room.record.locked) return new StanzaError('item-not-found', { text: 'no such room' });
  const me = room.bySession(req.from.toString());
  if (me?.role !== 'moderator')
    return new StanzaError('forbidden', { type: 'auth', text: "only moderators retract other occupants' messages (XEP-0425 §4.2)" });
  const id = req.payload.attrs.id;
  if (req.payload.name !== 'moderate' || !id) return new StanzaError('bad-request', { text: "expected <moderate id='stanza-id'/>" });
  if (!req.payload.getChild('retract', NS_RETRACT)) return new StanzaError('bad-request', { text: 'the only moderation is <retract/> (XEP-0425 §4)' });
  if (!(await findMessage(ctx, room, id))) return new StanzaError('item-not-found', { text: `the room has no message ${id}` });
  const reason = req.payload.getChildText('reason');
  const at = Date.now();
  const moderated = () =>
    xml(
      'moderated',
      { xmlns: NS_MODERATE, by: room.occupantJid(me) },
      xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: occupantId(room.record.salt, room.jid, me.bare) }),
    );
  const retract = xml('retract', { xmlns: NS_RETRACT, id }, moderated());
  if (reason) retract.append(xml('reason', {}, reason));
  const notice = xml('message', { from: room.jid, type: 'groupchat', id: newArchiveId(at) }, retract);
  const sid = newArchiveId(at);
  stampStanzaId(notice, room.jid, sid);
  for (const o of room.live.occupants) for (const s of o.sessions) req.out.send(notice.clone(), s.jid);
  if (room.config.enableLogging)
    await ctx.storage.archive.append({ owner: room.jid, id: sid, with: room.jid, timestamp: new Date(at), direction: 'in', xml: notice.toString() });
  const retracted = xml('retracted', { xmlns: NS_RETRACT, stamp: new Date(at).toISOString() }, moderated());
  if (reason) retracted.append(xml('reason', {}, reason));
  await bury(ctx, room, id, retracted);
  return undefined;
}
