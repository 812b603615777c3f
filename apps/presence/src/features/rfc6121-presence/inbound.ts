import { delayElement } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { HookResult } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';

/**
 * Presence reaching a local user (RFC 6121 §4.3.2 probes, §4.6 directed, §8.5.2.1.2 / §8.5.3):
 * to a bare JID, every available resource; to a full JID, that session if connected, else ignored.
 */
export async function onInboundPresence(ctx: PresenceContext, st: PresenceStanza): Promise<HookResult> {
  const to = st.to;
  if (!to) return 'stop';
  if (st.type === 'probe') return answerProbe(ctx, st);
  if (st.type !== 'available' && st.type !== 'unavailable' && st.type !== 'error') return 'stop';
  const el = st.element();
  if (!to.resource) {
    await ctx.toAvailableResources(to.toString(), el);
    return 'stop';
  }
  const session = await ctx.registry.get(to.toString());
  if (session) await ctx.delivery.element(el, session);
  return 'stop';
}

/**
 * §4.3.2: a subscribed prober gets each available resource's last presence (unavailable when none);
 * anyone else learns nothing but `unsubscribed`.
 */
async function answerProbe(ctx: PresenceContext, st: PresenceStanza): Promise<HookResult> {
  const user = st.to!.bare().toString();
  const prober = st.from.bare().toString();
  const item = await ctx.storage.rosters.getItem(user, prober);
  if (item?.subscription !== 'from' && item?.subscription !== 'both' && !ctx.sharedRoster.shares(user, prober)) {
    await ctx.route(xml('presence', { from: user, to: prober, type: 'unsubscribed' }));
    return 'stop';
  }
  let sent = 0;
  for (const s of await ctx.registry.ofUser(user)) {
    if (!s.available || !s.lastPresence) continue;
    const el = ctx.parseXml(Buffer.from(s.lastPresence).toString('utf8'));
    el.attrs.from = s.jid;
    el.attrs.to = st.from.toString();
    await ctx.route(el);
    sent++;
  }
  if (sent === 0) {
    // §4.3.2: unavailable, with when and how the user left (XEP-0203) when known.
    const last = await ctx.storage.lastActivity.get(user);
    const status = last?.status ? xml('status', {}, last.status) : undefined;
    const delay = last ? delayElement(st.to!.domain, last.at) : undefined;
    await ctx.route(xml('presence', { from: user, to: st.from.toString(), type: 'unavailable' }, status, delay));
  }
  return 'stop';
}
