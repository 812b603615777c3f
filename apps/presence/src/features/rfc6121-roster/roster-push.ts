import { randomUUID } from 'node:crypto';
import type { SessionInfo } from '#libs/sessions';
import type { RosterChange } from '#libs/storage';
import { xml } from '#libs/xml';
import type { PresenceContext } from '../../presence.context.js';
import { isHidden, itemElement, rosterQuery } from './roster-item.js';

/**
 * RFC 6121 §2.1.6: a changed item goes to every interested resource of the owner (or to `only`),
 * with the roster version it produced (§2.6).
 */
export async function pushChange(ctx: PresenceContext, owner: string, change: RosterChange, only?: SessionInfo): Promise<void> {
  if (isHidden(change.item)) return;
  const sessions = only ? [only] : (await ctx.registry.ofUser(owner)).filter((s) => s.interested);
  for (const s of sessions) {
    const push = xml('iq', { type: 'set', id: `push-${randomUUID()}`, to: s.jid }, rosterQuery(change.version, [itemElement(change.item, change.removed)]));
    await ctx.delivery.element(push, s);
    ctx.stats.rosterPushes++;
  }
}
