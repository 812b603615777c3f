import { z } from 'zod';
import { NS } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { rosterGet } from './roster-get.js';
import { pushChange } from './roster-push.js';
import { rosterSet } from './roster-set.js';

const config = z.strictObject({
  /** Longest item name and group name accepted (RFC 6121 §2.3.3: not-acceptable beyond). */
  maxNameChars: z.number().int().min(1).default(1024),
  maxGroupChars: z.number().int().min(1).default(1024),
});
export type RosterConfig = z.infer<typeof config>;

/** RFC 6121 §2: roster get, set, remove, pushes to interested resources, and §2.6 versioning. */
export const rosterFeature: FeatureDefinition<PresenceContext, RosterConfig> = {
  name: 'roster',
  spec: { rfc: 6121, section: '2' },
  discoFeatures: [NS.roster],
  config,
  setup: (ctx, cfg) => [
    // RFC 6121 §2.1.3: the roster is only the owner's own (others get service-unavailable from the table).
    ctx.iq.register('get', NS.roster, ({ stanza, payload }) => rosterGet(ctx, stanza, payload), { account: 'own' }, 'roster'),
    ctx.iq.register('set', NS.roster, ({ stanza, payload }) => rosterSet(ctx, stanza, payload, cfg), { account: 'own' }, 'roster'),
    ctx.hooks.on('roster:changed', ({ owner, change }) => pushChange(ctx, owner, change), { owner: 'roster' }),
  ],
};
