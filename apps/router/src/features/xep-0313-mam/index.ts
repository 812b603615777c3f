import { MAM_EXTENDED } from '#libs/archive';
import { NS } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';
import { archiveReceived, archiveSent } from './archiver.js';
import { handlePrefs } from './prefs.js';
import { describeArchive, queryArchive } from './query.js';
import { QueryRateLimit } from './rate-limit.js';
import { startRetentionSweeper } from './retention.js';

/** Runs before carbons (10) and offline storage (0): their copies carry the recipient's stanza-id. */
const BEFORE_COPIES = 100;

/**
 * XEP-0313 Message Archive Management v1.1 (`urn:xmpp:mam:2`) with XEP-0359 stanza-ids, for user
 * archives (README.md: what is done, what is next). On when `archive.enabled` (the default; then
 * advertised on the account, XEP-0313 §7: `urn:xmpp:mam:2` and `#extended`).
 */
export const mamFeature: FeatureDefinition<RouterContext> = {
  name: 'mam',
  spec: { xep: 313, version: '1.1.1' },
  discoFeatures: [NS.mam, MAM_EXTENDED],
  setup: (ctx) => {
    const cfg = ctx.config.archive;
    if (!cfg.enabled) return [];
    const limit = new QueryRateLimit(cfg.maxQueriesPerMinute);
    return [
      startRetentionSweeper(ctx.storage, cfg, ctx.config.domains, ctx.logger),
      ctx.iq.register(
        'set',
        NS.mam,
        (req) => (req.payload.name === 'prefs' ? handlePrefs(ctx, cfg, req) : queryArchive(ctx, cfg, limit, req)),
        { account: 'own', features: [MAM_EXTENDED] },
        'mam',
      ),
      ctx.iq.register(
        'get',
        NS.mam,
        (req) => (req.payload.name === 'prefs' ? handlePrefs(ctx, cfg, req) : describeArchive(ctx, req)),
        { account: 'own', features: [MAM_EXTENDED] },
        'mam',
      ),
      ctx.hooks.on('message:sent', ({ stanza }) => archiveSent(ctx, cfg, stanza), { priority: BEFORE_COPIES, owner: 'mam' }),
      ctx.hooks.on('message:local', ({ stanza }) => archiveReceived(ctx, cfg, stanza, stanza.to.bare().toString()), { priority: BEFORE_COPIES, owner: 'mam' }),
      ctx.hooks.on('message:offline', ({ stanza, owner }) => archiveReceived(ctx, cfg, stanza, owner), { priority: BEFORE_COPIES, owner: 'mam' }),
    ];
  },
};
