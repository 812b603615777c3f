import { stanzaIdBy } from '#libs/archive';
import { xml, type Element } from '#libs/xml';
import type { Room } from '../../core/room.js';
import type { MucContext } from '../../muc.context.js';
import { NS_OCCUPANT_ID } from '../xep-0421-occupant-id/index.js';

export const NS_RETRACT = 'urn:xmpp:message-retract:1';
export const NS_MODERATE = 'urn:xmpp:message-moderate:1';

/** A groupchat message of the room found by its stanza-id: in the live history or the room archive. */
export interface Found {
  el: Element;
  /** The author's XEP-0421 occupant-id (stamped by the room, so it cannot be forged). */
  occupantId: string | undefined;
}

/** Looks up the room's message with stanza-id `id` (history first, then the archive of a logging room). */
export async function findMessage(ctx: MucContext, room: Room, id: string): Promise<Found | undefined> {
  for (const h of room.live.history) {
    const el = parse(ctx, h.xml);
    if (el && stanzaIdBy(el, room.jid) === id) return found(el);
  }
  if (!room.config.enableLogging) return undefined;
  const page = await ctx.storage.archive.query(room.jid, { ids: [id] }, { max: 1 });
  const m = page.messages[0];
  const el = m ? parse(ctx, m.xml) : undefined;
  return el ? found(el) : undefined;
}

function found(el: Element): Found {
  return { el, occupantId: el.getChild('occupant-id', NS_OCCUPANT_ID)?.attrs.id };
}

function parse(ctx: MucContext, text: string): Element | undefined {
  try {
    return ctx.parseXml(text);
  } catch {
    return undefined;
  }
}

/**
 * XEP-0424 0.4 §6 (tombstones) and XEP-0425 0.3 §6: the message keeps its addressing, stanza-id and
 * occupant-id; everything that could leak its content (body, other payloads) is replaced by
 * `<retracted stamp/>` (with `<moderated/>` and the reason when a moderator retracted it).
 */
export function tombstone(original: Element, retracted: Element): Element {
  const t = xml('message', { ...original.attrs });
  for (const c of original.elements()) {
    const keep = (c.name === 'stanza-id' && c.xmlns === 'urn:xmpp:sid:0') || (c.name === 'occupant-id' && c.xmlns === NS_OCCUPANT_ID);
    if (keep) t.append(c.clone());
  }
  t.append(retracted);
  return t;
}

/** Replaces the message with its tombstone where the room keeps it: the live history and the archive. */
export async function bury(ctx: MucContext, room: Room, id: string, retracted: Element): Promise<void> {
  room.live.history = room.live.history.map((h) => {
    const el = parse(ctx, h.xml);
    if (!el || stanzaIdBy(el, room.jid) !== id) return h;
    room.changedMessage(h.seq);
    const text = tombstone(el, retracted.clone()).toString();
    return { ...h, xml: text, chars: text.length };
  });
  if (room.config.enableLogging) {
    const m = (await ctx.storage.archive.query(room.jid, { ids: [id] }, { max: 1 })).messages[0];
    const el = m ? parse(ctx, m.xml) : undefined;
    if (el) await ctx.storage.archive.replaceXml(room.jid, id, tombstone(el, retracted.clone()).toString());
  }
}
