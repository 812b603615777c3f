import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { buckets, decodeFrame, encodeFrame, keys, subjects, type Frame } from '#libs/bus';
import { tempDir, waitFor } from '#libs/testing';
import { generateSelfSigned } from '#libs/tls';
import { xml } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from './testing/edge-harness.js';
import { RawClient } from './testing/raw-client.js';

const harnesses: EdgeHarness[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const h of harnesses.splice(0)) await h.stop();
});
async function edge(overrides: Record<string, unknown> = {}): Promise<EdgeHarness> {
  const h = await startEdge(overrides);
  harnesses.push(h);
  await h.addUser('alice', 'secret');
  return h;
}
async function client(h: EdgeHarness, mode: 'tcp' | 'tls' | 'wss'): Promise<RawClient> {
  const port = mode === 'tcp' ? h.edge.ports.c2s : mode === 'tls' ? h.edge.ports.directTls : h.edge.ports.wss;
  const c = await RawClient.connect({ mode, port });
  clients.push(c);
  return c;
}
async function ping(c: RawClient, id: string): Promise<void> {
  c.send(xml('iq', { type: 'get', id, to: 'alice@example.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  const answer = await c.element();
  assert.equal(answer.attrs.id, id);
}
function fingerprintOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.on('error', reject);
  });
}

