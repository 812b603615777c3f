import { z } from 'zod';
import { LEGACY_BOOKMARKS_NS, bookmarksCompatPepConfigSchema, legacySet, legacyView, mirrorToLegacyPep } from '#libs/bookmarks';
import { NS, StanzaError } from '#libs/stanza';
import { Element } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import { routerPep } from '../../core/router-pep.js';
import type { RouterContext } from '../../router.context.js';

export const PRIVATE_NS = NS.private;
/** XEP-0402 1.1.4 §5.3: private XML bookmarks and PEP native bookmarks are one list. */
export const BOOKMARKS_COMPAT = 'urn:xmpp:bookmarks:1#compat';
/** XEP-0411 1.1.0 §2: private XML ⇄ the XEP-0048 PEP node, here through the XEP-0402 items. */
export const BOOKMARKS_CONVERSION = 'urn:xmpp:bookmarks-conversion:0';

/** XEP-0049 §3: namespaces that can never be stored. */
const REFUSED = new Set<string>([NS.client, NS.server, PRIVATE_NS]);

const config = z.strictObject({
  /**
   * XEP-0402 #compat: `<storage xmlns='storage:bookmarks'/>` (XEP-0048 over XEP-0049) reads and
   * writes the user's XEP-0402 PEP bookmarks, so old and new clients share one list.
   */
  bookmarksCompat: z.boolean().default(true),
});

const isBookmarks = (item: Element) => item.name === 'storage' && item.attrs.xmlns === LEGACY_BOOKMARKS_NS;

/** XEP-0049: one XML element per (account, qualified name), only for the account itself. */
export const privateFeature: FeatureDefinition<RouterContext, z.infer<typeof config>> = {
  name: 'private',
  spec: { xep: 49, version: '1.2' },
  discoFeatures: [PRIVATE_NS],
  config,
  setup: (ctx, cfg) => {
    const pep = cfg.bookmarksCompat ? routerPep(ctx) : undefined; // none while features.pubsub.enabled is off
    // presence's #compat-pep (same key): the router's own writes must reach the legacy PEP item too.
    // A bad value fails presence's boot with the key named (its feature owns the schema); here the default holds.
    const compatPep = pep !== undefined && (bookmarksCompatPepConfigSchema.safeParse(ctx.config.features.bookmarksCompatPep ?? {}).data?.enabled ?? true);
    const children = (payload: Element) => payload.elements();
    const check = (own: boolean, items: Element[]) => {
      if (!own) return new StanzaError('forbidden');
      if (items.length === 0) return new StanzaError('bad-request');
      for (const item of items) {
        const ns = item.attrs.xmlns;
        if (!ns) return new StanzaError('bad-request');
        if (REFUSED.has(ns)) return new StanzaError('not-acceptable');
      }
      return undefined;
    };
    const registrations = [
      ctx.iq.register(
        'get',
        PRIVATE_NS,
        async ({ own, payload, to }) => {
          const items = children(payload);
          const problem = check(own, items);
          if (problem) return problem;
          const owner = to.toString();
          const out = new Element('query', { xmlns: PRIVATE_NS });
          for (const item of items) {
            const raw = await ctx.storage.privateXml.get(owner, item.name, item.attrs.xmlns!);
            const stored = raw ? ctx.parseXml(raw) : undefined;
            if (pep && isBookmarks(item)) {
              const view = await legacyView(pep, owner, stored);
              if (view instanceof StanzaError) return view;
              out.append(view);
            } else out.append(stored ?? new Element(item.name, { xmlns: item.attrs.xmlns! }));
          }
          return out;
        },
        { account: true },
        'private',
      ),
      ctx.iq.register(
        'set',
        PRIVATE_NS,
        async ({ own, payload, to }) => {
          const items = children(payload);
          const problem = check(own, items);
          if (problem) return problem;
          const owner = to.toString();
          for (const item of items) {
            if (pep && isBookmarks(item)) {
              const failed = (await legacySet(pep, owner, item)) ?? (compatPep ? await mirrorToLegacyPep(pep, owner) : undefined);
              if (failed) return failed;
            }
            // Stored as sent too: what XEP-0402 cannot hold (URL bookmarks) is read back from here.
            await ctx.storage.privateXml.set(owner, item.name, item.attrs.xmlns!, item.toString());
          }
          return undefined;
        },
        { account: true },
        'private',
      ),
    ];
    if (pep) {
      const advertised = compatPep ? [BOOKMARKS_COMPAT, BOOKMARKS_CONVERSION] : [BOOKMARKS_COMPAT];
      for (const f of advertised) ctx.accountDisco.features.add(f);
      registrations.push(() => {
        for (const f of advertised) ctx.accountDisco.features.delete(f);
      });
    }
    return registrations;
  },
};
