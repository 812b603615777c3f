import type { Element } from '#libs/xml';
import { resultThen, type IqAnswer } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';
import { isHidden, itemElement, rosterQuery } from './roster-item.js';
import { pushChange } from './roster-push.js';

/**
 * RFC 6121 §2.1.3 roster get, with §2.6 versioning: an up-to-date `ver` gets an empty result; a known
 * older one gets an empty result then a push per change since (when that is shorter than the
 * roster); otherwise the whole roster. The requesting session becomes "interested" (§2.1.6).
 */
export async function rosterGet(ctx: PresenceContext, st: PresenceStanza, query: Element): Promise<IqAnswer> {
  const owner = st.from.bare().toString();
  const origin = st.env.origin;
  if (origin) await ctx.registry.update(st.from.toString(), origin.sessionId, { interested: true });
  const ver = query.attrs.ver;
  const roster = await ctx.storage.rosters.get(owner);
  // Shared (directory) contacts are not in the stored versions: an owner who has any always gets the whole roster.
  const shared = ctx.sharedRoster.itemsOf(owner).length > 0;
  if (!shared && ver !== undefined && /^\d+$/.test(ver)) {
    const since = Number(ver);
    if (since === roster.version) return undefined;
    const changes = since < roster.version ? await ctx.storage.rosters.changesSince(owner, since) : undefined;
    const session = changes && (await ctx.registry.get(st.from.toString()));
    if (changes && session && changes.length < roster.items.length) {
      // §2.6.3: the empty result first, then a push per change.
      return resultThen(undefined, async () => {
        for (const change of changes) await pushChange(ctx, owner, change, session);
      });
    }
  }
  const items = ctx.sharedRoster
    .merge(owner, roster.items)
    .filter((i) => !isHidden(i))
    .map((i) => itemElement(i));
  // §2.6.3: `ver` only for a client that uses versioning.
  return rosterQuery(ver !== undefined ? roster.version : undefined, items);
}
