/**
 * Federation under faults (issue 13): a cluster (b.test: nats-server, two routers, presence, two
 * edges, each a process) sends a numbered stream to a standalone Glider (a.test) over s2s. a.test
 * is slow to answer at first (a TCP relay in front of it accepts connections and holds them), so
 * the edge owning a.test's partition of the `s2s` service queues what it accepts; that edge is then
 * SIGKILLed (or drained with SIGTERM), and a.test answers again a second later. The sender is on
 * the other edge, which must take a.test over, connect and send what the first owner had queued, in
 * order, then the rest: every message is delivered or bounced to the sender, LOST must be 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { createBus, ownerOf, partitionOf } from '#libs/bus';
import { configSchema } from '#libs/config';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import type { Element } from '#libs/xml';
import { gliderctl } from '../harness/gliderctl.js';
import { startStandalone, type Deployment } from '../harness/standalone.js';
import { ChaosClient } from './chaos-client.js';
import { ChaosCluster } from './chaos-cluster.js';
import { Ledger } from './ledger.js';
import { NumberedStream, seqOfBody } from './numbered-stream.js';
import { table } from './report.js';
import type { Row } from './run-fault.js';
import { s2sPortOf } from '../harness/glider-process.js';

const RATE = 200;
const WARMUP_MS = 2_000;
/** The stream goes on this long after the fault. */
const AFTER_FAULT_MS = 8_000;
const SETTLE_MS = 5_000;
const SETTLE_MAX_MS = 45_000;
const PASSWORD = 'federation-chaos';
const NS_DELAY = 'urn:xmpp:delay';
const PARTITIONS = configSchema.parse({}).bus.partitions;

/** After the fault, a.test answers again this much later. */
const HOLD_AFTER_FAULT_MS = 1_000;

/**
 * A TCP relay to a.test's s2s port. While holding, it accepts connections and leaves them
 * waiting (a server slow to answer: the initiating edge queues its stanzas); released, it relays
 * the waiting connections still open and every new one.
 */
class Relay {
  private holding = true;
  private readonly held: Socket[] = [];
  private readonly open = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    private readonly target: number,
  ) {}

  static async start(port: number, target: number): Promise<Relay> {
    const server = createServer();
    const relay = new Relay(server, target);
    server.on('connection', (s) => relay.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return relay;
  }

  release(): void {
    this.holding = false;
    for (const s of this.held.splice(0)) if (!s.destroyed) this.pipe(s);
  }

  close(): void {
    this.server.close();
    for (const s of this.open) s.destroy();
  }

  private accept(s: Socket): void {
    this.open.add(s);
    s.on('close', () => this.open.delete(s));
    s.on('error', () => s.destroy());
    if (this.holding) this.held.push(s);
    else this.pipe(s);
  }

  private pipe(s: Socket): void {
    const up = connect(this.target, '127.0.0.1');
    this.open.add(up);
    up.on('close', () => (this.open.delete(up), s.destroy()));
    up.on('error', () => up.destroy());
    s.on('close', () => up.end());
    s.pipe(up);
    up.pipe(s);
  }
}

