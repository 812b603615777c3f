import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { partitionOf, partitionsOwnedBy } from '#libs/bus';
import { configSchema } from '#libs/config';
import { startCluster, type Cluster } from './harness/cluster.js';
import { addUser } from './harness/gliderctl.js';
import { connect, trustCertificate, xml, type TestClient, type XmppElement } from './harness/xmpp-client.js';
import { mucEnv } from './scenarios/muc.scenario.js';

const MUC = 'http://jabber.org/protocol/muc';
const ROOMS = 6;
const MESSAGES = 36;
const KILL_AT = 12;

/**
 * A muc replica dies (SIGKILL) while numbered groupchat flows through 6 rooms of 3 occupants spread
 * over two replicas: the survivor takes the dead one's rooms over from the bus KV, occupants stay
 * joined (nobody gets an unavailable), and every occupant gets every message of its rooms exactly
 * once, in order. A message the dying replica had taken without answering comes back to its sender
 * as an error (bounced, never silently lost): the sender sends it again, as a client would.
 */
describe('muc failover: a replica killed under numbered groupchat', () => {
  let c: Cluster;
  const clients: TestClient[] = [];
  before(async () => {
    c = await startCluster({ mucs: 2, edges: 1, routers: 1, env: { ...mucEnv, GLIDER_BUS__HEARTBEAT_MS: '500' } });
    trustCertificate(c.certPem());
  });
  after(async () => {
    await Promise.all(clients.map((x) => x.stop()));
    await c?.stop();
  });

  it('loses, doubles and reorders nothing, and keeps everyone joined', async () => {
    const e = c.edges[0]!;
    const names = ['ann', 'ben', 'cat'];
    for (const n of names) await addUser(`${n}-fo@localhost`, 'fo-password', c.adminPort);
    for (const n of names) clients.push(await connect(`xmpp://${e.host}:${e.c2sPort}`, `${n}-fo`, 'fo-password', 'fo'));
    const [ann, ben, cat] = clients as [TestClient, TestClient, TestClient];
    // half the rooms in partitions muc-1 owns (the one killed), half in muc-2's (rendezvous hashing, libs/bus)
    const partitions = configSchema.parse({}).bus.partitions;
    const ofOne = new Set(partitionsOwnedBy('muc-1', ['muc-1', 'muc-2'], partitions));
    const candidates = Array.from({ length: 200 }, (_, i) => `fo${i}@conference.localhost`);
    const onOne = candidates.filter((r) => ofOne.has(partitionOf(r, partitions))).slice(0, ROOMS / 2);
    const onTwo = candidates.filter((r) => !ofOne.has(partitionOf(r, partitions))).slice(0, ROOMS / 2);
    const rooms = onOne.flatMap((r, i) => [r, onTwo[i]!]);
    for (const room of rooms) {
      for (const [i, cl] of clients.entries()) {
        await cl.send(xml('presence', { to: `${room}/${names[i]}` }, xml('x', { xmlns: MUC })));
        await cl.waitFor(`${names[i]} in ${room}`, (s) => s.is('presence') && s.attrs.from === `${room}/${names[i]}` && !s.attrs.type);
        // the creator accepts the instant configuration (§10.1.2) before the others come in
        if (i === 0)
          await cl.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
      }
    }
    const body = (n: number) => `n${n}`;
    const isMine = (n: number) => (s: XmppElement) => s.is('message') && s.getChildText('body') === body(n);
    let resent = 0;
    for (let n = 0; n < MESSAGES; n++) {
      if (n === KILL_AT) await c.byRole('muc-1')[0]!.stop('SIGKILL');
      const room = rooms[n % ROOMS]!;
      for (let attempt = 0; ; attempt++) {
        assert.ok(attempt < 5, `message ${n} never went through`);
        await ann.send(xml('message', { to: room, type: 'groupchat', id: `m${n}-${attempt}` }, xml('body', {}, body(n))));
        const answer = await ann.waitFor(
          `echo of ${n}`,
          (s) => isMine(n)(s) || (s.is('message') && s.attrs.type === 'error' && s.attrs.id === `m${n}-${attempt}`),
          30_000,
        );
        if (answer.attrs.type !== 'error') break;
        resent++;
      }
    }
    for (const cl of [ben, cat]) await cl.waitFor('the last message', isMine(MESSAGES - 1), 30_000);
    for (const [i, cl] of clients.entries()) {
      for (const room of rooms) {
        const got = cl.stanzas.filter((s) => s.is('message') && s.attrs.type === 'groupchat' && s.attrs.from?.startsWith(`${room}/`) && s.getChildText('body'));
        const want = Array.from({ length: MESSAGES }, (_, n) => n)
          .filter((n) => n % ROOMS === rooms.indexOf(room))
          .map(body);
        assert.deepEqual(
          got.map((s) => s.getChildText('body')),
          want,
          `${names[i]} in ${room}: each message once, in order`,
        );
      }
      const left = cl.stanzas.filter((s) => s.is('presence') && s.attrs.type === 'unavailable' && s.attrs.from?.includes('@conference.'));
      assert.deepEqual(left.map(String), [], `${names[i]} saw nobody leave`);
    }
    // the survivor serves every room: a last round reaches everyone
    for (const room of rooms) await ann.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, `after ${room}`)));
    for (const room of rooms) await cat.waitFor(`after ${room}`, (s) => s.is('message') && s.getChildText('body') === `after ${room}`, 30_000);
    process.stdout.write(`muc failover: ${MESSAGES} messages over ${ROOMS} rooms, ${resent} sent again after a bounce\n`);
  });
});
