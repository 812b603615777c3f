import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dialbackKey, DomainPolicy, makeFederationPki, xmppServerSans } from '#libs/federation';
import { xml, type Element } from '#libs/xml';
import { dial, targetsOf } from './s2s-dial.js';
import { S2sConnectError } from './s2s-out.stream.js';
import { S2sPool } from './s2s-pool.js';
import { connectS2s, listenS2s, s2sSide, type S2sSide } from './testing/s2s-pair.js';

/**
 * XEP-0220 dialback between real streams on loopback: the initiating, receiving and authoritative
 * roles, XEP-0185 keys, the §2.5 errors and multiplexing (§2.6). Certificates come from a CA the
 * other side does not trust unless a test says otherwise, so only dialback can authenticate.
 */
const dir = mkdtempSync(join(tmpdir(), 'glider-dialback-'));
const strangerDir = mkdtempSync(join(tmpdir(), 'glider-dialback-x-'));
const pki = makeFederationPki(dir);
const stranger = makeFederationPki(strangerDir, 'Untrusted CA');
const closers: (() => void)[] = [];
after(() => {
  for (const c of closers) c();
  rmSync(dir, { recursive: true, force: true });
  rmSync(strangerDir, { recursive: true, force: true });
});
const policy = (dialback: boolean, ...domains: string[]) => ({ mode: 'allowlist' as const, allow: domains, deny: [], dialback });
const msg = (from: string, id: string) => xml('message', { from, to: 'bob@b.test', type: 'chat', id }, xml('body', {}, id));

async function listen(side: S2sSide) {
  const l = await listenS2s(side);
  closers.push(() => l.server.close());
  return l;
}

/** b.test listening, a.test listening as the Authoritative Server for its domains, b knowing where a is. */
async function pair(a: S2sSide, b: S2sSide) {
  const bl = await listen(b);
  const al = await listen(a);
  for (const d of a.ctx.config.domains) b.routes.set(d, al.port);
  for (const d of b.ctx.config.domains) a.routes.set(d, bl.port);
  return { b: bl, a: al };
}

test('untrusted certificates both ways, dialback on: the receiving server asks the authoritative one, then stanzas flow', async () => {
  const a = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, policy(true, 'b.test'));
  const b = s2sSide('b.test', stranger.issue('b.test'), pki.caPem, policy(true, 'a.test'));
  const ports = await pair(a, b);
  const out = await connectS2s(a, 'b.test', ports.b.port);
  closers.push(() => out.close());
  await out.ready;
  assert.equal(out.state, 'ready');
  assert.deepEqual(b.verifications, [{ sender: 'a.test', target: 'b.test' }]);
  const arrived = b.next();
  out.deliver(msg('alice@a.test/p', 'd1'));
  assert.equal((await arrived).attrs.id, 'd1');
  assert.equal(ports.b.streams[0]!.state, 'ready');
  assert.deepEqual(ports.b.streams[0]!.remoteDomains(), ['a.test']);
  // dialback switched off in the policy: this stream no longer stands (s2s.server.ts closes it), on both sides
  assert.equal(ports.b.streams[0]!.refusedBy(new DomainPolicy(policy(false, 'a.test'))), 'a.test');
  assert.equal(ports.b.streams[0]!.refusedBy(new DomainPolicy(policy(true, 'a.test'))), undefined);
  assert.equal(out.reliesOnDialback, true);
});

test('an impostor without the secret: the authoritative server says invalid, the stream ends, nothing is taken', async () => {
  const a = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, policy(true, 'b.test'));
  const mallory = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, policy(true, 'b.test'));
  const b = s2sSide('b.test', stranger.issue('b.test'), pki.caPem, policy(true, 'a.test'));
  const ports = await pair(a, b);
  const out = await connectS2s(mallory, 'b.test', ports.b.port);
  await assert.rejects(out.ready, (err: S2sConnectError) => err.condition === 'internal-server-error');
  assert.deepEqual(b.refusals, ['in a.test: dialback key invalid']);
  assert.equal(b.received.length, 0);
});

test('dialback off at the receiving server: no xmlns:db, no feature, the untrusted peer gets <not-authorized/>', async () => {
  const a = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, policy(true, 'b.test'));
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, policy(false, 'a.test'));
  const ports = await pair(a, b);
  const out = await connectS2s(a, 'b.test', ports.b.port);
  await assert.rejects(out.ready, /dialback is not allowed/);
  assert.deepEqual(b.refusals, ['in a.test: no path to a trusted issuer']);
  assert.deepEqual(b.verifications, []);
});

