import { parseJid, tryParseJid } from '#libs/jid';
import type { SessionInfo } from '#libs/sessions';
import type { RosterItem } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';
import { subscribers, subscribersIn, subscriptionsIn } from './contacts.js';

const PRIORITY_MIN = -128;
const PRIORITY_MAX = 127;

/** RFC 6121 §4.7.2.3: an integer from -128 to 127, 0 when absent or invalid. */
export function priorityOf(el: Element): number {
  const text = el.getChildText('priority')?.trim();
  if (!text || !/^[+-]?\d+$/.test(text)) return 0;
  return Math.min(PRIORITY_MAX, Math.max(PRIORITY_MIN, Number(text)));
}

/**
 * §4.2 initial and §4.4 subsequent available presence from a session: record it, broadcast it to
 * subscribers and to the user's own available resources, and for initial presence probe the user's
 * subscriptions, show the user's other resources and redeliver pending subscription requests.
 */
export async function onAvailable(ctx: PresenceContext, st: PresenceStanza): Promise<void> {
  const origin = st.env.origin;
  if (!origin) return;
  const jid = st.from.toString();
  const user = st.from.bare().toString();
  const before = await ctx.registry.get(jid);
  if (!before || before.sessionId !== origin.sessionId) return; // the session is gone
  const el = st.element();
  const priority = priorityOf(el);
  const bytes = Buffer.from(el.toString(), 'utf8');
  if (!(await ctx.registry.update(jid, origin.sessionId, { available: true, priority, lastPresence: bytes }))) return;
  const initial = !before.available;
  const session: SessionInfo = { ...before, available: true, priority, lastPresence: bytes };
  // One read of the roster serves the broadcast, the probes and the pending requests below.
  const stored = (await ctx.storage.rosters.get(user)).items;
  const roster = ctx.sharedRoster.merge(user, stored);

  for (const contact of subscribersIn(roster)) await ctx.route(el.clone().setAttr('to', contact));
  await ctx.toAvailableResources(user, el); // §4.2.2: all the user's resources, this one included

  if (initial) {
    await probeSubscriptions(ctx, user, subscriptionsIn(roster), session);
    await showOtherResources(ctx, user, session);
    await redeliverPendingRequests(ctx, stored, session);
  }
  if (priority >= 0 && (initial || before.priority < 0)) ctx.announceAvailable(session);
  await ctx.hooks.run('presence:recorded', { stanza: st, session });
}

/** §4.5: a session says it is unavailable (its stream stays open). */
export async function onUnavailablePresence(ctx: PresenceContext, st: PresenceStanza): Promise<void> {
  const jid = st.from.toString();
  const origin = st.env.origin;
  const before = await ctx.registry.get(jid);
  const current = before !== undefined && origin !== undefined && before.sessionId === origin.sessionId;
  if (current && before.available) await ctx.registry.update(jid, origin.sessionId, { available: false });
  await broadcastUnavailable(ctx, jid, st.element(), current && before.available);
}

/** §4.5.2: unavailable from a session: to subscribers, own resources and directed targets. */
export async function broadcastUnavailable(ctx: PresenceContext, jid: string, el: Element, wasAvailable: boolean): Promise<void> {
  const user = jid.slice(0, jid.indexOf('/'));
  const directed = ctx.directed.take(jid);
  const sent = new Set<string>();
  if (wasAvailable) {
    for (const contact of await subscribers(ctx, user)) {
      sent.add(contact);
      await ctx.route(el.clone().setAttr('to', contact));
    }
    await ctx.toAvailableResources(user, el, jid);
  }
  for (const to of directed) if (!sent.has(to)) await ctx.route(el.clone().setAttr('to', to));
  const others = (await ctx.registry.ofUser(user)).filter((s) => s.available && s.jid !== jid);
  if (wasAvailable && others.length === 0) {
    // XEP-0012: the account's last activity is when its last resource went away.
    await ctx.storage.lastActivity.set(user, { at: new Date(), status: el.getChildText('status') ?? '' });
  }
}

/**
 * §4.3: probes to the user's subscriptions. Contacts whose presence this service holds (the table
 * says so) are answered here at once from their sessions' last presence, if they still grant the
 * subscription; the probe goes on for the others (a remote contact once s2s declares remote domains).
 */
async function probeSubscriptions(ctx: PresenceContext, user: string, contacts: string[], session: SessionInfo): Promise<void> {
  const from = parseJid(session.jid);
  for (const contact of contacts) {
    const to = tryParseJid(contact);
    if (!to) continue;
    const where = ctx.addressing.resolve({ kind: 'presence', type: 'probe', from, to, phase: 'deliver' });
    if (where.kind !== 'service' || where.service !== ctx.serviceName) {
      await ctx.route(xml('presence', { from: user, to: contact, type: 'probe' }));
      continue;
    }
    const item = await ctx.storage.rosters.getItem(contact, user);
    if (item?.subscription !== 'from' && item?.subscription !== 'both' && !ctx.sharedRoster.shares(contact, user)) continue;
    for (const s of await ctx.registry.ofUser(contact)) await sendLast(ctx, s, session);
  }
}

/** §4.2.2: the new resource learns about the user's other available resources. */
async function showOtherResources(ctx: PresenceContext, user: string, session: SessionInfo): Promise<void> {
  for (const s of await ctx.registry.ofUser(user)) if (s.jid !== session.jid) await sendLast(ctx, s, session);
}

async function sendLast(ctx: PresenceContext, from: SessionInfo, to: SessionInfo): Promise<void> {
  if (!from.available || !from.lastPresence) return;
  if (!(await ctx.mayPass(parseJid(from.jid), parseJid(to.jid)))) return; // a blocklist says no (XEP-0191)
  const el = ctx.parseXml(Buffer.from(from.lastPresence).toString('utf8'));
  el.attrs.from = from.jid;
  el.attrs.to = to.jid;
  await ctx.delivery.element(el, to);
}

/** §3.1.3: subscription requests that came while the user was offline, again at each login. */
async function redeliverPendingRequests(ctx: PresenceContext, roster: readonly RosterItem[], session: SessionInfo): Promise<void> {
  for (const item of roster) {
    if (!item.askIn || !item.pendingInStanza) continue;
    const el = ctx.parseXml(item.pendingInStanza);
    el.attrs.to = session.jid;
    await ctx.delivery.element(el, session);
  }
}
