import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { onInbound, onOutbound } from './subscriptions.js';

/**
 * RFC 6121 §3 and Appendix A: the subscription state machine, outbound and inbound, with §3.4
 * pre-approval. (The edge advertises <sub xmlns='urn:xmpp:features:pre-approval'/> as a stream feature.)
 */
export const subscriptionsFeature: FeatureDefinition<PresenceContext> = {
  name: 'subscriptions',
  spec: { rfc: 6121, section: '3' },
  discoFeatures: [],
  dependsOn: ['roster'],
  setup: (ctx) => [
    ctx.hooks.on('presence:outbound', ({ stanza }) => onOutbound(ctx, stanza), { owner: 'subscriptions', priority: 10 }),
    ctx.hooks.on('presence:inbound', ({ stanza }) => onInbound(ctx, stanza), { owner: 'subscriptions', priority: 10 }),
  ],
};
