import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { NS } from '#libs/stanza';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { PresenceHarness } from '../../testing/presence-harness.js';
import { events, form, iq, outcome, owner, pubsub } from '../../testing/pubsub-client.js';

const HOST = 'pubsub.example.com';
const CONFIG = 'http://jabber.org/protocol/pubsub#node_config';

describe('XEP-0060 generic service on pubsub.<domain> (presence service)', () => {
  let h: PresenceHarness;
  let alice: string;
  let bob: string;
  let n = 0;
  const ask = async (s: Parameters<PresenceHarness['for']>[0], el: ReturnType<typeof iq>) => {
    await h.send(s, el);
    await h.delivered();
    return h.for(s).find((e) => e.name === 'iq' && e.attrs.id === el.attrs.id);
  };

  before(async () => {
    h = await PresenceHarness.start();
  });
  after(() => h.close());
  beforeEach(async () => {
    n++;
    alice = await h.createUser(`alice${n}`);
    bob = await h.createUser(`bob${n}`);
    h.clear();
  });

  test('is declared as a domain; disco#info says pubsub/service with the served features', async () => {
    await waitFor(() => h.presence.runtime.addressing.serviceDomains().includes(HOST), { what: 'declaration', timeoutMs: 20_000 });
    const a = await h.login(`${alice}/pc`);
    const info = await ask(a, iq('get', 'd1', xml('query', { xmlns: NS.discoInfo }), HOST));
    const q = info?.getChild('query', NS.discoInfo);
    assert.equal(q?.getChild('identity')?.attrs.type, 'service');
    const vars = q?.getChildren('feature').map((f) => f.attrs.var) ?? [];
    assert.ok(vars.includes('http://jabber.org/protocol/pubsub#create-nodes'));
    assert.ok(!vars.includes('http://jabber.org/protocol/pubsub#auto-create'), 'no auto-create on the generic service');
    assert.equal(outcome(await ask(a, iq('get', 'd2', xml('query', { xmlns: 'jabber:iq:version' }), HOST))), 'service-unavailable');
  });

  test('SINT shape: a transient notification-only node takes a publish without item and refuses one with an item', async () => {
    const a = await h.login(`${alice}/pc`);
    const def = await ask(a, iq('get', 'c0', owner(xml('default')), HOST));
    assert.ok(def?.getChild('pubsub', NS.pubsubOwner)?.getChild('default')?.getChild('x', NS.xdata));
    const node = `transient${n}`;
    const create = pubsub(xml('create', { node }), xml('configure', {}, form(CONFIG, { 'pubsub#deliver_payloads': '0', 'pubsub#persist_items': '0' })));
    assert.equal(outcome(await ask(a, iq('set', 'c1', create, HOST))), 'result');
    assert.equal(outcome(await ask(a, iq('set', 'c2', pubsub(xml('create', { node })), HOST))), 'conflict');
    assert.equal(outcome(await ask(a, iq('set', 'p1', pubsub(xml('publish', { node })), HOST))), 'result');
    const withItem = pubsub(xml('publish', { node }, xml('item', { id: 'x' }, xml('payload', { xmlns: 'urn:test' }))));
    assert.equal(outcome(await ask(a, iq('set', 'p2', withItem, HOST))), 'bad-request/item-forbidden');
    assert.equal(outcome(await ask(a, iq('set', 'p3', pubsub(xml('publish', { node: `persistent${n}` })), HOST))), 'item-not-found');
    assert.equal(outcome(await ask(a, iq('set', 'x', owner(xml('delete', { node })), HOST))), 'result');
  });

  test('§6.1.7 send_last_published_item on_sub: a new subscriber gets the last item; never: nothing', async () => {
    const a = await h.login(`${alice}/pc`);
    const b = await h.login(`${bob}/pc`);
    for (const [node, when] of [
      [`last${n}`, 'on_sub'],
      [`none${n}`, 'never'],
    ] as const) {
      const create = pubsub(xml('create', { node }), xml('configure', {}, form(CONFIG, { 'pubsub#send_last_published_item': when })));
      assert.equal(outcome(await ask(a, iq('set', `c-${when}`, create, HOST))), 'result');
      await ask(a, iq('set', `p-${when}`, pubsub(xml('publish', { node }, xml('item', { id: 'first' }, xml('x', { xmlns: 'urn:test' })))), HOST));
      await ask(b, iq('set', `s-${when}`, pubsub(xml('subscribe', { node, jid: b.jid })), HOST));
    }
    await h.delivered();
    assert.equal(events(h.for(b), `last${n}`).length, 1);
    assert.equal(events(h.for(b), `none${n}`).length, 0);
  });

  test('§8.1.2 instant nodes: the service names the node and says so; PEP refuses them', async () => {
    const a = await h.login(`${alice}/pc`);
    const res = await ask(a, iq('set', 'i1', pubsub(xml('create')), HOST));
    const name = res?.getChild('pubsub', NS.pubsub)?.getChild('create')?.attrs.node;
    assert.ok(name, res?.toString());
    assert.ok(await h.storage.pubsub.node(HOST, name));
    assert.equal(outcome(await ask(a, iq('set', 'i2', pubsub(xml('create'))))), 'not-acceptable/nodeid-required');
  });

  test('subscribe, notifications to subscribers, affiliations: a publisher may publish, others may not, only owners delete', async () => {
    const a = await h.login(`${alice}/pc`);
    const b = await h.login(`${bob}/pc`);
    const node = `news${n}`;
    await ask(a, iq('set', 'c', pubsub(xml('create', { node })), HOST));
    const item = (id: string) => pubsub(xml('publish', { node }, xml('item', { id }, xml('entry', { xmlns: 'http://www.w3.org/2005/Atom' }, id))));
    assert.equal(outcome(await ask(b, iq('set', 'p0', item('no'), HOST))), 'forbidden');
    const sub = await ask(b, iq('set', 's', pubsub(xml('subscribe', { node, jid: b.jid })), HOST));
    assert.equal(sub?.getChild('pubsub', NS.pubsub)?.getChild('subscription')?.attrs.subscription, 'subscribed');
    await ask(a, iq('set', 'p1', item('one'), HOST));
    await waitFor(() => events(h.for(b), node).length === 1, { what: 'event', timeoutMs: 20_000 });
    assert.equal(events(h.for(b), node)[0]!.attrs.from, HOST);
    const affs = owner(xml('affiliations', { node }, xml('affiliation', { jid: bob, affiliation: 'publisher' })));
    assert.equal(outcome(await ask(a, iq('set', 'a1', affs, HOST))), 'result');
    assert.equal(outcome(await ask(b, iq('set', 'p2', item('two'), HOST))), 'result');
    const list = await ask(a, iq('get', 'a2', owner(xml('affiliations', { node })), HOST));
    assert.deepEqual(
      list
        ?.getChild('pubsub', NS.pubsubOwner)
        ?.getChild('affiliations')
        ?.getChildren('affiliation')
        .map((x) => `${x.attrs.jid}=${x.attrs.affiliation}`)
        .sort(),
      [`${alice}=owner`, `${bob}=publisher`],
    );
    assert.equal(outcome(await ask(b, iq('set', 'd0', owner(xml('delete', { node })), HOST))), 'forbidden');
    assert.equal(outcome(await ask(b, iq('set', 'u1', pubsub(xml('unsubscribe', { node, jid: b.jid })), HOST))), 'result');
    assert.equal(outcome(await ask(b, iq('set', 'u2', pubsub(xml('unsubscribe', { node, jid: b.jid })), HOST))), 'unexpected-request/not-subscribed');
    const items = await ask(b, iq('get', 'i', pubsub(xml('items', { node, max_items: '1' })), HOST));
    assert.deepEqual(
      items
        ?.getChild('pubsub', NS.pubsub)
        ?.getChild('items')
        ?.getChildren('item')
        .map((x) => x.attrs.id),
      ['two'],
    );
    assert.equal(outcome(await ask(a, iq('set', 'd1', owner(xml('delete', { node })), HOST))), 'result');
  });
});

