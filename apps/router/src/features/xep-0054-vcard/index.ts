import { z } from 'zod';
import { NS, StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';

export const VCARD_NS = NS.vcard;

const config = z.strictObject({
  /** Largest vCard stored, serialised (avatars in PHOTO make them big). */
  maxBytes: z
    .number()
    .int()
    .min(1)
    .default(128 * 1024),
});

/** XEP-0054: anyone reads an account's vCard; only the owner sets it. */
export const vcardFeature: FeatureDefinition<RouterContext, z.infer<typeof config>> = {
  name: 'vcard',
  spec: { xep: 54, version: '1.2' },
  discoFeatures: [VCARD_NS],
  config,
  setup: (ctx, cfg) => [
    ctx.iq.register(
      'get',
      VCARD_NS,
      async ({ to }) => {
        const stored = await ctx.storage.vcards.get(to.toString());
        // No vCard yet: an empty one (XEP-0054 §3.1 allows it, and clients handle it best).
        return stored ? ctx.parseXml(stored) : xml('vCard', { xmlns: VCARD_NS });
      },
      { account: true },
      'vcard',
    ),
    ctx.iq.register(
      'set',
      VCARD_NS,
      async ({ own, payload, to }) => {
        if (!own) return new StanzaError('forbidden');
        const serialised = payload.toString();
        if (Buffer.byteLength(serialised) > cfg.maxBytes)
          return new StanzaError('not-acceptable', { type: 'modify', text: `vCard larger than ${cfg.maxBytes} bytes` });
        await ctx.storage.vcards.set(to.toString(), serialised);
        return undefined;
      },
      { account: true },
      'vcard',
    ),
  ],
};
