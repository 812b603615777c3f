import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser } from '../harness/gliderctl.js';
import { repoRoot } from '../harness/paths.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const BS = 'http://jabber.org/protocol/bytestreams';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The limits the scenario's deployment runs with (GLIDER_MEDIA__SOCKS5__*), so it can reach each. */
export const SOCKS5_TEST_LIMITS = { maxTransfers: 4, maxTransfersPerUser: 2, maxBytesPerTransfer: 11 * 1024 * 1024 };

export function socks5Env(port: number): Record<string, string> {
  return {
    GLIDER_MEDIA__SOCKS5__PORT: String(port),
    GLIDER_MEDIA__SOCKS5__HOST: '127.0.0.1',
    GLIDER_MEDIA__SOCKS5__PUBLIC_HOST: '127.0.0.1',
    GLIDER_MEDIA__SOCKS5__MAX_TRANSFERS: String(SOCKS5_TEST_LIMITS.maxTransfers),
    GLIDER_MEDIA__SOCKS5__MAX_TRANSFERS_PER_USER: String(SOCKS5_TEST_LIMITS.maxTransfersPerUser),
    GLIDER_MEDIA__SOCKS5__MAX_BYTES_PER_TRANSFER: String(SOCKS5_TEST_LIMITS.maxBytesPerTransfer),
  };
}

/** slixmpp's own XEP-0065 plugin: two real clients, 10 MB through the proxy, checksums compared. */
export async function slixmppTransfer(d: Deployment, tag: string, size = 10 * 1024 * 1024): Promise<{ proxies: Record<string, [string, string]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'glider-s5b-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, d.certPem());
  const [sender, receiver] = [`s5-sender-${tag}@${d.domain}`, `s5-receiver-${tag}@${d.domain}`];
  await addUser(sender, 'transfer-password', d.adminPort);
  await addUser(receiver, 'transfer-password', d.adminPort);
  const edge = d.edges[0]!;
  const args = ['--sender', `${sender}/slix`, '--receiver', `${receiver}/slix`, '--password', 'transfer-password', '--port', String(edge.c2sPort)];
  const r = await python([join(repoRoot, 'test/clients/slix_s5b.py'), ...args, '--ca', ca, '--size', String(size), '--timeout', '90']);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  assert.equal(r.code, 0, `slixmpp transfer failed: ${line}\n${r.stderr.slice(-3000)}`);
  const out = JSON.parse(line) as {
    ok: boolean;
    sent: { size: number; sha256: string };
    received: { size: number; sha256: string };
    proxies: Record<string, [string, string]>;
  };
  assert.equal(out.received.size, size);
  assert.equal(out.received.sha256, out.sent.sha256);
  return out;
}

function python(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.once('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A SOCKS5 client written for the test (RFC 1928), independent of the server's codec. */
async function socks5(port: number, hash: string): Promise<{ socket: Socket; rep: number }> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const addr = Buffer.from(hash, 'latin1');
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 3, addr.length]), addr, Buffer.from([0, 0])]));
  const need = 2 + 5 + addr.length + 2;
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= need || (buf.length >= 4 && buf[3] !== 3)) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('close', () => (buf.length >= 4 ? resolve() : reject(new Error(`closed after ${buf.length} bytes`))));
  });
  assert.deepEqual([...buf.subarray(0, 2)], [5, 0], 'method "no authentication"');
  return { socket, rep: buf[3]! };
}

const hashOf = (sid: string, requester: string, target: string) =>
  createHash('sha1')
    .update(sid + requester + target)
    .digest('hex');
const condition = (e: unknown): string | undefined => {
  // xmpp.js's iqCaller rejects with its StanzaError, which names the condition.
  const named = (e as { condition?: unknown }).condition;
  if (typeof named === 'string') return named;
  const el = (e as { stanza?: XmppElement }).stanza?.getChild('error');
  return el?.children.map((c) => (typeof c === 'string' ? undefined : c)).find((c) => c?.attrs.xmlns === STANZAS)?.name;
};

async function activate(c: TestClient, proxy: string, sid: string, target: string): Promise<string> {
  try {
    await c.iq(xml('iq', { type: 'set', to: proxy }, xml('query', { xmlns: BS, sid }, xml('activate', {}, target))));
    return 'result';
  } catch (e) {
    return condition(e) ?? String(e);
  }
}

/**
 * Through the whole server with xmpp.js and raw SOCKS5 sockets: discovery, the streamhost, then
 * every refusal — an unknown stream, activation before both sides connected, activation by a
 * stranger, a third connection, the per-user and per-replica limits, the byte limit. `ports` are
 * the media-relay replicas' SOCKS5 ports: with two, each stream's connections are spread over both;
 * `announcedPort` is what the streamhost query must answer (the replica's, or the Service's).
 */
