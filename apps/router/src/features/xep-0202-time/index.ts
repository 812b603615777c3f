import { NS } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';

export const TIME_NS = NS.time;

/** XEP-0202: the server's time, in UTC (the server keeps no other zone). */
export const timeFeature: FeatureDefinition<RouterContext> = {
  name: 'time',
  spec: { xep: 202, version: '2.0' },
  discoFeatures: [TIME_NS],
  setup: (ctx) => [
    ctx.iq.register(
      'get',
      TIME_NS,
      () => xml('time', { xmlns: TIME_NS }, xml('tzo', {}, '+00:00'), xml('utc', {}, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'))),
      { server: true },
      'time',
    ),
  ],
};
