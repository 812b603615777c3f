import { z } from 'zod';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';
import { flushOffline } from './flush.js';
import { storeOffline } from './store.js';

export const OFFLINE_FEATURE = 'msgoffline';

const config = z.strictObject({
  /** Messages read from storage per round when flushing to a session that came online. */
  flushBatch: z.number().int().min(1).max(10_000).default(100),
});
export type OfflineConfig = z.infer<typeof config>;

/**
 * XEP-0160: a normal or chat message for a user without an available non-negative resource is
 * stored (with a XEP-0203 delay) and delivered, in order, when a session of theirs comes online.
 * The quota is `router.offlineMaxPerUser` (0 turns storage off: such messages bounce).
 */
export const offlineFeature: FeatureDefinition<RouterContext, OfflineConfig> = {
  name: 'offline',
  spec: { xep: 160, version: '1.0.1' },
  discoFeatures: [OFFLINE_FEATURE],
  config,
  setup: (ctx, cfg) => [
    ctx.hooks.on('message:offline', (arg) => storeOffline(ctx, arg), { owner: 'offline' }),
    ctx.hooks.on('session:available', (arg) => flushOffline(ctx, arg.session, cfg), { owner: 'offline' }),
  ],
};
