// e2e: serial — Glider takes port 5269 here (the peers reach it there), so scripts/test.mjs never runs this file beside another such file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import { startDnsServer, type DnsServer } from './harness/dns-server.js';
import { ownLoopbackAddress } from './harness/loopback.js';
import { gliderctl } from './harness/gliderctl.js';
import { ejabberdInstalled, startEjabberd, type EjabberdPeer } from './harness/ejabberd.js';
import { prosodyInstalled, startProsody, type ProsodyPeer } from './harness/prosody.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, isMessageWithBody, isPresence, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

/**
 * Glider (a.test) federating with a real Prosody (p.test, Debian 0.12) on loopback (issue 13):
 * certificates from one test CA, SASL EXTERNAL both ways (Prosody's dialback off,
 * s2s_secure_auth on), Glider reaching Prosody by `s2s.routes`, Prosody reaching Glider through
 * its own hosts file and port 5269 (test/harness/prosody.ts) — on a loopback address of this
 * test's own (127.0.0.100–254, `ownLoopbackAddress`), so other tests' 5269 is never in the way. Not an
 * SRV record on a free port as for ejabberd below: libunbound answers every name under `test.`
 * itself (RFC 6761 local zone), so Prosody never asks a test DNS server about
 * `_xmpp-server._tcp.a.test`.
 */
