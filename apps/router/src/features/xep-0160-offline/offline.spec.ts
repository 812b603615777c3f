import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { RouterHarness, errorCondition } from '../../testing/router-harness.js';

describe('XEP-0160 offline messages', () => {
  let h: RouterHarness;
  /** Everything routed so far has reached the fake edges (the acks came first): no fixed sleep. */
  const settle = () => h.delivered();
  before(async () => {
    h = await RouterHarness.start({ config: { router: { offlineMaxPerUser: 5 } } });
  });
  after(() => h.close());

  test('stored with a XEP-0203 delay, delivered in order on AVAILABLE, then removed', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice');
    const bob = await h.createUser('bob');
    const a = await edge.bind(`${alice}/pc`);
    for (let i = 1; i <= 3; i++) {
      const ack = await edge.send(a, xml('message', { to: bob, type: i === 2 ? 'normal' : 'chat', id: `m${i}` }, xml('body', {}, `#${i}`)));
      assert.deepEqual(ack, { taken: true });
    }
    assert.equal(await h.storage.offline.count(bob), 3);
    const b = await edge.bind(`${bob}/phone`);
    assert.deepEqual(await h.available(b), { taken: true });
    const got = await edge.waitFor(b, 3);
    assert.deepEqual(
      got.map((m) => m.getChildText('body')),
      ['#1', '#2', '#3'],
    );
    const delay = got[0]!.getChild('delay', 'urn:xmpp:delay');
    assert.equal(delay?.attrs.from, 'example.com');
    assert.match(delay?.attrs.stamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(got[0]!.attrs.from, a.jid);
    // Removed once the edge acknowledged them, after the flush (which runs outside the partition's turn).
    await waitFor(async () => (await h.storage.offline.count(bob)) === 0, { what: 'the delivered messages removed' });
  });

  test('the quota bounces with service-unavailable (XEP-0160 §3); headlines are never stored', async () => {
    const edge = h.edge('edge-2');
    const carol = await h.createUser('carol');
    const dave = await h.createUser('dave');
    const c = await edge.bind(`${carol}/pc`);
    for (let i = 0; i < 6; i++) await edge.send(c, xml('message', { to: dave, type: 'chat', id: `q${i}` }, xml('body', {}, 'x')));
    await edge.send(c, xml('message', { to: dave, type: 'headline', id: 'h' }, xml('body', {}, 'x')));
    await settle();
    assert.equal(await h.storage.offline.count(dave), 5);
    const errors = edge.for(c);
    assert.deepEqual(
      errors.map((e) => [e.attrs.id, errorCondition(e)]),
      [['q5', 'service-unavailable']],
    );
  });

  test('chat states alone and no-store hints are not stored, nor bounced', async () => {
    const edge = h.edge('edge-4');
    const frank = await h.createUser('frank');
    const gina = await h.createUser('gina');
    const f = await edge.bind(`${frank}/pc`);
    await edge.send(f, xml('message', { to: gina, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await edge.send(f, xml('message', { to: gina, type: 'chat' }, xml('body', {}, 'x'), xml('no-store', { xmlns: 'urn:xmpp:hints' })));
    await edge.send(f, xml('message', { to: gina, type: 'chat' }, xml('body', {}, 'kept'), xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await settle();
    assert.equal(await h.storage.offline.count(gina), 1);
    assert.equal(edge.for(f).length, 0);
  });

  test('a session available with nothing stored gets nothing', async () => {
    const edge = h.edge('edge-3');
    const erin = await h.createUser('erin');
    const e = await edge.bind(`${erin}/pc`);
    await h.available(e);
    await settle();
    assert.equal(edge.for(e).length, 0);
  });
});
