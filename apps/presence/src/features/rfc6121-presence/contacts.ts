import type { RosterItem } from '#libs/storage';
import type { PresenceContext } from '../../presence.context.js';

/** Contacts that receive the user's presence: subscription from or both (RFC 6121 §4.2.2). */
export async function subscribers(ctx: PresenceContext, user: string): Promise<string[]> {
  return subscribersIn(ctx.sharedRoster.merge(user, (await ctx.storage.rosters.get(user)).items));
}

/** Contacts whose presence the user receives: subscription to or both (probed at login, §4.3). */
export async function subscriptions(ctx: PresenceContext, user: string): Promise<string[]> {
  return subscriptionsIn(ctx.sharedRoster.merge(user, (await ctx.storage.rosters.get(user)).items));
}

export function subscribersIn(items: readonly RosterItem[]): string[] {
  return items.filter((i) => i.subscription === 'from' || i.subscription === 'both').map((i) => i.jid);
}

export function subscriptionsIn(items: readonly RosterItem[]): string[] {
  return items.filter((i) => i.subscription === 'to' || i.subscription === 'both').map((i) => i.jid);
}
