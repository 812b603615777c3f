import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { buckets, encodeSocks5Claim, InProcessBus, keys, NatsBus, type Bus } from '#libs/bus';
import { socks5Schema, type Socks5Config } from '#libs/config';
import { freePort, startNatsServer, waitFor } from '#libs/testing';
import { forwardConnect } from './forward.js';
import { Socks5Proxy } from './socks5-proxy.js';
import { Rep } from './socks5.codec.js';
import { streamHash } from './stream-hash.js';

const log = pino({ level: process.env.S5_LOG ?? 'silent' });
const open: Socks5Proxy[] = [];
after(async () => {
  for (const p of open) await p.close();
});

async function proxy(bus: Bus, instance: string, over: Partial<Socks5Config> = {}): Promise<Socks5Proxy> {
  const cfg = socks5Schema.parse({ host: '127.0.0.1', port: 0, ...over });
  const p = new Socks5Proxy(cfg, { bus, instance, heartbeatMs: 1000, requestTimeoutMs: 2000, log });
  await p.start();
  open.push(p);
  return p;
}

let n = 0;
const newHash = () => streamHash(`sid-${++n}`, 'alice@example.com/pc', 'bob@example.com/phone');

/** A SOCKS5 client's CONNECT for `hash`: the connected socket, or the reply code that refused it. */
async function dial(port: number, hash: string): Promise<Socket> {
  const r = await forwardConnect({ host: '127.0.0.1', port }, hash, 0, 5000);
  if (!r.ok) throw new Error(`refused: REP ${r.rep}`);
  // Like most clients: once the other side has finished, finish too.
  r.upstream.on('end', () => r.upstream.end());
  r.upstream.resume();
  return r.upstream;
}

async function refusal(port: number, hash: string): Promise<number> {
  const r = await forwardConnect({ host: '127.0.0.1', port }, hash, 0, 5000);
  if (r.ok) {
    r.upstream.destroy();
    throw new Error('accepted');
  }
  return r.rep;
}

/** Reads until the peer closes; resolves with the SHA-256 and size of what arrived, and whether it ended cleanly. */
function drain(s: Socket): Promise<{ sha: string; size: number; clean: boolean }> {
  return new Promise((resolve) => {
    const h = createHash('sha256');
    let size = 0;
    let clean = false;
    s.on('data', (c: Buffer) => {
      h.update(c);
      size += c.length;
    });
    s.on('end', () => {
      clean = true;
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve({ sha: h.digest('hex'), size, clean }));
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed && s.closed ? resolve() : s.once('close', () => resolve())));

test('two connections with one hash relay both ways after activation, then the stream and its claim are gone', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1');
  const hash = newHash();
  const target = await dial(p.port, hash);
  assert.equal(await p.activate(hash, 'alice@example.com'), 'one-side', 'XEP-0065 §6.3.5: only one party connected');
  const requester = await dial(p.port, hash);
  assert.equal(p.stats().streams, 1);
  assert.equal(await p.activate(hash, 'alice@example.com'), 'activated');
  assert.equal(await p.activate(hash, 'alice@example.com'), 'already-active');
  const file = randomBytes(3 * 1024 * 1024);
  const back = randomBytes(64 * 1024);
  const atTarget = drain(target);
  const atRequester = drain(requester);
  requester.end(file);
  target.end(back);
  const [t, r] = await Promise.all([atTarget, atRequester]);
  assert.deepEqual([t.size, t.sha, t.clean], [file.length, sha(file), true]);
  assert.deepEqual([r.size, r.sha, r.clean], [back.length, sha(back), true]);
  const kv = await bus.kv(buckets.socks5);
  await waitFor(async () => p.stats().streams === 0 && (await kv.get(keys.socks5Stream(hash))) === undefined, { what: 'the stream and its claim released' });
  assert.deepEqual(await kv.keys(keys.socks5UserTransfers('alice@example.com')), []);
});

test('refusals: unknown hash, a third connection, a new stream past maxTransfers', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1', { maxTransfers: 1 });
  assert.equal(await p.activate(newHash(), 'alice@example.com'), 'unknown');
  const hash = newHash();
  const a = await dial(p.port, hash);
  const b = await dial(p.port, hash);
  assert.equal(await refusal(p.port, hash), Rep.notAllowed, 'only one Target per stream');
  assert.equal(await refusal(p.port, newHash()), Rep.notAllowed, 'maxTransfers');
  a.destroy();
  b.destroy();
});

