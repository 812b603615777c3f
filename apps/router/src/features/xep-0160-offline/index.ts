import { z } from 'zod';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';
import { FlushQueue, flushOffline } from './flush.js';
import { storeOffline } from './store.js';

export const OFFLINE_FEATURE = 'msgoffline';

const config = z.strictObject({
  /** Messages read from storage per round when flushing to a session that came online. */
  flushBatch: z.number().int().min(1).max(10_000).default(100),
  /**
   * How long a batch may take to be written to the session (its edge acknowledges each message once
   * written, so a login with much stored paces itself to the client); past it the flush stops and
   * the rest stays stored for the next login.
   */
  flushAckTimeoutMs: z.number().int().min(10).default(30_000),
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
  setup: (ctx, cfg) => {
    const flushes = new FlushQueue(ctx);
    return [
      ctx.hooks.on('message:offline', (arg) => storeOffline(ctx, arg), { owner: 'offline' }),
      // Off the partition's turn: a flush waits for the client to read; one owner's flushes in turn.
      ctx.hooks.on('session:available', (arg) => flushes.run(arg.session, () => flushOffline(ctx, arg.session, cfg)), { owner: 'offline' }),
    ];
  },
};
