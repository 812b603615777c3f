import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { xml } from '#libs/xml';
import { S2sConnectError } from './s2s-out.stream.js';
import { connectS2s, listenS2s, s2sSide } from './testing/s2s-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'glider-s2s-'));
const strangerDir = mkdtempSync(join(tmpdir(), 'glider-s2s-x-'));
const pki = makeFederationPki(dir);
const stranger = makeFederationPki(strangerDir, 'Untrusted CA');
const closers: (() => void)[] = [];
after(() => {
  for (const c of closers) c();
  rmSync(dir, { recursive: true, force: true });
  rmSync(strangerDir, { recursive: true, force: true });
});
const allow = (...domains: string[]) => ({ mode: 'allowlist' as const, allow: domains, deny: [] });

async function listen(side: ReturnType<typeof s2sSide>) {
  const l = await listenS2s(side);
  closers.push(() => l.server.close());
  return l;
}

/** a.test and b.test trusting each other, a's outbound stream to b.test ready; `ended` settles when it closes. */
async function readyPair() {
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'));
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, allow('a.test'));
  const { port, streams } = await listen(b);
  const out = await connectS2s(a, 'b.test', port);
  await out.ready;
  const ended = new Promise<void>((resolve) => out.onClosed(resolve));
  return { b, out, streams, ended };
}

test('STARTTLS then SASL EXTERNAL with serverAuth-only certificates both ways; a message crosses with its addresses', async () => {
  const a = s2sSide('a.test', pki.issue('a.test', { eku: 'serverAuth' }), pki.caPem, allow('b.test'));
  const b = s2sSide('b.test', pki.issue('b.test', { eku: 'serverAuth' }), pki.caPem, allow('a.test'));
  const { port, streams } = await listen(b);
  const out = await connectS2s(a, 'b.test', port);
  closers.push(() => out.close());
  await out.ready;
  assert.equal(out.state, 'ready');
  assert.ok(out.remoteStreamId.length > 0);
  const arrived = b.next();
  out.deliver(xml('message', { from: 'alice@a.test/phone', to: 'bob@b.test', type: 'chat', id: 'm1' }, xml('body', {}, 'hello across')));
  const el = await arrived;
  assert.equal(el.attrs.from, 'alice@a.test/phone');
  assert.equal(el.attrs.to, 'bob@b.test');
  assert.equal(el.getChildText('body'), 'hello across');
  assert.deepEqual({ local: b.received[0]!.local, remote: b.received[0]!.remote }, { local: 'b.test', remote: 'a.test' });
  assert.equal(streams[0]!.state, 'ready');
  assert.equal(streams[0]!.transport.tlsVersion()?.startsWith('TLSv1.'), true);
});

test('a peer whose certificate comes from an untrusted CA is refused (no dialback offered)', async () => {
  const a = s2sSide('a.test', stranger.issue('a.test'), pki.caPem, allow('b.test'));
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, allow('a.test'));
  const { port } = await listen(b);
  const out = await connectS2s(a, 'b.test', port);
  // b offers no mechanism after TLS (then ends the stream with <not-authorized/>): a gives up on the features
  await assert.rejects(out.ready, (err: S2sConnectError) => err.condition === 'remote-server-not-found' && /no SASL EXTERNAL/.test(err.message));
  assert.deepEqual(b.refusals, ['in a.test: no path to a trusted issuer']);
  assert.equal(b.received.length, 0);
});

test('the initiating server refuses a receiving server whose certificate names another domain', async () => {
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'));
  const b = s2sSide('b.test', pki.issue('impostor.test'), pki.caPem, allow('a.test'));
  const { port } = await listen(b);
  const out = await connectS2s(a, 'b.test', port);
  await assert.rejects(out.ready, /does not name b.test/);
  assert.deepEqual(a.refusals, ['out b.test: the certificate does not name b.test']);
});

test('policy: a domain not on the allowlist gets <policy-violation/> at its stream header', async () => {
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'));
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, allow('partner.test'));
  const { port } = await listen(b);
  const out = await connectS2s(a, 'b.test', port);
  await assert.rejects(out.ready);
  assert.equal(out.peerError, 'policy-violation');
  assert.deepEqual(b.refusals, ['in a.test: not-on-allowlist']);
});

