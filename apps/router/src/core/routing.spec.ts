import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition, type FakeEdge } from '../testing/router-harness.js';

const body = (el: Element) => el.getChildText('body');

describe('RFC 6121 §8.5 routing', () => {
  let h: RouterHarness;
  /** Everything routed so far has reached the fake edges (the acks came first): no fixed sleep. */
  const settle = () => h.delivered();
  let edge: FakeEdge;
  let alice: string;
  let bob: string;

  before(async () => {
    h = await RouterHarness.start();
    edge = h.edge();
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
  });
  after(() => h.close());
  beforeEach(async () => {
    edge.clear();
    for (const s of [...(await h.registry.ofUser(alice)), ...(await h.registry.ofUser(bob))]) await h.registry.remove(s.jid, s.sessionId);
    await h.storage.offline.deleteAll(bob);
  });

  test('§8.5.2.1.1 chat to a bare JID goes to the highest-priority resources, all of them when tied', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const b1 = await edge.bind(`${bob}/phone`, { priority: 5 });
    const b2 = await edge.bind(`${bob}/pc`, { priority: 5 });
    const b3 = await edge.bind(`${bob}/tablet`, { priority: 1 });
    const ack = await edge.send(a, xml('message', { to: bob, type: 'chat', id: 'm1' }, xml('body', {}, 'hi')));
    assert.deepEqual(ack, { taken: true });
    await settle();
    assert.equal(edge.for(b1).length, 1);
    assert.equal(edge.for(b2).length, 1);
    assert.equal(edge.for(b3).length, 0);
    assert.equal(body(edge.for(b1)[0]!), 'hi');
    assert.equal(edge.for(b1)[0]!.attrs.from, `${alice}/pc`);
  });

  test('§8.5.2.1.1 negative priority and unavailable resources never get bare-JID messages: stored offline', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const b = await edge.bind(`${bob}/bot`, { priority: -1 });
    await edge.bind(`${bob}/idle`, { available: false });
    await edge.send(a, xml('message', { to: bob, type: 'normal' }, xml('body', {}, 'later')));
    await settle();
    assert.equal(edge.for(b).length, 0);
    assert.equal(await h.storage.offline.count(bob), 1);
  });

  test('§8.5.2.1.1 headline goes to every non-negative resource; none → silently dropped', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const b1 = await edge.bind(`${bob}/phone`, { priority: 5 });
    const b2 = await edge.bind(`${bob}/pc`, { priority: 0 });
    await edge.send(a, xml('message', { to: bob, type: 'headline' }, xml('body', {}, 'news')));
    await settle();
    assert.equal(edge.for(b1).length, 1);
    assert.equal(edge.for(b2).length, 1);
    await h.registry.remove(b1.jid, b1.sessionId);
    await h.registry.remove(b2.jid, b2.sessionId);
    await edge.send(a, xml('message', { to: bob, type: 'headline' }, xml('body', {}, 'news')));
    await settle();
    assert.equal(edge.for(a).length, 0);
    assert.equal(await h.storage.offline.count(bob), 0);
  });

  test('§8.5.2.1.1 groupchat to a bare JID → service-unavailable', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.bind(`${bob}/pc`);
    await edge.send(a, xml('message', { to: bob, type: 'groupchat', id: 'g1' }, xml('body', {}, 'x')));
    const [err] = await edge.waitFor(a, 1);
    assert.equal(err!.attrs.type, 'error');
    assert.equal(err!.attrs.id, 'g1');
    assert.equal(err!.attrs.from, bob);
    assert.equal(errorCondition(err!), 'service-unavailable');
  });

  test('§8.5.2.2.1 error messages to an offline user are dropped, never answered', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('message', { to: bob, type: 'error' }, xml('body', {}, 'x')));
    await settle();
    assert.equal(edge.for(a).length, 0);
    assert.equal(await h.storage.offline.count(bob), 0);
  });

  test('§8.5.1 a message to an unknown user → service-unavailable; a headline → dropped', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('message', { to: `nobody@${DOMAIN}`, type: 'chat', id: 'u1' }, xml('body', {}, 'x')));
    const [err] = await edge.waitFor(a, 1);
    assert.equal(errorCondition(err!), 'service-unavailable');
    assert.equal(body(err!), 'x', 'the payload goes back with the error');
    await edge.send(a, xml('message', { to: `nobody@${DOMAIN}`, type: 'headline' }, xml('body', {}, 'x')));
    await settle();
    assert.equal(edge.for(a).length, 1);
  });

  test('§8.5.1 an IQ to an unknown user → service-unavailable', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('iq', { to: `nobody@${DOMAIN}`, type: 'get', id: 'q1' }, xml('query', { xmlns: 'jabber:iq:version' })));
    const [err] = await edge.waitFor(a, 1);
    assert.equal(err!.attrs.type, 'error');
    assert.equal(errorCondition(err!), 'service-unavailable');
  });

  test('§8.5.3.1 a full JID with a session gets message and IQ, whatever its availability', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const b = await edge.bind(`${bob}/pc`, { available: false, priority: -5 });
    await edge.send(a, xml('message', { to: b.jid, type: 'normal' }, xml('body', {}, 'direct')));
    await edge.send(a, xml('iq', { to: b.jid, type: 'get', id: 'v1' }, xml('query', { xmlns: 'jabber:iq:version' })));
    const got = await edge.waitFor(b, 2);
    assert.equal(got[0]!.name, 'message');
    assert.equal(got[1]!.name, 'iq');
  });

  test('§8.5.3.2.1 chat to a vanished full JID falls back to the bare JID', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const b = await edge.bind(`${bob}/phone`);
    await edge.send(a, xml('message', { to: `${bob}/gone`, type: 'chat' }, xml('body', {}, 'fallback')));
    const [m] = await edge.waitFor(b, 1);
    assert.equal(body(m!), 'fallback');
  });

  test('§8.5.3.2.1 chat to a vanished full JID of an offline user is stored', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('message', { to: `${bob}/gone`, type: 'chat' }, xml('body', {}, 'stored')));
    await settle();
    assert.equal(await h.storage.offline.count(bob), 1);
  });

  test('§8.5.3.2.1 normal/groupchat to a vanished full JID → service-unavailable; headline → dropped', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.bind(`${bob}/phone`);
    await edge.send(a, xml('message', { to: `${bob}/gone`, type: 'normal', id: 'n' }, xml('body', {}, 'x')));
    await edge.send(a, xml('message', { to: `${bob}/gone`, type: 'groupchat', id: 'g' }, xml('body', {}, 'x')));
    await edge.send(a, xml('message', { to: `${bob}/gone`, type: 'headline', id: 'h' }, xml('body', {}, 'x')));
    await settle();
    assert.deepEqual(
      edge.for(a).map((e) => [e.attrs.id, errorCondition(e)]),
      [
        ['n', 'service-unavailable'],
        ['g', 'service-unavailable'],
      ],
    );
  });

  test('§8.5.3.2.3 an IQ to a vanished full JID → service-unavailable; results are dropped', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('iq', { to: `${bob}/gone`, type: 'set', id: 's' }, xml('query', { xmlns: 'x:y' })));
    await edge.send(a, xml('iq', { to: `${bob}/gone`, type: 'result', id: 'r' }));
    await settle();
    assert.deepEqual(
      edge.for(a).map((e) => [e.attrs.id, errorCondition(e)]),
      [['s', 'service-unavailable']],
    );
  });

  test('a stanza an edge sent back (hops > 0) falls back to the bare JID, and is stored after 3 hops', async () => {
    const b = await edge.bind(`${bob}/phone`);
    const from = `${alice}/pc`;
    await h.request(xml('message', { from, to: b.jid, type: 'normal' }, xml('body', {}, 'again')), { hops: 1 });
    await edge.waitFor(b, 1);
    await h.request(xml('message', { from, to: b.jid, type: 'normal' }, xml('body', {}, 'gave up')), { hops: 3 });
    await settle();
    assert.equal(edge.for(b).length, 1);
    assert.equal(await h.storage.offline.count(bob), 1);
  });

  test('RFC 6120 §10.4 another domain → remote-server-not-found', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('message', { to: 'carol@elsewhere.org', type: 'chat', id: 'r1' }, xml('body', {}, 'x')));
    const [err] = await edge.waitFor(a, 1);
    assert.equal(errorCondition(err!), 'remote-server-not-found');
  });

  test('presence and own-roster IQs go to the presence service; roster IQs to others do not', async () => {
    const a = await edge.bind(`${alice}/pc`);
    h.toPresence.length = 0;
    await edge.send(a, xml('presence', {}));
    await edge.send(a, xml('presence', { to: bob, type: 'subscribe' }));
    await edge.send(a, xml('iq', { type: 'get', id: 'r1' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await edge.send(a, xml('iq', { type: 'get', id: 'r2', to: bob }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await settle();
    assert.deepEqual(
      h.toPresence.map((f) => f.stanza?.kind),
      ['PRESENCE', 'PRESENCE', 'IQ'],
    );
    assert.equal(errorCondition(edge.for(a)[0]!), 'service-unavailable');
  });

  test('a message to the server: service-unavailable; errors and headlines dropped', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await edge.send(a, xml('message', { to: DOMAIN, type: 'chat', id: 's1' }, xml('body', {}, 'x')));
    await edge.send(a, xml('message', { to: DOMAIN, type: 'headline', id: 's2' }, xml('body', {}, 'x')));
    await settle();
    assert.deepEqual(
      edge.for(a).map((e) => e.attrs.id),
      ['s1'],
    );
  });
});
