import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { loadConfig } from '#libs/config';
import { freePort } from '#libs/testing';
import { envNameOf, listenPorts, listenProblems } from './listen-ports.js';

const hold = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

describe('listen ports checked before anything starts', () => {
  it('names the env variable of a key as libs/config reads it', () => {
    assert.equal(envNameOf('edge.c2sPort'), 'GLIDER_EDGE__C2S_PORT');
    assert.equal(envNameOf('admin.grpcPort'), 'GLIDER_ADMIN__GRPC_PORT');
    assert.equal(envNameOf('http.port'), 'GLIDER_HTTP__PORT');
    // and libs/config accepts what it names
    assert.equal(loadConfig({ env: { [envNameOf('edge.directTlsPort')]: '15223' } }).edge.directTlsPort, 15223);
  });

  it('lists the ports of each role: the edge ports only where the edge runs, plain ws only when enabled', () => {
    const cfg = loadConfig({ env: {} });
    const keys = (role: string, admin: boolean) => listenPorts(role, cfg, { admin }).map((p) => p.key);
    assert.deepEqual(keys('standalone', true), ['edge.c2sPort', 'edge.directTlsPort', 'edge.wssPort', 'admin.grpcPort', 'http.port']);
    assert.deepEqual(keys('router', true), ['admin.grpcPort', 'http.port']);
    assert.deepEqual(keys('presence', false), ['http.port']);
    const ws = loadConfig({ env: { GLIDER_EDGE__WS_ENABLED: 'true' } });
    assert.ok(listenPorts('edge', ws, { admin: false }).some((p) => p.key === 'edge.wsPort'));
    assert.ok(!listenPorts('media-relay', cfg, { admin: false }).some((p) => p.key === 'media.upload.port'), 'media.enabled is false by default');
    const media = loadConfig({ env: { GLIDER_MEDIA__ENABLED: 'true' } });
    assert.deepEqual(
      listenPorts('media-relay', media, { admin: false }).map((p) => p.key),
      ['media.upload.port', 'media.socks5.port', 'media.turn.udpPort', 'media.turn.tcpPort', 'media.turn.tlsPort', 'http.port'],
    );
    assert.ok(listenPorts('standalone', media, { admin: true }).some((p) => p.key === 'media.upload.port'));
    assert.ok(listenPorts('standalone', media, { admin: true }).some((p) => p.key === 'media.socks5.port'));
    assert.ok(!listenPorts('edge', media, { admin: false }).some((p) => p.key === 'media.upload.port'));
    assert.ok(!keys('standalone', true).includes('media.socks5.port'), 'nothing of media-relay while media.enabled is false');
    const noSocks5 = loadConfig({ env: { GLIDER_MEDIA__ENABLED: 'true', GLIDER_MEDIA__SOCKS5__ENABLED: 'false' } });
    assert.ok(!listenPorts('media-relay', noSocks5, { admin: false }).some((p) => p.key === 'media.socks5.port'));
    const free = loadConfig({ env: { GLIDER_HTTP__PORT: '0' } });
    assert.ok(!listenPorts('presence', free, { admin: false }).some((p) => p.key === 'http.port'), 'port 0 is a free port, never busy');
  });

  it('lists TURN ports where media-relay runs, UDP and TCP 3478 being no clash; a busy UDP port is a problem', async () => {
    const cfg = loadConfig({ env: { GLIDER_MEDIA__ENABLED: 'true' } });
    const turn = listenPorts('media-relay', cfg, { admin: false }).filter((p) => p.key.startsWith('media.turn'));
    assert.deepEqual(
      turn.map((p) => [p.key, p.port, p.protocol ?? 'tcp']),
      [
        ['media.turn.udpPort', 3478, 'udp'],
        ['media.turn.tcpPort', 3478, 'tcp'],
        ['media.turn.tlsPort', 5349, 'tcp'],
      ],
    );
    assert.ok(!listenPorts('router', cfg, { admin: false }).some((p) => p.key.startsWith('media.turn')));
    assert.ok(!listenPorts('standalone', loadConfig({ env: {} }), { admin: false }).some((p) => p.key.startsWith('media.turn')), 'media off');
    const port = await freePort();
    const { createSocket } = await import('node:dgram');
    const held = createSocket('udp4');
    await new Promise<void>((r) => held.bind(port, '127.0.0.1', r));
    try {
      const problems = await listenProblems([
        { key: 'media.turn.udpPort', host: '127.0.0.1', port, protocol: 'udp' },
        { key: 'media.turn.tcpPort', host: '127.0.0.1', port },
      ]);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, /\/udp \(media\.turn\.udpPort\) is already in use.*GLIDER_MEDIA__TURN__UDP_PORT/);
    } finally {
      held.close();
    }
  });

  it('a busy port is a problem that names the key and its env variable; free ports are none', async () => {
    const busy = await freePort();
    const server = await hold(busy);
    try {
      const freeOne = await freePort();
      const problems = await listenProblems([
        { key: 'edge.c2sPort', host: '127.0.0.1', port: busy },
        { key: 'http.port', host: '127.0.0.1', port: freeOne },
      ]);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, new RegExp(`127\\.0\\.0\\.1:${busy} \\(edge\\.c2sPort\\) is already in use`));
      assert.match(problems[0]!, /GLIDER_EDGE__C2S_PORT=<port>/);
      assert.deepEqual(await listenProblems([{ key: 'http.port', host: '127.0.0.1', port: freeOne }]), []);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('edge.reusePort: a port another SO_REUSEPORT edge holds is no problem; one held without it still is', async () => {
    const port = await freePort();
    const config = loadConfig({ env: { GLIDER_EDGE__REUSE_PORT: 'true', GLIDER_EDGE__C2S_PORT: String(port), GLIDER_EDGE__HOST: '127.0.0.1' } });
    const c2s = listenPorts('edge', config, { admin: false }).find((p) => p.key === 'edge.c2sPort')!;
    assert.equal(c2s.shared, true);
    const peer = createServer();
    await new Promise<void>((resolve) => peer.listen({ port, host: '127.0.0.1', reusePort: true }, resolve));
    try {
      assert.deepEqual(await listenProblems([c2s]), [], 'a second edge on this host may start');
    } finally {
      await new Promise((r) => peer.close(r));
    }
    const plain = await hold(port);
    try {
      assert.match((await listenProblems([c2s])).join('\n'), /edge\.c2sPort\) is already in use/);
    } finally {
      await new Promise((r) => plain.close(r));
    }
  });

  it('the same port under two keys is a problem before any is bound', async () => {
    const port = await freePort();
    const problems = await listenProblems([
      { key: 'admin.grpcPort', host: '127.0.0.1', port },
      { key: 'http.port', host: '127.0.0.1', port },
    ]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /http\.port and admin\.grpcPort are both/);
  });
});
