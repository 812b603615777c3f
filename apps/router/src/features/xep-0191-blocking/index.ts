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
    const blocks = (owner: Jid, peer: Jid): boolean | Promise<boolean> => {
      if (!local(owner)) return false;
      const bare = owner.bare().toString();
      return bare !== peer.bare().toString() && cache.blocks(bare, peer);
    };
    return [ctx.hooks.on('stanza:routing', ({ stanza }) => filter(ctx, stanza, blocks), { owner: 'blocking', priority: 100 }), () => void cache.stop()];
  },
};

type Blocks = (owner: Jid, peer: Jid) => boolean | Promise<boolean>;

/**
 * The lists come from the cache at once when it holds them, so a stanza between users who block
 * nobody (most of them) costs no promise here; one whose lists must be read waits for them.
 */
function filter(ctx: RouterContext, st: RoutedStanza, blocks: Blocks): HookResult | Promise<HookResult> {
  const outbound = st.env.origin ? blocks(st.from, st.to) : false;
  if (outbound === false) return inbound(ctx, st, blocks(st.to, st.from));
  return Promise.resolve(outbound).then((b) => (b ? refuseOutbound(ctx, st) : inbound(ctx, st, blocks(st.to, st.from))));
}

function inbound(ctx: RouterContext, st: RoutedStanza, blocked: boolean | Promise<boolean>): HookResult | Promise<HookResult> {
  if (blocked === false) return 'continue';
  if (blocked === true) return refuseInbound(ctx, st);
  return blocked.then((b) => (b ? refuseInbound(ctx, st) : 'continue'));
}

/** §3.5 outbound: a user's own message or IQ to a JID it blocked is refused, and says why. */
async function refuseOutbound(ctx: RouterContext, st: RoutedStanza): Promise<HookResult> {
  await ctx.bounce(st, new StanzaError('not-acceptable', { appCondition: xml('blocked', { xmlns: NS.blockingErrors }) }));
  return 'stop';
}

async function refuseInbound(ctx: RouterContext, st: RoutedStanza): Promise<HookResult> {
  // §3.5 inbound: messages and IQ get/set learn <service-unavailable/>, as if the user had no such
  // resource (the block is not revealed); IQ results and errors are dropped (bounce() never answers
  // an error or a result).
  await ctx.bounce(st, new StanzaError('service-unavailable'));
  return 'stop';
}
