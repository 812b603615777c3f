import { randomUUID } from 'node:crypto';
import { xml } from '#libs/xml';
import type { PresenceContext } from '../../presence.context.js';
import { itemElement, rosterQuery } from '../rfc6121-roster/roster-item.js';

/**
 * RFC 6121 §2.1.6 push of a shared contact that appeared, changed groups or went (`groups` empty).
 * A contact the owner also has in the stored roster stays, as the stored item (with any groups
 * still shared). No `ver`: shared items are outside the stored versions (an owner with shared
 * contacts always gets the whole roster, see roster-get.ts).
 */
export async function pushShared(ctx: PresenceContext, owner: string, contact: string, groups: string[]): Promise<void> {
  const stored = await ctx.storage.rosters.getItem(owner, contact);
  const merged = ctx.sharedRoster.merge(owner, stored ? [stored] : []).find((i) => i.jid === contact);
  const item = merged
    ? itemElement(merged)
    : itemElement({ jid: contact, subscription: 'none', askOut: false, askIn: false, approved: false, groups }, groups.length === 0);
  const sessions = (await ctx.registry.ofUser(owner)).filter((s) => s.interested);
  for (const s of sessions) {
    await ctx.delivery.element(xml('iq', { type: 'set', id: `push-${randomUUID()}`, to: s.jid }, rosterQuery(undefined, [item])), s);
    ctx.stats.rosterPushes++;
  }
}
