import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeAck, subjects, type BusSubscription } from '#libs/bus';
import { ResumableStore } from '#libs/sessions';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';

const SM = 'urn:xmpp:sm:3';

/** `user` logged in on `h`'s edge with resumable stream management enabled; the client and its SM id. */
async function smSession(
  h: EdgeHarness,
  clients: RawClient[],
  user: string,
  resource: string,
  mode: 'tls' | 'wss' = 'tls',
): Promise<{ c: RawClient; id: string }> {
  const c = await RawClient.connect({ mode, port: mode === 'tls' ? h.edge.ports.directTls : h.edge.ports.wss });
  clients.push(c);
  await c.login(DOMAIN, user, 'secret', resource);
  c.send(xml('enable', { xmlns: SM, resume: 'true' }));
  const el = await c.element();
  assert.equal(el.name, 'enabled');
  return { c, id: el.attrs.id! };
}

/** Ids of the messages routed again (hops 1) since `h.routed` had `before` frames. */
function routedAgain(h: EdgeHarness, before: number): string[] {
  return h.routed
    .slice(before)
    .filter((f) => f.stanza?.hops === 1 && f.stanza.kind === 'MESSAGE')
    .map((f) => f.stanza!.id);
}

/** XEP-0198's limits on the edge (unacknowledged stanzas and bytes, <r/> floods), over WebSocket too, and a stanza still being routed at a drop. */
describe('stream management limits, and WebSocket', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  before(async () => {
    h = await startEdge({ edge: { sm: { enabled: true, maxUnacked: 3, maxRequestsPerSecond: 5, requestAckEvery: 100 } } });
    await h.addUser('carol', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });
  const session = (mode: 'tls' | 'wss', resource: string) => smSession(h, clients, 'carol', resource, mode);

  test('a client that never acknowledges is cut with <policy-violation/> past edge.sm.maxUnacked; its queue goes back to the router', async () => {
    const { c, id } = await session('tls', 'deaf');
    const before = h.routed.length;
    for (let i = 0; i < 5; i++) c.send(xml('message', { to: `carol@${DOMAIN}`, type: 'chat', id: `u${i}` }, xml('body', {}, `u${i}`)));
    assert.equal(await c.streamError(), 'policy-violation');
    await waitFor(async () => (await new ResumableStore(h.bus).get(id)) === undefined, { what: 'the session to end' });
    // Every echo it was sent (or was about to be) and never acknowledged was routed again (hops 1), once.
    // Those still being stored when the stream ended go back at once, ahead of the stored queue.
    const back = routedAgain(h, before);
    assert.deepEqual(back.slice().sort(), ['u0', 'u1', 'u2', 'u3', 'u4'], String(back));
  });

  test('an <r/> flood past edge.sm.maxRequestsPerSecond ends the stream with <policy-violation/>', async () => {
    const { c } = await session('tls', 'flood');
    for (let i = 0; i < 20; i++) c.send(xml('r', { xmlns: SM }));
    assert.equal(await c.streamError(), 'policy-violation');
  });

  test('<a/> and <r/> on a stream without stream management are refused as unsupported-stanza-type', async () => {
    for (const name of ['r', 'a']) {
      const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
      clients.push(c);
      await c.login(DOMAIN, 'carol', 'secret', `no-sm-${name}`);
      c.send(xml(name, { xmlns: SM, ...(name === 'a' ? { h: '0' } : {}) }));
      assert.equal(await c.streamError(), 'unsupported-stanza-type');
    }
  });

  test('enable and resume over WebSocket (RFC 7395)', async () => {
    const { c, id } = await session('wss', 'web');
    c.send(xml('message', { to: `carol@${DOMAIN}`, type: 'chat', id: 'w1' }, xml('body', {}, 'w1')));
    assert.equal((await c.element()).attrs.id, 'w1');
    c.close();
    await waitFor(async () => (await new ResumableStore(h.bus).get(id))?.record.state === 'detached', { what: 'the session to detach' });
    const again = await RawClient.connect({ mode: 'wss', port: h.edge.ports.wss });
    clients.push(again);
    await again.open(DOMAIN);
    assert.equal((await again.scram('carol', 'secret', 'SCRAM-SHA-256')).name, 'success');
    await again.open(DOMAIN);
    again.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    assert.equal((await again.element()).name, 'resumed');
    const replayed = await again.element();
    assert.equal(replayed.attrs.id, 'w1', 'the unacknowledged message is sent again');
  });
});