test('activation by someone else than the Requester hashes to another stream: unknown', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1');
  const hash = streamHash('s', 'alice@example.com/pc', 'bob@example.com/phone');
  const a = await dial(p.port, hash);
  const b = await dial(p.port, hash);
  const stranger = streamHash('s', 'mallory@example.com/x', 'bob@example.com/phone');
  assert.equal(await p.activate(stranger, 'mallory@example.com'), 'unknown');
  assert.equal(await p.activate(hash, 'alice@example.com'), 'activated');
  a.destroy();
  b.destroy();
});

test('a transfer past maxBytesPerTransfer is cut with a reset, not ended as if complete', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1', { maxBytesPerTransfer: 256 * 1024 });
  const hash = newHash();
  const target = await dial(p.port, hash);
  const requester = await dial(p.port, hash);
  assert.equal(await p.activate(hash, 'alice@example.com'), 'activated');
  const got = drain(target);
  requester.on('error', () => undefined);
  requester.write(randomBytes(2 * 1024 * 1024));
  const r = await got;
  assert.ok(r.size <= 256 * 1024, `${r.size} bytes passed`);
  assert.equal(r.clean, false, 'the receiver sees a reset, not a FIN');
  await waitFor(() => p.totals.ended.get('bytes-limit') === 1, { what: 'the stream counted as cut by the byte limit' });
});

test('maxTransfersPerUser counts a Requester’s activated transfers', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1', { maxTransfersPerUser: 1 });
  const [h1, h2] = [newHash(), newHash()];
  const socks = [await dial(p.port, h1), await dial(p.port, h1), await dial(p.port, h2), await dial(p.port, h2)];
  assert.equal(await p.activate(h1, 'alice@example.com'), 'activated');
  assert.equal(await p.activate(h2, 'alice@example.com'), 'user-limit');
  assert.equal(await p.activate(h2, 'carol@example.com'), 'activated', 'another user is not limited by alice');
  for (const s of socks) s.destroy();
});

test('a stream not activated in time is closed; so is a connection that never finishes its handshake', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1', { activationTimeoutMs: 100, handshakeTimeoutMs: 100 });
  const lone = await dial(p.port, newHash());
  const silent = connect({ host: '127.0.0.1', port: p.port });
  silent.on('error', () => undefined);
  await Promise.all([closed(lone), closed(silent)]);
  assert.equal(p.stats().streams, 0);
});

test('cluster: the second connection lands on another replica and is forwarded to the holder; activation from either', async () => {
  const bus = new InProcessBus();
  const r1 = await proxy(bus, 'r1');
  const r2 = await proxy(bus, 'r2');
  const hash = newHash();
  const target = await dial(r1.port, hash);
  const requester = await dial(r2.port, hash);
  assert.deepEqual([r1.stats().streams, r2.stats().streams, r2.stats().forwarded], [1, 0, 1]);
  assert.equal(await refusal(r2.port, hash), Rep.notAllowed, 'a third connection via the other replica is refused too');
  assert.equal(await r2.activate(hash, 'alice@example.com'), 'activated', 'r2 asks r1 over the bus');
  const file = randomBytes(2 * 1024 * 1024);
  const got = drain(target);
  const back = drain(requester);
  requester.end(file);
  target.end();
  const [t] = await Promise.all([got, back]);
  assert.deepEqual([t.size, t.sha], [file.length, sha(file)]);
});

