/**
 * standalone on every core (standalone.workers, docs/decisions.md): two edge worker threads share
 * the ports, the primary keeps router, presence and storage. Real xmpp.js clients, real process.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { generateSelfSigned } from '#libs/tls';
import { xml as rawXml } from '#libs/xml';
import { RawClient } from '../apps/edge/src/testing/raw-client.js';
import { after, before, describe, it } from 'node:test';
import { freePort, waitFor } from '#libs/testing';
import { addUser } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';
import { chatScenario } from './scenarios/chat.scenario.js';

const CLIENTS = 16;

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

function fingerprintOf(e: { host: string; directTlsPort: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: e.host, port: e.directTlsPort, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.on('error', reject);
  });
}

/** glider_edge_sessions of one worker on the primary's /metrics. */
function sessionsOf(metrics: string, worker: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`glider_edge_sessions{worker="${worker}"`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('standalone with two edge worker threads', () => {
  let d: Deployment;
  let httpPort: number;
  before(async () => {
    httpPort = await freePort();
    d = await startStandalone({
      GLIDER_STANDALONE__WORKERS: '2',
      GLIDER_HTTP__PORT: String(httpPort),
      GLIDER_EDGE__DRAIN_TIMEOUT_MS: '2000',
      // the SIGHUP test below must see SIGHUP reload the files, not the file watch
      GLIDER_TLS__WATCH: 'false',
    });
  });
  after(async () => {
    await d?.stop();
  });

  it('/healthz/ready lists each worker, /metrics labels each worker', async () => {
    const ready = await get(httpPort, '/healthz/ready');
    assert.equal(ready.status, 200);
    const checks = (JSON.parse(ready.body) as { checks: Record<string, string> }).checks;
    assert.equal(checks['edge-worker-1'], 'ok');
    assert.equal(checks['edge-worker-2'], 'ok');
    const metrics = (await get(httpPort, '/metrics')).body;
    assert.equal(sessionsOf(metrics, '1'), 0);
    assert.equal(sessionsOf(metrics, '2'), 0);
    assert.equal(metrics.split('\n').filter((l) => l === '# TYPE glider_edge_sessions gauge').length, 1, 'one family, both workers in it');
  });

  it('xmpp.js users chat over STARTTLS, direct TLS and WebSocket, with roster, presence and offline messages', async () => {
    await chatScenario(d, 'w');
  });

  it(`${CLIENTS} sessions land on both workers, and messages between them all arrive, in order`, async () => {
    trustCertificate(d.certPem());
    const e = d.edges[0]!;
    const clients: TestClient[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) {
        await addUser(`spread${i}@${d.domain}`, `spread-secret-${i}`, d.adminPort);
        clients.push(await connect(`xmpp://${e.host}:${e.c2sPort}`, `spread${i}`, `spread-secret-${i}`, 'r'));
      }
      const metrics = (await get(httpPort, '/metrics')).body;
      const one = sessionsOf(metrics, '1');
      const two = sessionsOf(metrics, '2');
      assert.equal(
        one + two,
        CLIENTS,
        metrics
          .split('\n')
          .filter((l) => l.startsWith('glider_edge_sessions'))
          .join('\n'),
      );
      // SO_REUSEPORT hashes each connection's addresses: all 16 on one worker has odds of 2 in 65,536
      assert.ok(one > 0 && two > 0, `sessions per worker: ${one} and ${two}`);
      for (let i = 0; i < CLIENTS; i++) {
        const to = clients[(i + 1) % CLIENTS]!;
        for (let n = 0; n < 5; n++) await clients[i]!.send(xml('message', { to: to.jid, type: 'chat' }, xml('body', {}, `from ${i} #${n}`)));
      }
      for (let i = 0; i < CLIENTS; i++) {
        const c = clients[(i + 1) % CLIENTS]!;
        await c.waitFor(`the 5th message from ${i}`, isMessageWithBody(`from ${i} #4`));
        const got = c.stanzas.filter((s) => s.is('message') && s.getChildText('body')?.startsWith(`from ${i} #`)).map((s) => s.getChildText('body'));
        assert.deepEqual(
          got,
          [0, 1, 2, 3, 4].map((n) => `from ${i} #${n}`),
        );
      }
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
    }
  });

  it('XEP-0198: a session resumes on the other worker; the old stream ends with <conflict/>, the new one receives', async () => {
    const SM = 'urn:xmpp:sm:3';
    trustCertificate(d.certPem());
    const e = d.edges[0]!;
    await addUser(`hop@${d.domain}`, 'hop-secret-1', d.adminPort);
    await addUser(`hopper@${d.domain}`, 'hopper-secret-1', d.adminPort);
    const connectionsPer = async (): Promise<[number, number]> => {
      const m = (await get(httpPort, '/metrics')).body;
      const of = (w: string) =>
        Number(
          m
            .split('\n')
            .find((l) => l.startsWith(`glider_edge_connections{worker="${w}"`))
            ?.split(' ')
            .pop() ?? NaN,
        );
      return [of('1'), of('2')];
    };
    const sender = await connect(`xmpp://${e.host}:${e.c2sPort}`, 'hopper', 'hopper-secret-1', 'pc');
    const base = await connectionsPer();
    const a = await RawClient.connect({ host: e.host, port: e.c2sPort, mode: 'tcp' });
    const raws = [a];
    try {
      await a.login(d.domain, 'hop', 'hop-secret-1', 'tab');
      a.send(rawXml('enable', { xmlns: SM, resume: 'true' }));
      const enabled = await a.element();
      assert.equal(enabled.name, 'enabled', String(enabled));
      const withA = await connectionsPer();
      const workerOfA = withA[0] > base[0] ? 0 : 1;
      // A second connection on the other worker (the kernel picks; each try is a coin toss)
      let b: RawClient | undefined;
      for (let attempt = 0; attempt < 30 && !b; attempt++) {
        const c = await RawClient.connect({ host: e.host, port: e.c2sPort, mode: 'tcp' });
        raws.push(c);
        await c.open(d.domain);
        const now = await connectionsPer();
        if (now[1 - workerOfA]! > withA[1 - workerOfA]!) b = c;
        else c.close();
      }
      assert.ok(b, 'a connection on the other worker within 30 tries');
      await b.starttls();
      await b.open(d.domain);
      assert.equal((await b.scram('hop', 'hop-secret-1', 'SCRAM-SHA-256')).name, 'success');
      await b.open(d.domain);
      b.send(rawXml('resume', { xmlns: SM, previd: enabled.attrs.id!, h: '0' }));
      const resumed = await b.element();
      assert.equal(resumed.name, 'resumed', String(resumed));
      assert.equal(await a.streamError(), 'conflict', 'the old stream was told, on its worker');
      await sender.send(xml('message', { to: `hop@${d.domain}/tab`, type: 'chat' }, xml('body', {}, 'after the hop')));
      let got: string | undefined;
      while (got === undefined) {
        const el = await b.element();
        if (el.name === 'message') got = el.getChildText('body') ?? '';
        else if (el.name === 'r') b.send(rawXml('a', { xmlns: SM, h: '0' }));
      }
      assert.equal(got, 'after the hop');
    } finally {
      for (const r of raws) r.close();
      await sender.stop();
    }
  });

  it('SIGHUP reloads the certificate in every worker', async () => {
    const next = await generateSelfSigned([d.domain]);
    const dir = join(dirname(d.processes[0]!.logFile), 'tls');
    writeFileSync(join(dir, 'self-signed.key'), next.key);
    writeFileSync(join(dir, 'self-signed.crt'), next.cert);
    const want = new X509Certificate(next.cert).fingerprint256;
    process.kill(d.processes[0]!.pid, 'SIGHUP');
    // 16 handshakes all see the new certificate: with SO_REUSEPORT, odds of 2 in 65,536 that one worker got them all
    await waitFor(async () => (await Promise.all(Array.from({ length: CLIENTS }, () => fingerprintOf(d.edges[0]!)))).every((fp) => fp === want), {
      what: 'the new certificate on every handshake',
    });
  });

  it('SIGTERM drains every worker: connected clients get <system-shutdown/>, and the shutdown logs no error', async () => {
    trustCertificate(d.certPem());
    const e = d.edges[0]!;
    await addUser(`drain@${d.domain}`, 'drain-secret-1', d.adminPort);
    const clients: TestClient[] = [];
    try {
      for (let i = 0; i < 6; i++) clients.push(await connect(`xmpp://${e.host}:${e.c2sPort}`, 'drain', 'drain-secret-1', `r${i}`));
      let closed = 0;
      const shutdownSeen = new Set<number>();
      clients.forEach((c, i) => {
        c.xmpp.on('disconnect', () => void closed++);
        c.xmpp.on('error', (err: { condition?: string }) => void (err.condition === 'system-shutdown' && shutdownSeen.add(i)));
      });
      const proc = d.processes[0]!;
      await proc.stop('SIGTERM');
      // Nest's shutdown hooks re-raise the signal once everything closed: ended by SIGTERM, not killed
      assert.equal(proc.child.signalCode, 'SIGTERM');
      await waitFor(() => closed >= clients.length, { what: 'every client disconnected' });
      // each worker drained its streams (RFC 6120 §4.9.3.17), rather than dying with the process
      assert.equal(shutdownSeen.size, clients.length);
      const errors = readFileSync(proc.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"level":50') || l.includes('"level":60'));
      assert.deepEqual(errors, []);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
    }
  });
});
