import { tryParseJid } from '#libs/jid';
import { StanzaError } from '#libs/stanza';
import type { RosterItem } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';
import type { RosterConfig } from './index.js';
import { emptyItem } from './roster-item.js';

/**
 * RFC 6121 §2.3 (add, update) and §2.5 (remove) roster set. The pushes follow from the change
 * ('roster:changed'); `subscription` and `ask` in a set are ignored except subscription='remove'.
 */
export async function rosterSet(ctx: PresenceContext, st: PresenceStanza, query: Element, cfg: RosterConfig): Promise<undefined | StanzaError> {
  const owner = st.from.bare().toString();
  const items = query.getChildren('item');
  if (items.length !== 1 || query.elements().length !== 1) return new StanzaError('bad-request', { text: 'one item per roster set' });
  const item = items[0]!;
  const contact = tryParseJid(item.attrs.jid ?? '');
  if (!contact) return new StanzaError('bad-request', { text: 'item without a valid jid' });
  const jid = contact.toString();
  if (item.attrs.subscription === 'remove') return removeItem(ctx, owner, jid);

  const name = item.attrs.name;
  if (name !== undefined && name.length > cfg.maxNameChars) return new StanzaError('not-acceptable', { text: 'name too long' });
  const groups = item.getChildren('group').map((g) => g.text());
  if (groups.some((g) => g.length === 0)) return new StanzaError('not-acceptable', { text: 'empty group name' });
  if (groups.some((g) => g.length > cfg.maxGroupChars)) return new StanzaError('not-acceptable', { text: 'group name too long' });
  if (new Set(groups).size !== groups.length) return new StanzaError('bad-request', { text: 'duplicate group' });

  const existing = await ctx.storage.rosters.getItem(owner, jid);
  if (!existing) {
    const roster = await ctx.storage.rosters.get(owner);
    if (roster.items.length >= ctx.config.presence.maxRosterItems) return new StanzaError('not-allowed', { text: 'roster is full' });
  }
  await ctx.modifyRoster(owner, jid, (current) => {
    const next: RosterItem = { ...(current ?? emptyItem(jid)), groups };
    if (name) next.name = name;
    else delete next.name;
    return next;
  });
  return undefined;
}

/**
 * §2.5.2: removing an item cancels the subscriptions both ways: unsubscribe if the user was
 * subscribed (or asked), unsubscribed if the contact was (or asked), then the item goes.
 */
async function removeItem(ctx: PresenceContext, owner: string, contact: string): Promise<undefined | StanzaError> {
  const current = await ctx.storage.rosters.getItem(owner, contact);
  if (!current) return new StanzaError('item-not-found');
  const had = current.subscription;
  if (had === 'to' || had === 'both' || current.askOut) {
    await ctx.route(xml('presence', { from: owner, to: contact, type: 'unsubscribe' }));
  }
  if (had === 'from' || had === 'both' || current.askIn) {
    await ctx.route(xml('presence', { from: owner, to: contact, type: 'unsubscribed' }));
  }
  if (had === 'from' || had === 'both') {
    // §3.2.2: the contact no longer sees the user's presence: tell it each resource is gone.
    for (const s of (await ctx.registry.ofUser(owner)).filter((x) => x.available)) {
      await ctx.route(xml('presence', { from: s.jid, to: contact, type: 'unavailable' }));
    }
  }
  await ctx.modifyRoster(owner, contact, () => undefined);
  return undefined;
}
