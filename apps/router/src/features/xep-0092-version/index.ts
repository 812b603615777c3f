import { release, type } from 'node:os';
import { z } from 'zod';
import { NS } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';

export const VERSION_NS = NS.version;

const config = z.strictObject({
  name: z.string().min(1).default('Glider'),
  version: z.string().min(1).default('0.1.0'),
  /** Revealing the OS helps attackers more than users: off unless asked for. */
  showOs: z.boolean().default(false),
});

/** XEP-0092: the server's software version (queries to a user's JID go to their clients). */
export const versionFeature: FeatureDefinition<RouterContext, z.infer<typeof config>> = {
  name: 'version',
  spec: { xep: 92, version: '1.1' },
  discoFeatures: [VERSION_NS],
  config,
  setup: (ctx, cfg) => [
    ctx.iq.register(
      'get',
      VERSION_NS,
      () =>
        xml(
          'query',
          { xmlns: VERSION_NS },
          xml('name', {}, cfg.name),
          xml('version', {}, cfg.version),
          cfg.showOs ? xml('os', {}, `${type()} ${release()}`) : undefined,
        ),
      { server: true },
      'version',
    ),
  ],
};