test('multiplexing (§2.6.1): a second sender domain on the ready stream; a refused one gets a dialback error and the stream goes on', async () => {
  const more = { domains: ['chat.a.test', 'other.a.test'] };
  const a = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, policy(true, 'b.test'), {}, more);
  const b = s2sSide('b.test', stranger.issue('b.test'), pki.caPem, policy(true, 'a.test', 'chat.a.test'));
  const ports = await pair(a, b);
  const out = await connectS2s(a, 'b.test', ports.b.port);
  closers.push(() => out.close());
  await out.ready;
  assert.equal(out.dialbackErrors, true);
  await out.authorize('chat.a.test');
  assert.equal(out.carries('chat.a.test'), true);
  let arrived = b.next();
  out.deliver(msg('room@chat.a.test/alice', 'd2'));
  assert.equal((await arrived).attrs.from, 'room@chat.a.test/alice');
  // other.a.test is not on b's allowlist: a dialback error (§2.5), not the end of the stream
  await assert.rejects(
    out.authorize('other.a.test'),
    (err: S2sConnectError) => err.condition === 'remote-server-timeout' && /policy-violation/.test(err.message),
  );
  arrived = b.next();
  out.deliver(msg('alice@a.test/p', 'd3'));
  assert.equal((await arrived).attrs.id, 'd3');
  assert.deepEqual(ports.b.streams[0]!.remoteDomains().sort(), ['a.test', 'chat.a.test']);
});

test('a certificate valid for the piggybacked domain: accepted without dialing back (XEP-0344 §2.3)', async () => {
  const a = s2sSide(
    'a.test',
    pki.issue('a.test', { san: [...xmppServerSans('a.test'), 'DNS:chat.a.test'] }),
    pki.caPem,
    policy(true, 'b.test'),
    {},
    {
      domains: ['chat.a.test'],
    },
  );
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, policy(true, 'a.test', 'chat.a.test'));
  const ports = await pair(a, b);
  const out = await connectS2s(a, 'b.test', ports.b.port);
  closers.push(() => out.close());
  await out.ready; // SASL EXTERNAL
  await out.authorize('chat.a.test');
  assert.deepEqual(b.verifications, []);
  // authenticated by certificates only: switching dialback off leaves the stream alone
  assert.equal(ports.b.streams[0]!.refusedBy(new DomainPolicy(policy(false, 'a.test', 'chat.a.test'))), undefined);
});

test('the authoritative server answers <db:verify/>: valid for its own key, invalid for another, an error for a domain it does not serve', async () => {
  const a = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, policy(true, 'b.test'));
  const b = s2sSide('b.test', stranger.issue('b.test'), pki.caPem, policy(true, 'a.test', 'nobody.test'));
  const ports = await pair(a, b);
  b.routes.set('nobody.test', ports.a.port);
  const verify = (req: Parameters<NonNullable<typeof b.ctx.dialback>['verify']>[0]) => b.ctx.dialback!.verify(req);
  const key = dialbackKey(a.secret, 'b.test', 'a.test', 'stream-1');
  assert.equal(await verify({ sender: 'a.test', target: 'b.test', id: 'stream-1', key }), 'valid');
  assert.equal(await verify({ sender: 'a.test', target: 'b.test', id: 'stream-2', key }), 'invalid');
  assert.equal(
    await verify({ sender: 'a.test', target: 'b.test', id: 'stream-1', key: dialbackKey('not the secret', 'b.test', 'a.test', 'stream-1') }),
    'invalid',
  );
  const unknown = await verify({ sender: 'nobody.test', target: 'b.test', id: 'stream-1', key });
  assert.equal(typeof unknown === 'object' && unknown.error, 'remote-server-not-found');
  const unreachable = await verify({ sender: 'nowhere.test', target: 'b.test', id: 'stream-1', key });
  assert.equal(typeof unreachable === 'object' && unreachable.error, 'remote-server-not-found');
});

