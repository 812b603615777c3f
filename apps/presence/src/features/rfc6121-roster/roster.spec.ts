import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, PresenceHarness } from '../../testing/presence-harness.js';

const ROSTER = 'jabber:iq:roster';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const condition = (el: Element) =>
  el
    .getChild('error')
    ?.elements()
    .find((c) => c.xmlns === STANZAS)?.name;
const get = (ver?: string) => xml('iq', { type: 'get', id: 'g' }, xml('query', ver === undefined ? { xmlns: ROSTER } : { xmlns: ROSTER, ver }));
const set = (...items: Element[]) => xml('iq', { type: 'set', id: 's' }, xml('query', { xmlns: ROSTER }, items));

describe('RFC 6121 §2 roster', () => {
  let h: PresenceHarness;
  /** Everything routed so far has reached the fake edges (the acks came first): no fixed sleep. */
  const settle = () => h.delivered();
  let alice: string;
  let bob: string;
  let n = 0;

  before(async () => {
    h = await PresenceHarness.start();
    bob = await h.createUser('bob');
  });
  after(() => h.close());
  beforeEach(async () => {
    alice = await h.createUser(`alice${++n}`);
    h.clear();
  });

  test('§2.1.3 get: the (empty) roster; `ver` only for a client that asked for versioning', async () => {
    const s = await h.bind(`${alice}/pc`);
    await h.send(s, get());
    const [r1] = await h.waitFor(s, 1);
    assert.equal(r1!.attrs.type, 'result');
    assert.equal(r1!.getChild('query', ROSTER)?.elements().length, 0);
    assert.equal(r1!.getChild('query')?.attrs.ver, undefined);
    await h.send(s, get(''));
    const [, r2] = await h.waitFor(s, 2);
    assert.equal(r2!.getChild('query')?.attrs.ver, '0');
    assert.equal((await h.registry.get(s.jid))?.interested, true);
  });

  test('§2.3 set adds an item: result, and a push to every interested resource only', async () => {
    const s1 = await h.bind(`${alice}/pc`);
    const s2 = await h.bind(`${alice}/phone`);
    const s3 = await h.bind(`${alice}/bot`);
    await h.send(s1, get());
    await h.send(s2, get());
    await settle();
    h.clear();
    await h.send(s1, set(xml('item', { jid: bob, name: 'Bob', subscription: 'both', ask: 'subscribe' }, xml('group', {}, 'Friends'))));
    await settle();
    const r = h.for(s1).find((e) => e.attrs.id === 's');
    assert.equal(r?.attrs.type, 'result');
    for (const s of [s1, s2]) {
      const push = h.for(s).find((e) => e.attrs.type === 'set');
      const item = push?.getChild('query', ROSTER)?.getChild('item');
      assert.equal(push?.attrs.to, s.jid);
      assert.equal(item?.attrs.jid, bob);
      assert.equal(item?.attrs.name, 'Bob');
      assert.equal(item?.attrs.subscription, 'none', 'subscription and ask in a set are ignored');
      assert.equal(item?.attrs.ask, undefined);
      assert.equal(item?.getChildText('group'), 'Friends');
      assert.equal(push?.getChild('query')?.attrs.ver, '1');
    }
    assert.equal(h.for(s3).length, 0);
  });

  test('§2.3.3 set errors: two items, empty or duplicate group, and removing an unknown item', async () => {
    const s = await h.bind(`${alice}/pc`);
    await h.send(s, set(xml('item', { jid: bob }), xml('item', { jid: `carol@${DOMAIN}` })));
    await h.send(s, set(xml('item', { jid: bob }, xml('group', {}, ''))));
    await h.send(s, set(xml('item', { jid: bob }, xml('group', {}, 'A'), xml('group', {}, 'A'))));
    await h.send(s, set(xml('item', { jid: bob, subscription: 'remove' })));
    const got = await h.waitFor(s, 4);
    assert.deepEqual(got.map(condition), ['bad-request', 'not-acceptable', 'bad-request', 'item-not-found']);
  });

  test('§2.6 versioning: current ver → empty result; older → empty result then pushes; unknown → full roster', async () => {
    const s = await h.bind(`${alice}/pc`);
    for (const c of ['c1', 'c2', 'c3']) await h.send(s, set(xml('item', { jid: `${c}@${DOMAIN}` })));
    await settle();
    h.clear();
    await h.send(s, get('3'));
    const [upToDate] = await h.waitFor(s, 1);
    assert.equal(upToDate!.attrs.type, 'result');
    assert.equal(upToDate!.elements().length, 0);
    h.clear();
    await h.send(s, get('2'));
    const [empty, push] = await h.waitFor(s, 2);
    assert.equal(empty!.elements().length, 0);
    assert.equal(push!.attrs.type, 'set');
    assert.equal(push!.getChild('query')?.attrs.ver, '3');
    assert.equal(push!.getChild('query')?.getChild('item')?.attrs.jid, `c3@${DOMAIN}`);
    h.clear();
    await h.send(s, get('999'));
    const [full] = await h.waitFor(s, 1);
    assert.equal(full!.getChild('query')?.attrs.ver, '3');
    assert.equal(full!.getChild('query')?.getChildren('item').length, 3);
  });

  test('§2.5 remove cancels the subscriptions both ways and pushes subscription="remove"', async () => {
    const s = await h.bind(`${alice}/pc`);
    await h.send(s, get());
    const both = { subscription: 'both' as const, askOut: false, askIn: false, approved: false, groups: [] };
    await h.storage.rosters.modify(alice, bob, () => ({ jid: bob, ...both }));
    await h.storage.rosters.modify(bob, alice, () => ({ jid: alice, ...both }));
    await settle();
    h.clear();
    await h.send(s, set(xml('item', { jid: bob, subscription: 'remove' })));
    await settle();
    const push = h.for(s).find((e) => e.attrs.type === 'set');
    assert.equal(push?.getChild('query')?.getChild('item')?.attrs.subscription, 'remove');
    assert.equal(await h.storage.rosters.getItem(alice, bob), undefined);
    assert.equal((await h.storage.rosters.getItem(bob, alice))?.subscription, 'none');
  });
});

