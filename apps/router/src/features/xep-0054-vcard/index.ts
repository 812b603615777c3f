import { z } from 'zod';
import { NS, StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import { routerPep } from '../../core/router-pep.js';
import type { RouterContext } from '../../router.context.js';
import { vcardToPep } from './vcard-to-pep.js';

export const VCARD_NS = NS.vcard;

const config = z.strictObject({
  /** Largest vCard stored, serialised (avatars in PHOTO make them big). */
  maxBytes: z
    .number()
    .int()
    .min(1)
    .default(128 * 1024),
  /**
   * XEP-0398 §3.2: a vCard set with a PHOTO also publishes it as the XEP-0084 avatar (PEP), so
   * clients that read only PEP avatars see it. The PEP → vCard direction is presence's
   * `features.avatarConversion`.
   */
  toPep: z.boolean().default(true),
});

/** XEP-0054: anyone reads an account's vCard; only the owner sets it (and, XEP-0398, its photo goes to PEP). */
export const vcardFeature: FeatureDefinition<RouterContext, z.infer<typeof config>> = {
  name: 'vcard',
  spec: { xep: 54, version: '1.2' },
  discoFeatures: [VCARD_NS],
  config,
  setup: (ctx, cfg) => {
    // The router's own handle on PEP (libs/pubsub keeps its state in storage and the bus KV).
    const pep = cfg.toPep ? routerPep(ctx) : undefined; // none while features.pubsub.enabled is off
    return [
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
          if (pep) {
            // The vCard is stored either way; a refused PEP copy is logged, not the client's error.
            const outcome = await vcardToPep(pep, to.toString(), payload);
            if (outcome instanceof StanzaError)
              ctx.logger.warn({ jid: to.toString(), condition: outcome.condition }, 'vCard photo not published to PEP (XEP-0398)');
          }
          return undefined;
        },
        { account: true },
        'vcard',
      ),
    ];
  },
};