test('limits: an authoritative server that never answers times the request out (§2.1.1 timeout); past dialbackMaxPending a request is refused at once', async () => {
  const sockets: import('node:net').Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket)); // accepts, never speaks
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const so of sockets) so.destroy();
    silent.close();
  });
  const more = { domains: ['chat.a.test', 'other.a.test'] };
  const a = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, policy(true, 'b.test'), { connectTimeoutMs: 3000 }, more);
  const b = s2sSide('b.test', stranger.issue('b.test'), pki.caPem, policy(true, 'a.test', 'chat.a.test', 'other.a.test'), { dialbackMaxPending: 1 });
  const ports = await pair(a, b);
  b.routes.set('chat.a.test', (silent.address() as AddressInfo).port);
  const out = await connectS2s(a, 'b.test', ports.b.port);
  closers.push(() => out.close());
  await out.ready;
  const stuck = out.authorize('chat.a.test'); // b dials the silent server for it
  await assert.rejects(out.authorize('other.a.test'), /policy-violation/);
  await assert.rejects(stuck, (err: S2sConnectError) => err.condition === 'remote-server-timeout' && /in time/.test(err.message));
  const arrived = b.next();
  out.deliver(msg('alice@a.test/p', 'd9'));
  assert.equal((await arrived).attrs.id, 'd9', 'the verified pair goes on');
});

test('the pool piggybacks a second sender domain on the stream it has (one connection for two pairs)', async () => {
  const b = s2sSide('b.test', stranger.issue('b.test'), pki.caPem, policy(true, 'a.test', 'chat.a.test'));
  const bl = await listen(b);
  const a = s2sSide(
    'a.test',
    stranger.issue('a.test'),
    pki.caPem,
    policy(true, 'b.test'),
    { routes: { 'b.test': { host: '127.0.0.1', port: bl.port } } },
    { domains: ['chat.a.test'] },
  );
  const al = await listen(a);
  b.routes.set('a.test', al.port);
  b.routes.set('chat.a.test', al.port);
  let dials = 0;
  const bounces: string[] = [];
  const p = new S2sPool(a.ctx, {
    targets: (remote) => targetsOf(remote, a.ctx.config.s2s),
    dial: (t, remote) => {
      dials++;
      return dial(t, remote, a.ctx.secureContext(), a.ctx.config.s2s.connectTimeoutMs);
    },
    bounce: (el: Element, condition) => {
      bounces.push(`${el.attrs.id} ${condition}`);
    },
  });
  closers.push(() => p.stop());
  let arrived = b.next();
  p.send(msg('alice@a.test/p', 'p1'), 'a.test', 'b.test');
  assert.equal((await arrived).attrs.id, 'p1');
  arrived = b.next();
  p.send(msg('room@chat.a.test/x', 'p2'), 'chat.a.test', 'b.test');
  assert.equal((await arrived).attrs.id, 'p2');
  assert.equal(dials, 1);
  assert.deepEqual(bounces, []);
  assert.equal(bl.streams.length, 1, 'one inbound stream at b.test for both pairs');
});

/** Writes `input` then our closing tag; returns what the server wrote until it closed. */
function exchange(port: number, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    let ended = false;
    socket.on('data', (d) => {
      got += d.toString();
      if (ended) return;
      ended = true;
      if (/<db:result[^>]*type=["']error["'][\s\S]*<\/db:result>/.test(got) || /<stream:error/.test(got)) socket.end('</stream:stream>');
      else ended = false;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    socket.on('connect', () => socket.write(input));
  });
}

test('dialback on: the header declares xmlns:db; a <db:result/> before TLS gets a <policy-violation/> dialback error (XEP-0344)', async () => {
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, policy(true, 'a.test'));
  const { port } = await listen(b);
  const header =
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' xmlns:db='jabber:server:dialback' version='1.0' to='b.test' from='a.test'>";
  const got = await exchange(port, `${header}<db:result from='a.test' to='b.test'>0123</db:result>`);
  assert.match(got, /<stream:stream [^>]*xmlns:db='jabber:server:dialback'/);
  // before TLS only STARTTLS is offered: the dialback feature comes after it
  assert.doesNotMatch(got, /urn:xmpp:features:dialback/);
  assert.match(got, /<db:result from="b.test" to="a.test" type="error"><error type="cancel"><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
  assert.equal(b.received.length, 0);
});

test('an unsolicited dialback answer on an inbound stream ends it (XEP-0220 §3.1)', async () => {
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, policy(true, 'a.test'));
  const { port } = await listen(b);
  const header =
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' xmlns:db='jabber:server:dialback' version='1.0' to='b.test' from='a.test'>";
  const got = await exchange(port, `${header}<db:verify from='a.test' to='b.test' id='x' type='valid'/>`);
  assert.match(got, /<unsupported-stanza-type /);
});
