import { CapsResolver, answerPubSub, pubsubDiscoFeatures, type PubSubDomainService } from '#libs/pubsub';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { IqDispatcher, type IqAnswer, type Registration } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';

interface HostRequest {
  stanza: PresenceStanza;
  payload: Element;
  host: string;
}

/**
 * The generic service on one host (`pubsub.<domain>`): XEP-0030 disco#info / #items of the service
 * and its nodes, the XEP-0060 protocol, and the answers to XEP-0115 caps queries sent from this host.
 */
export function serveDomain(ctx: PresenceContext, host: string, service: PubSubDomainService): Registration {
  const iq = new IqDispatcher<HostRequest>(ctx.logger);
  const features = pubsubDiscoFeatures('service');
  iq.register('get', NS.discoInfo, (r) => discoInfo(service, r, features), { server: true }, 'pubsub');
  iq.register('get', NS.discoItems, (r) => discoItems(service, r), { server: true }, 'pubsub');
  for (const type of ['get', 'set'] as const) {
    for (const ns of [NS.pubsub, NS.pubsubOwner]) {
      iq.register(
        type,
        ns,
        (r) => answerPubSub(service.engine, r.host, { bare: r.stanza.from.bare().toString(), full: r.stanza.from.toString() }, type, r.payload),
        { server: true },
        'pubsub',
      );
    }
  }
  return ctx.serveDomain(host, async (st) => {
    if (st.env.kind !== 'IQ') return; // messages and presence to the service: nothing to do (yet)
    const el = st.element();
    const type = el.attrs.type;
    if (type === 'result' || type === 'error') {
      if (CapsResolver.isAnswer(el)) await ctx.pep.onCapsAnswer(el);
      return;
    }
    // RFC 6120 §8.4 for a JID at the host that is no node service here.
    if (st.to && (st.to.local || st.to.resource)) {
      const bounce = errorReply(el, new StanzaError('service-unavailable'));
      if (bounce) await ctx.reply(st, bounce);
      return;
    }
    await iq.dispatch(
      el,
      'server',
      (payload) => ({ stanza: st, payload, host }),
      (reply) => ctx.reply(st, reply),
    );
  });
}

async function discoInfo(service: PubSubDomainService, r: HostRequest, features: string[]): Promise<IqAnswer> {
  const node = r.payload.attrs.node;
  const query = xml('query', node ? { xmlns: NS.discoInfo, node } : { xmlns: NS.discoInfo });
  if (node) {
    // XEP-0060 §5.3: a node's identity (leaf), only for those who may see it.
    if (!(await service.engine.node(r.host, node))) return new StanzaError('item-not-found');
    query.append(xml('identity', { category: 'pubsub', type: 'leaf' }));
    query.append(xml('feature', { var: NS.pubsub }));
    return query;
  }
  query.append(xml('identity', { category: 'pubsub', type: 'service', name: 'Publish-Subscribe' }));
  for (const f of [NS.discoInfo, NS.discoItems, ...features]) query.append(xml('feature', { var: f }));
  return query;
}

/** XEP-0060 §5.2: the service's nodes (a flat service: no collections). */
async function discoItems(service: PubSubDomainService, r: HostRequest): Promise<IqAnswer> {
  const node = r.payload.attrs.node;
  const query = xml('query', node ? { xmlns: NS.discoItems, node } : { xmlns: NS.discoItems });
  if (node) return (await service.engine.node(r.host, node)) ? query : new StanzaError('item-not-found');
  for (const n of await service.engine.nodes(r.host)) query.append(xml('item', { jid: r.host, node: n.record.node }));
  return query;
}