test('cluster on a real nats-server: each replica on its own connection, claims in JetStream KV', async (t) => {
  const nats = await startNatsServer({ jetstream: true });
  const quiet = { error: () => undefined };
  const [b1, b2] = [
    await NatsBus.connect({ url: nats.url, requestTimeoutMs: 5000 }, quiet),
    await NatsBus.connect({ url: nats.url, requestTimeoutMs: 5000 }, quiet),
  ];
  const replicas: Socks5Proxy[] = [];
  // One hook, in order: the proxies release their claims while the bus is still there.
  t.after(async () => {
    for (const r of replicas) await r.close();
    await Promise.all([b1.close(), b2.close()]);
    await nats.stop();
  });
  const r1 = await proxy(b1, 'n1');
  const r2 = await proxy(b2, 'n2');
  replicas.push(r1, r2);
  const hash = newHash();
  const target = await dial(r2.port, hash);
  const requester = await dial(r1.port, hash);
  assert.deepEqual([r1.stats().forwarded, r2.stats().streams], [1, 1], 'n2 holds the stream, n1 forwards to it');
  assert.equal(await r1.activate(newHash(), 'alice@example.com'), 'unknown');
  assert.equal(await r1.activate(hash, 'alice@example.com'), 'activated');
  const file = randomBytes(1024 * 1024);
  const got = drain(target);
  requester.end(file);
  target.end();
  const r = await got;
  assert.deepEqual([r.size, r.sha], [file.length, sha(file)]);
  const kv = await b1.kv(buckets.socks5);
  await waitFor(async () => (await kv.get(keys.socks5Stream(hash))) === undefined, { what: 'the claim released on NATS' });
});

test('a relaying stream silent for idleTimeoutMs is closed', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1', { idleTimeoutMs: 100 });
  const hash = newHash();
  const a = await dial(p.port, hash);
  const b = await dial(p.port, hash);
  assert.equal(await p.activate(hash, 'alice@example.com'), 'activated');
  await Promise.all([closed(a), closed(b)]);
  await waitFor(() => p.totals.ended.get('idle') === 1, { what: 'the stream counted as idle' });
});

test('a connection whose stream is held by a replica that is gone is refused with a general failure', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1');
  const hash = newHash();
  const kv = await bus.kv(buckets.socks5);
  // A claim left by a dead replica (it expires after three heartbeats): nothing listens there.
  const deadPort = await freePort();
  await kv.put(keys.socks5Stream(hash), encodeSocks5Claim({ instance: 'dead', host: '127.0.0.1', port: deadPort }));
  assert.equal(await refusal(p.port, hash), Rep.generalFailure);
  assert.equal(await p.activate(hash, 'alice@example.com'), 'unreachable', 'its activation cannot reach the holder either');
});

test('through the listener: a SOCKS4 client is closed unanswered, BIND gets REP 7, an IPv4 CONNECT REP 8, each then closed', async () => {
  const bus = new InProcessBus();
  const p = await proxy(bus, 'r1');
  /** Writes `bytes`, collects everything the proxy answers until it closes the connection. */
  const exchange = (bytes: number[]) =>
    new Promise<number[]>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: p.port });
      const got: number[] = [];
      s.on('data', (c: Buffer) => got.push(...c));
      s.on('error', () => undefined);
      s.on('end', () => s.end());
      s.on('close', () => resolve(got));
      s.write(Buffer.from(bytes));
    });
  assert.deepEqual(await exchange([4, 1, 0, 80, 127, 0, 0, 1, 0]), []);
  assert.deepEqual((await exchange([5, 1, 0, 5, 2, 0, 3, 1, 0x61, 0, 0])).slice(0, 4), [5, 0, 5, 7]);
  assert.deepEqual((await exchange([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 80])).slice(0, 4), [5, 0, 5, 8]);
  assert.equal(p.stats().streams, 0);
  assert.equal(p.totals.refused, 0, 'refused before any stream was looked at');
});
