import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DomainPolicy, makeFederationPki, type ConnectTarget } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { dial, targetsOf } from './s2s-dial.js';
import { S2sPool } from './s2s-pool.js';
import { listenS2s, s2sSide, type S2sSide } from './testing/s2s-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'glider-s2s-pool-'));
const pki = makeFederationPki(dir);
const closers: (() => void)[] = [];
after(() => {
  for (const c of closers) c();
  rmSync(dir, { recursive: true, force: true });
});
const allow = (...domains: string[]) => ({ mode: 'allowlist' as const, allow: domains, deny: [] });
const msg = (n: number, to = 'bob@b.test') => xml('message', { from: 'alice@a.test/p', to, id: `m${n}` }, xml('body', {}, `n${n}`));

interface Bounce {
  id: string;
  condition: string;
}

function pool(side: S2sSide) {
  const bounces: Bounce[] = [];
  const waiters: ((b: Bounce) => void)[] = [];
  let dials = 0;
  const p = new S2sPool(side.ctx, {
    targets: (remote) => targetsOf(remote, side.ctx.config.s2s),
    dial: (t: ConnectTarget, remote) => {
      dials++;
      return dial(t, remote, side.ctx.secureContext(), side.ctx.config.s2s.connectTimeoutMs);
    },
    bounce: (el: Element, condition) => {
      const b = { id: el.attrs.id!, condition };
      bounces.push(b);
      waiters.shift()?.(b);
    },
  });
  closers.push(() => p.stop());
  return { pool: p, bounces, nextBounce: () => new Promise<Bounce>((r) => waiters.push(r)), dials: () => dials };
}

async function federation(s2s: Record<string, unknown> = {}) {
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, allow('a.test'));
  const listener = await listenS2s(b);
  closers.push(() => listener.server.close());
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'), { routes: { 'b.test': { host: '127.0.0.1', port: listener.port } }, ...s2s });
  return { a, b, listener };
}

test('stanzas queue while the connection opens, arrive in order, and later ones reuse the one connection', async () => {
  const { a, b, listener } = await federation();
  const { pool: p, bounces } = pool(a);
  // the receiver collects ids until five came
  const arrived: string[] = [];
  const all = new Promise<void>((resolve) => {
    const orig = b.ctx.onRemoteStanza.bind(b.ctx);
    b.ctx.onRemoteStanza = (el, pair) => {
      arrived.push(el.attrs.id!);
      void orig(el, pair);
      if (arrived.length === 5) resolve();
    };
  });
  for (let i = 1; i <= 3; i++) p.send(msg(i), 'a.test', 'b.test');
  await new Promise<void>((resolve) => {
    const check = () => (p.streams()[0]?.state === 'ready' ? resolve() : setImmediate(check));
    check();
  });
  p.send(msg(4), 'a.test', 'b.test');
  p.send(msg(5), 'a.test', 'b.test');
  await all;
  assert.deepEqual(arrived, ['m1', 'm2', 'm3', 'm4', 'm5']);
  assert.equal(p.streams().length, 1);
  assert.equal(listener.streams.length, 1);
  assert.deepEqual(bounces, []);
});

test('an unreachable domain: queued stanzas bounce with remote-server-not-found, then at once during the back-off', async () => {
  const closedPort = await freePort();
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'), { routes: { 'b.test': { host: '127.0.0.1', port: closedPort } } });
  const { pool: p, bounces, nextBounce, dials } = pool(a);
  const first = nextBounce();
  p.send(msg(1), 'a.test', 'b.test');
  assert.deepEqual(await first, { id: 'm1', condition: 'remote-server-not-found' });
  p.send(msg(2), 'a.test', 'b.test');
  assert.deepEqual(bounces[1], { id: 'm2', condition: 'remote-server-not-found' });
  assert.equal(dials(), 1, 'no new attempt during s2s.retryBackoffMs');
});

test('the back-off ends when the domain authenticates a stream to us (its server came back): the next stanza dials and arrives', async () => {
  const port = await freePort();
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'), { routes: { 'b.test': { host: '127.0.0.1', port } } });
  const { pool: p, nextBounce, dials } = pool(a);
  const first = nextBounce();
  p.send(msg(1), 'a.test', 'b.test');
  assert.deepEqual(await first, { id: 'm1', condition: 'remote-server-not-found' });
  // b.test comes back on its port, and opens a stream to us (a.test's inbound side says so)
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, allow('a.test'));
  const listener = await listenS2s(b, { port });
  closers.push(() => listener.server.close());
  const second = nextBounce();
  p.send(msg(2), 'a.test', 'b.test');
  assert.deepEqual(await second, { id: 'm2', condition: 'remote-server-not-found' }, 'still in the back-off');
  p.peerReachable('b.test');
  const arrived = b.next();
  p.send(msg(3), 'a.test', 'b.test');
  assert.equal((await arrived).attrs.id, 'm3');
  assert.equal(dials(), 2);
});