describe('XEP-0060 service limits', () => {
  let h: PresenceHarness;
  before(async () => {
    h = await PresenceHarness.start({ features: { pubsub: { maxNodesPerService: 2, maxItemsPerRetrieve: 2, maxItemsPerNode: 10 } } });
  });
  after(() => h.close());

  test('nodes per service → resource-constraint/max-nodes-exceeded; a retrieve answers at most maxItemsPerRetrieve, newest first', async () => {
    const a = await h.login(`${await h.createUser('lim')}/pc`);
    const ask = async (el: ReturnType<typeof iq>) => {
      await h.send(a, el);
      await h.delivered();
      return h.for(a).find((e) => e.name === 'iq' && e.attrs.id === el.attrs.id);
    };
    const create = (node: string) => pubsub(xml('create', { node }), xml('configure', {}, form(CONFIG, { 'pubsub#max_items': '10' })));
    assert.equal(outcome(await ask(iq('set', 'n1', create('one'), HOST))), 'result');
    assert.equal(outcome(await ask(iq('set', 'n2', create('two'), HOST))), 'result');
    assert.equal(outcome(await ask(iq('set', 'n3', create('three'), HOST))), 'resource-constraint/max-nodes-exceeded');
    for (const id of ['a', 'b', 'c'])
      await ask(iq('set', `p${id}`, pubsub(xml('publish', { node: 'one' }, xml('item', { id }, xml('x', { xmlns: 'urn:test' })))), HOST));
    const items = await ask(iq('get', 'g', pubsub(xml('items', { node: 'one', max_items: '5' })), HOST));
    assert.deepEqual(
      items
        ?.getChild('pubsub', NS.pubsub)
        ?.getChild('items')
        ?.getChildren('item')
        .map((x) => x.attrs.id),
      ['c', 'b'],
    );
  });
});
