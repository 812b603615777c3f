import { AVATAR_METADATA_NODE } from '#libs/avatars';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { metadataToVcard } from './pep-to-vcard.js';

export const PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

/**
 * XEP-0398 (User Avatar to vCard-Based Avatars Conversion 1.0.0): a user's XEP-0084 avatar publish
 * becomes the PHOTO of the vCard (§3.1, here, where PEP runs); a vCard set with a PHOTO is published
 * to the avatar nodes by the router's vcard-temp feature (§3.2); the vCard's hash goes into presence
 * (§4, the vcardAvatars feature). The account advertises the conversion (§2) while this runs.
 */
export const avatarConversionFeature: FeatureDefinition<PresenceContext> = {
  name: 'avatarConversion',
  spec: { xep: 398, version: '1.0.0' },
  dependsOn: ['pubsub', 'vcardAvatars'],
  setup: (ctx) => {
    if (!ctx.pep.cfg.enabled) return []; // no PEP: nothing to convert, nothing advertised
    ctx.accountDisco.features.add(PEP_VCARD_CONVERSION);
    return [
      ctx.hooks.on(
        'pep:published',
        async ({ owner, node, item }) => {
          if (node === AVATAR_METADATA_NODE && item.payload) await metadataToVcard(ctx, owner, item.payload);
        },
        { owner: 'avatarConversion' },
      ),
      () => void ctx.accountDisco.features.delete(PEP_VCARD_CONVERSION),
    ];
  },
};
