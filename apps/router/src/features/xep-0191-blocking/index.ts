import { BlocklistCache, blockingConfigSchema, type BlockingConfig } from '#libs/blocking';
import type { Jid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition, HookResult } from '#libs/xmpp-kit';
import type { RoutedStanza } from '../../core/routed-stanza.js';
import type { RouterContext } from '../../router.context.js';

/**
 * XEP-0191 Blocking Command v1.3, router side: messages and IQs to or from a JID an account blocked
 * (§3.5). The blocklist IQs and presence are the presence service's (its xep-0191-blocking feature
 * advertises the namespace); both read the lists through libs/blocking's cache.
 */
export const blockingFeature: FeatureDefinition<RouterContext, BlockingConfig> = {
  name: 'blocking',
  spec: { xep: 191, version: '1.3' },
  config: blockingConfigSchema,
  setup: (ctx, cfg) => {
    if (!cfg.enabled) return [];
    const cache = new BlocklistCache(ctx.storage.blocklist, ctx.bus, { ttlMs: cfg.cacheTtlMs, maxEntries: cfg.cacheMaxEntries });
    cache.start();
    const local = (j: Jid) => j.local !== '' && ctx.config.domains.includes(j.domain);
    const blocks = async (owner: Jid, peer: Jid) =>
      local(owner) && owner.bare().toString() !== peer.bare().toString() && cache.blocks(owner.bare().toString(), peer);
    return [ctx.hooks.on('stanza:routing', ({ stanza }) => filter(ctx, stanza, blocks), { owner: 'blocking', priority: 100 }), () => void cache.stop()];
  },
};

async function filter(ctx: RouterContext, st: RoutedStanza, blocks: (owner: Jid, peer: Jid) => Promise<boolean>): Promise<HookResult> {
  // §3.5 outbound: a user's own message or IQ to a JID it blocked is refused, and says why.
  if (st.env.origin && (await blocks(st.from, st.to))) {
    await ctx.bounce(st, new StanzaError('not-acceptable', { appCondition: xml('blocked', { xmlns: NS.blockingErrors }) }));
    return 'stop';
  }
  if (!(await blocks(st.to, st.from))) return 'continue';
  // §3.5 inbound: messages and IQ get/set learn <service-unavailable/>, as if the user had no such
  // resource (the block is not revealed); IQ results and errors are dropped (bounce() never answers
  // an error or a result).
  await ctx.bounce(st, new StanzaError('service-unavailable'));
  return 'stop';
}
