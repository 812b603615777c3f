import { createHash } from 'node:crypto';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { MucContext } from '../../muc.context.js';

export const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';

/** XEP-0421 §3: stable per (room, real bare JID), opaque, the same on every replica: a hash keyed by the room's salt. */
export function occupantId(salt: string, room: string, bare: string): string {
  return createHash('sha256').update(`${salt}\0${room}\0${bare}`).digest('base64url');
}

/**
 * XEP-0421 Anonymous unique occupant identifiers 0.3: every presence and groupchat message the
 * room sends from an occupant carries `<occupant-id/>`; any a client put there itself is removed
 * first (§4), so it cannot be forged.
 */
export const occupantIdFeature: FeatureDefinition<MucContext> = {
  name: 'muc-occupant-id',
  spec: { xep: 421, version: '0.3.0' },
  discoFeatures: [NS_OCCUPANT_ID],
  dependsOn: ['muc'],
  setup(ctx) {
    return [
      ctx.hooks.on(
        'occupant-stanza',
        ({ room, occupant, el }) => {
          for (const forged of el.getChildren('occupant-id', NS_OCCUPANT_ID)) el.remove(forged);
          el.append(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: occupantId(room.record.salt, room.jid, occupant.bare) }));
        },
        { owner: 'xep-0421' },
      ),
    ];
  },
};
