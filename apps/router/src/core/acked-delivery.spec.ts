import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { RouterHarness, errorCondition, type FakeEdge } from '../testing/router-harness.js';

/**
 * Deliveries acknowledged end to end (issue 9, loss 1): the router owns a stanza until the receiving
 * edge acknowledges it, and routes it again when the edge is dead, refuses it or stays silent. The
 * sender's Ack comes only after that, so when it arrives the stanza is delivered, stored or bounced.
 */
describe('acknowledged deliveries', () => {
  let h: RouterHarness;
  let senderEdge: FakeEdge;
  let alice: string;
  let bob: string;

  before(async () => {
    h = await RouterHarness.start({
      config: { bus: { partitions: 1, heartbeatMs: 100, requestTimeoutMs: 2000, deliveryAckTimeoutMs: 300 } },
    });
    senderEdge = h.edge('edge-sender');
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
  });
  after(() => h.close());
  beforeEach(async () => {
    senderEdge.clear();
    for (const s of [...(await h.registry.ofUser(alice)), ...(await h.registry.ofUser(bob))]) await h.registry.remove(s.jid, s.sessionId);
    await h.storage.offline.deleteAll(bob);
  });

  const chat = (to: string, id: string) => xml('message', { to, type: 'chat', id }, xml('body', {}, id));
  const storedIds = async (owner: string) => (await h.storage.offline.list(owner, 100)).map((m) => /id="([^"]+)"/.exec(m.xml)?.[1]);

  test('the receiver edge is dead (no responders): messages to its session go offline before the sender is acknowledged', async () => {
    const a = await senderEdge.bind(`${alice}/pc`);
    const dead = h.edge('edge-dead-1');
    await dead.bind(`${bob}/phone`);
    await dead.die();
    assert.deepEqual(await senderEdge.send(a, chat(`${bob}/phone`, 'full-1')), { taken: true });
    assert.deepEqual(await senderEdge.send(a, chat(bob, 'bare-2')), { taken: true });
    assert.deepEqual(await senderEdge.send(a, xml('message', { to: `${bob}/phone`, id: 'normal-3' }, xml('body', {}, 'n'))), { taken: true });
    assert.deepEqual(await storedIds(bob), ['full-1', 'bare-2', 'normal-3']);
    assert.equal(senderEdge.for(a).length, 0, 'nothing bounced');
  });

  test('a refused delivery (session gone) goes to another available resource', async () => {
    const a = await senderEdge.bind(`${alice}/pc`);
    const other = h.edge('edge-refusing');
    const gone = await other.bind(`${bob}/phone`, { priority: 5 });
    other.behave(gone, 'gone');
    const live = await senderEdge.bind(`${bob}/pc`, { priority: 1 });
    assert.deepEqual(await senderEdge.send(a, chat(bob, 'm1')), { taken: true });
    assert.deepEqual(
      senderEdge.for(live).map((m) => m.attrs.id),
      ['m1'],
    );
    assert.deepEqual(await storedIds(bob), []);
  });

  test('a silent (stalled) edge: after bus.deliveryAckTimeoutMs the message is stored; the partition was not held up meanwhile', async () => {
    const a = await senderEdge.bind(`${alice}/pc`);
    const stalled = h.edge('edge-stalled');
    const b = await stalled.bind(`${bob}/phone`);
    stalled.behave(b, 'silent');
    const carol = await h.createUser('carol');
    const c = await senderEdge.bind(`${carol}/pc`);
    let acked = false;
    const pending = senderEdge.send(a, chat(bob, 'late-1')).then((ack) => {
      acked = true;
      return ack;
    });
    // One partition: carol's message is routed while alice's waits for its acknowledgement.
    await senderEdge.send(c, chat(`${alice}/pc`, 'meanwhile'));
    assert.equal(acked, false, 'the sender is not acknowledged before the delivery is');
    assert.deepEqual(
      senderEdge.for(a).map((m) => m.attrs.id),
      ['meanwhile'],
    );
    assert.deepEqual(await pending, { taken: true });
    assert.deepEqual(await storedIds(bob), ['late-1']);
  });

  test('an IQ to a full JID whose edge died is answered with service-unavailable', async () => {
    const a = await senderEdge.bind(`${alice}/pc`);
    const dead = h.edge('edge-dead-2');
    await dead.bind(`${bob}/phone`);
    await dead.die();
    const answer = await senderEdge.ask(a, xml('iq', { to: `${bob}/phone`, type: 'get', id: 'v1' }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.equal(answer.attrs.type, 'error');
    assert.equal(errorCondition(answer), 'service-unavailable');
  });

  test('a message to a bare JID taken by one of two resources is neither stored nor delivered twice', async () => {
    const a = await senderEdge.bind(`${alice}/pc`);
    const dead = h.edge('edge-dead-3');
    await dead.bind(`${bob}/phone`);
    await dead.die();
    const live = await senderEdge.bind(`${bob}/pc`);
    assert.deepEqual(await senderEdge.send(a, chat(bob, 'once')), { taken: true });
    assert.deepEqual(
      senderEdge.for(live).map((m) => m.attrs.id),
      ['once'],
    );
    assert.deepEqual(await storedIds(bob), []);
  });

  test('offline messages are removed only once their delivery is acknowledged', async () => {
    const a = await senderEdge.bind(`${alice}/pc`);
    for (const id of ['o1', 'o2']) await senderEdge.send(a, chat(bob, id));
    assert.deepEqual(await storedIds(bob), ['o1', 'o2']);
    const vanishing = h.edge('edge-vanishing');
    const gone = await vanishing.bind(`${bob}/phone`);
    vanishing.behave(gone, 'gone');
    assert.deepEqual(await h.available(gone), { taken: true });
    assert.deepEqual(await storedIds(bob), ['o1', 'o2'], 'kept: the session did not take them');
    const b = await senderEdge.bind(`${bob}/pc`);
    await h.available(b);
    await waitFor(async () => (await storedIds(bob)).length === 0, { what: 'offline store emptied' });
    assert.deepEqual(
      senderEdge.for(b).map((m) => m.attrs.id),
      ['o1', 'o2'],
    );
  });
});
