import { NS, StanzaError } from '#libs/stanza';
import { Element } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';

export const PRIVATE_NS = NS.private;

/** XEP-0049 §3: namespaces that can never be stored. */
const REFUSED = new Set<string>([NS.client, NS.server, PRIVATE_NS]);

/** XEP-0049: one XML element per (account, qualified name), only for the account itself. */
export const privateFeature: FeatureDefinition<RouterContext> = {
  name: 'private',
  spec: { xep: 49, version: '1.2' },
  discoFeatures: [PRIVATE_NS],
  setup: (ctx) => {
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
    return [
      ctx.iq.register(
        'get',
        PRIVATE_NS,
        async ({ own, payload, to }) => {
          const items = children(payload);
          const problem = check(own, items);
          if (problem) return problem;
          const out = new Element('query', { xmlns: PRIVATE_NS });
          for (const item of items) {
            const stored = await ctx.storage.privateXml.get(to.toString(), item.name, item.attrs.xmlns!);
            out.append(stored ? ctx.parseXml(stored) : new Element(item.name, { xmlns: item.attrs.xmlns! }));
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
          for (const item of items) await ctx.storage.privateXml.set(to.toString(), item.name, item.attrs.xmlns!, item.toString());
          return undefined;
        },
        { account: true },
        'private',
      ),
    ];
  },
};
