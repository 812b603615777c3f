import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buckets, createBus, keys, type Bus, type KvWatch } from '#libs/bus';
import { configSchema } from '#libs/config';
import { waitFor } from '#libs/testing';
import { ChaosCluster } from './chaos/chaos-cluster.js';
import { NatsProcess } from './chaos/nats-process.js';
import { TcpGate } from './harness/tcp-gate.js';
import { connect, isMessageWithBody, isPresence, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

const HEARTBEAT_MS = 500; // an edge's liveness key lives 1.5 s
const OUTAGE_GRACE_MS = 15_000; // edge-1 comes back up to ~8 s after the routers: gate + its back-off
/** The injected fault: nats-server stays down past the edges' liveness TTL. */
const DOWN_MS = 6 * HEARTBEAT_MS;
/** Heartbeats edge-2 puts after the restart while edge-1 still cannot reach NATS: two routers' sweeps and more. */
const BEATS_EDGE1_LATE = 4;
/**
 * Heartbeats each edge must put once both are back, before the check: past the routers' hold-off,
 * their two sweeps and the edges' post-lapse checks (when sessions used to be swept).
 */
const BEATS_AFTER = Math.ceil((OUTAGE_GRACE_MS + 6 * HEARTBEAT_MS) / HEARTBEAT_MS);

/**
 * A nats-server SIGKILLed and started again on the same port and store (JetStream file storage,
 * which expires the edges' liveness keys by age as it starts) is a short bus outage: nobody is
 * logged out, even on an edge that reconnects seconds after the routers (docs/reliability.md,
 * "Bus outages"; bus.outageGraceMs). The chaos suite's nats row is the same fault under load.
 */
describe('a nats-server restart within bus.outageGraceMs', () => {
  let gate: TcpGate;
  let store: string | undefined;
  let c: ChaosCluster;
  let probe: Bus | undefined;
  const clients: TestClient[] = [];
  before(async () => {
    // edge-1 reaches nats-server through a gate: it comes back later than everyone else, as an
    // edge whose reconnect back-off (up to 5 s) happens to be the longest.
    store = mkdtempSync(join(tmpdir(), 'glider-bus-outage-'));
    const nats = await NatsProcess.start(store);
    gate = await TcpGate.start(() => nats.port);
    c = await ChaosCluster.start({
      nats,
      env: { GLIDER_BUS__HEARTBEAT_MS: String(HEARTBEAT_MS), GLIDER_BUS__OUTAGE_GRACE_MS: String(OUTAGE_GRACE_MS) },
      memberEnv: { 'edge-1': { GLIDER_BUS__URL: gate.url } },
    });
    trustCertificate(c.certPem());
    for (const u of ['amy', 'ben']) await c.addUser(u, `${u}-password`);
  });
  after(async () => {
    for (const cl of clients) await cl.stop();
    await probe?.close();
    await c?.stop();
    await gate?.stop();
    if (store) rmSync(store, { recursive: true, force: true });
  });

  const on = async (edge: number, user: string): Promise<TestClient> => {
    const e = c.edges[edge - 1]!;
    const cl = await connect(`xmpp://${e.host}:${e.c2sPort}`, user, `${user}-password`, 'pc');
    clients.push(cl);
    await cl.send(xml('presence'));
    return cl;
  };

  /** Resolves once each of `edgeIds` has put its heartbeat `n` times since the call (a KV watch on glider_edges). */
  const heartbeats = async (edgeIds: string[], n: number): Promise<void> => {
    probe ??= await createBus(configSchema.parse({ bus: { kind: 'nats', url: c.nats.url, heartbeatMs: HEARTBEAT_MS } }).bus, { error: () => undefined });
    const edges = await probe.kv(buckets.edges, { ttlMs: 3 * HEARTBEAT_MS });
    // Entries seen per key; the first one may be the current value the watch replays.
    const puts = new Map<string, number>();
    const w: KvWatch = await edges.watch((e) => {
      if (e.operation === 'PUT') puts.set(e.key, (puts.get(e.key) ?? -1) + 1);
    });
    try {
      await waitFor(() => edgeIds.every((id) => (puts.get(keys.edge(id)) ?? 0) >= n), {
        timeoutMs: 60_000,
        intervalMs: HEARTBEAT_MS / 2,
        what: `${n} heartbeats of ${edgeIds.join(', ')}`,
      });
    } finally {
      w.stop();
    }
  };

  it('keeps bound streams and their sessions: no <reset/>, no unavailable presence, messages still delivered', async () => {
    const amy = await on(1, 'amy');
    const ben = await on(2, 'ben');
    await amy.send(xml('presence', { to: 'ben@localhost', type: 'subscribe' }));
    await ben.waitFor('subscribe', isPresence('amy@localhost', 'subscribe'));
    await ben.send(xml('presence', { to: 'amy@localhost', type: 'subscribed' }));
    await amy.waitFor("ben's presence", isPresence('ben@localhost', undefined));
    await ben.send(xml('presence', { to: 'amy@localhost', type: 'subscribe' }));
    await amy.waitFor('subscribe', isPresence('ben@localhost', 'subscribe'));
    await amy.send(xml('presence', { to: 'ben@localhost', type: 'subscribed' }));
    await ben.waitFor("amy's presence", isPresence('amy@localhost', undefined));

    const streamEvents: string[] = [];
    for (const [name, cl] of [
      ['amy', amy],
      ['ben', ben],
    ] as const) {
      cl.xmpp.on('error', (err: { condition?: string; message?: string }) => streamEvents.push(`${name}: error ${err.condition ?? err.message}`));
      cl.xmpp.on('disconnect', () => streamEvents.push(`${name}: disconnected`));
    }

    await c.nats.kill('SIGKILL');
    gate.close();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS)); // the fault's length, not a wait for an event
    await c.nats.restart();
    await heartbeats(['edge-2'], BEATS_EDGE1_LATE); // the routers are back too (they reconnect alike)
    gate.reopen();
    await heartbeats(['edge-1', 'edge-2'], BEATS_AFTER);

    await ben.send(xml('message', { to: amy.jid, type: 'chat' }, xml('body', {}, 'after the restart')));
    await amy.waitFor('a message after the restart', isMessageWithBody('after the restart'), 30_000);
    await amy.send(xml('message', { to: ben.jid, type: 'chat' }, xml('body', {}, 'and back')));
    await ben.waitFor('the answer', isMessageWithBody('and back'), 30_000);
    assert.deepEqual(streamEvents, [], 'no stream ended');
    for (const [who, cl, other] of [
      ['amy', amy, 'ben'],
      ['ben', ben, 'amy'],
    ] as const) {
      assert.equal(cl.stanzas.filter(isPresence(`${other}@localhost`, 'unavailable')).length, 0, `${who} saw ${other} unavailable`);
    }
  });
});
