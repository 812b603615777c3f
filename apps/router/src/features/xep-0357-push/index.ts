import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';
import { pushCommand } from './enable.js';
import { PUSH_NS } from './notification.js';
import { pushConfigSchema, type PushConfig } from './push.config.js';
import { remoteDisable } from './remote-disable.js';
import { PushPublisher } from './publisher.js';

/**
 * XEP-0357 Push Notifications v0.4.1, the user's server side (README.md): `<enable/>`/`<disable/>`
 * on the account (§5, §6), and a publish to every enabled push service when a message waits for
 * the account, held for a detached XEP-0198 session or stored offline (§7); §8 remote disabling. Off by default
 * (`features.push.enabled`); off, nothing is registered and urn:xmpp:push:0 is not advertised.
 */
export const pushFeature: FeatureDefinition<RouterContext, PushConfig> = {
  name: 'push',
  spec: { xep: 357, version: '0.4.1' },
  discoFeatures: [PUSH_NS],
  config: pushConfigSchema,
  setup: (ctx, cfg) => {
    if (!cfg.enabled) return [];
    const publisher = new PushPublisher(ctx, cfg);
    publisher.start();
    return [
      // §3.1: the feature shows on the account (disco#info of the bare JID), for its owner
      ctx.iq.register('set', PUSH_NS, (req) => pushCommand(ctx, cfg, req), { account: 'own' }, 'push'),
      ctx.hooks.on('message:waiting', (arg) => publisher.onWaiting(arg), { owner: 'push' }),
      ctx.hooks.on('session:detached', (arg) => publisher.onDetached(arg), { owner: 'push' }),
      // before blocking (100): an answer to our own publish is ours whoever the account blocked
      ctx.hooks.on('stanza:routing', ({ stanza }) => publisher.takeAnswer(stanza), { owner: 'push', priority: 200 }),
      ctx.hooks.on('stanza:routing', ({ stanza }) => remoteDisable(ctx, stanza), { owner: 'push', priority: 150 }),
      () => void publisher.stop(),
    ];
  },
};

export { PushPublisher } from './publisher.js';
