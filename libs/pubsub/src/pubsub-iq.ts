import { NS, StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { NODE_CONFIG_FORM, PUBLISH_OPTIONS_FORM, configForm, submittedValues } from './node-config.js';
import { itemElement } from './notifications.js';
import type { PubSubEngine } from './pubsub-engine.js';
import { pubsubError } from './pubsub-errors.js';
import type { Affiliation } from './pubsub-node.js';

/** Who asks: the requester's bare JID (permissions) and full JID (subscriptions). */
export interface PubSubActor {
  bare: string;
  full: string;
}

type Answer = Element | undefined | StanzaError;

/**
 * The XEP-0060 IQ protocol (§5–§8) on one service (an account's PEP service or pubsub.<domain>):
 * one `<pubsub/>` (or `#owner`) request → the engine → the result payload or the §7/§8 error.
 */
export async function answerPubSub(engine: PubSubEngine, service: string, actor: PubSubActor, type: 'get' | 'set', payload: Element): Promise<Answer> {
  const owner = payload.xmlns === NS.pubsubOwner;
  const ops = payload.elements();
  const op = ops[0];
  if (!op) return new StanzaError('bad-request', { text: 'an empty <pubsub/>' });
  if (owner) return ownerOp(engine, service, actor, type, op);
  if (type === 'set' && op.name === 'publish') return publish(engine, service, actor, op, payload.getChild('publish-options'));
  if (type === 'set' && op.name === 'create') return create(engine, service, actor, op, payload.getChild('configure'));
  if (ops.length !== 1) return new StanzaError('bad-request', { text: 'one request per <pubsub/>' });
  const node = op.attrs.node ?? '';
  if (type === 'get' && op.name === 'items') return items(engine, service, actor, op);
  if (type === 'set' && op.name === 'retract') {
    const ids = op.getChildren('item').map((i) => i.attrs.id ?? '');
    if (ids.length !== 1 || !ids[0]) return pubsubError('bad-request', 'item-required', 'retract one <item id=.../>');
    const notify = op.attrs.notify === 'true' || op.attrs.notify === '1';
    return unit(await engine.retract(service, node, actor.bare, ids[0], notify || engine.kind === 'pep'));
  }
  if (type === 'set' && op.name === 'subscribe') {
    const done = await engine.subscribe(service, node, actor.bare, op.attrs.jid ?? '');
    if (done instanceof StanzaError) return done;
    return xml('pubsub', { xmlns: NS.pubsub }, xml('subscription', { node, jid: op.attrs.jid ?? '', subid: done.subid, subscription: 'subscribed' }));
  }
  if (type === 'set' && op.name === 'unsubscribe') return unit(await engine.unsubscribe(service, node, actor.bare, op.attrs.jid ?? ''));
  if (type === 'get' && op.name === 'subscriptions') {
    const subs = await engine.subscriptionsOf(service, actor.bare, op.attrs.node);
    const list = xml('subscriptions', op.attrs.node ? { node } : {});
    for (const s of subs) list.append(xml('subscription', { node: s.node, jid: s.jid, subid: s.subid, subscription: s.state }));
    return xml('pubsub', { xmlns: NS.pubsub }, list);
  }
  if (type === 'get' && op.name === 'affiliations') {
    const nodes = op.attrs.node ? [await engine.node(service, node)].filter((n) => n !== undefined) : await engine.nodes(service);
    const list = xml('affiliations', op.attrs.node ? { node } : {});
    for (const n of nodes) {
      const a = engine.kind === 'pep' && actor.bare === service ? 'owner' : n.record.affiliations[actor.bare];
      if (a) list.append(xml('affiliation', { node: n.record.node, affiliation: a }));
    }
    return xml('pubsub', { xmlns: NS.pubsub }, list);
  }
  return pubsubError('feature-not-implemented', 'unsupported', `<${op.name}/> (${type}) is not supported`, op.name);
}

async function publish(engine: PubSubEngine, service: string, actor: PubSubActor, op: Element, optionsEl: Element | undefined): Promise<Answer> {
  const node = op.attrs.node;
  if (!node) return pubsubError('bad-request', 'nodeid-required', 'publish names a node');
  const items = op.getChildren('item');
  if (items.length > 1) return pubsubError('bad-request', 'invalid-payload', 'one item per publish');
  const payloads = items[0]?.elements() ?? [];
  if (payloads.length > 1) return pubsubError('bad-request', 'invalid-payload', 'an item holds one payload element');
  let options: Map<string, string[]> | undefined;
  if (optionsEl) {
    const values = submittedValues(optionsEl.getChild('x', NS.xdata), PUBLISH_OPTIONS_FORM);
    if (values instanceof StanzaError) return values;
    options = values;
  }
  const done = await engine.publish(service, node, actor.bare, { id: items[0]?.attrs.id, payload: payloads[0], options });
  if (done instanceof StanzaError) return done;
  return xml('pubsub', { xmlns: NS.pubsub }, xml('publish', { node }, xml('item', { id: done.id })));
}

async function create(engine: PubSubEngine, service: string, actor: PubSubActor, op: Element, configureEl: Element | undefined): Promise<Answer> {
  let values: Map<string, string[]> | undefined;
  const x = configureEl?.getChild('x', NS.xdata);
  if (x) {
    const v = submittedValues(x, NODE_CONFIG_FORM);
    if (v instanceof StanzaError) return v;
    values = v;
  }
  const created = await engine.create(service, op.attrs.node ?? '', actor.bare, values);
  if (created instanceof StanzaError) return created;
  // §8.1.2: an instant node's name goes back in the result
  return op.attrs.node ? undefined : xml('pubsub', { xmlns: NS.pubsub }, xml('create', { node: created.record.node }));
}

async function items(engine: PubSubEngine, service: string, actor: PubSubActor, op: Element): Promise<Answer> {
  const node = op.attrs.node;
  if (!node) return pubsubError('bad-request', 'nodeid-required', 'items names a node');
  const ids = op
    .getChildren('item')
    .map((i) => i.attrs.id)
    .filter((id): id is string => !!id);
  const maxAttr = op.attrs.max_items;
  if (maxAttr !== undefined && !/^\d+$/.test(maxAttr)) return new StanzaError('bad-request', { text: 'max_items is a number' });
  const got = await engine.items(service, node, actor.bare, { ...(ids.length ? { ids } : {}), ...(maxAttr !== undefined ? { max: Number(maxAttr) } : {}) });
  if (got instanceof StanzaError) return got;
  // §6.5.7: newest first is this service's order; the client reads them as sent.
  const list = xml('items', { node }, ...got.map((i) => itemElement(i, true)));
  return xml('pubsub', { xmlns: NS.pubsub }, list);
}

async function ownerOp(engine: PubSubEngine, service: string, actor: PubSubActor, type: 'get' | 'set', op: Element): Promise<Answer> {
  const node = op.attrs.node ?? '';
  const wrap = (...children: Element[]) => xml('pubsub', { xmlns: NS.pubsubOwner }, ...children);
  if (type === 'get' && op.name === 'default') return wrap(xml('default', {}, configForm(engine.defaults())));
  if (type === 'get' && op.name === 'configure') {
    const n = await engine.node(service, node);
    if (!n) return new StanzaError('item-not-found', { text: `no node ${node}` });
    const affs = await engine.affiliations(service, node, actor.bare);
    if (affs instanceof StanzaError) return affs;
    return wrap(xml('configure', { node }, configForm(n.config)));
  }
  if (type === 'set' && op.name === 'configure') {
    const values = submittedValues(op.getChild('x', NS.xdata), NODE_CONFIG_FORM);
    if (values instanceof StanzaError) return values;
    return unit(await engine.configure(service, node, actor.bare, values));
  }
  if (type === 'set' && op.name === 'delete') return unit(await engine.deleteNode(service, node, actor.bare));
  if (type === 'set' && op.name === 'purge') return unit(await engine.purge(service, node, actor.bare));
  if (op.name === 'affiliations') {
    let changes: Map<string, Affiliation> | undefined;
    if (type === 'set') changes = new Map(op.getChildren('affiliation').map((a) => [a.attrs.jid ?? '', (a.attrs.affiliation ?? '') as Affiliation]));
    if (changes && [...changes.keys()].some((j) => !j)) return pubsubError('bad-request', 'invalid-jid', 'an affiliation needs a jid');
    const affs = await engine.affiliations(service, node, actor.bare, changes);
    if (affs instanceof StanzaError) return affs;
    if (type === 'set') return undefined;
    return wrap(xml('affiliations', { node }, ...Object.entries(affs).map(([jid, affiliation]) => xml('affiliation', { jid, affiliation }))));
  }
  if (type === 'get' && op.name === 'subscriptions') {
    const n = await engine.node(service, node);
    if (!n) return new StanzaError('item-not-found', { text: `no node ${node}` });
    const affs = await engine.affiliations(service, node, actor.bare);
    if (affs instanceof StanzaError) return affs;
    const subs = Object.entries(n.record.subscriptions).map(([jid, s]) => xml('subscription', { jid, subscription: s.state, subid: s.subid }));
    return wrap(xml('subscriptions', { node }, ...subs));
  }
  return pubsubError('feature-not-implemented', 'unsupported', `<${op.name}/> (${type}) is not supported`, op.name);
}

function unit(r: unknown): Answer {
  return r instanceof StanzaError ? r : undefined;
}