describe('edge lifecycle', () => {
  test('certificate rotation: open connections keep working, new ones get the new certificate', async () => {
    const dir = tempDir('glider-certs-');
    try {
      const a = await generateSelfSigned([DOMAIN]);
      const b = await generateSelfSigned([DOMAIN]);
      mkdirSync(join(dir.path, 'certs'));
      const certFile = join(dir.path, 'certs', 'tls.crt');
      const keyFile = join(dir.path, 'certs', 'tls.key');
      writeFileSync(certFile, a.cert);
      writeFileSync(keyFile, a.key);
      const h = await edge({ tls: { certFile, keyFile } });
      const fpA = new X509Certificate(a.cert).fingerprint256;
      const fpB = new X509Certificate(b.cert).fingerprint256;
      assert.equal(await fingerprintOf(h.edge.ports.directTls), fpA);
      const open = [await client(h, 'tcp'), await client(h, 'tls'), await client(h, 'wss')];
      for (const [i, c] of open.entries()) await c.login(DOMAIN, 'alice', 'secret', `r${i}`);
      // key first, then the certificate, each replaced atomically (as a Secret update does)
      writeFileSync(`${keyFile}.tmp`, b.key);
      renameSync(`${keyFile}.tmp`, keyFile);
      writeFileSync(`${certFile}.tmp`, b.cert);
      renameSync(`${certFile}.tmp`, certFile);
      await waitFor(async () => (await fingerprintOf(h.edge.ports.directTls)) === fpB, { what: 'the new certificate on direct TLS' });
      for (const [i, c] of open.entries()) await ping(c, `after-rotation-${i}`);
      // STARTTLS and wss handshakes use the new certificate too
      const starttls = await client(h, 'tcp');
      await starttls.open(DOMAIN);
      await starttls.starttls();
      assert.equal(starttls.tls!.getPeerCertificate().fingerprint256, fpB);
      const wss = await client(h, 'wss');
      assert.equal(wss.tls!.getPeerCertificate().fingerprint256, fpB);
      await wss.login(DOMAIN, 'alice', 'secret', 'new-wss');
      await ping(wss, 'new-wss');
    } finally {
      dir.remove();
    }
  });

  test('SIGHUP reloads the certificate files', async () => {
    const dir = tempDir('glider-certs-');
    try {
      const a = await generateSelfSigned([DOMAIN]);
      const b = await generateSelfSigned([DOMAIN]);
      const certFile = join(dir.path, 'tls.crt');
      const keyFile = join(dir.path, 'tls.key');
      writeFileSync(certFile, a.cert);
      writeFileSync(keyFile, a.key);
      const h = await edge({ tls: { certFile, keyFile, watch: false } });
      writeFileSync(certFile, b.cert);
      writeFileSync(keyFile, b.key);
      process.kill(process.pid, 'SIGHUP');
      const fpB = new X509Certificate(b.cert).fingerprint256;
      await waitFor(async () => (await fingerprintOf(h.edge.ports.directTls)) === fpB, { what: 'the reloaded certificate' });
    } finally {
      dir.remove();
    }
  });

  test('DRAIN: unready, no new connections, <system-shutdown/> after the drain timeout, load says draining', async () => {
    const h = await edge({ edge: { drainTimeoutMs: 300 } });
    const loads: Frame[] = [];
    h.bus.subscribe(subjects.load('edge', h.edge.edgeId), (m) => void loads.push(decodeFrame(m.data)));
    const c1 = await client(h, 'tls');
    const c2 = await client(h, 'wss');
    await c1.login(DOMAIN, 'alice', 'secret', 'd1');
    await c2.login(DOMAIN, 'alice', 'secret', 'd2');
    assert.equal((await h.health.readiness()).ready, true);
    h.bus.publish(subjects.edgeControl(h.edge.edgeId), encodeFrame({ control: { kind: 'DRAIN' } }));
    await waitFor(async () => !(await h.health.readiness()).ready, { what: 'unready' });
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const s = netConnect({ host: '127.0.0.1', port: h.edge.ports.c2s });
          s.on('connect', () => (s.destroy(), resolve(false)));
          s.on('error', () => resolve(true));
        }),
      { what: 'the c2s port closed' },
    );
    assert.equal(await c1.streamError(), 'system-shutdown');
    assert.equal(await c2.streamError(), 'system-shutdown');
    await waitFor(() => loads.some((f) => f.load?.draining === true), { what: 'a draining load report' });
    await waitFor(() => h.edge.streams.size === 0, { what: 'all streams closed' });
  });

  test('heartbeat in the edges bucket, CLOSE_SESSION control, and a delivery to a vanished session goes back to the router', async () => {
    const h = await edge();
    const kv = await h.bus.kv(buckets.edges);
    assert.ok(await kv.get(keys.edge(h.edge.edgeId)));
    const c = await client(h, 'tls');
    const jid = await c.login(DOMAIN, 'alice', 'secret', 'kick');
    const record = (await h.registry.get(jid))!;
    h.bus.publish(
      subjects.edgeControl(h.edge.edgeId),
      encodeFrame({ control: { kind: 'CLOSE_SESSION', sessionId: record.sessionId, condition: 'policy-violation', text: 'kicked' } }),
    );
    assert.equal(await c.streamError(), 'policy-violation');
    await c.waitClosed();
    const before = h.routed.length;
    const stanza = {
      from: 'bob@example.test/x',
      to: jid,
      kind: 'MESSAGE' as const,
      type: 'chat',
      id: 'lost',
      xml: Buffer.from('<message/>'),
      target: { edgeId: h.edge.edgeId, sessionId: record.sessionId },
      hops: 0,
    };
    h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza }));
    await waitFor(() => h.routed.length > before, { what: 'the stanza back at the router' });
    const back = h.routed.at(-1)!.stanza!;
    assert.equal(back.id, 'lost');
    assert.equal(back.hops, 1);
    assert.equal(back.target, undefined);
  });

  test('a client that stops reading is cut off at edge.limits.maxWriteBufferBytes instead of growing memory', async () => {
    // The client reads again only after the flood; on a loaded machine that can be later than the
    // default close grace, after which the edge drops the connection and the queued stream error
    // with it. The grace is what this test does not measure: it gets all the time it needs.
    const h = await edge({ edge: { limits: { maxWriteBufferBytes: 64 * 1024 }, closeGraceMs: 600_000 } });
    const c = await client(h, 'tls');
    const jid = await c.login(DOMAIN, 'alice', 'secret', 'slow');
    const record = (await h.registry.get(jid))!;
    c.pauseReading();
    const body = 'x'.repeat(8 * 1024);
    let published = 0;
    const stream = [...h.edge.streams][0]!;
    for (let i = 0; i < 4000 && stream.state !== 'closing' && stream.state !== 'closed'; i++) {
      const stanza = {
        from: 'bob@example.test/x',
        to: jid,
        kind: 'MESSAGE' as const,
        type: 'chat',
        id: `flood-${i}`,
        xml: Buffer.from(`<message to="${jid}" type="chat" id="flood-${i}"><body>${body}</body></message>`),
        target: { edgeId: h.edge.edgeId, sessionId: record.sessionId },
        hops: 0,
      };
      h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza }));
      published++;
      await new Promise((r) => setImmediate(r));
    }
    c.resumeReading();
    let received = 0;
    for (;;) {
      const el = await c.element();
      if (el.name === 'stream:error') {
        assert.equal(el.elements()[0]!.name, 'policy-violation');
        break;
      }
      received++;
    }
    // What was never handed to the socket is not thrown away: it goes back to the router (one hop
    // further) to be re-routed, so every stanza was either received or returned.
    const returned = () => h.routed.filter((f) => f.stanza?.id.startsWith('flood-') && f.stanza.hops === 1).length;
    await waitFor(() => returned() === published - received, { what: `${published - received} unwritten stanzas back at the router (got ${returned()})` });
    assert.ok(returned() > 0);
  });

  test('a message for a vanished session that no router takes back is stored offline, not lost', async () => {
    const h = await startEdge({ edge: { routeTimeoutMs: 300 } }, { router: false });
    harnesses.push(h);
    const stanza = {
      from: 'bob@example.test/x',
      to: 'alice@example.test/gone',
      kind: 'MESSAGE' as const,
      type: 'chat',
      id: 'last-resort',
      xml: Buffer.from('<message from="bob@example.test/x" to="alice@example.test/gone" type="chat" id="last-resort"><body>keep me</body></message>'),
      target: { edgeId: h.edge.edgeId, sessionId: 'no-such-session' },
      hops: 0,
    };
    h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza }));
    await waitFor(async () => (await h.storage.offline.count('alice@example.test')) === 1, { what: 'the message in the offline store', timeoutMs: 10_000 });
    const [stored] = await h.storage.offline.list('alice@example.test');
    assert.match(stored!.xml, /<body>keep me<\/body>/);
    assert.match(stored!.xml, /<delay xmlns="urn:xmpp:delay"/);
  });

  test('resourceConflict=refuse: the second bind gets <conflict/>', async () => {
    const h = await edge({ edge: { resourceConflict: 'refuse' } });
    const first = await client(h, 'tls');
    await first.login(DOMAIN, 'alice', 'secret', 'only');
    const second = await client(h, 'tls');
    await assert.rejects(second.login(DOMAIN, 'alice', 'secret', 'only'), /conflict/);
    await ping(first, 'first-still-up');
  });

  test('maxConnectionsPerIp: the next connection gets <policy-violation/>', async () => {
    const h = await edge({ edge: { limits: { maxConnectionsPerIp: 2 } } });
    await client(h, 'tcp');
    await client(h, 'tcp');
    await waitFor(() => h.edge.streams.size === 2, { what: 'two streams' });
    const third = await client(h, 'tcp');
    third.send(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}' version='1.0'>`);
    assert.equal((await third.next()).kind, 'start');
    assert.equal(await third.streamError(), 'policy-violation');
  });

  test('authTimeoutMs: an unauthenticated connection gets <connection-timeout/>', async () => {
    const h = await edge({ edge: { limits: { authTimeoutMs: 100 } } });
    const c = await client(h, 'tls');
    await c.open(DOMAIN);
    assert.equal(await c.streamError(), 'connection-timeout');
  });

  test('keepalive: a bound, silent client gets whitespace pings, then <connection-timeout/> after idleTimeoutMs', async () => {
    // one timer per stream does both (features/xep-0199-keepalive); neither check may be lost
    const h = await edge({ edge: { keepaliveIntervalMs: 20, idleTimeoutMs: 400 } });
    const c = await client(h, 'tls');
    await c.login(DOMAIN, 'alice', 'secret', 'quiet');
    let spaces = 0;
    c.tls!.on('data', (d: Buffer) => (spaces += d.toString('utf8').trim() === '' ? 1 : 0));
    assert.equal(await c.streamError(), 'connection-timeout');
    assert.ok(spaces >= 1, 'no whitespace keepalive before the idle timeout');
  });

  test('XEP-0077 registration when enabled: advertised, creates the account, conflict on a second try', async () => {
    const h = await edge({ registration: { enabled: true } });
    const c = await client(h, 'tls');
    const features = await c.open(DOMAIN);
    assert.ok(features.getChild('register', 'http://jabber.org/features/iq-register'));
    c.send(xml('iq', { type: 'get', id: 'g' }, xml('query', { xmlns: 'jabber:iq:register' })));
    assert.ok((await c.element()).getChild('query')!.getChild('password'));
    const form = (id: string) =>
      xml('iq', { type: 'set', id }, xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'Carol'), xml('password', {}, 'pw')));
    c.send(form('s1'));
    assert.equal((await c.element()).attrs.type, 'result');
    c.send(form('s2'));
    assert.ok((await c.element()).getChild('error')!.getChild('conflict'));
    const login = await client(h, 'tls');
    assert.equal(await login.login(DOMAIN, 'carol', 'pw', 'x'), 'carol@example.test/x');
  });
});
