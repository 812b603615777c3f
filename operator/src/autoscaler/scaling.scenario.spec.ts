import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeFrame, encodeFrame, subjects, untoken, wire } from '#libs/bus';
import { TestCluster, clustersPath, sampleCluster, waitFor } from '../testing/harness.js';
import { NatsLoadSource } from './nats-load-source.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = tcpConnect(port, '127.0.0.1', () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });

describe('autoscaling from NATS load reports, with edge drain (real nats-server)', { timeout: 90_000 }, () => {
  let k: TestCluster;
  let nats: ChildProcess;
  let nc: NatsConnection;
  let url: string;
  let ticker: NodeJS.Timeout | undefined;
  const load = new Map<string, { connections: number; stanzasPerSecond: number; draining: boolean }>();
  const drained: string[] = [];
  let perEdge = { connections: 0, stanzasPerSecond: 0 };

  before(async () => {
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await waitFor('nats-server', () => accepts(port), 10_000);
    nc = await connect({ servers: url, timeout: 3000 });
    const sub = nc.subscribe('glider.v1.edge.*.control');
    void (async () => {
      for await (const m of sub) {
        const f = decodeFrame(m.data);
        if (f.control?.kind === 'DRAIN') drained.push(untoken(m.subject.split('.')[3]!));
      }
    })();
    k = await new TestCluster().start();
    await k.startManager((u, creds) => new NatsLoadSource(u, creds, 1000));
    // Each edge pod reports like a real edge would: its connections, or draining with none left.
    ticker = setInterval(() => {
      for (const p of k.list('pods').filter((p) => p.metadata.labels['app.kubernetes.io/component'] === 'edge')) {
        const name = p.metadata.name as string;
        const l = drained.includes(name) ? { connections: 0, stanzasPerSecond: 0, draining: true } : { ...perEdge, draining: false };
        load.set(name, l);
        nc.publish(subjects.load('edge', name), wire(encodeFrame({ load: { component: 'edge', instance: name, ...l, atMs: Date.now() } })));
      }
    }, 100);
  });

  after(async () => {
    clearInterval(ticker);
    await nc?.close();
    await k?.stop();
    nats?.kill();
  });

  const edgeReplicas = () => k.get('deployments', 'scale-edge', 'apps/v1')?.spec?.replicas;
  const edgePods = () =>
    k
      .list('pods')
      .filter((p) => p.metadata.labels['app.kubernetes.io/component'] === 'edge')
      .map((p) => p.metadata.name as string);

  it('scales edges up to what the connections need, within maxReplicas', async () => {
    const spec = {
      nats: { url },
      components: { edge: { autoscaling: { minReplicas: 1, maxReplicas: 4, targetConnectionsPerReplica: 100, stabilizationWindowSeconds: 1 } } },
    };
    const r = await k.request('POST', clustersPath, sampleCluster('scale', spec));
    assert.ok([200, 201].includes(r.code), JSON.stringify(r.body));
    await waitFor('one edge', () => edgeReplicas() === 1 && edgePods().length === 1);
    perEdge = { connections: 350, stanzasPerSecond: 10 };
    await waitFor('scaled up', () => edgeReplicas() === 4 && edgePods().length === 4, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(edgeReplicas(), 4, 'never above maxReplicas');
  });

  it('scales down only after draining the chosen edges, which are the ones removed', async () => {
    const before = edgePods();
    perEdge = { connections: 5, stanzasPerSecond: 1 };
    const draining = await waitFor('draining in status', () => k.cluster('scale')?.status?.components?.edge?.draining, 20_000);
    assert.equal(draining.length, 3);
    assert.equal(k.cluster('scale').status.conditions.find((c: any) => c.type === 'Progressing').reason, 'Draining');
    const victims = draining.map((d: any) => d.pod).sort();
    await waitFor('scaled down', () => edgeReplicas() === 1 && edgePods().length === 1, 20_000);
    assert.deepEqual([...new Set(drained)].filter((d) => before.includes(d)).sort(), victims, 'DRAIN went to exactly the victims');
    assert.ok(!victims.includes(edgePods()[0]), 'the survivor was not drained');
    await waitFor('drain cleared', () => !k.cluster('scale')?.status?.components?.edge?.draining);
    const reasons = k
      .list('events')
      .filter((e) => e.involvedObject.name === 'scale')
      .map((e) => e.reason);
    assert.ok(reasons.includes('DrainStarted') && reasons.includes('ScaledDown'), reasons.join());
  });

  it('an unreachable NATS is reported as Degraded/NatsUnreachable', async () => {
    const dead = await freePort();
    await k.request('POST', clustersPath, sampleCluster('nonats', { nats: { url: `nats://127.0.0.1:${dead}` } }));
    const c = await waitFor(
      'NatsUnreachable',
      () => k.cluster('nonats')?.status?.conditions?.find((c: any) => c.type === 'Degraded' && c.reason === 'NatsUnreachable'),
      20_000,
    );
    assert.match(c.message, new RegExp(`127.0.0.1:${dead}`));
  });
});
