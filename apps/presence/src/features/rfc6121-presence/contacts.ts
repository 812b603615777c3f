import type { PresenceContext } from '../../presence.context.js';

/** Contacts that receive the user's presence: subscription from or both (RFC 6121 §4.2.2). */
export async function subscribers(ctx: PresenceContext, user: string): Promise<string[]> {
  const roster = await ctx.storage.rosters.get(user);
  return roster.items.filter((i) => i.subscription === 'from' || i.subscription === 'both').map((i) => i.jid);
}

/** Contacts whose presence the user receives: subscription to or both (probed at login, §4.3). */
export async function subscriptions(ctx: PresenceContext, user: string): Promise<string[]> {
  const roster = await ctx.storage.rosters.get(user);
  return roster.items.filter((i) => i.subscription === 'to' || i.subscription === 'both').map((i) => i.jid);
}
