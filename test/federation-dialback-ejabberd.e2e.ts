import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import { startDnsServer, type DnsServer } from './harness/dns-server.js';
import { ejabberdInstalled, startEjabberd, type EjabberdPeer } from './harness/ejabberd.js';
import { gliderctl } from './harness/gliderctl.js';
import { logLine } from './harness/glider-process.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const readLog = (file: string): string => readFileSync(file, 'utf8');

type Pki = ReturnType<typeof makeFederationPki>;
interface Pair {
  glider: Deployment;
  ejabberd: EjabberdPeer;
  dns: DnsServer;
}

/**
 * Glider a.test (its certificate from `pki`, trusting only `pki`'s CA on s2s, reaching e.test by
 * `s2s.routes`) and ejabberd e.test with dialback (a certificate from a CA Glider does not trust;
 * it finds a.test by the SRV record of a test DNS server). `ejabberdTrustsGlider`: ejabberd trusts
 * `pki`'s CA too (EXTERNAL accepted one way), else only its own.
 */
async function startPair(dir: string, pki: Pki, o: { ejabberdTrustsGlider: boolean; gliderPolicy: Record<string, string> }): Promise<Pair> {
  trustCertificate(pki.caPem);
  const otherCa = makeFederationPki(mkdtempSync(join(dir, 'other-ca-')), 'ejabberd CA');
  trustCertificate(otherCa.caPem); // for erin's client; Glider's s2s trusts only s2s.trustFile
  const gliderS2s = await freePort();
  const started: Partial<Pair> = {};
  try {
    const dns = (started.dns = await startDnsServer({ srv: { '_xmpp-server._tcp.a.test': [{ port: gliderS2s, target: 'a.test' }] } }));
    const e = otherCa.issue('e.test', { eku: 'serverAuth,clientAuth', san: ['DNS:e.test'] });
    let caFile = otherCa.caFile; // its own CA only: a.test's certificate does not validate there
    if (o.ejabberdTrustsGlider) writeFileSync((caFile = join(dir, 'both-cas.pem')), pki.caPem + otherCa.caPem);
    const ejabberd = (started.ejabberd = await startEjabberd({
      domain: 'e.test',
      cert: e,
      caFile,
      nameserver: dns,
      hosts: { 'a.test': '127.0.0.1' },
      users: { erin: 'erin-secret-5' },
      dialback: true,
    }));
    const a = pki.issue('a.test', { eku: 'serverAuth,clientAuth', san: ['DNS:a.test', 'DNS:localhost'] });
    const glider = (started.glider = await startStandalone({
      GLIDER_DOMAINS: JSON.stringify(['a.test']),
      GLIDER_TLS__CERT_FILE: a.chainFile,
      GLIDER_TLS__KEY_FILE: a.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: String(gliderS2s),
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      ...o.gliderPolicy,
      GLIDER_S2S__ROUTES: JSON.stringify({ 'e.test': { host: '127.0.0.1', port: ejabberd.s2sPort } }),
    }));
    assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: glider.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    return { glider, ejabberd, dns };
  } catch (err) {
    await stopPair(started); // what did start goes, the test fails with the cause
    throw err;
  }
}

async function stopPair(p: Partial<Pair>): Promise<void> {
  await p.glider?.stop();
  await p.ejabberd?.stop();
  await p.dns?.stop();
}

/**
 * XEP-0220 dialback with a real ejabberd (Debian 23.01, `mod_s2s_dialback`, `s2s_use_starttls:
 * required`): Glider (a.test) and ejabberd (e.test) hold certificates from CAs the other does not
 * trust, so only dialback (over TLS, XEP-0344) authenticates either way. ejabberd finds a.test by
 * the SRV record of a test DNS server and its own hosts file (private mount namespace,
 * test/harness/ejabberd.ts); Glider reaches e.test by `s2s.routes`, also for its `<db:verify/>`.
 *
 * What ejabberd 23.01 does, from its source (src/mod_s2s_dialback.erl, p1_xmpp 1.6.1):
 * - as receiving server it offers SASL EXTERNAL on every encrypted stream, whatever the peer's
 *   certificate (xmpp_stream_in:get_sasl_mechanisms), refuses it for an untrusted one, and keeps the
 *   stream open: Glider then falls back to dialback on the same stream;
 * - as initiating server, with dialback allowed for the peer (`access`, default all), it does not
 *   check the peer's certificate (`s2s_out_tls_verify`), finds no mechanism in Glider's features
 *   (Glider offers EXTERNAL only for a certificate it validates) and sends `<db:result/>`.
 * Glider's certificate has DNS names only: ejabberd 23.01 crashes on an SRV-ID otherName
 * (xmpp_stream_pkix:get_cert_domains) while it looks at the certificate EXTERNAL offers.
 */