export async function socks5RefusalsScenario(d: Deployment, tag: string, ports: number[], announcedPort = ports[0]!): Promise<void> {
  trustCertificate(d.certPem());
  const proxy = `proxy.${d.domain}`;
  const names = ['alice', 'bob', 'mallory'].map((n) => `${n}-s5-${tag}`);
  for (const n of names) await addUser(`${n}@${d.domain}`, 'socks5-password', d.adminPort);
  const edge = d.edges[0]!;
  const clients = await Promise.all(names.map((n) => connect(`xmpp://${edge.host}:${edge.c2sPort}`, n, 'socks5-password', 'pc', d.domain)));
  const [alice, bob, mallory] = clients as [TestClient, TestClient, TestClient];
  const open: Socket[] = [];
  const at = (i: number) => ports[i % ports.length]!;
  try {
    const info = await alice.iq(xml('iq', { type: 'get', to: proxy }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.ok(q.getChildren('identity').some((i) => i.attrs.category === 'proxy' && i.attrs.type === 'bytestreams'));
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === BS));
    const sh = (await alice.iq(xml('iq', { type: 'get', to: proxy }, xml('query', { xmlns: BS })))).getChild('query')!.getChild('streamhost')!;
    assert.equal(sh.attrs.jid, proxy);
    assert.equal(sh.attrs.host, '127.0.0.1');
    assert.equal(sh.attrs.port, String(announcedPort), 'media.socks5.publicPort');

    const [a, b] = [alice.jid, bob.jid];
    assert.equal(await activate(alice, proxy, 'never-connected', b), 'item-not-found', 'unknown stream');
    assert.equal(await activate(alice, proxy, 's1', 'not a@valid@jid'), 'jid-malformed');
    const noSid = await alice.iq(xml('iq', { type: 'set', to: proxy }, xml('query', { xmlns: BS }, xml('activate', {}, b)))).then(
      () => 'result',
      (e: unknown) => condition(e),
    );
    assert.equal(noSid, 'bad-request', 'an activation without sid');
    const h1 = hashOf('s1', a, b);
    const t1 = await socks5(at(0), h1);
    open.push(t1.socket);
    assert.equal(t1.rep, 0);
    assert.equal(await activate(alice, proxy, 's1', b), 'not-allowed', 'XEP-0065 §6.3.5: only one party connected');
    const r1 = await socks5(at(1), h1);
    open.push(r1.socket);
    assert.equal(r1.rep, 0);
    assert.equal(await activate(mallory, proxy, 's1', b), 'item-not-found', 'a stranger cannot activate (the hash has the sender in it)');
    assert.equal((await socks5(at(1), h1)).rep, 2, 'a third connection');
    assert.equal(await activate(alice, proxy, 's1', b), 'result');
    const ping = await roundTrip(r1.socket, t1.socket, Buffer.from('through the proxy'));
    assert.equal(ping, 'through the proxy');

    // Per user: alice has s1 running; s2 is her second and last.
    const h2 = hashOf('s2', a, b);
    const h3 = hashOf('s3', a, b);
    for (const h of [h2, h2, h3, h3]) open.push((await socks5(at(0), h)).socket);
    assert.equal(await activate(alice, proxy, 's2', b), 'result');
    assert.equal(await activate(alice, proxy, 's3', b), 'resource-constraint', 'maxTransfersPerUser');

    // Per replica: s1, s2, s3 and one more fill the replica of port 0; the next new stream is refused.
    open.push((await socks5(ports[0]!, hashOf('s4', a, b))).socket);
    assert.equal((await socks5(ports[0]!, hashOf('s5', a, b))).rep, 2, 'maxTransfers');
  } finally {
    for (const s of open) s.destroy();
    await Promise.all(clients.map((c) => c.stop()));
  }
}

/** Past maxBytesPerTransfer the relay is cut with a reset: the receiver sees an error, not a clean end. */
export async function socks5ByteLimitScenario(d: Deployment, tag: string, ports: number[]): Promise<void> {
  const proxy = `proxy.${d.domain}`;
  const names = ['carol', 'dan'].map((n) => `${n}-s5-${tag}`);
  for (const n of names) await addUser(`${n}@${d.domain}`, 'socks5-password', d.adminPort);
  const edge = d.edges[0]!;
  const clients = await Promise.all(names.map((n) => connect(`xmpp://${edge.host}:${edge.c2sPort}`, n, 'socks5-password', 'pc', d.domain)));
  const [carol, dan] = clients as [TestClient, TestClient];
  try {
    const h = hashOf('big', carol.jid, dan.jid);
    const target = await socks5(ports[0]!, h);
    const requester = await socks5(ports[ports.length - 1]!, h);
    assert.equal(await activate(carol, proxy, 'big', dan.jid), 'result');
    const got = received(target.socket);
    requester.socket.end(randomBytes(SOCKS5_TEST_LIMITS.maxBytesPerTransfer + 2 * 1024 * 1024));
    const r = await got;
    assert.ok(r.bytes <= SOCKS5_TEST_LIMITS.maxBytesPerTransfer, `${r.bytes} bytes passed the limit`);
    assert.equal(r.clean, false, 'cut by a reset');
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }
}

function received(s: Socket): Promise<{ bytes: number; clean: boolean }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let clean = false;
    s.on('data', (c: Buffer) => (bytes += c.length));
    s.on('end', () => (clean = true));
    s.on('close', () => resolve({ bytes, clean }));
  });
}

function roundTrip(from: Socket, to: Socket, data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= data.length) {
        to.off('data', onData);
        resolve(got.toString());
      }
    };
    to.on('data', onData);
    from.write(data);
  });
}
