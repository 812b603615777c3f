import type { FeatureDefinition, HookResult } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { stampPresence, storedAvatarHash, wantsStamp } from '#libs/avatars';

/**
 * XEP-0153 vCard-based avatars, server side: the hash of the avatar in the user's stored vCard goes
 * into every available presence a session sends, broadcast or directed (a MUC join too), as
 * XEP-0398 §4 asks of a server, so clients need not fetch their own vCard at each login. Runs before
 * the presence feature routes and records the presence (priority above its handler), so probes
 * answered from the recorded presence carry the hash as well.
 */
export const vcardAvatarsFeature: FeatureDefinition<PresenceContext> = {
  name: 'vcardAvatars',
  spec: { xep: 153, version: '1.1.1' },
  dependsOn: ['presence'],
  setup: (ctx) => [
    ctx.hooks.on(
      'presence:outbound',
      async ({ stanza }): Promise<HookResult> => {
        if (stanza.type !== 'available') return 'continue';
        const el = stanza.element();
        if (!wantsStamp(el)) return 'continue';
        const stored = await ctx.storage.vcards.get(stanza.from.bare().toString());
        const hash = storedAvatarHash(stored === undefined ? undefined : ctx.parseXml(stored));
        if (hash !== undefined) stampPresence(el, hash);
        return 'continue';
      },
      { owner: 'vcardAvatars', priority: 50 },
    ),
  ],
};
