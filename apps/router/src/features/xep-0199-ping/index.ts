import { NS } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';

export const PING_NS = NS.ping;

/** XEP-0199: the server answers pings to itself and to accounts' bare JIDs. */
export const pingFeature: FeatureDefinition<RouterContext> = {
  name: 'ping',
  spec: { xep: 199, version: '2.0.1' },
  discoFeatures: [PING_NS],
  setup: (ctx) => [ctx.iq.register('get', PING_NS, () => undefined, { server: true, account: true }, 'ping')],
};
