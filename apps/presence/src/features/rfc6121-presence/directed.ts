import type { HookResult } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';

/**
 * RFC 6121 §4.6: presence with a `to` from a session goes to that entity only. Available presence
 * to an entity that is not a subscriber is remembered, so that it learns when the session goes
 * unavailable or ends (§4.6.3).
 */
export async function onDirected(ctx: PresenceContext, st: PresenceStanza): Promise<HookResult> {
  const type = st.type;
  if (type !== 'available' && type !== 'unavailable' && type !== 'error') return 'stop'; // client probes: ignored
  const from = st.from.toString();
  const to = st.to!.toString();
  if (type === 'available') {
    const item = await ctx.storage.rosters.getItem(st.from.bare().toString(), st.to!.bare().toString());
    const subscribed =
      item?.subscription === 'from' || item?.subscription === 'both' || ctx.sharedRoster.shares(st.from.bare().toString(), st.to!.bare().toString());
    if (!subscribed) ctx.directed.add(from, to);
  } else if (type === 'unavailable') ctx.directed.remove(from, to);
  await ctx.route(st.element(), st);
  return 'stop';
}