test('a domain the policy refuses is never dialled; a policy change closes its open stream', async () => {
  const { a } = await federation();
  const { pool: p, bounces, dials } = pool(a);
  p.send(msg(1, 'eve@c.test'), 'a.test', 'c.test');
  assert.deepEqual(bounces, [{ id: 'm1', condition: 'remote-server-not-found' }]);
  assert.equal(dials(), 0);
  assert.deepEqual(a.refusals, ['out c.test: not-on-allowlist']);

  p.send(msg(2), 'a.test', 'b.test');
  await new Promise<void>((resolve) => {
    const check = () => (p.streams()[0]?.state === 'ready' ? resolve() : setImmediate(check));
    check();
  });
  const stream = p.streams()[0]!;
  const closed = new Promise<void>((resolve) => stream.onClosed(resolve));
  a.policy = new DomainPolicy({ mode: 'allowlist', allow: [], deny: [] });
  p.enforcePolicy();
  await closed;
  p.send(msg(3), 'a.test', 'b.test');
  assert.deepEqual(bounces.at(-1), { id: 'm3', condition: 'remote-server-not-found' });
});

test('a server that accepts but never answers: the stanza bounces with remote-server-timeout', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'), { routes: { 'b.test': { host: '127.0.0.1', port } }, queueTimeoutMs: 300 });
  const { pool: p, nextBounce } = pool(a);
  const bounced = nextBounce();
  p.send(msg(1), 'a.test', 'b.test');
  assert.deepEqual(await bounced, { id: 'm1', condition: 'remote-server-timeout' });
});

test('XEP-0368 direct TLS: s2s.routes with directTls dials TLS first (no STARTTLS) and authenticates with EXTERNAL', async () => {
  const bCert = pki.issue('b.test', { eku: 'serverAuth' });
  const b = s2sSide('b.test', bCert, pki.caPem, allow('a.test'));
  const listener = await listenS2s(b, { directTls: { cert: bCert } });
  closers.push(() => listener.server.close());
  const a = s2sSide('a.test', pki.issue('a.test', { eku: 'serverAuth' }), pki.caPem, allow('b.test'), {
    routes: { 'b.test': { host: '127.0.0.1', port: listener.port, directTls: true } },
  });
  const { pool: p, bounces } = pool(a);
  const arrived = b.next();
  p.send(msg(1), 'a.test', 'b.test');
  assert.equal((await arrived).attrs.id, 'm1');
  assert.equal(listener.streams[0]!.transport.kind, 'tls');
  assert.equal(p.streams()[0]!.transport.kind, 'tls');
  assert.deepEqual(bounces, []);
});

test('an outbound stream with nothing to send for s2s.idleTimeoutMs is closed; the next stanza opens a new one', async () => {
  const { a, listener } = await federation({ idleTimeoutMs: 200 });
  const { pool: p, bounces, dials } = pool(a);
  const arrived = listener.streams.length;
  p.send(msg(1), 'a.test', 'b.test');
  await waitFor(() => p.streams()[0]?.state === 'ready', { what: 'the outbound stream ready' });
  const stream = p.streams()[0]!;
  await new Promise<void>((resolve) => stream.onClosed(resolve));
  assert.equal(p.streams().length, 0, 'the idle stream left the pool');
  p.send(msg(2), 'a.test', 'b.test');
  await waitFor(() => listener.streams.length === arrived + 2, { what: 'a second inbound stream at b.test' });
  assert.equal(dials(), 2);
  assert.deepEqual(bounces, []);
});

test('settled runs once a stanza is written or bounced; abandon lets queued ones go without either', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  const { a } = await federation();
  const { pool: p, bounces } = pool(a);
  const settled: string[] = [];
  const written = new Promise<void>((resolve) => p.send(msg(1), 'a.test', 'b.test', { settled: () => (settled.push('m1'), resolve()) }));
  await written;
  const refused = new Promise<void>((resolve) => p.send(msg(2, 'eve@c.test'), 'a.test', 'c.test', { settled: () => (settled.push('m2'), resolve()) }));
  await refused;
  assert.deepEqual(settled, ['m1', 'm2']);

  const c = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'), { routes: { 'b.test': { host: '127.0.0.1', port } }, queueTimeoutMs: 300 });
  const stuck = pool(c);
  stuck.pool.send(msg(3), 'a.test', 'b.test', { settled: () => settled.push('m3') });
  await waitFor(() => sockets.length === 1, { what: 'the silent server accepted' });
  await stuck.pool.abandon((remote) => remote === 'b.test');
  assert.equal(stuck.pool.streams().length, 0);
  // m5 waits on a new link with the same s2s.queueTimeoutMs as m3, queued later: had m3's timer
  // survived the hand-over, m3 would bounce first. An abandoned stanza neither bounces nor settles.
  const late = stuck.nextBounce();
  stuck.pool.send(msg(5), 'a.test', 'b.test');
  assert.deepEqual(await late, { id: 'm5', condition: 'remote-server-timeout' });
  assert.deepEqual(stuck.bounces, [{ id: 'm5', condition: 'remote-server-timeout' }]);
  assert.deepEqual(settled, ['m1', 'm2']);
  assert.deepEqual(bounces, [{ id: 'm2', condition: 'remote-server-not-found' }]);
});
