import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, tempDir, type TempDir } from '#libs/testing';
import { startCluster, type Cluster } from './harness/cluster.js';
import { startStandalone, type Deployment } from './harness/standalone.js';

/**
 * STUN/TURN of media-relay inside `standalone` as a user runs it, driven by coturn's
 * turnutils_uclient (Debian package coturn) with the shared secret standalone generated on first
 * start; a turnutils_peer echo peer on loopback (allowed in config: refused by default).
 */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

const lost = (out: string): number => Number(/Total lost packets (\d+)/.exec(out)?.[1] ?? -1);

describe('TURN in standalone with turnutils_uclient', () => {
  let d: Deployment;
  let dir: TempDir;
  let peer: ChildProcess;
  const ports = { udp: 0, tcp: 0, tls: 0, peer: 0, http: 0 };
  let secretFile: string;

  before(async () => {
    dir = tempDir('glider-turn-');
    secretFile = join(dir.path, 'secrets', 'turn-secret');
    for (const k of ['udp', 'tcp', 'tls', 'peer', 'http'] as const) ports[k] = await freePort();
    peer = spawn('turnutils_peer', ['-L', '127.0.0.1', '-p', String(ports.peer)], { stdio: 'ignore' });
    d = await startStandalone({
      GLIDER_MEDIA__ENABLED: 'true',
      GLIDER_MEDIA__UPLOAD__PORT: String(await freePort()),
      GLIDER_MEDIA__TURN__UDP_PORT: String(ports.udp),
      GLIDER_MEDIA__TURN__TCP_PORT: String(ports.tcp),
      GLIDER_MEDIA__TURN__TLS_PORT: String(ports.tls),
      GLIDER_MEDIA__TURN__RELAY_ADDRESS: '127.0.0.1',
      GLIDER_MEDIA__TURN__ALLOWED_PEERS: '127.0.0.1/32',
      GLIDER_MEDIA__TURN__SHARED_SECRET_FILE: secretFile,
      GLIDER_HTTP__PORT: String(ports.http),
    });
  });
  after(async () => {
    peer?.kill();
    await d?.stop();
    dir?.remove();
  });

  it('made the shared secret file 0600 on first start', () => {
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    assert.ok(readFileSync(secretFile, 'utf8').trim().length >= 32);
  });

  it('answers STUN Binding (turnutils_stunclient)', async () => {
    assert.match(await run('turnutils_stunclient', ['-p', String(ports.udp), '127.0.0.1']), /UDP reflexive addr: 127\.0\.0\.1:\d+/);
  });

  for (const [name, flags, port] of [
    ['UDP', [], 'udp'],
    ['TCP', ['-t'], 'tcp'],
  ] as const) {
    it(`relays over ${name} with REST-API credentials`, async () => {
      const secret = readFileSync(secretFile, 'utf8').trim();
      const out = await run('turnutils_uclient', [
        ...flags,
        '-c',
        '-p',
        String(ports[port]),
        '-W',
        secret,
        '-u',
        `user-${port}`,
        '-e',
        '127.0.0.1',
        '-r',
        String(ports.peer),
        '-n',
        '20',
        '-m',
        '1',
        '127.0.0.1',
      ]);
      assert.equal(lost(out), 0, out.slice(-1500));
      assert.match(out, /tot_recv_msgs=20\b/);
    });
  }

  it('counts what it relayed in glider_turn_* metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? -1);
    assert.ok(
      value('glider_turn_relayed_bytes_total') > 0,
      text
        .split('\n')
        .filter((l) => l.includes('turn'))
        .join('\n'),
    );
    assert.ok(value('glider_turn_relayed_packets_total') >= 80, 'two runs of 20 echoed datagrams');
  });

  it('refuses another secret (401: the allocation never completes)', async () => {
    const out = await run('turnutils_uclient', [
      '-c',
      '-p',
      String(ports.udp),
      '-W',
      'not-the-secret-0123456789',
      '-u',
      'mallory',
      '-e',
      '127.0.0.1',
      '-r',
      String(ports.peer),
      '-n',
      '3',
      '127.0.0.1',
    ]);
    assert.match(out, /Cannot complete Allocation/);
  });
});

describe('TURN in a cluster: the media-relay role with turnutils_uclient', () => {
  let cluster: Cluster;
  let dir: TempDir;
  let peer: ChildProcess;
  const ports = { udp: 0, tcp: 0, peer: 0 };
  let secretFile: string;

  before(async () => {
    dir = tempDir('glider-turn-cluster-');
    secretFile = join(dir.path, 'turn-secret');
    for (const k of ['udp', 'tcp', 'peer'] as const) ports[k] = await freePort();
    peer = spawn('turnutils_peer', ['-L', '127.0.0.1', '-p', String(ports.peer)], { stdio: 'ignore' });
    cluster = await startCluster({
      routers: 1,
      edges: 1,
      mediaRelays: 1,
      mediaEnv: () => ({
        GLIDER_MEDIA__TURN__UDP_PORT: String(ports.udp),
        GLIDER_MEDIA__TURN__TCP_PORT: String(ports.tcp),
        GLIDER_MEDIA__TURN__TRANSPORTS: 'udp,tcp',
        GLIDER_MEDIA__TURN__RELAY_ADDRESS: '127.0.0.1',
        GLIDER_MEDIA__TURN__ALLOWED_PEERS: '127.0.0.1/32',
        GLIDER_MEDIA__TURN__SHARED_SECRET_FILE: secretFile,
      }),
    });
  });
  after(async () => {
    peer?.kill();
    await cluster?.stop();
    dir?.remove();
  });

  it('relays over UDP and TCP with the secret the media-relay process made', async () => {
    const secret = readFileSync(secretFile, 'utf8').trim();
    for (const [flags, port] of [
      [[], ports.udp],
      [['-t'], ports.tcp],
    ] as const) {
      const out = await run('turnutils_uclient', [
        ...flags,
        '-c',
        '-p',
        String(port),
        '-W',
        secret,
        '-u',
        'carla',
        '-e',
        '127.0.0.1',
        '-r',
        String(ports.peer),
        '-n',
        '20',
        '-m',
        '1',
        '127.0.0.1',
      ]);
      assert.equal(lost(out), 0, out.slice(-1500));
      assert.match(out, /tot_recv_msgs=20\b/);
    }
  });
});
