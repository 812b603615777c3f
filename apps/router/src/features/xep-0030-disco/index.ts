import { PepDisco } from '#libs/pubsub';
import { NS, StanzaError } from '#libs/stanza';
import { Element, xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';

export const DISCO_INFO_NS = NS.discoInfo;
export const DISCO_ITEMS_NS = NS.discoItems;

/**
 * XEP-0030 on the server (identity server/im, every loaded feature) and on accounts (identity
 * account/registered, answered by the server for the account's owner and its presence subscribers).
 */
export const discoFeature: FeatureDefinition<RouterContext> = {
  name: 'disco',
  spec: { xep: 30, version: '2.5rc3' },
  discoFeatures: [DISCO_INFO_NS, DISCO_ITEMS_NS],
  setup: (ctx) => {
    /** XEP-0030 §8: only the owner and contacts with a subscription learn about an account. */
    const mayDiscover = async ({ own, to, from }: IqRequest) => {
      if (own) return true;
      const sub = await ctx.subscriptionOf(to.toString(), from.bare().toString());
      return sub === 'from' || sub === 'both';
    };
    // XEP-0163 on accounts: nodes are PEP nodes while a service declares identity pubsub/pep.
    const pep = new PepDisco(ctx.storage, ctx.config);
    const pepRuns = () => ctx.addressing.accountDisco().identities.some((i) => i.category === 'pubsub' && i.type === 'pep');
    const fromNode = (req: IqRequest, kind: 'info' | 'items') => {
      const node = req.payload.attrs.node!;
      if (!req.toServer && pepRuns()) {
        if (kind === 'info') return pep.info(req.to.toString(), node, req.from.bare().toString());
        return pep
          .info(req.to.toString(), node, req.from.bare().toString())
          .then((r) => (r instanceof StanzaError ? r : xml('query', { xmlns: DISCO_ITEMS_NS, node })));
      }
      const provider = req.toServer ? ctx.discoNodes.find(node) : undefined;
      return provider ? provider[kind](node, req) : new StanzaError('item-not-found');
    };
    const info = async (req: IqRequest) => {
      if (req.payload.attrs.node) return fromNode(req, 'info');
      const query = new Element('query', { xmlns: DISCO_INFO_NS });
      if (req.toServer) {
        query.append(xml('identity', { category: 'server', type: 'im', name: 'Glider' }));
        for (const f of ctx.discoFeatures()) query.append(xml('feature', { var: f }));
        for (const form of ctx.discoNodes.infoForms(req.to.domain)) query.append(form);
        return query;
      }
      if (!(await mayDiscover(req))) return new StanzaError('service-unavailable');
      query.append(xml('identity', { category: 'account', type: 'registered' }));
      // XEP-0163 §6.1: what services add to an account (PEP: identity pubsub/pep and its features).
      const extra = ctx.addressing.accountDisco();
      for (const i of extra.identities) query.append(xml('identity', i));
      for (const f of new Set([...ctx.addressing.accountNamespaces(req.own), ...extra.features])) query.append(xml('feature', { var: f }));
      return query;
    };
    const items = async (req: IqRequest) => {
      if (req.payload.attrs.node) return fromNode(req, 'items');
      if (!req.toServer && !(await mayDiscover(req))) return new StanzaError('service-unavailable');
      const query = xml('query', { xmlns: DISCO_ITEMS_NS });
      // XEP-0030 §4: the server's items are the services running under it now (a declaration
      // vanishes with its last instance, so a stopped or disabled service is not listed).
      if (req.toServer) {
        for (const d of ctx.addressing.serviceDomains()) if (d.endsWith(`.${req.to.domain}`)) query.append(xml('item', { jid: d }));
      } else if (req.own && pepRuns()) {
        for (const item of await pep.items(req.to.toString())) query.append(item);
      }
      return query;
    };
    return [
      ctx.iq.register('get', DISCO_INFO_NS, info, { server: true, account: true }, 'disco'),
      ctx.iq.register('get', DISCO_ITEMS_NS, items, { server: true, account: true }, 'disco'),
    ];
  },
};
