import { directoryDownError } from '#libs/directory';
import { StanzaError, errorReply } from '#libs/stanza';
import type { RosterItem } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { HookResult } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';
import { isHidden } from '../rfc6121-roster/roster-item.js';
import { inbound, outbound, sameState, type SubState, type SubscriptionType, type Transition } from './subscription.machine.js';

const TYPES = new Set<string>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export const isSubscriptionType = (t: string): t is SubscriptionType => TYPES.has(t);

const stateOf = (i: RosterItem): SubState => ({ subscription: i.subscription, askOut: i.askOut, askIn: i.askIn, approved: i.approved });

const blank = (jid: string): RosterItem => ({ jid, subscription: 'none', askOut: false, askIn: false, approved: false, groups: [] });

/** No subscription either way, nothing pending or pre-approved. */
const isEmpty = (i: RosterItem): boolean => i.subscription === 'none' && !i.askOut && !i.askIn && !i.approved;

/**
 * Applies a transition inside the atomic roster change; an item is created only by what creates one
 * (a subscribe, a pre-approval, a contact's request). An item that only a contact's request made
 * (hidden: §3.1.3, the request is no roster item) goes again with the request (withdrawn, A.3.2,
 * or denied, A.2.4): the user's roster never showed it, so it must not gain a "none" item now
 * (§3.3.3: "not modifying the contact's roster, and not generating a roster push").
 */
async function apply(
  ctx: PresenceContext,
  owner: string,
  contact: string,
  step: (s: SubState) => Transition,
  creates: boolean,
  pendingIn?: string,
): Promise<{ t: Transition; before: SubState }> {
  let t!: Transition;
  let before!: SubState;
  await ctx.modifyRoster(owner, contact, (cur) => {
    const item = cur ?? blank(contact);
    before = stateOf(item);
    t = step(before);
    if (sameState(before, t.next) || (!cur && !creates)) return cur;
    const next: RosterItem = { ...item, ...t.next };
    if (cur && isHidden(cur) && isEmpty(next)) return undefined;
    if (next.askIn && pendingIn !== undefined && !before.askIn) next.pendingInStanza = pendingIn;
    if (!next.askIn) delete next.pendingInStanza;
    return next;
  });
  return { t, before };
}

/** Whether `owner`'s roster has the item already or room for it (`presence.maxRosterItems`). */
async function roomFor(ctx: PresenceContext, owner: string, contact: string): Promise<boolean> {
  if (await ctx.storage.rosters.getItem(owner, contact)) return true;
  return (await ctx.storage.rosters.get(owner)).items.length < ctx.config.presence.maxRosterItems;
}

/** The stanza as it travels between users: bare JIDs both ways (RFC 6121 §3.1.2). */
function stamped(st: PresenceStanza, from: string, to: string): Element {
  const el = st.element().clone();
  el.attrs.from = from;
  el.attrs.to = to;
  return el;
}

/** RFC 6121 §3 / Appendix A.2: a local user sends subscribe, subscribed, unsubscribe or unsubscribed. */
export async function onOutbound(ctx: PresenceContext, st: PresenceStanza): Promise<HookResult> {
  const type = st.type;
  if (!isSubscriptionType(type)) return 'continue';
  if (!st.to) return 'stop';
  const user = st.from.bare().toString();
  const contact = st.to.bare().toString();
  if (user === contact) return 'stop';
  const creates = type === 'subscribe' || type === 'subscribed';
  if (creates && !(await roomFor(ctx, user, contact))) {
    const error = errorReply(st.element(), new StanzaError('not-allowed', { text: 'roster is full' }));
    if (error) await ctx.reply(st, error);
    return 'stop';
  }
  const { t, before } = await apply(ctx, user, contact, (s) => outbound(s, type), creates);
  if (!t.forward) return 'stop';
  await ctx.route(stamped(st, user, contact), st);
  if (type === 'subscribed') await sendPresenceOf(ctx, user, contact); // §3.1.5
  if (type === 'unsubscribed' && (before.subscription === 'from' || before.subscription === 'both')) {
    await sendUnavailableOf(ctx, user, contact); // §3.2.2
  }
  return 'stop';
}

/** RFC 6121 §3 / Appendix A.3: a subscription stanza reaches a local user. */
export async function onInbound(ctx: PresenceContext, st: PresenceStanza): Promise<HookResult> {
  const type = st.type;
  if (!isSubscriptionType(type) || !st.to) return 'continue';
  const user = st.to.bare().toString();
  const contact = st.from.bare().toString();
  const exists = await ctx.userExists(user);
  if (exists === 'unknown') {
    // Their directory cannot say whether they exist (a user who never signed in): a request gets
    // a wait error (RFC 6120 §8.3.3.16), not the refusal that would end it; the rest changes no roster.
    const bounce = type === 'subscribe' ? errorReply(stamped(st, contact, user), directoryDownError()) : undefined;
    if (bounce) await ctx.route(bounce);
    return 'stop';
  }
  if (!exists) {
    // §3.1.3 / §8.5.1: no such user; a request is refused, anything else ignored.
    if (type === 'subscribe') await ctx.route(xml('presence', { from: user, to: contact, type: 'unsubscribed' }));
    return 'stop';
  }
  const el = stamped(st, contact, user);
  // A full roster takes no new requests: they are dropped unanswered.
  if (type === 'subscribe' && !(await roomFor(ctx, user, contact))) return 'stop';
  const { t, before } = await apply(ctx, user, contact, (s) => inbound(s, type), type === 'subscribe', el.toString());
  if (t.autoReply) {
    await ctx.route(xml('presence', { from: user, to: contact, type: 'subscribed' }));
    if (before.subscription !== 'from' && before.subscription !== 'both') await sendPresenceOf(ctx, user, contact);
  }
  if (!t.forward) return 'stop';
  await ctx.toAvailableResources(user, el);
  // §3.3.3: only a contact that had the user's presence ('from', 'both') is told it is gone; one
  // that had only asked (Pending In) never saw it.
  if (type === 'unsubscribe' && (before.subscription === 'from' || before.subscription === 'both')) await sendUnavailableOf(ctx, user, contact);
  return 'stop';
}

/**
 * The user asks `contact` for a subscription without a client doing it (XEP-0379 §3.4's answer,
 * sent by the server on the user's behalf): the outbound subscribe transition, then the request.
 */
export async function subscribeOnBehalf(ctx: PresenceContext, user: string, contact: string): Promise<void> {
  const { t } = await apply(ctx, user, contact, (s) => outbound(s, 'subscribe'), true);
  if (t.forward) await ctx.route(xml('presence', { from: user, to: contact, type: 'subscribe' }));
}

/** The current presence of each of the user's available resources, to a new subscriber. */
async function sendPresenceOf(ctx: PresenceContext, user: string, contact: string): Promise<void> {
  for (const s of await ctx.registry.ofUser(user)) {
    if (!s.available || !s.lastPresence) continue;
    const el = ctx.parseXml(Buffer.from(s.lastPresence).toString('utf8'));
    el.attrs.from = s.jid;
    el.attrs.to = contact;
    await ctx.route(el);
  }
}

/** Unavailable from each of the user's available resources, to a former subscriber. */
async function sendUnavailableOf(ctx: PresenceContext, user: string, contact: string): Promise<void> {
  for (const s of await ctx.registry.ofUser(user)) {
    if (s.available) await ctx.route(xml('presence', { from: s.jid, to: contact, type: 'unavailable' }));
  }
}