async function run(fault: 'SIGKILL' | 'SIGTERM'): Promise<Row> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'glider-s2s-chaos-'));
  const pki = makeFederationPki(dir);
  const portA = await freePort();
  const relayPort = await freePort();
  const certB = pki.issue('b.test', { eku: 'serverAuth', san: [...xmppServerSans('b.test'), 'DNS:localhost'] });
  const cluster = await ChaosCluster.start({
    domain: 'b.test',
    env: {
      GLIDER_TLS__CERT_FILE: certB.chainFile,
      GLIDER_TLS__KEY_FILE: certB.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: '0',
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['a.test'] }),
      GLIDER_S2S__ROUTES: JSON.stringify({ 'a.test': { host: '127.0.0.1', port: relayPort } }),
      GLIDER_EDGE__DRAIN_TIMEOUT_MS: '10000',
    },
  });
  let a: Deployment | undefined;
  let relay: Relay | undefined;
  const clients: ChaosClient[] = [];
  const probe = await createBus({ ...configSchema.parse({}).bus, kind: 'nats', url: cluster.nats.url }, pino({ level: 'silent' }));
  let keep = false;
  try {
    const portB = await s2sPortOf(cluster.logFile('edge-1'));
    const certA = pki.issue('a.test', { san: [...xmppServerSans('a.test'), 'DNS:localhost'] });
    a = await startStandalone({
      GLIDER_LOG__LEVEL: 'info',
      GLIDER_DOMAINS: JSON.stringify(['a.test']),
      GLIDER_TLS__CERT_FILE: certA.chainFile,
      GLIDER_TLS__KEY_FILE: certA.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: String(portA),
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['b.test'] }),
      GLIDER_S2S__ROUTES: JSON.stringify({ 'b.test': { host: '127.0.0.1', port: portB } }),
    });
    relay = await Relay.start(relayPort, portA);
    await cluster.addUser('sender', PASSWORD);
    const added = await gliderctl(['user', 'add', 'receiver@a.test'], { adminPort: a.adminPort, stdin: PASSWORD + '\n' });
    assert.equal(added.code, 0, added.stderr);

    // Both edges are members; rendezvous then names a.test's owner, which claims the partition.
    const partition = partitionOf('a.test', PARTITIONS);
    const owner = ownerOf(partition, ['edge-1', 'edge-2'])!;
    const other = owner === 'edge-1' ? 'edge-2' : 'edge-1';
    const claims = await probe.kv('glider_s2s', { ttlMs: 3 * configSchema.parse({}).bus.heartbeatMs });
    await waitFor(async () => new TextDecoder().decode((await claims.get(`claim.${partition}`))?.value ?? new Uint8Array()) === owner, {
      what: `${owner} claims a.test's partition`,
      timeoutMs: 30_000,
    });

    const ledger = new Ledger();
    const anomalies: string[] = [];
    const receiver = await ChaosClient.login(a.edges[0]!, 'a.test', 'receiver', PASSWORD, 'r', (el: Element) => {
      if (el.name !== 'message' || el.attrs.type === 'error') return;
      const seq = seqOfBody(el);
      if (seq === undefined) return void anomalies.push(`receiver got ${String(el).slice(0, 120)}`);
      ledger.record(el.getChild('delay', NS_DELAY) ? 'stored' : 'live', seq);
    });
    clients.push(receiver);
    const stream = new NumberedStream(ledger, { to: 'receiver@a.test', rate: RATE, padBytes: 0, maxMessages: 20_000, maxMs: 60_000 });
    const senderEdge = cluster.edges[other === 'edge-1' ? 0 : 1]!;
    const sender = await ChaosClient.login(senderEdge, 'b.test', 'sender', PASSWORD, 's', stream.onSenderElement);
    clients.push(sender);
    stream.start(sender);

    await sleep(WARMUP_MS);
    const sentAtFault = ledger.sentCount;
    const arrivedAtFault = ledger.accounted();
    await cluster.kill(owner, fault);
    await sleep(HOLD_AFTER_FAULT_MS);
    relay.release();
    await sleep(AFTER_FAULT_MS);
    await stream.stop();
    const settleStart = Date.now();
    while (ledger.accounted() < ledger.sentCount && ledger.idleMs() < SETTLE_MS && Date.now() - settleStart < SETTLE_MAX_MS) await sleep(100);
    // Anything the standalone stored for an offline receiver would come at the next login.
    await receiver.close();
    const again = await ChaosClient.login(a.edges[0]!, 'a.test', 'receiver', PASSWORD, 'r2', (el: Element) => {
      const seq = el.name === 'message' && el.attrs.type !== 'error' ? seqOfBody(el) : undefined;
      if (seq !== undefined) ledger.record(el.getChild('delay', NS_DELAY) ? 'stored' : 'live', seq);
    });
    clients.push(again);
    await again.close();

    const counts = ledger.counts();
    keep = counts.lost > 0;
    const notes = [
      `a.test held until ${HOLD_AFTER_FAULT_MS / 1000} s after the fault; ${owner} (owner of a.test) ${fault === 'SIGKILL' ? 'SIGKILLed' : 'drained (SIGTERM)'} after ${sentAtFault} sent, ${arrivedAtFault} accounted; sender on ${other}`,
      ...(counts.deliveredAndBounced ? [`${counts.deliveredAndBounced} delivered and bounced`] : []),
      ...(counts.lost ? [`lost e.g. #${counts.lostSample.join(', #')}`] : []),
      ...stream.anomalies,
      ...anomalies.slice(0, 3),
    ];
    return {
      fault: `federation (cluster b.test → standalone a.test): ${fault} the edge owning a.test`,
      counts,
      notes,
      seconds: (Date.now() - t0) / 1000,
      logsKeptIn: keep ? cluster.dataDir : '',
    };
  } finally {
    for (const c of clients) c.destroy();
    relay?.close();
    await probe.close().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    await cluster.stop(keep);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('chaos: federation keeps what it accepted when the owning edge goes', () => {
  const rows: Row[] = [];
  after(() => process.stdout.write(`\n${table(rows)}\n\n`));
  // CHAOS_ONLY=<text> (as suite.chaos.ts): only the faults whose name contains it
  const only = process.env.CHAOS_ONLY;
  for (const fault of (['SIGKILL', 'SIGTERM'] as const).filter((f) => !only || `${f} the edge owning the remote domain`.includes(only))) {
    it(`${fault} the edge owning the remote domain`, { timeout: 180_000 }, async () => {
      const row = await run(fault);
      rows.push(row);
      const c = row.counts;
      assert.equal(c.lost, 0, `${c.lost} of ${c.sent} LOST, e.g. #${c.lostSample.join(', #')}; logs in ${row.logsKeptIn}`);
    });
  }
});