describe("RFC 6121 §2.5, §3.2: a roster change's side effects leave before its answer", () => {
  test("remove: the contact's unsubscribe/unsubscribed and every push are acknowledged before the result", async () => {
    // Deliveries acknowledged by the edge (as delivery-acks makes them): the result may only leave
    // once the side effects were taken, so a client that reacts to the result never sees them later.
    const h = await PresenceHarness.start();
    try {
      const [alice, bob] = [await h.createUser('alice'), await h.createUser('bob')];
      const both = { subscription: 'both' as const, askOut: false, askIn: false, approved: false, groups: [] };
      await h.storage.rosters.modify(alice, bob, () => ({ jid: bob, ...both }));
      await h.storage.rosters.modify(bob, alice, () => ({ jid: alice, ...both }));
      const a = await h.login(`${alice}/pc`);
      const b = await h.login(`${bob}/phone`);
      await h.delivered();
      h.clear();
      await h.send(a, set(xml('item', { jid: bob, subscription: 'remove' })));
      const result = h.events.findIndex((e) => e.kind === 'received' && e.el.attrs.id === 's' && e.el.attrs.type === 'result');
      assert.ok(result >= 0, 'answered');
      const sideEffects = h.events.filter((e, i) => i !== result && e.kind === 'received' && e !== h.events[result]);
      const names = sideEffects.map((e) => `${e.sessionId === b.sessionId ? 'bob' : 'alice'} ${e.el.name} ${e.el.attrs.type}`);
      for (const expected of ['bob presence unsubscribe', 'bob presence unsubscribed', 'bob iq set', 'alice iq set']) {
        assert.ok(names.includes(expected), `${expected} sent (got ${names.join(', ')})`);
      }
      for (const e of sideEffects) {
        const acked = h.events.findIndex((x) => x.kind === 'acked' && x.el === e.el);
        assert.ok(acked >= 0 && acked < result, `${e.el.name} ${e.el.attrs.type} to ${e.sessionId} acknowledged before the result`);
      }
    } finally {
      await h.close();
    }
  });
});
