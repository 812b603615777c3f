/**
 * Issue 13: what the `s2s` service accepted survives the edge that owned the remote domain. Two
 * edges' S2sServers on a real nats-server; the first one's route to b.test leads to a server that
 * accepts TCP and never answers, so its stanzas wait in it; then it dies (its bus connection is
 * cut, its claims expire) or drains, and the second one must send them to the real b.test, in order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createBus, decodeAck, decodeFrame, encodeFrame, envelopeOf, partitionOf, requestRetrying, subjects, type Bus } from '#libs/bus';
import { configSchema } from '#libs/config';
import { makeFederationPki } from '#libs/federation';
import { startNatsServer, waitFor, type NatsServer } from '#libs/testing';
import { serverTlsPolicy } from '#libs/tls';
import { xml } from '#libs/xml';
import { S2S_MEMBERS_BUCKET, S2S_SERVICE, S2sServer } from './s2s.server.js';
import { listenS2s, s2sSide, type S2sSide } from './testing/s2s-pair.js';

const PARTITIONS = 4;
const dir = mkdtempSync(join(tmpdir(), 'glider-s2s-durable-'));
const pki = makeFederationPki(dir);
const certA = pki.issue('a.test');
const secureA = createSecureContext({ ...serverTlsPolicy(), cert: certA.cert, key: certA.key });
const partition = partitionOf('b.test', PARTITIONS);
const cleanups: (() => unknown)[] = [];
let nats: NatsServer;
let b: S2sSide;
let bPort = 0;
let silentPort = 0;
let probe: Bus;
let second: { server: S2sServer; bus: Bus } | undefined;
/** Bounces the edges sent to routers (nobody else routes here): there must be none. */
const bounces: string[] = [];

before(async () => {
  nats = await startNatsServer({ jetstream: true });
  b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, { mode: 'allowlist', allow: ['a.test'], deny: [] });
  const listener = await listenS2s(b);
  bPort = listener.port;
  const held: Socket[] = [];
  const silent = createServer((s) => held.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as AddressInfo).port;
  cleanups.push(
    () => listener.server.close(),
    () => silent.close(),
    () => held.forEach((s) => s.destroy()),
  );
  probe = await createBus(config('probe', bPort).bus, pino({ level: 'silent' }));
  probe.subscribe(subjects.routerIn(0).replace(/\.0$/, '.*'), (m) => {
    bounces.push(decodeFrame(m.data).stanza?.id ?? '?');
    m.respond(new Uint8Array());
  });
});
after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  await probe?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(edgeId: string, port: number) {
  return configSchema.parse({
    domains: ['a.test'],
    log: { level: 'silent' },
    edge: { id: edgeId },
    bus: { kind: 'nats', url: nats.url, heartbeatMs: 200, partitions: PARTITIONS, requestTimeoutMs: 10_000 },
    s2s: {
      enabled: true,
      port: 0,
      directTlsPort: 0,
      trustFile: pki.caFile,
      policy: { mode: 'allowlist', allow: ['b.test'] },
      routes: { 'b.test': { host: '127.0.0.1', port } },
    },
  });
}

async function edge(edgeId: string, port: number): Promise<{ server: S2sServer; bus: Bus }> {
  const cfg = config(edgeId, port);
  const logger = pino({ level: process.env.EDGE_TEST_LOG ?? 'silent' });
  const bus = await createBus(cfg.bus, logger);
  const server = new S2sServer({ config: cfg, logger, bus, edgeId, secureContext: () => secureA });
  await server.start({});
  cleanups.push(
    () => server.stop(),
    () => bus.close(),
  );
  return { server, bus };
}

/** Who holds the claim of b.test's partition (PartitionedConsumer's `claim.<p>` in glider_s2s). */
async function owner(): Promise<string | undefined> {
  const e = await (await probe.kv(S2S_MEMBERS_BUCKET, { ttlMs: 600 })).get(`claim.${partition}`);
  return e ? new TextDecoder().decode(e.value) : undefined;
}

/** As the router does: the stanza to the `s2s` service's partition, taken once it is acknowledged. */
async function sendAsRouter(id: string): Promise<void> {
  const el = xml('message', { from: 'alice@a.test/p', to: 'bob@b.test', type: 'chat', id }, xml('body', {}, id));
  const reply = await requestRetrying(probe, subjects.serviceIn(S2S_SERVICE, partition), encodeFrame({ stanza: envelopeOf(el) }), { timeoutMs: 10_000 });
  assert.equal(decodeAck(reply).taken, true, `${id} taken`);
}

const arrivedWith = (prefix: string) => b.received.map((r) => r.el.attrs.id!).filter((id) => id.startsWith(prefix));

test('the owning edge dies with stanzas queued: the next owner sends them, in order, then the new ones', async () => {
  const first = await edge('edge-1', silentPort);
  await waitFor(async () => (await owner()) === 'edge-1', { what: 'edge-1 owns the partition' });
  for (let i = 1; i <= 5; i++) await sendAsRouter(`k${i}`);
  // SIGKILL as far as the bus can tell: the connection goes, the claims stay until they expire
  await first.bus.close();
  second = await edge('edge-2', bPort);
  await waitFor(() => arrivedWith('k').length >= 5, { what: 'the dead edge’s stanzas at b.test', timeoutMs: 20_000 });
  await sendAsRouter('k6');
  await waitFor(() => arrivedWith('k').length >= 6, { what: 'a new stanza after the take-over' });
  assert.deepEqual(arrivedWith('k'), ['k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
  assert.equal(await owner(), 'edge-2');
  assert.deepEqual(bounces, []);
});

test('the owning edge drains with stanzas queued: they wait in the bucket for the next owner, unbounced', async () => {
  const third = await edge('edge-3', silentPort);
  await second!.server.stop(); // edge-3 is left alone: it owns every partition
  await waitFor(async () => (await owner()) === 'edge-3', { what: 'edge-3 owns the partition' });
  for (let i = 1; i <= 4; i++) await sendAsRouter(`d${i}`);
  await edge('edge-4', bPort);
  await third.server.stop();
  await waitFor(() => arrivedWith('d').length >= 4, { what: 'the drained edge’s stanzas at b.test', timeoutMs: 20_000 });
  assert.deepEqual(arrivedWith('d'), ['d1', 'd2', 'd3', 'd4']);
  assert.equal(await owner(), 'edge-4');
  assert.deepEqual(bounces, []);
});