describe('stream management: the unacknowledged queue is bounded in bytes too', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  before(async () => {
    h = await startEdge({ edge: { sm: { enabled: true, maxUnacked: 1000, maxUnackedBytes: 2048, requestAckEvery: 1000 } } });
    await h.addUser('dave', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test('a client that never acknowledges is cut with <policy-violation/> past edge.sm.maxUnackedBytes, well under maxUnacked; its queue goes back to the router', async () => {
    const { c, id } = await smSession(h, clients, 'dave', 'big');
    const before = h.routed.length;
    const body = 'x'.repeat(900);
    for (let i = 0; i < 3; i++) c.send(xml('message', { to: `dave@${DOMAIN}`, type: 'chat', id: `b${i}` }, xml('body', {}, body)));
    assert.equal(await c.streamError(), 'policy-violation');
    await waitFor(async () => (await new ResumableStore(h.bus).get(id)) === undefined, { what: 'the session to end' });
    const back = routedAgain(h, before);
    assert.deepEqual(back.slice().sort(), ['b0', 'b1', 'b2'], String(back));
  });

  test('acknowledged stanzas wait for edge.sm.trimBatch to leave the store, and are never routed again meanwhile', async () => {
    const { c, id } = await smSession(h, clients, 'dave', 'acker');
    for (const n of ['k1', 'k2', 'k3']) c.send(xml('message', { to: `dave@${DOMAIN}/acker`, type: 'chat', id: n }, xml('body', {}, n)));
    const seen: string[] = [];
    while (seen.length < 3) seen.push((await c.element()).attrs.id!);
    assert.deepEqual(seen, ['k1', 'k2', 'k3']);
    c.send(xml('a', { xmlns: SM, h: '2' }));
    await waitFor(async () => (await new ResumableStore(h.bus).get(id))?.record.acked === 2, { what: 'the ack to be recorded' });
    assert.equal((await new ResumableStore(h.bus).items(id)).length, 3, 'fewer than trimBatch (32) acknowledged: all still stored');
    const before = h.routed.length;
    c.send('</stream:stream>');
    await waitFor(async () => (await new ResumableStore(h.bus).get(id)) === undefined, { what: 'the session to end' });
    const back = routedAgain(h, before);
    assert.deepEqual(back, ['k3'], 'only what the client had not acknowledged goes back to the router');
  });
});

/**
 * The race SINT's StreamManagementTest hit on the cluster: the connection drops while the router is
 * still taking a stanza the client sent. The session detaches only once that stanza is handled, so
 * the resume reports it in `h` and the client does not send it again (a duplicate).
 */
describe('stream management: a stanza still being routed when the connection drops is counted', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const held: (() => void)[] = [];
  let sub: BusSubscription;

  before(async () => {
    h = await startEdge({ edge: { sm: { enabled: true, requestAckEvery: 1000 } } }, { router: false });
    await h.addUser('erin', 'secret');
    // A slow router: it takes each stanza only when the test says so.
    sub = h.bus.subscribe(subjects.routerIn(0).replace(/0$/, '*'), (msg) => {
      if (msg.replyExpected) held.push(() => msg.respond(encodeAck({ taken: true })));
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await sub.unsubscribe();
    await h.stop();
  });

  test('the detach waits for the router to take it; the resume reports h=1', async () => {
    const { c, id } = await smSession(h, clients, 'erin', 'phone');
    c.send(xml('message', { to: `someone@${DOMAIN}`, type: 'chat', id: 'slow' }, xml('body', {}, 'slow')));
    await waitFor(() => held.length === 1, { what: 'the router to get the message' });
    c.close(); // no closing tag: a lost connection
    // The edge saw the connection go (its stream-closed hooks ran) while the stanza is not taken:
    // the session must not detach yet, with h=0.
    await waitFor(() => h.edge.streams.size === 0, { what: 'the edge to see the connection go' });
    assert.equal((await new ResumableStore(h.bus).get(id))?.record.state, 'attached');
    held.shift()!();
    await waitFor(async () => (await new ResumableStore(h.bus).get(id))?.record.state === 'detached', { what: 'the session to detach' });
    assert.equal((await new ResumableStore(h.bus).get(id))?.record.inH, 1, 'the detached record counts the message');
    const again = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(again);
    await again.open(DOMAIN);
    assert.equal((await again.scram('erin', 'secret', 'SCRAM-SHA-256')).name, 'success');
    await again.open(DOMAIN);
    again.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    const resumed = await again.element();
    assert.equal(resumed.name, 'resumed', String(resumed));
    assert.equal(resumed.attrs.h, '1');
  });
});
