import {
  BOOKMARKS_NODE,
  LEGACY_BOOKMARKS_NODE,
  LEGACY_BOOKMARKS_NS,
  bookmarksCompatPepConfigSchema,
  fromLegacy,
  mirrorToLegacyPep,
  pepBookmarks,
  syncToPep,
  type BookmarksCompatPepConfig,
} from '#libs/bookmarks';
import type { StanzaError } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';

export const BOOKMARKS_COMPAT_PEP = 'urn:xmpp:bookmarks:1#compat-pep';

/**
 * XEP-0402 1.1.4 §5.3 `#compat-pep`: the XEP-0048 list a legacy client keeps in PEP (node
 * `storage:bookmarks`, item `current`, XEP-0223) and the XEP-0402 items are one list. A legacy
 * publish becomes per-room publishes and retractions of `urn:xmpp:bookmarks:1` (unchanged rooms
 * send nothing); any change of the XEP-0402 items rewrites the legacy item. The router's private
 * XML (#compat) writes the legacy item too, which makes XEP-0411 hold (private XML ⇄ PEP).
 */
export const bookmarksPepFeature: FeatureDefinition<PresenceContext, BookmarksCompatPepConfig> = {
  name: 'bookmarksCompatPep',
  spec: { xep: 402, version: '1.1.4', section: '5.3' },
  config: bookmarksCompatPepConfigSchema,
  dependsOn: ['pubsub'],
  setup: (ctx, cfg) => {
    if (!cfg.enabled || !ctx.pep.cfg.enabled) return [];
    // The publishes made here fire the hooks again (same process, same call chain): an owner whose
    // lists are being lined up is not lined up a second time from inside.
    const busy = new Set<string>();
    const once = async (owner: string, work: () => Promise<StanzaError | undefined>) => {
      if (busy.has(owner)) return;
      busy.add(owner);
      try {
        const failed = await work();
        if (failed) ctx.logger.warn({ jid: owner, condition: failed.condition, text: failed.text }, 'bookmarks not converted (XEP-0402 #compat-pep)');
      } finally {
        busy.delete(owner);
      }
    };
    ctx.accountDisco.features.add(BOOKMARKS_COMPAT_PEP);
    return [
      ctx.hooks.on(
        'pep:published',
        async ({ owner, node, item }) => {
          if (node === BOOKMARKS_NODE) await once(owner, () => mirrorToLegacyPep(ctx.pep, owner));
          else if (node === LEGACY_BOOKMARKS_NODE && item.payload?.is('storage', LEGACY_BOOKMARKS_NS)) {
            const wanted = fromLegacy(item.payload);
            await once(owner, async () => syncToPep(ctx.pep, owner, (await pepBookmarks(ctx.pep, owner)) ?? [], wanted));
          }
        },
        { owner: 'bookmarksCompatPep' },
      ),
      ctx.hooks.on(
        'pep:retracted',
        async ({ owner, node }) => {
          if (node === BOOKMARKS_NODE) await once(owner, () => mirrorToLegacyPep(ctx.pep, owner));
        },
        { owner: 'bookmarksCompatPep' },
      ),
      () => void ctx.accountDisco.features.delete(BOOKMARKS_COMPAT_PEP),
    ];
  },
};
