// The CPU floor under a Glider login: what a bare Node 24 server spends on nothing but the TLS 1.3
// handshake a c2s login starts with (a plain connection upgraded in place, as STARTTLS does), and
// what the client side of it costs the driver, at the bench's concurrency. To set beside
// `bench:compare`'s CPU µs per login: no server on Node's `tls` can log in with less than this.
//   node dist/bench/src/tools/handshake-floor.js [handshakes=2000] [concurrency=50] [groups]
// `groups` is OpenSSL's key-exchange list for both sides (default: Node's own, which puts the
// hybrid X25519MLKEM768 first), e.g. `X25519` to price the classical exchange alone.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createSecureContext, TLSSocket } from 'node:tls';
import { treeCpuUs } from '../load/process-stats.js';
import { makeCertificate } from '../targets/support.js';

if (process.argv[2] === 'serve') {
  const [cert, key] = [readFileSync(process.argv[3]!), readFileSync(process.argv[4]!)];
  const groups = process.argv[5] || undefined;
  const secureContext = createSecureContext({ cert, key, minVersion: 'TLSv1.3', ...(groups ? { ecdhCurve: groups } : {}) });
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    // the client's first bytes ask for TLS; the accepted socket is then wrapped in place
    socket.once('data', () => {
      socket.write('proceed');
      const tls = new TLSSocket(socket, { isServer: true, secureContext });
      tls.on('error', () => {});
      // one round trip inside TLS, so the handshake is complete on both sides before the close
      tls.once('data', () => tls.end('ok'));
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port));
} else {
  const total = Number(process.argv[2] ?? 2000);
  const concurrency = Number(process.argv[3] ?? 50);
  const groups = process.argv[4] ?? '';
  if (!(total > 0) || !(concurrency > 0)) {
    console.error('usage: handshake-floor.js [handshakes > 0] [concurrency > 0] [groups]');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'handshake-floor-'));
  const { cert, key } = makeCertificate(dir, 'localhost');
  const child = fork(new URL(import.meta.url), ['serve', cert, key, groups]);
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)));
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('handshake took over 30 s')), 30_000);
      const raw = net.connect({ host: '127.0.0.1', port }, () => raw.write('starttls'));
      raw.once('error', reject);
      raw.once('data', () => {
        const s = connect({ socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(groups ? { ecdhCurve: groups } : {}) }, () => s.write('hi'));
        s.once('error', reject);
        s.once('data', () => s.destroy());
        s.once('close', () => (clearTimeout(timer), resolve()));
      });
    });
  // warm-up, then the measured run
  for (let i = 0; i < 100; i++) await one();
  const serverBefore = treeCpuUs(child.pid!);
  const clientBefore = process.cpuUsage();
  const began = performance.now();
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, total) }, async () => {
    while (next < total) {
      next++;
      await one();
    }
  });
  await Promise.all(lanes);
  const seconds = (performance.now() - began) / 1000;
  const serverUs = treeCpuUs(child.pid!) - serverBefore;
  const client = process.cpuUsage(clientBefore);
  const perServer = serverUs / total;
  const perClient = (client.user + client.system) / total;
  console.log(
    `bare node STARTTLS-style TLS 1.3 handshakes (${groups || 'Node default groups'}), ${total} at ${concurrency} in flight: ` +
      `${Math.round(total / seconds)}/s; CPU µs per handshake: server ${perServer.toFixed(0)}, client ${perClient.toFixed(0)}; ` +
      `at most ${Math.round(2e6 / (perServer + perClient))}/s on 2 cores with the client on the same machine`,
  );
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}
