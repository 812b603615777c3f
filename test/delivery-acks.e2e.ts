import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness/cluster.js';
import { addUser } from './harness/gliderctl.js';
import { connect, isMessageWithBody, isPresence, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

/**
 * Issue 9's losses on a real cluster (nats-server, a router, presence, three edges as processes):
 * a receiver's edge that dies, and one that stalls past its liveness. Heartbeats are fast here
 * (bus.heartbeatMs 500: an edge is swept ~1.5 s after it goes quiet) to keep the run short.
 */
describe('delivery acknowledgements and fencing on a cluster', () => {
  let c: Cluster;
  const clients: TestClient[] = [];
  before(async () => {
    c = await startCluster({
      edges: 3,
      routers: 1,
      logLevel: 'info',
      env: {
        GLIDER_BUS__HEARTBEAT_MS: '500',
        GLIDER_BUS__DELIVERY_ACK_TIMEOUT_MS: '1000',
        GLIDER_EDGE__LIMITS__MAX_WRITE_BUFFER_BYTES: String(512 * 1024),
      },
    });
    trustCertificate(c.certPem());
    for (const u of ['ivy', 'jack', 'kim', 'leo', 'mia', 'ned']) await addUser(`${u}@localhost`, `${u}-password`, c.adminPort);
  });
  after(async () => {
    for (const cl of clients) await cl.stop();
    await c?.stop();
  });

  const on = async (edge: number, user: string, resource: string, opts: { sm?: boolean } = {}): Promise<TestClient> => {
    const e = c.edges[edge - 1]!;
    const cl = await connect(`xmpp://${e.host}:${e.c2sPort}`, user, `${user}-password`, resource, 'localhost', opts);
    clients.push(cl);
    await cl.send(xml('presence'));
    return cl;
  };

  /** Each subscribes to the other's presence: an ENDED session shows as unavailable presence. */
  const befriend = async (a: TestClient, aUser: string, b: TestClient, bUser: string): Promise<void> => {
    await a.send(xml('presence', { to: `${bUser}@localhost`, type: 'subscribe' }));
    await b.waitFor('subscribe', isPresence(`${aUser}@localhost`, 'subscribe'));
    await b.send(xml('presence', { to: `${aUser}@localhost`, type: 'subscribed' }));
    await a.waitFor(`${bUser}'s presence`, isPresence(`${bUser}@localhost`, undefined));
  };

  it('messages to a receiver whose edge was SIGKILLed are stored and delivered at its next login, none lost', async () => {
    const ivy = await on(1, 'ivy', 'pc');
    // A receiver without stream management: its session ends with its edge and what was sent to it is
    // stored offline. With stream management the session is held for resumption instead
    // (sm-resume.e2e.ts, the chaos suite's SM rows).
    const jackPc = await on(2, 'jack', 'pc', { sm: false });
    await c.byRole('edge-2')[0]!.stop('SIGKILL');
    // Sent at once, while the router still lists jack's session on the dead edge.
    const ids = Array.from({ length: 20 }, (_, i) => `n${i}`);
    for (const id of ids) await ivy.send(xml('message', { to: jackPc.jid, type: 'chat', id }, xml('body', {}, id)));
    // The edge sends ivy's next stanza only once the router acknowledged the previous one, and the
    // router acknowledges a message once it is delivered, stored or bounced: when this ping is
    // answered, all 20 are settled.
    await ivy.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const jack = await on(1, 'jack', 'phone');
    for (const id of ids) await jack.waitFor(`message ${id} after login`, isMessageWithBody(id));
    const bodies = jack.stanzas.filter((s) => s.is('message')).map((s) => s.getChildText('body'));
    assert.deepEqual(bodies, ids, 'each once, in order');
    assert.equal(ivy.stanzas.filter((s) => s.is('message') && s.attrs.type === 'error').length, 0, 'nothing bounced');
  });

  it('an edge stopped past its liveness (SIGSTOP) ends its swept streams with <reset/> when it runs again (clients without stream management)', async () => {
    const edge3 = c.byRole('edge-3')[0]!;
    // With stream management the sweep detaches the session instead, and the stream is fenced at its next ack (sm-resume.e2e.ts).
    const kim = await on(1, 'kim', 'pc', { sm: false });
    const leo = await on(3, 'leo', 'pc', { sm: false });
    await befriend(kim, 'kim', leo, 'leo');
    const streamError = new Promise<string>((resolve, reject) => {
      leo.xmpp.on('error', (err: { condition?: string }) => err.condition && resolve(err.condition));
      setTimeout(() => reject(new Error('no stream error within 60 s')), 60_000).unref();
    });
    edge3.child.kill('SIGSTOP');
    try {
      // The router swept leo's session: presence tells kim.
      await kim.waitFor('leo unavailable after his edge stalled', isPresence('leo@localhost', 'unavailable'), 30_000);
    } finally {
      edge3.child.kill('SIGCONT');
    }
    assert.equal(await streamError, 'reset');
    // xmpp.js reconnects after the stream error; the new session receives again.
    await new Promise<void>((resolve) => leo.xmpp.on('online', () => resolve()));
    await leo.send(xml('presence'));
    const unavailableAt = kim.stanzas.findIndex(isPresence('leo@localhost', 'unavailable'));
    await kim.waitFor('leo back', (s) => isPresence('leo@localhost', undefined)(s) && kim.stanzas.indexOf(s) > unavailableAt);
    await kim.send(xml('message', { to: 'leo@localhost', type: 'chat' }, xml('body', {}, 'after the stall')));
    await leo.waitFor('a message after reconnecting', isMessageWithBody('after the stall'));
  });

  it('a login with more stored than edge.limits.maxWriteBufferBytes gets it all: the flush paces itself to the client', async () => {
    const ned = await on(1, 'ned', 'pc');
    const body = 'y'.repeat(8 * 1024);
    const ids = Array.from({ length: 200 }, (_, i) => `f${i}`); // 1.6 MiB stored, 512 KiB write buffer
    for (const id of ids) await ned.send(xml('message', { to: 'mia@localhost', type: 'chat', id }, xml('body', {}, `${id} ${body}`)));
    await ned.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const mia = await on(1, 'mia', 'pc');
    await mia.waitFor('the last stored message', (s) => s.is('message') && s.attrs.id === 'f199', 60_000);
    assert.deepEqual(
      mia.stanzas.filter((s) => s.is('message')).map((s) => s.attrs.id),
      ids,
      'all, in order, once',
    );
  });
});
