/** What only a real nats-server shows: declarations outlive a bus outage (bus.outageGraceMs). */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { parseJid } from '#libs/jid';
import { buckets, keys, NatsBus, type Bus } from '#libs/bus';
import { startNatsServer, waitFor, type NatsServer } from '#libs/testing';
import type { AddressQuery } from './address.js';
import { encodeDeclaration } from './declaration.codec.js';
import { declaration } from './declaration.js';
import { ServiceDirectory } from './service-directory.js';

const HEARTBEAT_MS = 200; // declarations live 600 ms
/** Past the clients' reconnect back-off (up to 5 s each) and a watch resuming after it. */
const OUTAGE_GRACE_MS = 15_000;
/** The injected fault: nats-server is down twice as long as a declaration lives. */
const DOWN_MS = 6 * HEARTBEAT_MS;
const quiet = { error: () => undefined };
const opts = { localDomains: ['example.com'], partitions: 8, heartbeatMs: HEARTBEAT_MS, outageGraceMs: OUTAGE_GRACE_MS, logger: quiet };
const ROSTER = 'jabber:iq:roster';
const rosterIq: AddressQuery = {
  kind: 'iq',
  type: 'get',
  from: parseJid('alice@example.com/pc'),
  to: parseJid('alice@example.com'),
  ns: ROSTER,
  phase: 'sent',
};
const roomMessage: AddressQuery = {
  kind: 'message',
  type: 'groupchat',
  from: parseJid('alice@example.com/pc'),
  to: parseJid('room@conference.example.com'),
  phase: 'sent',
};
const serves = (d: ServiceDirectory, q: AddressQuery) => d.table.resolve(q).kind === 'service';

let server: NatsServer | undefined;
const opened: Bus[] = [];
const connect = async (): Promise<Bus> => {
  const b = await NatsBus.connect({ url: server!.url, requestTimeoutMs: 5_000 }, quiet);
  opened.push(b);
  return b;
};
after(async () => {
  await Promise.all(opened.map((b) => b.close()));
  await server?.stop();
});

test('a nats-server restart longer than the TTL: expired declarations are kept for bus.outageGraceMs, withdrawn ones go at once', async () => {
  server = await startNatsServer({ jetstream: true });
  const routerBus = await connect();
  const router = new ServiceDirectory(routerBus, opts);
  const mucBus = await connect();
  const muc = new ServiceDirectory(mucBus, opts);
  await router.start();
  await muc.start();
  try {
    // A presence instance that dies during the outage: its last write is never refreshed nor deleted.
    const kv = await routerBus.kv(buckets.services, { ttlMs: 3 * HEARTBEAT_MS });
    const goneKey = keys.service('presence', 'p-gone');
    const gone = encodeDeclaration(declaration('presence', 'p-gone', { accountIq: [{ ns: ROSTER, ownOnly: true }] }));
    await kv.put(goneKey, gone);
    await muc.declare('muc', 'm1', { domains: ['conference.example.com'] });
    await waitFor(() => serves(router, rosterIq) && serves(router, roomMessage), { what: 'the router to learn both declarations' });

    await kv.put(goneKey, gone); // its last heartbeat
    await server.restart({ downMs: DOWN_MS, signal: 'SIGKILL' });
    assert.ok(serves(router, rosterIq), 'kept while the bus was away');
    await waitFor(() => routerBus.health() === undefined, { timeoutMs: 30_000, what: 'the router to reconnect' });
    const back = routerBus.lastReconnectAt()!;
    await waitFor(async () => (await kv.get(goneKey)) === undefined && !(await kv.keys()).includes(goneKey), {
      timeoutMs: 30_000,
      what: 'the dead declaration to expire in the bucket',
    });
    assert.ok(serves(router, rosterIq), 'expired, and still kept after the reconnect');

    // A clean stop within the grace removes a declaration at once.
    await waitFor(() => mucBus.health() === undefined, { timeoutMs: 30_000, what: 'the MUC service to reconnect' });
    await muc.withdraw('muc', 'm1');
    await waitFor(() => !serves(router, roomMessage), { timeoutMs: OUTAGE_GRACE_MS, what: 'the withdrawal to reach the router' });
    const withdrawnMs = performance.now() - back;
    assert.ok(withdrawnMs < OUTAGE_GRACE_MS, `withdrawn ${Math.round(withdrawnMs)} ms after the reconnect: not within the grace`);
    assert.ok(serves(router, rosterIq), 'the expired one is still kept');

    // Past the grace, an expiry removes it as outside an outage.
    await waitFor(() => !serves(router, rosterIq), { timeoutMs: OUTAGE_GRACE_MS + 20 * HEARTBEAT_MS, intervalMs: 10, what: 'the expired declaration to go' });
    const keptMs = performance.now() - back;
    assert.ok(keptMs >= OUTAGE_GRACE_MS, `kept ${Math.round(keptMs)} ms after the reconnect, not bus.outageGraceMs`);
  } finally {
    await muc.stop();
    await router.stop();
  }
});
