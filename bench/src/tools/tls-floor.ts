// The memory floor Node itself puts under a Glider connection: RSS per idle TLS 1.3 connection of
// a bare `tls.Server` that only echoes nothing (no XMPP), to compare with Glider's idle figure.
// `plain` measures a bare `net.Server` instead, to split TCP's share from TLS's; `starttls` upgrades
// a plain connection in place (a `TLSSocket` over the accepted `net.Socket`), as c2s STARTTLS does,
// which is the floor under the bench's idle figure.
//   node dist/bench/src/tools/tls-floor.js [connections=2000] [tls|plain|starttls]
import { fork } from 'node:child_process';
import * as net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createSecureContext, createServer, TLSSocket } from 'node:tls';
import { treeRssKiB } from '../load/process-stats.js';
import { makeCertificate } from '../targets/support.js';

if (process.argv[2] === 'serve') {
  const [cert, key] = [readFileSync(process.argv[3]!), readFileSync(process.argv[4]!)];
  const onSocket = (socket: net.Socket) => {
    socket.setEncoding('utf8');
    socket.on('data', () => {});
    socket.on('error', () => {});
  };
  const mode = process.argv[5];
  const secureContext = createSecureContext({ cert, key, minVersion: 'TLSv1.3' });
  // starttls: the client's first bytes ask for TLS; the accepted socket is then wrapped in place
  const upgrade = (socket: net.Socket) =>
    socket.once('data', () => {
      socket.write('proceed');
      onSocket(new TLSSocket(socket, { isServer: true, secureContext }));
    });
  const server =
    mode === 'plain'
      ? net.createServer(onSocket)
      : mode === 'starttls'
        ? net.createServer(upgrade)
        : createServer({ cert, key, minVersion: 'TLSv1.3' }, onSocket);
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port));
} else {
  const count = Number(process.argv[2] ?? 2000);
  const mode = process.argv[3] ?? 'tls';
  const plain = mode === 'plain';
  const dir = mkdtempSync(join(tmpdir(), 'tls-floor-'));
  const { cert, key } = makeCertificate(dir, 'localhost');
  const child = fork(new URL(import.meta.url), ['serve', cert, key, mode]);
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)));
  const settle = () => new Promise((r) => setTimeout(r, 3000));
  await settle();
  const before = treeRssKiB(child.pid!);
  const sockets = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from(
      { length: Math.min(50, count - i) },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const ready = () => {
            s.write('<stream:stream>');
            resolve(s);
          };
          const s =
            mode === 'starttls'
              ? starttls(port, resolve, reject)
              : plain
                ? net.connect({ host: '127.0.0.1', port }, ready)
                : connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, ready);
          s.once('error', reject);
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  await settle();
  const after = treeRssKiB(child.pid!);
  console.log(
    `bare node ${plain ? 'net.Server' : mode === 'starttls' ? 'net.Server + STARTTLS-style upgrade' : 'tls.Server'}, ${count} idle ${plain ? 'TCP' : 'TLS 1.3'} connections: RSS ${before} → ${after} KiB, ${((after - before) / count).toFixed(1)} KiB per connection`,
  );
  for (const s of sockets) s.destroy();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}

/** A plain connection that asks for TLS, waits for the answer and upgrades (the client side of STARTTLS). */
function starttls(port: number, resolve: (s: net.Socket) => void, reject: (e: Error) => void): net.Socket {
  const raw = net.connect({ host: '127.0.0.1', port }, () => raw.write('starttls'));
  raw.once('data', () => {
    const s = connect({ socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, () => {
      s.write('<stream:stream>');
      resolve(s);
    });
    s.once('error', reject);
  });
  return raw;
}