test('a stanza from another domain than the authenticated one ends the stream with <invalid-from/>', async () => {
  const { b, out, streams, ended } = await readyPair();
  out.deliver(xml('message', { from: 'mallory@c.test', to: 'bob@b.test' }, xml('body', {}, 'spoofed')));
  await ended;
  assert.equal(out.peerError, 'invalid-from');
  assert.equal(b.received.length, 0);
  assert.notEqual(streams[0]!.state, 'ready');
});

test('a peer ending its stream with <stream:error/> (Prosody shutting down) has it closed, and gets no stream error of ours back', async () => {
  const { out, ended } = await readyPair();
  out.send(xml('stream:error', {}, xml('system-shutdown', { xmlns: 'urn:ietf:params:xml:ns:xmpp-streams' })));
  await ended;
  assert.equal(out.peerError, undefined, 'b.test answered a stream error with one of its own (RFC 6120 §4.9.1.1: it closes)');
});

test('a service domain of the receiving server (conference.b.test, XEP-0045 rooms) is one of its own: the stream to it and a presence to a room are taken', async () => {
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'));
  const b = s2sSide('b.test', pki.issue('b.test', { san: [...xmppServerSans('b.test'), ...xmppServerSans('conference.b.test')] }), pki.caPem, allow('a.test'));
  b.ctx.serviceDomains = () => ['conference.b.test'];
  const reachable: string[] = [];
  b.ctx.peerReachable = (remote) => reachable.push(remote);
  const { port } = await listen(b);
  // the peer opens a stream to the service domain itself, as Prosody and ejabberd do (one per domain pair)
  const out = await connectS2s(a, 'conference.b.test', port);
  closers.push(() => out.close());
  await out.ready;
  const arrived = b.next();
  out.deliver(xml('presence', { from: 'alice@a.test/phone', to: 'room@conference.b.test/alice' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
  assert.equal((await arrived).attrs.to, 'room@conference.b.test/alice');
  assert.deepEqual({ local: b.received[0]!.local, remote: b.received[0]!.remote }, { local: 'conference.b.test', remote: 'a.test' });
  assert.deepEqual(reachable, ['a.test'], "a.test's EXTERNAL tells b.test's pool that a.test is up (it ends a retry back-off)");
});

test('a stanza to a domain the receiving server does not serve ends the stream with <host-unknown/>', async () => {
  const { b, out, ended } = await readyPair();
  out.deliver(xml('message', { from: 'alice@a.test', to: 'carol@elsewhere.test' }, xml('body', {}, 'relay me')));
  await ended;
  assert.equal(out.peerError, 'host-unknown');
  assert.equal(b.received.length, 0);
});

test('inbound: a sender whose stanza the router has not taken yet holds only its own next stanzas, not the other senders of the stream', async () => {
  const a = s2sSide('a.test', pki.issue('a.test'), pki.caPem, allow('b.test'));
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, allow('a.test'));
  // b's router takes alice's first message only when the test says so
  let takeFirst!: () => void;
  const firstTaken = new Promise<void>((resolve) => (takeFirst = resolve));
  const taken: string[] = [];
  const arrivals = new Map<string, () => void>();
  const arrived = (id: string) => new Promise<void>((resolve) => arrivals.set(id, resolve));
  b.ctx.onRemoteStanza = async (el) => {
    if (el.attrs.id === 'alice-1') await firstTaken;
    taken.push(el.attrs.id!);
    arrivals.get(el.attrs.id!)?.();
  };
  const { port } = await listen(b);
  const out = await connectS2s(a, 'b.test', port);
  closers.push(() => out.close());
  await out.ready;
  const carolArrived = arrived('carol-1');
  const msg = (from: string, id: string) => xml('message', { from, to: 'bob@b.test', type: 'chat', id }, xml('body', {}, id));
  out.deliver(msg('alice@a.test/phone', 'alice-1'));
  out.deliver(msg('alice@a.test/laptop', 'alice-2'));
  out.deliver(msg('carol@a.test/desk', 'carol-1'));
  await carolArrived; // before alice's first was taken: one stream, three senders, no head-of-line wait
  assert.deepEqual(taken, ['carol-1']);
  const aliceDone = arrived('alice-2');
  takeFirst();
  await aliceDone;
  // RFC 6120 §10.1: one sender's stanzas in the order sent (alice's two resources share her bare JID's order)
  assert.deepEqual(taken, ['carol-1', 'alice-1', 'alice-2']);
});
