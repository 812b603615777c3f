import { NS, StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';

export const LAST_NS = NS.last;

/**
 * XEP-0012: the server's uptime on its domain; on an account, the idle time since its last
 * unavailable presence (0 while online) for its owner and contacts subscribed to its presence.
 */
export const lastActivityFeature: FeatureDefinition<RouterContext> = {
  name: 'last',
  spec: { xep: 12, version: '2.0' },
  discoFeatures: [LAST_NS],
  setup: (ctx) => [
    ctx.iq.register(
      'get',
      LAST_NS,
      async ({ toServer, own, to, from }) => {
        if (toServer) return query(secondsSince(ctx.startedAt));
        const owner = to.toString();
        if (!own) {
          const sub = await ctx.subscriptionOf(owner, from.bare().toString());
          if (sub !== 'from' && sub !== 'both') return new StanzaError('forbidden'); // XEP-0012 §4
        }
        const sessions = await ctx.registry.ofUser(owner);
        if (sessions.some((s) => s.available)) return query(0);
        const last = await ctx.storage.lastActivity.get(owner);
        if (!last) return new StanzaError('item-not-found');
        return query(secondsSince(last.at), last.status);
      },
      { server: true, account: true },
      'last',
    ),
  ],
};

function secondsSince(at: Date): number {
  return Math.max(0, Math.floor((Date.now() - at.getTime()) / 1000));
}

function query(seconds: number, status?: string) {
  return xml('query', { xmlns: LAST_NS, seconds: String(seconds) }, status || undefined);
}
