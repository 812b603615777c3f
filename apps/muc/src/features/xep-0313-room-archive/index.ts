import { finElement, metadataElement, parseArchiveQuery, queryFieldsForm, resultMessage } from '#libs/archive';
import { NS, StanzaError } from '#libs/stanza';
import { ArchiveItemNotFoundError, type ArchivedMessage } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { FeatureDefinition, IqAnswer } from '#libs/xmpp-kit';
import type { Room } from '../../core/room.js';
import type { MucContext, MucIqRequest } from '../../muc.context.js';

/**
 * XEP-0313 (Message Archive Management) 1.1 on rooms (§5: "MUC archives"): a room whose
 * muc#roomconfig_enablelogging is on keeps its groupchat messages in `Storage.archive` with the room
 * JID as owner, under the same XEP-0359 stanza-id the occupants got; occupants (and, in a
 * members-only room, its members) query it at the room's JID. Shares libs/archive with the users'
 * archive (apps/router xep-0313-mam): query form, RSM paging, results, fin.
 */
export const roomArchiveFeature: FeatureDefinition<MucContext> = {
  name: 'muc-archive',
  spec: { xep: 313, version: '1.1.0' },
  discoFeatures: [NS.mam],
  dependsOn: ['muc'],
  setup(ctx) {
    if (!ctx.muc.archiveRooms) return [];
    const owner = 'xep-0313';
    return [
      ctx.hooks.on(
        'room-groupchat',
        async ({ room, occupant, el, id, at }) => {
          if (!room.config.enableLogging) return;
          await ctx.storage.archive.append({
            owner: room.jid,
            id,
            with: room.occupantJid(occupant),
            timestamp: new Date(at),
            direction: 'in',
            xml: el.toString(),
          });
        },
        { owner },
      ),
      ctx.roomIq.register('set', NS.mam, (req) => query(ctx, req), { server: true }, owner),
      ctx.roomIq.register('get', NS.mam, (req) => describe(ctx, req), { server: true }, owner),
    ];
  },
};

/** Who may read a room's archive: its occupants, and the members of a members-only room. */
function readable(req: MucIqRequest): Room | StanzaError {
  const room = req.room;
  if (!room || room.record.locked) return new StanzaError('item-not-found', { text: 'no such room' });
  if (!room.config.enableLogging) return new StanzaError('feature-not-implemented', { text: 'this room keeps no archive' });
  const bare = req.from.bare().toString();
  const affiliation = room.affiliationOf(bare);
  if (affiliation === 'outcast') return new StanzaError('forbidden', { type: 'auth', text: 'banned' });
  if (room.bySession(req.from.toString()) || (affiliation !== 'none' && room.config.membersOnly)) return room;
  return new StanzaError('forbidden', { type: 'auth', text: 'only occupants read the room archive' });
}

async function query(ctx: MucContext, req: MucIqRequest): Promise<IqAnswer> {
  const room = readable(req);
  if (room instanceof StanzaError) return room;
  if (req.payload.name !== 'query') return new StanzaError('bad-request', { text: 'expected <query/>' });
  const q = parseArchiveQuery(req.payload, ctx.config.archive);
  if (q instanceof StanzaError) return q;
  let page;
  try {
    page = await ctx.storage.archive.query(room.jid, q.filter, q.paging);
  } catch (err) {
    if (err instanceof ArchiveItemNotFoundError) return new StanzaError('item-not-found', { text: err.message });
    throw err;
  }
  const sent: ArchivedMessage[] = q.flip ? [...page.messages].reverse() : page.messages;
  const to = req.from.toString();
  for (const m of sent) {
    let stanza: Element;
    try {
      stanza = ctx.parseXml(m.xml);
    } catch {
      continue;
    }
    // results come before the IQ result carrying <fin/> (the outbox keeps this order)
    req.out.send(resultMessage(room.jid, to, q.queryId, m, stanza), to);
  }
  return finElement(page, sent);
}

async function describe(ctx: MucContext, req: MucIqRequest): Promise<IqAnswer> {
  const room = readable(req);
  if (room instanceof StanzaError) return room;
  if (req.payload.name === 'query') return queryFieldsForm();
  if (req.payload.name === 'metadata') return metadataElement(await ctx.storage.archive.bounds(room.jid));
  return new StanzaError('bad-request', { text: 'expected <query/> or <metadata/>' });
}
