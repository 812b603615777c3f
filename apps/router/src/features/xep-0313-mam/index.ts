import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';
import { archiveReceived, archiveSent } from './archiver.js';

/** Runs before carbons (10) and offline storage (0): their copies carry the recipient's stanza-id. */
const BEFORE_COPIES = 100;

/**
 * XEP-0313 Message Archive Management v1.1 (`urn:xmpp:mam:2`) with XEP-0359 stanza-ids, for user
 * archives (README.md: what is done, what is next). On when `archive.enabled`; nothing is advertised
 * until the query side is complete.
 */
export const mamFeature: FeatureDefinition<RouterContext> = {
  name: 'mam',
  spec: { xep: 313, version: '1.1.1' },
  // Advertised once queries work (step 4 of the feature README), not before.
  discoFeatures: [],
  setup: (ctx) => {
    const cfg = ctx.config.archive;
    if (!cfg.enabled) return [];
    return [
      ctx.hooks.on('message:sent', ({ stanza }) => archiveSent(ctx, cfg, stanza), { priority: BEFORE_COPIES, owner: 'mam' }),
      ctx.hooks.on('message:local', ({ stanza }) => archiveReceived(ctx, cfg, stanza, stanza.to.bare().toString()), { priority: BEFORE_COPIES, owner: 'mam' }),
      ctx.hooks.on('message:offline', ({ stanza, owner }) => archiveReceived(ctx, cfg, stanza, owner), { priority: BEFORE_COPIES, owner: 'mam' }),
    ];
  },
};
