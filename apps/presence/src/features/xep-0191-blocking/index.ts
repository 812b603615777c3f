import { BlocklistCache, blockingConfigSchema, type BlockingConfig } from '#libs/blocking';
import type { Jid } from '#libs/jid';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition, HookResult } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';
import { BlocklistCommands } from './blocklist-commands.js';

/**
 * XEP-0191 Blocking Command v1.3 on the presence side: the blocklist IQs (they change presence,
 * which this service owns), and presence filtering both ways (§3.5). Messages and IQs are filtered
 * by the router's xep-0191-blocking feature with the same cache (libs/blocking).
 */
export const blockingFeature: FeatureDefinition<PresenceContext, BlockingConfig> = {
  name: 'blocking',
  spec: { xep: 191, version: '1.3' },
  discoFeatures: [NS.blocking],
  dependsOn: ['presence'],
  config: blockingConfigSchema,
  setup: (ctx, cfg) => {
    if (!cfg.enabled) return [];
    const cache = new BlocklistCache(ctx.storage.blocklist, ctx.bus, { ttlMs: cfg.cacheTtlMs, maxEntries: cfg.cacheMaxEntries });
    cache.start();
    const commands = new BlocklistCommands(ctx, cache, cfg);
    const local = (j: Jid) => j.local !== '' && ctx.config.domains.includes(j.domain);
    /** Whether the account of `owner` (a local JID) blocks `peer`; one's own resources never are. */
    const blocks = async (owner: Jid, peer: Jid) =>
      local(owner) && owner.bare().toString() !== peer.bare().toString() && cache.blocks(owner.bare().toString(), peer);
    return [
      ctx.iq.register('get', NS.blocking, (req) => commands.get(req), { account: 'own' }, 'blocking'),
      ctx.iq.register('set', NS.blocking, (req) => commands.set(req), { account: 'own' }, 'blocking'),
      // §3.5: presence from a blocked entity is dropped without an error, and none goes to it.
      ctx.hooks.on('presence:filter', async ({ from, to }) => ((await blocks(to, from)) || (await blocks(from, to)) ? 'stop' : 'continue'), {
        owner: 'blocking',
      }),
      // §3.5: a client's own presence to a blocked JID (directed, subscriptions) is refused.
      ctx.hooks.on('presence:outbound', ({ stanza }) => refuseToBlocked(ctx, stanza, blocks), { owner: 'blocking', priority: 100 }),
      () => void cache.stop(),
    ];
  },
};

async function refuseToBlocked(ctx: PresenceContext, st: PresenceStanza, blocks: (owner: Jid, peer: Jid) => Promise<boolean>): Promise<HookResult> {
  if (!st.to || !(await blocks(st.from, st.to))) return 'continue';
  const reply = errorReply(st.element(), blockedError());
  if (reply) await ctx.reply(st, reply);
  return 'stop';
}

/** §3.5: <not-acceptable/> with <blocked xmlns='urn:xmpp:blocking:errors'/>. */
function blockedError(): StanzaError {
  return new StanzaError('not-acceptable', { appCondition: xml('blocked', { xmlns: NS.blockingErrors }) });
}