describe(
  'dialback with ejabberd (a.test ↔ e.test), certificates not trusted either way',
  { skip: !ejabberdInstalled() && 'ejabberd not installed or not root' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-fed-dialback-ej-'));
    const pki = makeFederationPki(dir);
    const policyFile = join(dir, 'policy.json');
    let glider: Deployment;
    let ejabberd: EjabberdPeer;
    let dns: DnsServer;
    const clients: TestClient[] = [];

    before(async () => {
      writeFileSync(policyFile, JSON.stringify({ mode: 'allowlist', allow: ['e.test'], dialback: true }));
      ({ glider, ejabberd, dns } = await startPair(dir, pki, {
        ejabberdTrustsGlider: false,
        gliderPolicy: { GLIDER_S2S__POLICY_FILE: policyFile, GLIDER_S2S__POLICY_POLL_MS: '200' },
      }));
    });
    after(async () => {
      for (const c of clients) await c.stop().catch(() => undefined);
      await stopPair({ glider, ejabberd, dns });
      rmSync(dir, { recursive: true, force: true });
    });

    it('alice@a.test → erin@e.test: ejabberd refuses our EXTERNAL, accepts our dialback key after asking Glider', async () => {
      const g = glider.edges[0]!;
      const alice = await connect(`xmpp://${g.host}:${g.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
      const erin = await connect(`xmpp://127.0.0.1:${ejabberd.c2sPort}`, 'erin', 'erin-secret-5', 'tablet', 'e.test');
      clients.push(alice, erin);
      await alice.send(xml('message', { to: erin.jid, type: 'chat', id: 'ed1' }, xml('body', {}, 'hello ejabberd over dialback')));
      assert.equal((await erin.waitFor('alice message via dialback', isMessageWithBody('hello ejabberd over dialback'))).attrs.from, alice.jid);
      await logLine(glider.processes[0]!.logFile, /SASL EXTERNAL refused; trying dialback/);
      await logLine(glider.processes[0]!.logFile, /outbound stream ready \(dialback\)/);
      // ejabberd as receiving server verified our key with a.test's authoritative server (Glider) — its log is written asynchronously
      await waitFor(() => /Accepted inbound s2s dialback authentication a\.test -> e\.test/.test(readLog(ejabberd.logFile)), {
        what: 'ejabberd accepted a.test by dialback',
        timeoutMs: 15_000,
      });
    });

    it("erin@e.test → alice@a.test: Glider verifies ejabberd's key with e.test's authoritative server", async () => {
      const [alice, erin] = clients as [TestClient, TestClient];
      await erin.send(xml('message', { to: alice.jid, type: 'chat', id: 'ed2' }, xml('body', {}, 'hello Glider over dialback')));
      assert.equal((await alice.waitFor('erin reply via dialback', isMessageWithBody('hello Glider over dialback'))).attrs.from, erin.jid);
      assert.ok(dns.asked.includes('SRV _xmpp-server._tcp.a.test'), `ejabberd asked ${dns.asked.join(', ')}`);
      await logLine(
        glider.processes[0]!.logFile,
        /"by":"dialback".*peer domain authenticated \(dialback\)|peer domain authenticated \(dialback\).*"by":"dialback"/,
      );
      await waitFor(() => /Accepted outbound s2s dialback authentication e\.test -> a\.test/.test(readLog(ejabberd.logFile)), {
        what: 'ejabberd logged its outbound stream authenticated by dialback',
        timeoutMs: 15_000,
      });
    });

    it('an IQ crosses and its answer comes back over the dialback streams', async () => {
      const [alice] = clients as [TestClient];
      const v = await alice.iq(xml('iq', { to: 'e.test', type: 'get', id: 'edv1' }, xml('query', { xmlns: 'jabber:iq:version' })));
      assert.match(v.getChild('query', 'jabber:iq:version')?.getChildText('name') ?? '', /ejabberd/i);
    });

    it('dialback switched off in the policy file: no restart, the untrusted peer is refused both ways', async () => {
      const [alice, erin] = clients as [TestClient, TestClient];
      writeFileSync(join(dir, 'policy.next.json'), JSON.stringify({ mode: 'allowlist', allow: ['e.test'], dialback: false }));
      renameSync(join(dir, 'policy.next.json'), policyFile);
      await waitFor(() => readLog(glider.processes[0]!.logFile).includes('dialback switched off'), {
        what: 'Glider closed the streams that stood on dialback',
        timeoutMs: 15_000,
      });
      await alice.send(xml('message', { to: erin.jid, type: 'chat', id: 'ed3' }, xml('body', {}, 'after dialback went off')));
      const out = await alice.waitFor('bounce to alice', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'ed3');
      assert.ok(out.getChild('error')?.getChild('remote-server-not-found', STANZAS));
      await erin.send(xml('message', { to: alice.jid, type: 'chat', id: 'ed4' }, xml('body', {}, 'from an untrusted peer')));
      const back = await erin.waitFor('ejabberd bounces what Glider refused', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'ed4');
      assert.equal(back.attrs.from, alice.jid);
      assert.equal(
        alice.stanzas.some((s) => s.is('message') && (s.attrs.id === 'ed4' || s.getChildText('body') === 'from an untrusted peer')),
        false,
      );
      assert.equal(
        erin.stanzas.some((s) => s.getChildText('body') === 'after dialback went off'),
        false,
      );
    });
  },
);

/**
 * One way trusted: ejabberd trusts Glider's CA, Glider does not trust ejabberd's. Glider → ejabberd
 * authenticates by SASL EXTERNAL (accepted, no dialback needed); ejabberd → Glider finds no
 * mechanism in Glider's features and uses dialback, which Glider verifies with e.test's
 * authoritative server.
 */
describe(
  'ejabberd trusts Glider, Glider does not trust ejabberd: EXTERNAL one way, dialback the other',
  { skip: !ejabberdInstalled() && 'ejabberd not installed or not root' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-fed-dialback-ej1-'));
    const pki = makeFederationPki(dir);
    let glider: Deployment;
    let ejabberd: EjabberdPeer;
    let dns: DnsServer;
    const clients: TestClient[] = [];

    before(async () => {
      ({ glider, ejabberd, dns } = await startPair(dir, pki, {
        ejabberdTrustsGlider: true,
        gliderPolicy: { GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['e.test'], dialback: true }) },
      }));
    });
    after(async () => {
      for (const c of clients) await c.stop().catch(() => undefined);
      await stopPair({ glider, ejabberd, dns });
      rmSync(dir, { recursive: true, force: true });
    });

    it('chat both ways: ejabberd accepts our EXTERNAL, we accept its dialback key', async () => {
      const g = glider.edges[0]!;
      const alice = await connect(`xmpp://${g.host}:${g.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
      const erin = await connect(`xmpp://127.0.0.1:${ejabberd.c2sPort}`, 'erin', 'erin-secret-5', 'tablet', 'e.test');
      clients.push(alice, erin);
      await alice.send(xml('message', { to: erin.jid, type: 'chat', id: 'eo1' }, xml('body', {}, 'by certificate')));
      assert.equal((await erin.waitFor('alice message by EXTERNAL', isMessageWithBody('by certificate'))).attrs.from, alice.jid);
      await erin.send(xml('message', { to: alice.jid, type: 'chat', id: 'eo2' }, xml('body', {}, 'by dialback')));
      assert.equal((await alice.waitFor('erin message by dialback', isMessageWithBody('by dialback'))).attrs.from, erin.jid);
      await waitFor(() => /Accepted inbound s2s EXTERNAL authentication a\.test -> e\.test/.test(readLog(ejabberd.logFile)), {
        what: 'ejabberd accepted a.test by EXTERNAL',
        timeoutMs: 15_000,
      });
      await waitFor(() => /Accepted outbound s2s dialback authentication e\.test -> a\.test/.test(readLog(ejabberd.logFile)), {
        what: 'ejabberd authenticated to a.test by dialback',
        timeoutMs: 15_000,
      });
      await logLine(glider.processes[0]!.logFile, /peer domain authenticated \(dialback\)/);
      assert.doesNotMatch(readLog(glider.processes[0]!.logFile), /SASL EXTERNAL refused/);
    });
  },
);
