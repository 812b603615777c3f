import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { broadcastUnavailable, onAvailable, onUnavailablePresence } from './broadcast.js';
import { onDirected } from './directed.js';
import { onInboundPresence } from './inbound.js';

/**
 * RFC 6121 §4: presence broadcast (initial, subsequent, unavailable), probes, directed presence and
 * its unavailable at disconnect, the end of sessions (broadcast unavailable, record last activity).
 */
export const presenceFeature: FeatureDefinition<PresenceContext> = {
  name: 'presence',
  spec: { rfc: 6121, section: '4' },
  dependsOn: ['roster'],
  setup: (ctx) => [
    ctx.hooks.on(
      'presence:outbound',
      async ({ stanza }) => {
        if (stanza.to) return onDirected(ctx, stanza);
        if (stanza.type === 'available') await onAvailable(ctx, stanza);
        else if (stanza.type === 'unavailable') await onUnavailablePresence(ctx, stanza);
        return 'stop'; // probes and errors without `to` from a client: nothing to do (§4.3)
      },
      { owner: 'presence' },
    ),
    ctx.hooks.on('presence:inbound', ({ stanza }) => onInboundPresence(ctx, stanza), { owner: 'presence' }),
    ctx.hooks.on(
      'session:ended',
      async ({ event }) => {
        const el = xml('presence', { from: event.jid, type: 'unavailable' }, event.status ? xml('status', {}, event.status) : undefined);
        await broadcastUnavailable(ctx, event.jid, el, event.wasAvailable ?? false);
      },
      { owner: 'presence' },
    ),
  ],
};
