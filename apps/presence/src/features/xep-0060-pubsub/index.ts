import { PubSubDomainService, pubsubConfigSchema, pubsubDiscoFeatures, type PubSubConfig } from '#libs/pubsub';
import { NS } from '#libs/stanza';
import type { FeatureDefinition, Registration } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { watchCaps } from './caps-presence.js';
import { serveDomain } from './domain-service.js';
import { answerPep } from './pep-iq.js';

/**
 * XEP-0060 PubSub v1.24.1 and XEP-0163 PEP v1.2.2 (with XEP-0223 v1.1.1 publish-options, XEP-0222 v1.0.1
 * persistent storage defaults, XEP-0115 v1.6.0 caps for +notify), owned by the presence service as
 * DESIGN.md says: PEP IQs to any local account's bare JID, the generic service on
 * `<subdomain>.<domain>`, last items when a contact becomes available. `features.pubsub.*`.
 */
export const pubsubFeature: FeatureDefinition<PresenceContext, PubSubConfig> = {
  name: 'pubsub',
  spec: { xep: 163, version: '1.2.2' },
  // PEP's features are an account's (XEP-0163 §6.1, declared through ctx.accountDisco with the
  // identity pubsub/pep); the server lists them too, where Smack's OMEMO and OX look for PubSub.
  // The generic service answers its own disco#info on pubsub.<domain>.
  discoFeatures: pubsubDiscoFeatures('pep'),
  config: pubsubConfigSchema,
  dependsOn: ['presence'],
  setup: (ctx, cfg) => {
    if (!cfg.enabled) return [];
    const regs: Registration[] = [];
    const features = pubsubDiscoFeatures('pep');
    for (const f of features) ctx.accountDisco.features.add(f);
    ctx.accountDisco.identities.add('pubsub/pep');
    regs.push(() => {
      for (const f of features) ctx.accountDisco.features.delete(f);
      ctx.accountDisco.identities.delete('pubsub/pep');
    });
    for (const type of ['get', 'set'] as const) {
      for (const ns of [NS.pubsub, NS.pubsubOwner]) regs.push(ctx.iq.register(type, ns, (req) => answerPep(ctx, type, req), { account: true }, 'pubsub'));
    }
    const service = new PubSubDomainService(ctx.storage, cfg, ctx.pep.recipients, (x) => ctx.parseXml(x), ctx.logger);
    for (const domain of ctx.config.domains) regs.push(serveDomain(ctx, `${cfg.subdomain}.${domain}`, service));
    regs.push(...watchCaps(ctx, cfg));
    regs.push(ctx.pep.onPublished((e) => ctx.hooks.run('pep:published', e).then(() => undefined)));
    regs.push(ctx.pep.onRetracted((e) => ctx.hooks.run('pep:retracted', e).then(() => undefined)));
    return regs;
  },
};
