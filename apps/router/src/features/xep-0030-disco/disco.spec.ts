import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PubSubNodeRecord, RosterItem } from '#libs/storage';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition, type FakeEdge } from '../../testing/router-harness.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';
const item = (jid: string, subscription: RosterItem['subscription']): RosterItem => ({
  jid,
  subscription,
  askOut: false,
  askIn: false,
  approved: false,
  groups: [],
});

describe('XEP-0030 service discovery', () => {
  let h: RouterHarness;
  let edge: FakeEdge;
  before(async () => {
    h = await RouterHarness.start();
    edge = h.edge();
  });
  after(() => h.close());

  test("the server: identity server/im and the features of every loaded feature, presence's included", async () => {
    const alice = await h.createUser('alice');
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('iq', { to: DOMAIN, type: 'get', id: 'd1' }, xml('query', { xmlns: INFO })));
    const [r] = await edge.waitFor(a, 1);
    assert.equal(r!.attrs.type, 'result');
    assert.equal(r!.attrs.from, DOMAIN);
    assert.equal(r!.attrs.to, a.jid);
    const q = r!.getChild('query', INFO)!;
    assert.deepEqual(q.getChild('identity')?.attrs, { category: 'server', type: 'im', name: 'Glider' });
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    for (const f of [
      INFO,
      ITEMS,
      'urn:xmpp:ping',
      'jabber:iq:version',
      'urn:xmpp:time',
      'jabber:iq:last',
      'vcard-temp',
      'jabber:iq:private',
      'msgoffline',
      'jabber:iq:roster',
    ]) {
      assert.ok(features.includes(f), f);
    }
    await edge.send(a, xml('iq', { to: DOMAIN, type: 'get', id: 'd2' }, xml('query', { xmlns: ITEMS })));
    const [, items] = await edge.waitFor(a, 2);
    assert.equal(items!.getChild('query', ITEMS)?.elements().length, 0);
    await edge.send(a, xml('iq', { to: DOMAIN, type: 'get', id: 'd3' }, xml('query', { xmlns: INFO, node: 'x' })));
    const [, , nodeErr] = await edge.waitFor(a, 3);
    assert.equal(errorCondition(nodeErr!), 'item-not-found');
  });

  test('an account: identity account/registered for its owner and its subscribers only', async () => {
    const bob = await h.createUser('bob');
    const carol = await h.createUser('carol');
    const dave = await h.createUser('dave');
    await h.storage.rosters.modify(bob, carol, () => item(carol, 'from'));
    const b = await edge.bind(`${bob}/pc`);
    const c = await edge.bind(`${carol}/pc`);
    const d = await edge.bind(`${dave}/pc`);
    for (const s of [b, c, d]) await edge.send(s, xml('iq', { to: bob, type: 'get', id: 'a' }, xml('query', { xmlns: INFO })));
    const [own] = await edge.waitFor(b, 1);
    const [sub] = await edge.waitFor(c, 1);
    const [stranger] = await edge.waitFor(d, 1);
    for (const r of [own!, sub!]) {
      assert.equal(r.attrs.type, 'result');
      assert.deepEqual(r.getChild('query', INFO)?.getChild('identity')?.attrs, { category: 'account', type: 'registered' });
    }
    assert.equal(own!.attrs.from, bob);
    assert.equal(errorCondition(stranger!), 'service-unavailable');
  });

  test('PEP (XEP-0163 §6.1, XEP-0060 §5.2/§5.3): identity pubsub/pep while declared, node info by access model, nodes listed to the owner', async () => {
    const erin = await h.createUser('pepowner');
    const frank = await h.createUser('pepguest');
    const record = (node: string, access: string): PubSubNodeRecord => ({
      service: erin,
      node,
      creator: erin,
      createdAt: new Date(),
      config: { 'pubsub#access_model': [access] },
      affiliations: {},
      subscriptions: {},
    });
    await h.storage.pubsub.modifyNode(erin, 'urn:open', () => record('urn:open', 'open'), 10);
    await h.storage.pubsub.modifyNode(erin, 'urn:private', () => record('urn:private', 'presence'), 10);
    await h.presenceDirectory.declare('presence', 'presence-fake', {
      accountPresence: true,
      accountIq: [{ ns: 'jabber:iq:roster', ownOnly: true }],
      accountIdentities: ['pubsub/pep'],
      accountDiscoFeatures: ['http://jabber.org/protocol/pubsub#publish'],
    });
    await waitFor(() => h.routers[0]!.runtime.addressing.accountDisco().identities.length === 1, { what: 'declaration', timeoutMs: 5000 });
    const e = await edge.bind(`${erin}/pc`);
    const f = await edge.bind(`${frank}/pc`);
    const ask = async (s: typeof e, id: string, payload: ReturnType<typeof xml>, n: number) => {
      await edge.send(s, xml('iq', { to: erin, type: 'get', id }, payload));
      return (await edge.waitFor(s, n))[n - 1]!;
    };
    const info = await ask(e, 'p1', xml('query', { xmlns: INFO }), 1);
    const identities = info
      .getChild('query', INFO)!
      .getChildren('identity')
      .map((i) => `${i.attrs.category}/${i.attrs.type}`);
    assert.deepEqual(identities, ['account/registered', 'pubsub/pep']);
    assert.ok(
      info
        .getChild('query', INFO)!
        .getChildren('feature')
        .some((x) => x.attrs.var === 'http://jabber.org/protocol/pubsub#publish'),
    );
    const open = await ask(f, 'p2', xml('query', { xmlns: INFO, node: 'urn:open' }), 1);
    assert.equal(open.getChild('query', INFO)?.getChild('identity')?.attrs.type, 'leaf');
    assert.equal(errorCondition(await ask(f, 'p3', xml('query', { xmlns: INFO, node: 'urn:private' }), 2)), 'item-not-found');
    assert.equal(errorCondition(await ask(f, 'p4', xml('query', { xmlns: INFO, node: 'urn:none' }), 3)), 'item-not-found');
    const items = await ask(e, 'p5', xml('query', { xmlns: ITEMS }), 2);
    assert.deepEqual(
      items
        .getChild('query', ITEMS)
        ?.getChildren('item')
        .map((i) => i.attrs.node),
      ['urn:open', 'urn:private'],
    );
  });

  test('an unknown namespace to the server → service-unavailable; an IQ without one payload → bad-request', async () => {
    const erin = await h.createUser('erin');
    const e = await edge.bind(`${erin}/pc`);
    await edge.send(e, xml('iq', { to: DOMAIN, type: 'get', id: 'x1' }, xml('query', { xmlns: 'urn:example:nothing' })));
    await edge.send(e, xml('iq', { to: DOMAIN, type: 'get', id: 'x2' }));
    const got = await edge.waitFor(e, 2);
    assert.deepEqual(
      got.map((r) => [r.attrs.id, errorCondition(r)]),
      [
        ['x1', 'service-unavailable'],
        ['x2', 'bad-request'],
      ],
    );
  });
});
