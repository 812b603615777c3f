import { NS, StanzaError } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { MucContext } from '../../muc.context.js';

/** XEP-0410 §3.2: the room answers a ping to its own occupant JID itself (the optimisation it advertises). */
const SELF_PING = 'http://jabber.org/protocol/muc#self-ping-optimization';

/**
 * XEP-0410 MUC Self-Ping 1.1: a client checks it is still joined by pinging its own occupant JID.
 * Joined (the ping comes from one of that occupant's sessions) → result; not joined → not-acceptable;
 * no such room → item-not-found. Other IQs to occupants are not relayed (service-unavailable).
 */
export const selfPingFeature: FeatureDefinition<MucContext> = {
  name: 'muc-self-ping',
  spec: { xep: 410, version: '1.1.0' },
  discoFeatures: [SELF_PING],
  dependsOn: ['muc'],
  setup(ctx) {
    return [
      ctx.occupantIq.register(
        'get',
        NS.ping,
        (req) => {
          if (!req.room) return new StanzaError('item-not-found', { text: 'no such room' });
          const occ = req.room.byNick(req.to.resource);
          if (!occ || !occ.sessions.some((s) => s.jid === req.from.toString()))
            return new StanzaError('not-acceptable', { text: 'not joined under this nick (XEP-0410)' });
          return undefined;
        },
        { server: true },
        'xep-0410',
      ),
    ];
  },
};