describe('federation with Prosody (a.test ↔ p.test), SASL EXTERNAL', { skip: !prosodyInstalled() && 'prosody not installed (.ci/run installs it)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-fed-prosody-'));
  const pki = makeFederationPki(dir);
  let glider: Deployment;
  let prosody: ProsodyPeer;
  /** u.test: a Prosody whose certificate comes from a CA Glider does not trust. */
  let untrusted: ProsodyPeer;
  /** x.test: trusted certificate, but not on Glider's allowlist. */
  let stranger: ProsodyPeer;
  const clients: TestClient[] = [];

  /** Glider's own loopback address here: Prosody finds a.test on port 5269 of it (see above). */
  let gliderHost: string;

  before(async () => {
    trustCertificate(pki.caPem);
    gliderHost = await ownLoopbackAddress(5269);
    // serverAuth only on both sides (public CAs stopped issuing clientAuth in 2026): each side accepts the other's for EXTERNAL
    const p = pki.issue('p.test', { eku: 'serverAuth', san: xmppServerSans('p.test') });
    prosody = await startProsody({
      dir: join(dir, 'prosody'),
      domain: 'p.test',
      certFile: p.chainFile,
      keyFile: p.keyFile,
      caFile: pki.caFile,
      hosts: { 'a.test': gliderHost },
      users: { bob: 'bob-secret-22' },
    });
    const x = pki.issue('x.test', { eku: 'serverAuth', san: xmppServerSans('x.test') });
    stranger = await startProsody({
      dir: join(dir, 'prosody-x'),
      domain: 'x.test',
      certFile: x.chainFile,
      keyFile: x.keyFile,
      caFile: pki.caFile,
      hosts: { 'a.test': gliderHost },
      users: { dave: 'dave-secret-4' },
    });
    const otherCa = makeFederationPki(mkdtempSync(join(dir, 'other-ca-')));
    const u = otherCa.issue('u.test', { eku: 'serverAuth', san: xmppServerSans('u.test') });
    untrusted = await startProsody({
      dir: join(dir, 'prosody-u'),
      domain: 'u.test',
      certFile: u.chainFile,
      keyFile: u.keyFile,
      caFile: otherCa.caFile,
      hosts: { 'a.test': gliderHost },
      users: { carol: 'carol-secret-3' },
    });
    const a = pki.issue('a.test', { eku: 'serverAuth', san: [...xmppServerSans('a.test'), 'DNS:localhost'] });
    glider = await startStandalone({
      GLIDER_DOMAINS: JSON.stringify(['a.test']),
      GLIDER_TLS__CERT_FILE: a.chainFile,
      GLIDER_TLS__KEY_FILE: a.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_S2S__ENABLED: 'true',
      // every listener of this Glider on its own address, so 5269 is ours whatever else runs
      GLIDER_EDGE__HOST: gliderHost,
      GLIDER_S2S__PORT: '5269',
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['p.test', 'u.test'] }),
      GLIDER_S2S__ROUTES: JSON.stringify({
        'p.test': { host: '127.0.0.1', port: prosody.s2sPort },
        'u.test': { host: '127.0.0.1', port: untrusted.s2sPort },
      }),
    });
    assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: glider.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await glider?.stop();
    await prosody?.stop();
    await untrusted?.stop();
    await stranger?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('alice@a.test and bob@p.test chat both ways', async () => {
    const e = glider.edges[0]!;
    const alice = await connect(`xmpp://${gliderHost}:${e.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
    const bob = await connect(`xmpp://127.0.0.1:${prosody.c2sPort}`, 'bob', 'bob-secret-22', 'phone', 'p.test');
    clients.push(alice, bob);
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'p1' }, xml('body', {}, 'hello Prosody')));
    const got = await bob.waitFor('alice message via Prosody', isMessageWithBody('hello Prosody'));
    assert.equal(got.attrs.from, alice.jid);
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'p2' }, xml('body', {}, 'hello Glider')));
    const back = await alice.waitFor('bob reply from Prosody', isMessageWithBody('hello Glider'));
    assert.equal(back.attrs.from, bob.jid);
  });

  it('IQ version and disco#info across, both ways', async () => {
    const [alice, bob] = clients as [TestClient, TestClient];
    const v = await alice.iq(xml('iq', { to: 'p.test', type: 'get', id: 'v1' }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.match(v.getChild('query', 'jabber:iq:version')?.getChildText('name') ?? '', /prosody/i);
    const d = await bob.iq(xml('iq', { to: 'a.test', type: 'get', id: 'd1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(d.attrs.from, 'a.test');
    assert.ok(d.getChild('query', 'http://jabber.org/protocol/disco#info')?.getChildren('feature').length);
  });

  it('presence subscription both ways, then available presence flows', async () => {
    const [alice, bob] = clients as [TestClient, TestClient];
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));
    await alice.send(xml('presence', { to: 'bob@p.test', type: 'subscribe' }));
    await bob.waitFor('subscribe from alice', isPresence('alice@a.test', 'subscribe'));
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribed' }));
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribe' }));
    await alice.waitFor('subscribed from bob', isPresence('bob@p.test', 'subscribed'));
    await alice.waitFor('subscribe from bob', isPresence('bob@p.test', 'subscribe'));
    await alice.send(xml('presence', { to: 'bob@p.test', type: 'subscribed' }));
    await alice.waitFor("bob's available presence", isPresence('bob@p.test', undefined));
    await bob.waitFor("alice's available presence", isPresence('alice@a.test', undefined));
  });

  it('a peer whose certificate Glider does not trust is refused (no dialback): the stanza bounces, nothing reaches it', async () => {
    const alice = clients[0]!;
    await alice.send(xml('message', { to: 'carol@u.test', type: 'chat', id: 'u1' }, xml('body', {}, 'to an untrusted peer')));
    const err = await alice.waitFor('bounce from the untrusted peer', (st) => st.is('message') && st.attrs.type === 'error' && st.attrs.id === 'u1');
    assert.equal(err.attrs.from, 'carol@u.test');
    assert.ok(err.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.ok(!readFileSync(untrusted.logFile, 'utf8').includes('to an untrusted peer'));
  });

  it('policy both ways: x.test (trusted, not on the allowlist) cannot reach alice, and alice cannot reach x.test', async () => {
    const alice = clients[0]!;
    const dave = await connect(`xmpp://127.0.0.1:${stranger.c2sPort}`, 'dave', 'dave-secret-4', 'desk', 'x.test');
    clients.push(dave);
    await dave.send(xml('message', { to: alice.jid, type: 'chat', id: 'x1' }, xml('body', {}, 'from a stranger')));
    const err = await dave.waitFor('Prosody bounces what Glider refused', (st) => st.is('message') && st.attrs.type === 'error' && st.attrs.id === 'x1');
    assert.equal(err.attrs.from, alice.jid);
    assert.equal(
      alice.stanzas.some((st) => st.is('message') && st.attrs.id === 'x1'),
      false,
    );
    await alice.send(xml('message', { to: 'dave@x.test', type: 'chat', id: 'x2' }, xml('body', {}, 'to a stranger')));
    const out = await alice.waitFor('outbound refused by policy', (st) => st.is('message') && st.attrs.type === 'error' && st.attrs.id === 'x2');
    assert.ok(out.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  });
});

/**
 * Glider (a.test) federating with a real ejabberd (e.test, Debian 23.01), both ways: SASL EXTERNAL
 * with certificates from the test CA. Glider reaches ejabberd by `s2s.routes`; ejabberd reaches
 * Glider the way servers do, by DNS: a test DNS server (test/harness/dns-server.ts) publishes
 * `_xmpp-server._tcp.a.test` → a.test on Glider's free s2s port, and a.test's A record.
 */
describe(
  'federation with ejabberd (a.test ↔ e.test), SASL EXTERNAL',
  { skip: !ejabberdInstalled() && 'ejabberd not installed or not root (.ci/run installs it)' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-fed-ejabberd-'));
    const pki = makeFederationPki(dir);
    let glider: Deployment;
    let ejabberd: EjabberdPeer;
    let dns: DnsServer;
    const clients: TestClient[] = [];

    before(async () => {
      trustCertificate(pki.caPem);
      const gliderS2s = await freePort();
      dns = await startDnsServer({ srv: { '_xmpp-server._tcp.a.test': [{ port: gliderS2s, target: 'a.test' }] } });
      const e = pki.issue('e.test', { eku: 'serverAuth', san: xmppServerSans('e.test') });
      ejabberd = await startEjabberd({
        domain: 'e.test',
        cert: e,
        caFile: pki.caFile,
        nameserver: dns,
        hosts: { 'a.test': '127.0.0.1' },
        users: { erin: 'erin-secret-5' },
      });
      // ejabberd 23.01 refuses a serverAuth-only client certificate for EXTERNAL ("unsupported
      // certificate purpose"), the interop problem issue 13 describes; Glider's side keeps clientAuth
      // here, e.test's is serverAuth only (Glider accepts it).
      // ejabberd 23.01 crashes (xmpp_stream_pkix:get_cert_domains, badarg in ++) on a client
      // certificate with an SRV-ID otherName, so Glider's certificate here has DNS names only.
      const a = pki.issue('a.test', { eku: 'serverAuth,clientAuth', san: ['DNS:a.test', 'DNS:localhost'] });
      glider = await startStandalone({
        GLIDER_DOMAINS: JSON.stringify(['a.test']),
        GLIDER_TLS__CERT_FILE: a.chainFile,
        GLIDER_TLS__KEY_FILE: a.keyFile,
        GLIDER_TLS__OCSP_STAPLING: 'false',
        GLIDER_S2S__ENABLED: 'true',
        GLIDER_S2S__PORT: String(gliderS2s),
        GLIDER_S2S__DIRECT_TLS_PORT: '0',
        GLIDER_S2S__TRUST_FILE: pki.caFile,
        GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['e.test'] }),
        GLIDER_S2S__ROUTES: JSON.stringify({ 'e.test': { host: '127.0.0.1', port: ejabberd.s2sPort } }),
      });
      assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: glider.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    });
    after(async () => {
      for (const c of clients) await c.stop().catch(() => undefined);
      await glider?.stop();
      await ejabberd?.stop();
      await dns?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("alice@a.test's message reaches erin@e.test: ejabberd accepts Glider's SASL EXTERNAL", async () => {
      const g = glider.edges[0]!;
      const alice = await connect(`xmpp://${g.host}:${g.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
      const erin = await connect(`xmpp://127.0.0.1:${ejabberd.c2sPort}`, 'erin', 'erin-secret-5', 'tablet', 'e.test');
      clients.push(alice, erin);
      await alice.send(xml('message', { to: erin.jid, type: 'chat', id: 'e1' }, xml('body', {}, 'hello ejabberd')));
      const got = await erin.waitFor('alice message via ejabberd', isMessageWithBody('hello ejabberd'));
      assert.equal(got.attrs.from, alice.jid);
      // ejabberd's logger writes asynchronously: wait for the line rather than read once
      await waitFor(() => /Accepted inbound s2s EXTERNAL authentication a\.test -> e\.test/.test(readFileSync(ejabberd.logFile, 'utf8')), {
        what: 'ejabberd logged the EXTERNAL authentication of a.test',
        timeoutMs: 15_000,
      });
    });

    it('erin@e.test answers: ejabberd finds a.test by its SRV record and Glider accepts its SASL EXTERNAL', async () => {
      const [alice, erin] = clients as [TestClient, TestClient];
      await erin.send(xml('message', { to: alice.jid, type: 'chat', id: 'e2' }, xml('body', {}, 'hello Glider from ejabberd')));
      const got = await alice.waitFor("erin's message via ejabberd's own outbound stream", isMessageWithBody('hello Glider from ejabberd'));
      assert.equal(got.attrs.from, erin.jid);
      assert.ok(dns.asked.includes('SRV _xmpp-server._tcp.a.test'), `ejabberd asked ${dns.asked.join(', ')}`);
    });

    it('IQ version and disco#info across, both ways', async () => {
      const [alice, erin] = clients as [TestClient, TestClient];
      const v = await alice.iq(xml('iq', { to: 'e.test', type: 'get', id: 'ev1' }, xml('query', { xmlns: 'jabber:iq:version' })));
      assert.match(v.getChild('query', 'jabber:iq:version')?.getChildText('name') ?? '', /ejabberd/i);
      const d = await erin.iq(xml('iq', { to: 'a.test', type: 'get', id: 'ed1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      assert.equal(d.attrs.from, 'a.test');
      assert.ok(d.getChild('query', 'http://jabber.org/protocol/disco#info')?.getChildren('feature').length);
      const gv = await erin.iq(xml('iq', { to: 'a.test', type: 'get', id: 'ev2' }, xml('query', { xmlns: 'jabber:iq:version' })));
      assert.ok(gv.getChild('query', 'jabber:iq:version')?.getChildText('name'), 'Glider names itself to ejabberd');
    });

    it('presence subscription both ways, then available presence flows', async () => {
      const [alice, erin] = clients as [TestClient, TestClient];
      await alice.send(xml('presence'));
      await erin.send(xml('presence'));
      await alice.send(xml('presence', { to: 'erin@e.test', type: 'subscribe' }));
      await erin.waitFor('subscribe from alice', isPresence('alice@a.test', 'subscribe'));
      await erin.send(xml('presence', { to: 'alice@a.test', type: 'subscribed' }));
      await erin.send(xml('presence', { to: 'alice@a.test', type: 'subscribe' }));
      await alice.waitFor('subscribed from erin', isPresence('erin@e.test', 'subscribed'));
      await alice.waitFor('subscribe from erin', isPresence('erin@e.test', 'subscribe'));
      await alice.send(xml('presence', { to: 'erin@e.test', type: 'subscribed' }));
      await alice.waitFor("erin's available presence", isPresence('erin@e.test', undefined));
      await erin.waitFor("alice's available presence", isPresence('alice@a.test', undefined));
    });
  },
);
